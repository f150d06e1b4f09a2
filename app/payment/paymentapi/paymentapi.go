// Package paymentapi exposes payments: the tenant's payment settings (payments:configure);
// customers paying their orders (Stripe PaymentIntent, stored value, confirming cash),
// cancelling with a refund by the cancellation rules and reading their order's payments;
// staff recording cash on their own job (cash:self); stores reading payments
// (payments:read) and refunding (payments:refund); and Stripe's webhook endpoint.
package paymentapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/payment"
)

type api struct{ svc *payment.Service }

// Register adds the payment operations.
func Register(h huma.API, svc *payment.Service) {
	a := api{svc: svc}
	cust := httpx.Access{Audience: httpx.Customer}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, status int, tags ...string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}, acc)
	}
	ct, jt, pt, st := "My orders", "My jobs", "Payments", "Payment settings"
	huma.Register(h, reg("start-my-order-payment", http.MethodPost, "/api/v1/storefront/orders/{id}/payment",
		"Pay what the order owes now through Stripe: returns the PaymentIntent's client secret (the same one when called again)", cust, 0, ct), a.start)
	huma.Register(h, reg("pay-my-order-stored-value", http.MethodPost, "/api/v1/storefront/orders/{id}/stored-value-payment",
		"Pay what the order owes now from your stored value (409 insufficient_balance when it is too low)", cust, http.StatusCreated, ct), a.storedValue)
	huma.Register(h, reg("confirm-my-cash-payment", http.MethodPost, "/api/v1/storefront/orders/{id}/payments/{payment_id}/confirm-cash",
		"Confirm the cash the staff member recorded", cust, 0, ct), a.confirmCash)
	huma.Register(h, reg("list-my-order-payments", http.MethodGet, "/api/v1/storefront/orders/{id}/payments",
		"Your order's payments and refunds", cust, 0, ct), a.list)
	huma.Register(h, reg("cancel-my-order-with-refund", http.MethodPost, "/api/v1/storefront/orders/{id}/cancel-with-refund",
		"Cancel your paid order and get back what you paid less the cancellation fee", cust, 0, ct), a.cancelRefund)
	huma.Register(h, reg("record-my-job-cash", http.MethodPost, "/api/v1/me/jobs/{id}/cash",
		"Record cash collected on your job; the customer confirms it", staff("cash:self"), http.StatusCreated, jt), a.recordCash)
	huma.Register(h, reg("list-order-payments", http.MethodGet, "/api/v1/orders/{id}/payments",
		"An order's payments and refunds", staff("payments:read"), 0, pt), a.list)
	huma.Register(h, reg("refund-order-payment", http.MethodPost, "/api/v1/orders/{id}/refunds",
		"Refund a payment in full or in part with a reason (Idempotency-Key makes retries safe)", staff("payments:refund"), http.StatusCreated, pt), a.refund)
	huma.Register(h, reg("get-payment-settings", http.MethodGet, "/api/v1/payment/settings", "Payment mode, deposit, methods and the unpaid timeout",
		staff("payments:configure"), 0, st), a.getSettings)
	huma.Register(h, reg("set-payment-settings", http.MethodPut, "/api/v1/payment/settings", "Change the payment settings",
		staff("payments:configure"), 0, st), a.setSettings)
	huma.Register(h, reg("stripe-webhook", http.MethodPost, "/api/v1/webhooks/stripe",
		"Stripe's events, verified by their signature (400 webhook_signature_invalid otherwise; 400 webhook_payload_invalid for a signed body that is not an event)", httpx.Access{Audience: httpx.Public}, 0, "Webhooks"), a.webhook)
}

