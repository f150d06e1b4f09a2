package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/payment/gateway"
	"doorstep/jobs"
)

// TypeWebhook processes one recorded Stripe event (by its ID) in its tenant.
const TypeWebhook = "payment:webhook"

// WebhookPayload is TypeWebhook's payload.
type WebhookPayload struct {
	jobs.Meta
	EventID string `json:"event_id"`
}

// TaskType implements jobs.Payload.
func (*WebhookPayload) TaskType() string { return TypeWebhook }

// Receipt says what Receive did with an event.
type Receipt struct {
	EventID   string
	Duplicate bool // seen before: recorded once; its processing is queued again only if unfinished
	Ignored   bool // no tenant of ours: acknowledged and dropped
}

// stripeObject is the part of any event object Receive and the handlers read.
type stripeObject struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Metadata map[string]string `json:"metadata"`
}

// Receive verifies a delivery's signature over the raw body (forged, stale, future-dated or
// wrongly signed: ErrBadSignature; well signed but not an event: ErrBadPayload), finds its tenant in the object's metadata (or a TenantResolver), records
// the event under its unique ID in that tenant and queues its processing through the outbox,
// in one transaction. A duplicate delivery records nothing, and queues processing again only
// while the recorded event is unprocessed: its first task may have been lost with Redis, and
// Stripe's redelivery is then what recovers it at once (the outbox relay's lease recovers it
// later anyway). ProcessEvent is idempotent, so an extra task costs nothing.
//
// The event row lives in a tenant table: the signed metadata names the tenant before anything
// is written, so the row, the outbox task and the processing all run under that tenant's
// row-level security like every other tenant write, and one tenant's events never sit in
// another's reach. Events naming no tenant of ours are acknowledged and dropped.
func (s *Service) Receive(ctx context.Context, payload []byte, signature string) (Receipt, error) {
	if s.secret == "" {
		return Receipt{}, ErrBadSignature
	}
	ev, err := gateway.VerifyEvent(payload, signature, s.secret)
	if errors.Is(err, gateway.ErrBadPayload) {
		return Receipt{}, errs.Wrap(err, errs.Invalid, ErrBadPayload.Code, ErrBadPayload.Detail)
	}
	if err != nil {
		return Receipt{}, errs.Wrap(err, errs.Invalid, ErrBadSignature.Code, ErrBadSignature.Detail)
	}
	out := Receipt{EventID: ev.ID}
	tenantID, ok, err := s.tenantOf(ctx, ev)
	if err != nil {
		return out, err
	}
	if !ok {
		out.Ignored = true
		s.log.InfoContext(ctx, "stripe event without a tenant ignored", "event_id", ev.ID, "type", ev.Type)
		return out, nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return out, err
	}
	tctx := dbx.WithTenant(ctx, tenantID)
	err = s.db.InTx(tctx, func(ctx context.Context) error {
		inserted, err := s.repo.InsertEvent(ctx, WebhookEvent{EventID: ev.ID, Type: ev.Type, Payload: body, ReceivedAt: s.clock.Now()})
		if err != nil {
			return err
		}
		if !inserted {
			out.Duplicate = true
			seen, err := s.repo.GetEvent(ctx, ev.ID, false)
			if err != nil || seen.ProcessedAt != nil {
				return err
			}
		}
		_, err = s.outbox.Add(ctx, &WebhookPayload{EventID: ev.ID}, jobs.Queue(jobs.QueueCritical), jobs.MaxRetry(25))
		return err
	})
	if err != nil && (dbx.IsConstraint(err, "payment_webhook_events_tenant_id_fkey") || errs.KindOf(dbx.Err(err)) == errs.Invalid) {
		out.Ignored = true
		s.log.InfoContext(ctx, "stripe event for an unknown tenant ignored", "event_id", ev.ID, "tenant_id", tenantID)
		return out, nil
	}
	return out, err
}

