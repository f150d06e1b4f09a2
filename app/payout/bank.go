package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/notify"
	"doorstep/app/payment/gateway"
)

// BankStatus is a bank payout's state, as Stripe reports it.
type BankStatus string

const (
	BankPending   BankStatus = "pending"
	BankInTransit BankStatus = "in_transit"
	BankPaid      BankStatus = "paid"
	BankFailed    BankStatus = "failed"
	BankCanceled  BankStatus = "canceled"
)

// rank orders bank payout states: a state only gives way to a later one.
var bankRank = map[BankStatus]int{BankPending: 0, BankInTransit: 1, BankPaid: 2, BankFailed: 3, BankCanceled: 3}

// Follows says whether a payout in state from may move to next: forward only, failed and
// canceled are final, and a paid payout may still fail (Stripe's bank returns) but not be
// canceled. Duplicates and out-of-order events therefore converge.
func (next BankStatus) Follows(from BankStatus) bool {
	if next == BankCanceled && from == BankPaid {
		return false
	}
	return bankRank[next] > bankRank[from]
}

// BankPayout is Stripe paying a connected account's balance out to its owner's bank. It moves
// no money in Doorstep's book (that left with the transfer); it is shown to the owner.
type BankPayout struct {
	ID             uuid.UUID
	StripeID       string // po_…
	AccountID      uuid.UUID
	Amount         int64
	Currency       string
	Status         BankStatus
	ArrivalDate    string // YYYY-MM-DD, "" when Stripe gave none
	FailureCode    string
	FailureMessage string
	StripeUpdated  time.Time // the Created time of the newest event applied
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RecentBankPayouts is how many of an owner's latest bank payouts MyPayoutAccount returns.
const RecentBankPayouts = 10

// bankTypes are the payout.* events of connected accounts.
var bankTypes = []string{"payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled"}

// TenantOf implements payment.TenantResolver for payout.* events of connected accounts: their
// object names no tenant, so the connected account (the event's account) does.
func (s *Service) TenantOf(ctx context.Context, ev gateway.Event) (uuid.UUID, bool, error) {
	if !strings.HasPrefix(ev.Type, "payout.") || ev.Account == "" {
		return uuid.Nil, false, nil
	}
	var (
		id uuid.UUID
		ok bool
	)
	err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
		id, ok, err = s.repo.TenantOfStripeAccount(ctx, ev.Account)
		return err
	})
	return id, ok, err
}

var stripePayoutID = regexp.MustCompile(`^po_[A-Za-z0-9_]{1,100}$`)