// PaymentRecordDTO is a payment.
type PaymentRecordDTO struct {
	ID           uuid.UUID  `json:"id"`
	OrderID      uuid.UUID  `json:"order_id"`
	Kind         string     `json:"kind" enum:"full,deposit,balance"`
	Channel      string     `json:"channel" enum:"stripe,cash,stored_value,visit_card"`
	Method       string     `json:"method,omitempty"`
	Amount       int64      `json:"amount"`
	Currency     string     `json:"currency"`
	Status       string     `json:"status" enum:"pending,awaiting_confirmation,succeeded,failed,canceled"`
	Refunded     int64      `json:"refunded"`
	ClientSecret string     `json:"client_secret,omitempty" doc:"Only to the paying customer, for Stripe.js"`
	FailureCode  string     `json:"failure_code,omitempty"`
	PaidAt       *time.Time `json:"paid_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toPayment(p payment.Payment, secret bool) PaymentRecordDTO {
	d := PaymentRecordDTO{ID: p.ID, OrderID: p.OrderID, Kind: p.Kind, Channel: p.Channel, Method: p.Method, Amount: p.Amount, Currency: p.Currency,
		Status: p.Status, Refunded: p.Refunded, FailureCode: p.FailureCode, PaidAt: p.PaidAt, CreatedAt: p.CreatedAt}
	if secret && (p.Status == payment.StatusPending || p.Status == payment.StatusFailed) {
		d.ClientSecret = p.ClientSecret
	}
	return d
}

// RefundRecordDTO is a refund.
type RefundRecordDTO struct {
	ID        uuid.UUID `json:"id"`
	PaymentID uuid.UUID `json:"payment_id"`
	OrderID   uuid.UUID `json:"order_id"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Reason    string    `json:"reason"`
	Source    string    `json:"source" enum:"api,cancellation,late_payment,stripe"`
	Status    string    `json:"status" enum:"pending,succeeded,failed"`
	CreatedAt time.Time `json:"created_at"`
}

func toRefund(r payment.Refund) RefundRecordDTO {
	return RefundRecordDTO{ID: r.ID, PaymentID: r.PaymentID, OrderID: r.OrderID, Amount: r.Amount, Currency: r.Currency, Reason: r.Reason,
		Source: r.Source, Status: r.Status, CreatedAt: r.CreatedAt}
}

// PaymentOrderPath names an order.
type PaymentOrderPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) start(ctx context.Context, in *PaymentOrderPath) (*httpx.Body[PaymentRecordDTO], error) {
	p, err := a.svc.StartPayment(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentRecordDTO]{Body: toPayment(p, true)}, nil
}

func (a api) storedValue(ctx context.Context, in *PaymentOrderPath) (*httpx.Body[PaymentRecordDTO], error) {
	p, err := a.svc.PayWithStoredValue(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentRecordDTO]{Body: toPayment(p, false)}, nil
}

// PaymentCashConfirmPath names a cash payment of an order.
type PaymentCashConfirmPath struct {
	ID        uuid.UUID `path:"id" format:"uuid"`
	PaymentID uuid.UUID `path:"payment_id" format:"uuid"`
}

func (a api) confirmCash(ctx context.Context, in *PaymentCashConfirmPath) (*httpx.Body[PaymentRecordDTO], error) {
	p, err := a.svc.ConfirmCash(ctx, in.ID, in.PaymentID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentRecordDTO]{Body: toPayment(p, false)}, nil
}

// PaymentOrderMoneyDTO is an order's payments and refunds.
type PaymentOrderMoneyDTO struct {
	Paid     int64              `json:"paid" doc:"Succeeded payments"`
	Refunded int64              `json:"refunded" doc:"Refunds not failed"`
	Payments []PaymentRecordDTO `json:"payments"`
	Refunds  []RefundRecordDTO  `json:"refunds"`
}

