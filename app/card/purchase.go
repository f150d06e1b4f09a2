package card

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
)

// Started is a purchase with the client secret the storefront confirms the payment with.
type Started struct {
	Purchase     Purchase
	ClientSecret string
}

// Purchase starts the customer's purchase of a published product: the pending row with its
// Stripe idempotency key is committed first, then the PaymentIntent is created through
// gateway.Do (retried with the same key), then its ID is recorded. The card is issued by the
// payment_intent.succeeded webhook (HandleIntent).
//
// requestKey is the client's Idempotency-Key (optional, unique per customer): a retry returns
// the first purchase and its client secret without a second row or Stripe call (unless the
// first call's outcome is still unknown, which is repaired with the same Stripe key); the key
// with another product is idempotency_key_reused. Concurrent retries make one row: the unique
// constraint decides and the loser answers with the winner's purchase.
func (s *Service) Purchase(ctx context.Context, productID uuid.UUID, requestKey string) (Started, error) {
	cust, ok := customerOf(ctx)
	if !ok {
		return Started{}, ErrCustomersOnly
	}
	if err := checkRequestKey(requestKey); err != nil {
		return Started{}, err
	}
	for attempt := 0; ; attempt++ {
		st, err := s.purchase(ctx, cust, productID, requestKey)
		if requestKey != "" && attempt == 0 && dbx.IsConstraint(err, "card_purchases_request_key") {
			continue // a concurrent request with this key committed first: replay it
		}
		return st, err
	}
}

func (s *Service) purchase(ctx context.Context, cust, productID uuid.UUID, requestKey string) (Started, error) {
	var pu Purchase
	var pr Product
	replay := false
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if requestKey != "" {
			prev, found, err := s.Repo.PurchaseByRequestKey(ctx, cust, requestKey)
			if err != nil {
				return err
			}
			if found {
				if prev.ProductID != productID {
					return ErrKeyReused
				}
				pu, replay = prev, true
				pr, err = s.Repo.Product(ctx, prev.ProductID, false)
				return err
			}
		}
		if pr, err = s.Repo.Product(ctx, productID, false); err != nil {
			return err
		}
		if pr.Status != Published {
			return ErrProductNotOnSale
		}
		now := s.Clock.Now()
		id := uuid.Must(uuid.NewV7())
		pu = Purchase{ID: id, CustomerID: cust, ProductID: pr.ID, Amount: pr.Price, Currency: pr.Currency, Status: PurchasePending,
			Key: "card_purchase:" + id.String(), RequestKey: requestKey, CreatedAt: now, UpdatedAt: now}
		return s.Repo.InsertPurchase(ctx, pu)
	})
	if err != nil {
		return Started{}, err
	}
	if !replay {
		return s.createIntent(ctx, pu, pr.NameEn)
	}
	switch {
	case pu.IntentID == "" && pu.Status == PurchaseFailed:
		return Started{}, ErrProcessorDeclined // what the first request was told
	case pu.IntentID == "" || (pu.ClientSecret == "" && pu.Status == PurchasePending):
		// The first call's outcome is unknown (or the row predates kept secrets): ask again
		// with the saved Stripe key, which returns the same PaymentIntent.
		return s.createIntent(ctx, pu, pr.NameEn)
	}
	return Started{Purchase: pu, ClientSecret: pu.ClientSecret}, nil
}

// checkRequestKey validates a client's Idempotency-Key.
func checkRequestKey(key string) error {
	var v errs.Validation
	v.Check(len(key) <= 200, "Idempotency-Key", "at most 200 characters")
	return v.Err()
}

