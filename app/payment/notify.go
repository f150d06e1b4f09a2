package payment

import (
	"context"

	"doorstep/app/kit/money"
	"doorstep/app/notify"
)

// TenantFacts are what payment messages show of the tenant.
type TenantFacts struct {
	Brand  string // brand name, else the tenant's name
	Locale string // the tenant's; the inbox renders again in the customer's own when they chose one
}

// announcePaid tells the order's customer that p succeeded, in the transaction that records
// it (called where the status changes, so a replayed event sends nothing).
func (s *Service) announcePaid(ctx context.Context, o OrderFacts, p Payment) error {
	if p.Status != StatusSucceeded {
		return nil
	}
	return s.announce(ctx, o, notify.TemplatePaymentReceived, p.Amount, p.Currency, map[string]string{
		notify.ParamMethod: p.Method,
	}, map[string]string{"payment_id": p.ID.String()})
}

// announceRefund tells the order's customer of r's new status, in the transaction that sets
// it: refund_issued when it succeeded, refund_failed when it failed; nothing while pending.
func (s *Service) announceRefund(ctx context.Context, r Refund) error {
	tpl := ""
	switch r.Status {
	case StatusSucceeded:
		tpl = notify.TemplateRefundIssued
	case StatusFailed:
		tpl = notify.TemplateRefundFailed
	default:
		return nil
	}
	o, err := s.repo.Order(ctx, r.OrderID, false)
	if err != nil {
		return err
	}
	return s.announce(ctx, o, tpl, r.Amount, r.Currency, map[string]string{
		notify.ParamReason: refundReason(r),
	}, map[string]string{"payment_id": r.PaymentID.String(), "refund_id": r.ID.String(), "status": r.Status})
}

// refundReason is what the customer is told a refund is for: the system's own reasons go as
// the codes the templates translate, a person's as they wrote it.
func refundReason(r Refund) string {
	switch r.Source {
	case SourceCancellation:
		return notify.RefundReasonCancelled
	case SourceLatePayment:
		return notify.RefundReasonLatePayment
	case SourceOverpayment:
		return notify.RefundReasonOverpayment
	case SourceStripe:
		return notify.RefundReasonByStore
	}
	return r.Reason
}

// announce enqueues template to o's customer's inbox with the template's parameters.
func (s *Service) announce(ctx context.Context, o OrderFacts, template string, amount int64, currency string, extra, data map[string]string) error {
	if s.outbox == nil {
		return nil
	}
	t, err := s.repo.Tenant(ctx)
	if err != nil {
		return err
	}
	all := map[string]string{notify.ParamBrand: t.Brand, notify.ParamOrderNo: o.Number,
		notify.ParamAmount: money.Amount{Minor: amount, Currency: currency}.String()}
	for k, v := range extra {
		all[k] = v
	}
	data["order_id"], data["order_no"] = o.ID.String(), o.Number
	return notify.Enqueue(ctx, s.outbox, notify.ToInbox(notify.RecipientCustomer+":"+o.CustomerID.String(), t.Locale, template,
		notify.PaymentTemplateParams[template], all, data))
}