// bankPayoutEvent records a payout.* event of a connected account this tenant knows (others
// are ignored). The row's state only moves forward; an event no newer than the one applied in
// the same state changes nothing. A payout that turns failed tells the owner.
func (s *Service) bankPayoutEvent(ctx context.Context, ev gateway.Event) error {
	if ev.Account == "" {
		return nil // the platform's own payout, not a connected account's
	}
	var obj struct {
		ID             string  `json:"id"`
		Amount         int64   `json:"amount"`
		Currency       string  `json:"currency"`
		Status         string  `json:"status"`
		ArrivalDate    int64   `json:"arrival_date"`
		FailureCode    *string `json:"failure_code"`
		FailureMessage *string `json:"failure_message"`
	}
	if err := json.Unmarshal(ev.Object, &obj); err != nil || !stripePayoutID.MatchString(obj.ID) {
		return fmt.Errorf("payout: %s %s: malformed payout object: %v", ev.Type, ev.ID, err)
	}
	st := BankStatus(obj.Status)
	if _, known := bankRank[st]; !known {
		return fmt.Errorf("payout: %s %s: unknown payout status %q", ev.Type, ev.ID, obj.Status)
	}
	currency := strings.ToUpper(obj.Currency)
	if len(currency) != 3 || obj.Amount < 0 {
		return fmt.Errorf("payout: %s %s: malformed amount %d %q", ev.Type, ev.ID, obj.Amount, obj.Currency)
	}
	arrival := ""
	if obj.ArrivalDate > 0 {
		arrival = time.Unix(obj.ArrivalDate, 0).UTC().Format(time.DateOnly)
	}
	in := BankPayout{StripeID: obj.ID, Amount: obj.Amount, Currency: currency, Status: st, ArrivalDate: arrival,
		FailureCode: clip(deref(obj.FailureCode), 100), FailureMessage: clip(deref(obj.FailureMessage), 500), StripeUpdated: ev.Created}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		acc, err := s.repo.AccountByStripeID(ctx, ev.Account)
		if errors.Is(err, ErrAccountNotFound) {
			return nil // not one of this tenant's accounts
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		in.AccountID, in.UpdatedAt = acc.ID, now
		cur, found, err := s.repo.BankPayout(ctx, obj.ID, true)
		if err != nil {
			return err
		}
		if !found { // the account's row lock orders every event of its payouts: no other insert races this one
			in.ID, in.CreatedAt = uuid.Must(uuid.NewV7()), now
			if err := s.repo.InsertBankPayout(ctx, in); err != nil {
				return err
			}
			if st == BankFailed {
				return s.tellBankFailed(ctx, acc.Owner, in)
			}
			return nil
		}
		switch {
		case st.Follows(cur.Status):
		case st == cur.Status && ev.Created.After(cur.StripeUpdated):
			// same state, newer facts (e.g. a new arrival date)
		default:
			return nil // a duplicate, or older than what was applied
		}
		failed := st == BankFailed && cur.Status != BankFailed
		in.ID, in.CreatedAt = cur.ID, cur.CreatedAt
		if !ev.Created.After(cur.StripeUpdated) {
			in.StripeUpdated = cur.StripeUpdated
		}
		if err := s.repo.SaveBankPayout(ctx, in); err != nil {
			return err
		}
		if failed {
			return s.tellBankFailed(ctx, acc.Owner, in)
		}
		return nil
	})
}

// tellBankFailed sends the owner's users an in-app message: the bank refused the payout, so
// they should check their bank details in Stripe.
func (s *Service) tellBankFailed(ctx context.Context, owner Owner, p BankPayout) error {
	if s.outbox == nil {
		return nil
	}
	t, err := s.repo.Tenant(ctx)
	if err != nil {
		return err
	}
	users, err := s.repo.OwnerUsers(ctx, owner)
	if err != nil {
		return err
	}
	reason := p.FailureMessage
	if reason == "" {
		reason = p.FailureCode
	}
	if reason == "" {
		reason = "-"
	}
	all := map[string]string{notify.ParamBrand: t.Brand, notify.ParamAmount: fmtMoney(p.Amount, p.Currency), notify.ParamReason: reason}
	for _, u := range users {
		if err := notify.Enqueue(ctx, s.outbox, notify.ToInbox("user:"+u.String(), t.Locale, notify.TemplateBankPayoutFailed,
			notify.PayoutTemplateParams[notify.TemplateBankPayoutFailed], all,
			map[string]string{"bank_payout_id": p.ID.String(), "stripe_payout_id": p.StripeID, "status": string(p.Status)})); err != nil {
			return err
		}
	}
	return nil
}

// MyAccount returns the caller's connected account with its latest bank payouts
// (RecentBankPayouts, newest first).
func (s *Service) MyAccount(ctx context.Context) (Account, []BankPayout, error) {
	owner, err := s.mine(ctx)
	if err != nil {
		return Account{}, nil, err
	}
	var (
		acc Account
		ps  []BankPayout
	)
	err = s.db.InTx(ctx, func(ctx context.Context) (err error) {
		if acc, err = s.repo.Account(ctx, owner, false); err != nil {
			return err
		}
		ps, err = s.repo.BankPayouts(ctx, acc.ID, RecentBankPayouts)
		return err
	})
	return acc, ps, err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