func (s *Service) tenantOf(ctx context.Context, ev gateway.Event) (uuid.UUID, bool, error) {
	var obj struct {
		stripeObject
		Refunds struct {
			Data []stripeObject `json:"data"`
		} `json:"refunds"`
	}
	_ = json.Unmarshal(ev.Object, &obj)
	cands := []map[string]string{obj.Metadata}
	for _, r := range obj.Refunds.Data {
		cands = append(cands, r.Metadata)
	}
	for _, md := range cands {
		if id, err := uuid.Parse(md[MetaTenant]); err == nil && id != uuid.Nil {
			return id, true, nil
		}
	}
	s.mu.RLock()
	rs := slices.Clone(s.resolvers)
	s.mu.RUnlock()
	for _, r := range rs {
		id, ok, err := r.TenantOf(ctx, ev)
		if err != nil || ok {
			return id, ok, err
		}
	}
	return uuid.Nil, false, nil
}

// ProcessEvent runs TypeWebhook: the recorded event is handled once, in one transaction with
// its processed mark. Handlers are state-based, so any delivery order converges: a success is
// never undone by a later failure, a refund event waits (the job retries) until its payment
// has succeeded, a refund Doorstep did not make is recorded from the event.
func (s *Service) ProcessEvent(ctx context.Context, eventID string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.repo.GetEvent(ctx, eventID, true)
		if errs.KindOf(err) == errs.NotFound {
			return fmt.Errorf("payment: event %s not recorded: %w", eventID, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		if row.ProcessedAt != nil {
			return nil
		}
		var ev gateway.Event
		if err := json.Unmarshal(row.Payload, &ev); err != nil {
			return fmt.Errorf("payment: decode event %s: %v: %w", eventID, err, asynq.SkipRetry)
		}
		outcome, err := s.dispatch(ctx, ev)
		if err != nil {
			return err
		}
		return s.repo.MarkEvent(ctx, eventID, outcome, s.clock.Now())
	})
}