func (a api) list(ctx context.Context, in *PaymentOrderPath) (*httpx.Body[PaymentOrderMoneyDTO], error) {
	m, err := a.svc.ForOrder(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := PaymentOrderMoneyDTO{Paid: m.Paid, Refunded: m.Refunded, Payments: []PaymentRecordDTO{}, Refunds: []RefundRecordDTO{}}
	for _, p := range m.Payments {
		out.Payments = append(out.Payments, toPayment(p, false))
	}
	for _, r := range m.Refunds {
		out.Refunds = append(out.Refunds, toRefund(r))
	}
	return &httpx.Body[PaymentOrderMoneyDTO]{Body: out}, nil
}

// PaymentCancelInput is cancel-my-order-with-refund's input.
type PaymentCancelInput struct {
	PaymentOrderPath
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

// PaymentRefundsDTO lists refunds made.
type PaymentRefundsDTO struct {
	Refunds []RefundRecordDTO `json:"refunds"`
}

func (a api) cancelRefund(ctx context.Context, in *PaymentCancelInput) (*httpx.Body[PaymentRefundsDTO], error) {
	rs, err := a.svc.CancelAndRefund(ctx, in.ID, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	out := PaymentRefundsDTO{Refunds: []RefundRecordDTO{}}
	for _, r := range rs {
		out.Refunds = append(out.Refunds, toRefund(r))
	}
	return &httpx.Body[PaymentRefundsDTO]{Body: out}, nil
}

// PaymentCashInput is record-my-job-cash's input.
type PaymentCashInput struct {
	PaymentOrderPath
	Body struct {
		Amount int64 `json:"amount" minimum:"1" doc:"Minor units of the order's currency"`
	}
}

func (a api) recordCash(ctx context.Context, in *PaymentCashInput) (*httpx.Body[PaymentRecordDTO], error) {
	p, err := a.svc.RecordCash(ctx, in.ID, in.Body.Amount)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentRecordDTO]{Body: toPayment(p, false)}, nil
}

// PaymentRefundInput is refund-order-payment's input.
type PaymentRefundInput struct {
	PaymentOrderPath
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"A retry with the same key returns the first refund"`
	Body           struct {
		PaymentID uuid.UUID `json:"payment_id"`
		Amount    int64     `json:"amount" minimum:"1" doc:"Minor units; at most what is left of the payment"`
		Reason    string    `json:"reason" minLength:"1" maxLength:"500"`
	}
}

func (a api) refund(ctx context.Context, in *PaymentRefundInput) (*httpx.Body[RefundRecordDTO], error) {
	r, err := a.svc.Refund(ctx, payment.RefundRequest{OrderID: in.ID, PaymentID: in.Body.PaymentID, Amount: in.Body.Amount,
		Reason: in.Body.Reason, RequestKey: in.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[RefundRecordDTO]{Body: toRefund(r)}, nil
}

// PaymentSettingsDTO are the tenant's payment settings.
type PaymentSettingsDTO struct {
	PaymentMode          string    `json:"payment_mode" enum:"prepay,deposit,pay_after" doc:"booking_settings.payment_mode: whether new orders wait for payment"`
	DepositPercent       int       `json:"deposit_percent" minimum:"1" maximum:"100"`
	MethodTypes          []string  `json:"method_types" minItems:"1" maxItems:"3" doc:"card, alipay, wechat_pay"`
	UnpaidTimeoutMinutes int       `json:"unpaid_timeout_minutes" minimum:"1" maximum:"1440"`
	UpdatedAt            time.Time `json:"updated_at,omitempty" readOnly:"true"`
}

func toSettings(s payment.Settings) PaymentSettingsDTO {
	return PaymentSettingsDTO{PaymentMode: s.Mode, DepositPercent: s.DepositPercent, MethodTypes: s.MethodTypes,
		UnpaidTimeoutMinutes: s.UnpaidTimeoutMinutes, UpdatedAt: s.UpdatedAt}
}

func (a api) getSettings(ctx context.Context, _ *struct{}) (*httpx.Body[PaymentSettingsDTO], error) {
	s, err := a.svc.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentSettingsDTO]{Body: toSettings(s)}, nil
}

// PaymentSettingsInput is set-payment-settings' input.
type PaymentSettingsInput struct {
	Body PaymentSettingsDTO
}

func (a api) setSettings(ctx context.Context, in *PaymentSettingsInput) (*httpx.Body[PaymentSettingsDTO], error) {
	s, err := a.svc.SetSettings(ctx, payment.Settings{Mode: in.Body.PaymentMode, DepositPercent: in.Body.DepositPercent,
		MethodTypes: in.Body.MethodTypes, UnpaidTimeoutMinutes: in.Body.UnpaidTimeoutMinutes})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PaymentSettingsDTO]{Body: toSettings(s)}, nil
}

// PaymentWebhookInput is a Stripe delivery: the raw body, verified against its signature.
type PaymentWebhookInput struct {
	Signature string `header:"Stripe-Signature"`
	RawBody   []byte
}

// PaymentWebhookDTO acknowledges a delivery.
type PaymentWebhookDTO struct {
	Received  bool   `json:"received"`
	EventID   string `json:"event_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Ignored   bool   `json:"ignored,omitempty"`
}

func (a api) webhook(ctx context.Context, in *PaymentWebhookInput) (*httpx.Body[PaymentWebhookDTO], error) {
	rc, err := a.svc.Receive(ctx, in.RawBody, in.Signature)
	if err != nil {
		// Both are the sender's fault, answered 400 as Stripe's documentation expects.
		for _, bad := range []*errs.Error{payment.ErrBadSignature, payment.ErrBadPayload} {
			if e, ok := errs.As(err); ok && errors.Is(e, bad) {
				return nil, httpx.NewProblem(http.StatusBadRequest, bad.Code, bad.Detail)
			}
		}
		return nil, err
	}
	return &httpx.Body[PaymentWebhookDTO]{Body: PaymentWebhookDTO{Received: true, EventID: rc.EventID, Duplicate: rc.Duplicate, Ignored: rc.Ignored}}, nil
}
