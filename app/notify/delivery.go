package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// DeliveryState is what a claim found.
type DeliveryState int

const (
	// DeliveryClaimed: this attempt holds the delivery and may send it.
	DeliveryClaimed DeliveryState = iota + 1
	// DeliverySent: an earlier attempt recorded it as sent; send nothing.
	DeliverySent
	// DeliveryBusy: another attempt holds an unexpired claim (it may be sending right now).
	DeliveryBusy
)

// Claim is the outcome of DeliveryStore.Claim. Attempt numbers the claim, so a late release
// by an attempt whose lease ran out cannot undo a newer attempt's claim.
type Claim struct {
	State   DeliveryState
	Attempt int
}

// DeliveryStore records, per delivery id, whether a message went out. Every method runs in the
// transaction of ctx, as the context's tenant.
type DeliveryStore interface {
	// Claim creates the delivery as sending, or takes it over when the last attempt failed or
	// its lease ran out; the claim holds for lease from the database's now.
	Claim(ctx context.Context, id, channel string, lease time.Duration) (Claim, error)
	// MarkSent records the delivery as sent, whoever holds it.
	MarkSent(ctx context.Context, id string) error
	// MarkFailed releases claim attempt of the delivery, recording why, so the next attempt
	// may claim it at once; it does nothing when a newer attempt holds the delivery.
	MarkFailed(ctx context.Context, id string, attempt int, reason string) error
}

// ErrDeliveryInFlight is the (retried) error of an attempt that found another attempt of the
// same delivery holding it: the task comes back later and then finds it sent, or free.
var ErrDeliveryInFlight = errors.New("notify: another attempt is sending this delivery")

// Time an attempt may spend in the provider's hands, and what its claim adds for safety. The
// webhook client times out after 10s and SMTP after 15s per connection, so these are loose.
const (
	defaultSendTimeout = 30 * time.Second
	leaseSlack         = 10 * time.Second
)

// deliveryID is the message's identity across retries and re-enqueues: the asynq task id
// (the outbox id, which the relay reuses when it re-enqueues), else the payload's own id for
// runs outside asynq.
func deliveryID(ctx context.Context, p *SendPayload) string {
	if id, ok := asynq.GetTaskID(ctx); ok && id != "" {
		return id
	}
	return p.DeliveryID
}

// deliveryIDOf is the id a sender passes on: the handler's (r.DeliveryID), else, for a sender
// called directly from a task, the asynq task id; "" when there is neither.
func deliveryIDOf(ctx context.Context, r Rendered) string {
	if r.DeliveryID != "" {
		return r.DeliveryID
	}
	id, _ := asynq.GetTaskID(ctx)
	return id
}

// deliver sends r at most once per delivery id as far as this side can tell:
//
//  1. claim the delivery in its own committed transaction (already sent: done; another
//     attempt's claim still valid: ErrDeliveryInFlight, retried later);
//  2. send, bounded by sendTimeout, which the claim's lease outlasts, so once the lease has
//     run out the attempt that held it can no longer be talking to the provider;
//  3. on success mark it sent in its own transaction at once; on failure release the claim.
//
// What remains: a crash (or a database outage outlasting markSent's retries) between the
// provider accepting and the sent mark committing leaves the claim to expire, and the next
// attempt sends again. That window is milliseconds, not a whole retry, and it is why the
// delivery id also goes to the provider (Idempotency-Key for the webhook, Message-ID for
// e-mail): a provider that deduplicates on it closes the window. A crash after the claim and
// before the send only delays the message by the lease.
func (h *Handler) deliver(ctx context.Context, r Rendered, send func(context.Context) error) error {
	var c Claim
	err := h.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		c, err = h.deliveries.Claim(ctx, r.DeliveryID, r.Channel, h.sendTimeout+leaseSlack)
		return err
	})
	if err != nil {
		return fmt.Errorf("notify: claim delivery %s: %w", r.DeliveryID, err)
	}
	switch c.State {
	case DeliverySent:
		return nil
	case DeliveryBusy:
		return ErrDeliveryInFlight
	}
	sendCtx, cancel := context.WithTimeout(ctx, h.sendTimeout)
	err = send(sendCtx)
	cancel()
	// The outcome is recorded even when ctx was cancelled (worker shutdown) in the meantime.
	rec := context.WithoutCancel(ctx)
	if err != nil {
		if rerr := h.db.InTx(rec, func(ctx context.Context) error {
			return h.deliveries.MarkFailed(ctx, r.DeliveryID, c.Attempt, truncate(err.Error(), 500))
		}); rerr != nil {
			// The claim then simply expires; the send error is what the retry is about.
			return errors.Join(err, fmt.Errorf("notify: release delivery %s: %w", r.DeliveryID, rerr))
		}
		return err
	}
	return h.markSent(rec, r.DeliveryID)
}

// markSent records a delivery as sent, retrying briefly: until it commits, the delivery can
// be sent again once its claim expires.
func (h *Handler) markSent(ctx context.Context, id string) error {
	var err error
	for i := range 4 {
		if i > 0 {
			time.Sleep(time.Duration(i) * 250 * time.Millisecond)
		}
		err = h.db.InTx(ctx, func(ctx context.Context) error { return h.deliveries.MarkSent(ctx, id) })
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("notify: delivery %s was sent but could not be recorded (a later attempt may send it again): %w", id, err)
}

// needsRecord says whether a channel's deliveries go through the delivery record. The in-app
// inbox does not need one: it stores the message under the delivery id in one transaction.
func needsRecord(channel string) bool { return channel != ChannelInbox }

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