func (s *Service) dispatch(ctx context.Context, ev gateway.Event) (string, error) {
	switch {
	case strings.HasPrefix(ev.Type, "payment_intent."):
		return s.intentEvent(ctx, ev)
	case ev.Type == "charge.refunded":
		var ch struct {
			PaymentIntent string            `json:"payment_intent"`
			Metadata      map[string]string `json:"metadata"`
			Refunds       struct {
				Data []refundObject `json:"data"`
			} `json:"refunds"`
		}
		if err := json.Unmarshal(ev.Object, &ch); err != nil {
			return "", fmt.Errorf("payment: decode charge: %v: %w", err, asynq.SkipRetry)
		}
		for _, r := range ch.Refunds.Data {
			if r.PaymentIntent == "" {
				r.PaymentIntent = ch.PaymentIntent
			}
			if r.Metadata == nil {
				r.Metadata = map[string]string{}
			}
			if r.Metadata[MetaRef] == "" {
				r.Metadata[MetaRef] = ch.Metadata[MetaRef]
			}
			if _, err := s.refundEvent(ctx, r); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%d refunds", len(ch.Refunds.Data)), nil
	case ev.Type == "charge.refund.updated" || strings.HasPrefix(ev.Type, "refund."):
		var r refundObject
		if err := json.Unmarshal(ev.Object, &r); err != nil {
			return "", fmt.Errorf("payment: decode refund: %v: %w", err, asynq.SkipRetry)
		}
		return s.refundEvent(ctx, r)
	}
	s.mu.RLock()
	hs := slices.Clone(s.events[ev.Type])
	s.mu.RUnlock()
	if len(hs) == 0 {
		return "ignored: no handler", nil
	}
	for _, h := range hs {
		if err := h.HandleEvent(ctx, ev); err != nil {
			return "", err
		}
	}
	return "handled", nil
}

type intentObject struct {
	ID                 string            `json:"id"`
	Amount             int64             `json:"amount"`
	AmountReceived     int64             `json:"amount_received"`
	Currency           string            `json:"currency"`
	Status             string            `json:"status"`
	Metadata           map[string]string `json:"metadata"`
	PaymentMethodTypes []string          `json:"payment_method_types"`
	LatestCharge       json.RawMessage   `json:"latest_charge"`
	LastPaymentError   *struct {
		Code string `json:"code"`
	} `json:"last_payment_error"`
}

// method is the payment method type the intent was paid with.
func (in intentObject) method() string {
	var ch struct {
		PaymentMethodDetails struct {
			Type string `json:"type"`
		} `json:"payment_method_details"`
	}
	m := ""
	if len(in.LatestCharge) > 0 && in.LatestCharge[0] == '{' && json.Unmarshal(in.LatestCharge, &ch) == nil {
		m = ch.PaymentMethodDetails.Type
	}
	if m == "" && len(in.PaymentMethodTypes) == 1 {
		m = in.PaymentMethodTypes[0]
	}
	if !slices.Contains(MethodTypes, m) {
		m = "card"
	}
	return m
}

func (s *Service) intentEvent(ctx context.Context, ev gateway.Event) (string, error) {
	var in intentObject
	if err := json.Unmarshal(ev.Object, &in); err != nil {
		return "", fmt.Errorf("payment: decode intent: %v: %w", err, asynq.SkipRetry)
	}
	ref, _ := uuid.Parse(in.Metadata[MetaRef])
	purpose := Purpose(in.Metadata[MetaPurpose])
	if purpose != PurposeOrder {
		s.mu.RLock()
		h := s.intents[purpose]
		s.mu.RUnlock()
		if h == nil {
			return "", fmt.Errorf("payment: no handler for intents of purpose %q (event %s)", purpose, ev.ID)
		}
		amount := in.AmountReceived
		if amount == 0 {
			amount = in.Amount
		}
		return "handled by " + string(purpose), h.HandleIntent(ctx, IntentEvent{EventID: ev.ID, Type: ev.Type, IntentID: in.ID,
			Amount: amount, Currency: strings.ToUpper(in.Currency), Method: in.method(), RefID: ref})
	}
	p, err := s.repo.GetPayment(ctx, ref, false)
	if errs.KindOf(err) == errs.NotFound {
		return "ignored: unknown payment", nil
	}
	if err != nil {
		return "", err
	}
	o, err := s.repo.Order(ctx, p.OrderID, true) // orders before payments, as everywhere
	if err != nil {
		return "", err
	}
	if p, err = s.repo.GetPayment(ctx, ref, true); err != nil {
		return "", err
	}
	if p.Status == StatusSucceeded {
		return "already succeeded", nil
	}
	if p.IntentID == "" {
		p.IntentID = in.ID
	}
	switch ev.Type {
	case "payment_intent.succeeded":
		received := in.AmountReceived
		if received == 0 && in.Amount == p.Amount {
			received = in.Amount // an event without amount_received (older API versions)
		}
		if !strings.EqualFold(in.Currency, p.Currency) || received <= 0 {
			// Nothing Doorstep can book: someone must look at it in Stripe (refund it there).
			s.log.ErrorContext(ctx, "payment: intent succeeded in another currency or for nothing; not booked",
				"payment_id", p.ID, "intent", in.ID, "currency", in.Currency, "amount_received", in.AmountReceived)
			p.Status, p.FailureCode, p.UpdatedAt = StatusFailed, "amount_mismatch", s.clock.Now()
			return "failed: amount mismatch", s.repo.UpdatePayment(ctx, p)
		}
		if received < p.Amount {
			s.log.WarnContext(ctx, "payment: intent received less than it asked; booking what was received",
				"payment_id", p.ID, "intent", in.ID, "asked", p.Amount, "received", received)
		}
		if _, err := s.succeedWith(ctx, o, p, in.method(), received); err != nil {
			return "", err
		}
		return "succeeded", nil
	case "payment_intent.payment_failed":
		if p.Status != StatusPending {
			return "ignored: " + p.Status, nil
		}
		p.Status, p.UpdatedAt = StatusFailed, s.clock.Now()
		if in.LastPaymentError != nil {
			p.FailureCode = in.LastPaymentError.Code
		}
		return "failed", s.repo.UpdatePayment(ctx, p)
	case "payment_intent.canceled":
		if p.Status != StatusPending && p.Status != StatusFailed {
			return "ignored: " + p.Status, nil
		}
		p.Status, p.UpdatedAt = StatusCanceled, s.clock.Now()
		return "canceled", s.repo.UpdatePayment(ctx, p)
	}
	return "ignored: " + ev.Type, nil
}

type refundObject struct {
	ID            string            `json:"id"`
	Amount        int64             `json:"amount"`
	Status        string            `json:"status"`
	PaymentIntent string            `json:"payment_intent"`
	FailureReason string            `json:"failure_reason"`
	Metadata      map[string]string `json:"metadata"`
}

// refundEvent converges a refund row on a Stripe refund object: ours (metadata refund_id)
// move forward by rank; one made outside Doorstep is recorded (with its posting) once its
// payment has succeeded. The order row is locked before any lookup, so events about one
// order are handled one at a time.
func (s *Service) refundEvent(ctx context.Context, ro refundObject) (string, error) {
	refundID, _ := uuid.Parse(ro.Metadata["refund_id"])
	payID, _ := uuid.Parse(ro.Metadata[MetaRef])
	if refundID != uuid.Nil {
		r, err := s.repo.GetRefund(ctx, refundID, false)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return "", err
		}
		if err == nil {
			payID = r.PaymentID
		}
	}
	if payID == uuid.Nil && ro.ID != "" {
		r, ok, err := s.repo.RefundByStripeID(ctx, ro.ID)
		if err != nil {
			return "", err
		}
		if ok {
			payID = r.PaymentID
		}
	}
	if payID == uuid.Nil {
		return "ignored: refund of an unknown payment", nil
	}
	p, err := s.repo.GetPayment(ctx, payID, false)
	if errs.KindOf(err) == errs.NotFound {
		return "ignored: refund of an unknown payment", nil
	}
	if err != nil {
		return "", err
	}
	if _, err := s.repo.Order(ctx, p.OrderID, true); err != nil { // orders before payments, as everywhere
		return "", err
	}
	var r Refund
	found := false
	if refundID != uuid.Nil {
		got, err := s.repo.GetRefund(ctx, refundID, true)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return "", err
		}
		r, found = got, err == nil
	}
	if !found && ro.ID != "" {
		got, ok, err := s.repo.RefundByStripeID(ctx, ro.ID)
		if err != nil {
			return "", err
		}
		r, found = got, ok
	}
	if found {
		if r.StripeRefundID == "" {
			r.StripeRefundID = ro.ID
		}
		if err := s.applyRefundStatus(ctx, &r, ro.Status, ro.FailureReason); err != nil {
			return "", err
		}
		r.UpdatedAt = s.clock.Now()
		return "refund " + r.Status, s.repo.UpdateRefund(ctx, r)
	}
	// A refund made outside Doorstep (e.g. in Stripe's dashboard).
	if p, err = s.repo.GetPayment(ctx, payID, true); err != nil {
		return "", err
	}
	if p.Status != StatusSucceeded {
		return "", errNotYet
	}
	now := s.clock.Now()
	id := newID()
	r = Refund{ID: id, PaymentID: p.ID, OrderID: p.OrderID, Amount: max(ro.Amount, 1), Currency: p.Currency, Reason: "refunded in Stripe",
		Source: SourceStripe, Status: StatusPending, IdempotencyKey: "refund:" + id.String(), StripeRefundID: ro.ID,
		CreatedBy: "stripe", CreatedAt: now, UpdatedAt: now}
	switch ro.Status {
	case "succeeded":
		r.Status = StatusSucceeded
	case "failed", "canceled":
		r.Status, r.FailureReason = StatusFailed, ro.FailureReason
	}
	if r.Status == StatusFailed {
		if err := s.repo.InsertRefund(ctx, r); err != nil {
			return "", dbx.Err(err)
		}
		return "external refund failed", nil
	}
	if r.Amount > p.Amount-p.Refunded {
		return "", fmt.Errorf("payment: Stripe refund %s of %d exceeds what is left of payment %s: %w", ro.ID, r.Amount, p.ID, asynq.SkipRetry)
	}
	if err := s.postRefund(ctx, p, &r, -1); err != nil {
		return "", err
	}
	return "external refund recorded", nil
}