// createIntent calls Stripe with the purchase's saved key and records the intent's ID.
func (s *Service) createIntent(ctx context.Context, pu Purchase, description string) (Started, error) {
	tenantID, err := dbx.RequireTenant(ctx)
	if err != nil {
		return Started{}, err
	}
	methods := []string{"card"}
	if s.MethodTypes != nil {
		if m, err := s.MethodTypes(ctx); err != nil {
			return Started{}, err
		} else if len(m) > 0 {
			methods = m
		}
	}
	in, err := gateway.Do(ctx, s.retries, s.backoff, func(ctx context.Context) (gateway.Intent, error) {
		return s.Gateway.CreatePaymentIntent(ctx, gateway.IntentParams{Key: pu.Key, Amount: pu.Amount, Currency: pu.Currency,
			MethodTypes: methods, Description: "Prepaid card: " + description,
			Metadata: map[string]string{payment.MetaTenant: tenantID.String(), payment.MetaPurpose: string(payment.PurposeCardPurchase),
				payment.MetaRef: pu.ID.String()}})
	})
	if err != nil {
		var ge *gateway.Error
		if errors.As(err, &ge) && !gateway.Retryable(err) {
			// The processor refused the request itself: this purchase cannot go on.
			_ = s.DB.InTx(ctx, func(ctx context.Context) error {
				p, err := s.Repo.Purchase(ctx, pu.ID, true)
				if err != nil || p.Status != PurchasePending {
					return err
				}
				p.Status, p.UpdatedAt = PurchaseFailed, s.Clock.Now()
				return s.Repo.SavePurchase(ctx, p)
			})
			return Started{}, errJoin(ErrProcessorDeclined, err)
		}
		// Unknown outcome: the row keeps its key; reading the purchase calls again with it.
		return Started{}, errJoin(ErrProcessorDown, err)
	}
	err = s.DB.InTx(ctx, func(ctx context.Context) error {
		p, err := s.Repo.Purchase(ctx, pu.ID, true)
		if err != nil {
			return err
		}
		if p.IntentID == "" || (p.IntentID == in.ID && p.ClientSecret == "") {
			p.IntentID, p.ClientSecret, p.UpdatedAt = in.ID, in.ClientSecret, s.Clock.Now()
			if err := s.Repo.SavePurchase(ctx, p); err != nil {
				return err
			}
		}
		pu = p
		return nil
	})
	return Started{Purchase: pu, ClientSecret: in.ClientSecret}, err
}

// errJoin keeps the domain error first (for the problem mapper) and the cause for the log.
func errJoin(domain, cause error) error {
	return fmt.Errorf("%w (%w)", domain, cause)
}

// MyPurchase returns one of the customer's purchases; while it is pending, the PaymentIntent
// is asked for again with the saved key (which repairs a crash between the call and the
// recording of its ID) so the storefront gets the client secret back.
func (s *Service) MyPurchase(ctx context.Context, id uuid.UUID) (Started, error) {
	cust, ok := customerOf(ctx)
	if !ok {
		return Started{}, ErrCustomersOnly
	}
	var pu Purchase
	var name string
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if pu, err = s.Repo.Purchase(ctx, id, false); err != nil {
			return err
		}
		if pu.CustomerID != cust {
			return ErrPurchaseNotFound
		}
		pr, err := s.Repo.Product(ctx, pu.ProductID, false)
		name = pr.NameEn
		return err
	})
	if err != nil || pu.Status != PurchasePending {
		return Started{Purchase: pu}, err
	}
	return s.createIntent(ctx, pu, name)
}

