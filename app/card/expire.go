package card

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/ledger"
	"doorstep/jobs"
)

// Outboxer adds tasks in the caller's transaction, or one per active tenant (FanOut).
type Outboxer interface {
	Add(ctx context.Context, p jobs.Payload, opts ...jobs.Option) (uuid.UUID, error)
	FanOut(ctx context.Context, newPayload func() jobs.Payload, opts ...jobs.Option) (int, error)
}

// Task types: TypeExpireSweep is the hourly platform task that queues TypeExpire for every
// active tenant through the outbox; TypeExpire expires one tenant's cards whose validity ended
// (cards end at midnight in the tenant's time zone, see Expiry). Both are idempotent: a card
// is expired once, under the ledger key card_expire:<card id>.
const (
	TypeExpire      = "card:expire"
	TypeExpireSweep = "card:expire_sweep"
)

// ExpirePayload is TypeExpire's payload.
type ExpirePayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*ExpirePayload) TaskType() string { return TypeExpire }

// RegisterTasks adds the card job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, _ *ExpirePayload) error {
		_, err := s.ExpireDue(ctx)
		return err
	})
	mux.HandleFunc(TypeExpireSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepExpiry(ctx)
		return err
	})
}

// RegisterPeriodic registers the hourly sweep (cards expire at each tenant's local midnight,
// which falls on a different UTC hour per time zone).
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("7 * * * *", asynq.NewTask(TypeExpireSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(30*time.Minute), asynq.Timeout(10*time.Minute))
	return err
}

// SweepExpiry queues TypeExpire for every active tenant.
func (s *Service) SweepExpiry(ctx context.Context) (int, error) {
	return s.Outbox.FanOut(ctx, func() jobs.Payload { return &ExpirePayload{} }, jobs.Queue(jobs.QueueLow))
}

// ExpireDue expires the tenant's cards whose validity has ended, each in its own transaction,
// and returns how many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		var ids []uuid.UUID
		err := s.DB.InTx(ctx, func(ctx context.Context) (err error) {
			ids, err = s.Repo.DueCards(ctx, s.Clock.Now(), 200)
			return err
		})
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			done, err := s.Expire(ctx, id)
			if err != nil {
				return n, fmt.Errorf("card %s: %w", id, err)
			}
			if done {
				n++
			}
		}
		if len(ids) < 200 {
			return n, nil
		}
	}
}

// Expire expires one card whose validity has ended (false when it is not due or already
// expired). What is left moves back to HQ as card.expire (docs/money.md): the remaining stored
// value or visits leave the customer, and the money not yet earned moves from card funds to
// revenue — for stored value its face value (stored value is spent at face value, as
// payment.stored_value posts it), for visit cards the funds not yet moved by redemptions.
func (s *Service) Expire(ctx context.Context, id uuid.UUID) (bool, error) {
	done := false
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Repo.Card(ctx, id, false)
		if err != nil {
			return err
		}
		// Lock every card of the customer (in id order, like the single-card paths), so the
		// attribution of the pooled stored value cannot move underneath.
		cards, err := s.Repo.CustomerCards(ctx, c.CustomerID, true)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		var balance int64
		if c.Kind == StoredValue {
			if balance, err = s.Ledger.Balance(ctx, ledger.Customer(c.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue)); err != nil {
				return err
			}
		}
		attribute(cards, balance)
		for _, x := range cards {
			if x.ID == id {
				c = x
			}
		}
		if c.Status != Active || now.Before(c.ExpiresAt) {
			return nil
		}
		var entries []ledger.Entry
		cust := ledger.Customer(c.CustomerID)
		var unearned int64
		switch c.Kind {
		case StoredValue:
			if rem := c.Remaining; rem > 0 {
				unearned = rem
				entries = append(entries,
					ledger.Entry{Account: cust.Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -rem},
					ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: rem})
			}
		case Visits:
			if c.VisitsRemaining != nil && *c.VisitsRemaining > 0 {
				rem := int64(*c.VisitsRemaining)
				entries = append(entries,
					ledger.Entry{Account: cust.Account(ledger.Visits, ledger.AssetVisits), Amount: -rem},
					ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: rem})
				c.VisitsRemaining = ptr(0)
			}
			unearned = c.FundsRemaining
			c.FundsRemaining = 0
		}
		if unearned > 0 {
			entries = append(entries,
				ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, c.Currency), Amount: -unearned},
				ledger.Entry{Account: ledger.HQ().Account(ledger.Revenue, c.Currency), Amount: unearned})
		}
		if len(entries) > 0 {
			tx, err := s.Ledger.Post(ctx, ledger.Transaction{Kind: "card.expire", Ref: ledger.Ref{Kind: "card", ID: c.ID},
				Key: "card_expire:" + c.ID.String(), Memo: c.NameEn, CreatedBy: "system", Entries: entries})
			if err != nil {
				return err
			}
			c.ExpireTxID = tx.ID
		}
		c.Status, c.ExpiredAt, c.UpdatedAt = Expired, &now, now
		done = true
		return s.Repo.SaveCard(ctx, c)
	})
	return done, err
}