// HandleIntent implements payment.IntentHandler for card purchases. It runs in the webhook
// event's transaction: payment_intent.succeeded issues the card and posts card.purchase
// (once: the purchase row is locked and a settled purchase is left alone); a failure or
// cancellation only moves a purchase that is not settled, so out-of-order events converge.
func (s *Service) HandleIntent(ctx context.Context, ev payment.IntentEvent) error {
	return s.DB.InTx(ctx, func(ctx context.Context) error {
		pu, err := s.Repo.Purchase(ctx, ev.RefID, true)
		if errors.Is(err, ErrPurchaseNotFound) {
			return nil // not ours in this tenant: nothing to settle
		}
		if err != nil {
			return err
		}
		if pu.Status == PurchaseSucceeded {
			return nil
		}
		now := s.Clock.Now()
		switch ev.Type {
		case "payment_intent.succeeded":
			if ev.Amount != pu.Amount || !strings.EqualFold(ev.Currency, pu.Currency) {
				return fmt.Errorf("card: purchase %s: intent %s paid %d %s, expected %d %s", pu.ID, ev.IntentID, ev.Amount, ev.Currency, pu.Amount, pu.Currency)
			}
			c, tx, err := s.issue(ctx, pu)
			if err != nil {
				return err
			}
			pu.Status, pu.CardID, pu.LedgerTxID = PurchaseSucceeded, c.ID, tx
		case "payment_intent.payment_failed":
			if pu.Status != PurchasePending {
				return nil
			}
			pu.Status = PurchaseFailed
		case "payment_intent.canceled":
			pu.Status = PurchaseCanceled
		default:
			return nil
		}
		if pu.IntentID == "" {
			pu.IntentID = ev.IntentID
		}
		pu.LastEventID, pu.UpdatedAt = ev.EventID, now
		return s.Repo.SavePurchase(ctx, pu)
	})
}

// Expiry returns when a card bought at now with validity days expires: at midnight in the
// tenant's time zone after its last day (the day of purchase counts as the first).
func Expiry(now time.Time, validityDays int, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+validityDays, 0, 0, 0, 0, loc)
}

// issue creates the card of a paid purchase and posts card.purchase.
func (s *Service) issue(ctx context.Context, pu Purchase) (Card, uuid.UUID, error) {
	pr, err := s.Repo.Product(ctx, pu.ProductID, false)
	if err != nil {
		return Card{}, uuid.Nil, err
	}
	t, err := s.Repo.Tenant(ctx)
	if err != nil {
		return Card{}, uuid.Nil, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	now := s.Clock.Now()
	c := Card{ID: uuid.Must(uuid.NewV7()), CustomerID: pu.CustomerID, ProductID: pr.ID, PurchaseID: pu.ID, Kind: pr.Kind,
		NameZh: pr.NameZh, NameEn: pr.NameEn, Price: pu.Amount, Currency: pu.Currency, Bonus: pr.Bonus, ServiceID: pr.ServiceID,
		Status: Active, StartsAt: now, ExpiresAt: Expiry(now, pr.ValidityDays, loc), CreatedAt: now, UpdatedAt: now}
	cur := pu.Currency
	entries := []ledger.Entry{
		{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -pu.Amount},
		{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: pu.Amount},
	}
	cust := ledger.Customer(pu.CustomerID)
	switch pr.Kind {
	case StoredValue:
		c.Credited = pu.Amount + pr.Bonus
		entries = append(entries,
			ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -c.Credited},
			ledger.Entry{Account: cust.Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: c.Credited})
	case Visits:
		c.FundsRemaining = pu.Amount
		if pr.Visits != nil {
			n := *pr.Visits
			c.VisitsTotal, c.VisitsRemaining = &n, ptr(n)
			entries = append(entries,
				ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: -int64(n)},
				ledger.Entry{Account: cust.Account(ledger.Visits, ledger.AssetVisits), Amount: int64(n)})
		}
	}
	tx, err := s.Ledger.Post(ctx, ledger.Transaction{Kind: "card.purchase", Ref: ledger.Ref{Kind: "card", ID: c.ID},
		Key: "card_purchase:" + pu.ID.String() + ":succeeded", Memo: pr.NameEn, CreatedBy: "stripe", Entries: entries})
	if err != nil {
		return Card{}, uuid.Nil, err
	}
	c.LedgerTxID = tx.ID
	if err := s.Repo.InsertCard(ctx, c); err != nil {
		return Card{}, uuid.Nil, err
	}
	return c, tx.ID, nil
}

func ptr[T any](v T) *T { return &v }
