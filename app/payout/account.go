package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
)

// Metadata keys on Stripe objects payouts create, besides payment.MetaTenant.
const (
	MetaOwnerKind  = "owner_kind"
	MetaOwnerID    = "owner_id"
	MetaAccount    = "payout_account_id"
	MetaWithdrawal = "withdrawal_id"
)

// Onboarding is an owner's account with a fresh onboarding link.
type Onboarding struct {
	Account   Account
	URL       string
	ExpiresAt time.Time
}

func validURL(v *errs.Validation, field, s string) {
	u, err := url.Parse(s)
	v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(s) <= 1000, field,
		"an http(s) URL of at most 1000 characters")
}

// Onboard starts or continues the caller's Connect Express onboarding: the connected account
// is created once (its idempotency key is saved on the row before the call), and every call
// returns a new account link for the caller to open.
func (s *Service) Onboard(ctx context.Context, returnURL, refreshURL string) (Onboarding, error) {
	var v errs.Validation
	validURL(&v, "return_url", returnURL)
	validURL(&v, "refresh_url", refreshURL)
	if err := v.Err(); err != nil {
		return Onboarding{}, err
	}
	owner, err := s.mine(ctx)
	if err != nil {
		return Onboarding{}, err
	}
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return Onboarding{}, err
	}
	var acc Account
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		a, err := s.repo.Account(ctx, owner, true)
		if errors.Is(err, ErrAccountNotFound) {
			now := s.clock.Now()
			id := uuid.Must(uuid.NewV7())
			if err := s.repo.InsertAccount(ctx, Account{ID: id, Owner: owner, Key: "payout-account:" + id.String(),
				State: AccountPending, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			a, err = s.repo.Account(ctx, owner, true)
		}
		acc = a
		return err
	})
	if err != nil {
		return Onboarding{}, err
	}
	if acc.StripeID == "" {
		created, err := gateway.Do(ctx, s.retry.Attempts, s.retry.Backoff, func(ctx context.Context) (gateway.Account, error) {
			return s.gw.CreateAccount(ctx, gateway.AccountParams{Key: acc.Key, Metadata: map[string]string{
				payment.MetaTenant: tenant.String(), MetaOwnerKind: string(owner.Kind), MetaOwnerID: owner.ID.String(), MetaAccount: acc.ID.String()}})
		})
		if err != nil {
			return Onboarding{}, processorErr(err)
		}
		err = s.db.InTx(ctx, func(ctx context.Context) error {
			a, err := s.repo.Account(ctx, owner, true)
			if err != nil {
				return err
			}
			if a.StripeID == "" { // else a concurrent call recorded it first
				a.StripeID = created.ID
				apply(&a, created.PayoutsEnabled, created.ChargesEnabled, created.DetailsSubmitted, a.DisabledReason)
				a.UpdatedAt = s.clock.Now()
				if err := s.repo.SaveAccount(ctx, a); err != nil {
					return err
				}
			}
			acc = a
			return nil
		})
		if err != nil {
			return Onboarding{}, err
		}
	}
	link, err := gateway.Do(ctx, s.retry.Attempts, s.retry.Backoff, func(ctx context.Context) (gateway.AccountLink, error) {
		return s.gw.AccountLink(ctx, gateway.AccountLinkParams{AccountID: acc.StripeID, ReturnURL: returnURL, RefreshURL: refreshURL})
	})
	if err != nil {
		return Onboarding{}, processorErr(err)
	}
	return Onboarding{Account: acc, URL: link.URL, ExpiresAt: link.ExpiresAt}, nil
}

// apply sets an account's Stripe facts and the state they mean.
func apply(a *Account, payouts, charges, submitted bool, disabledReason string) {
	a.PayoutsEnabled, a.ChargesEnabled, a.DetailsSubmitted, a.DisabledReason = payouts, charges, submitted, disabledReason
	switch {
	case payouts:
		a.State = AccountEnabled
	case submitted:
		a.State = AccountRestricted
	default:
		a.State = AccountPending
	}
}

// processorErr turns a processor failure into a client answer: a timeout is 503 (try again;
// the same key is reused), a refusal is our bug (the request was malformed), so internal.
func processorErr(err error) error {
	if gateway.Retryable(err) {
		return errs.Wrap(err, errs.Unavailable, ErrProcessor.Code, ErrProcessor.Detail)
	}
	return fmt.Errorf("payout: processor refused: %w", err)
}

// Types implements payment.EventHandler: Connect account updates, transfer outcomes and the
// connected accounts' bank payouts.
func (s *Service) Types() []string {
	return append([]string{"account.updated", "transfer.reversed", "transfer.failed"}, bankTypes...)
}

var (
	_ payment.EventHandler   = (*Service)(nil)
	_ payment.TenantResolver = (*Service)(nil)
)

// HandleEvent implements payment.EventHandler. It runs in the tenant's transaction, once per
// event ID, and tolerates duplicates and any order: an older account snapshot than the one
// applied changes nothing, and a withdrawal fails at most once.
func (s *Service) HandleEvent(ctx context.Context, ev gateway.Event) error {
	switch ev.Type {
	case "account.updated":
		return s.accountUpdated(ctx, ev)
	case "transfer.reversed", "transfer.failed":
		return s.transferFailed(ctx, ev)
	case "payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled":
		return s.bankPayoutEvent(ctx, ev)
	}
	return nil
}

func (s *Service) accountUpdated(ctx context.Context, ev gateway.Event) error {
	var obj struct {
		ID               string `json:"id"`
		PayoutsEnabled   bool   `json:"payouts_enabled"`
		ChargesEnabled   bool   `json:"charges_enabled"`
		DetailsSubmitted bool   `json:"details_submitted"`
		Requirements     struct {
			DisabledReason *string `json:"disabled_reason"`
		} `json:"requirements"`
		Metadata map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Object, &obj); err != nil || obj.ID == "" {
		return fmt.Errorf("payout: account.updated %s: malformed object: %v", ev.ID, err)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		a, err := s.repo.AccountByStripeID(ctx, obj.ID)
		if errors.Is(err, ErrAccountNotFound) {
			// The account may have been created without its id being recorded (a crash or
			// timeout between the call and the save): the metadata names our row.
			rowID, perr := uuid.Parse(obj.Metadata[MetaAccount])
			if perr != nil {
				return nil // not one of this tenant's accounts
			}
			if a, err = s.repo.AccountByID(ctx, rowID); errors.Is(err, ErrAccountNotFound) || (err == nil && a.StripeID != "") {
				return nil // unknown here, or another account (a duplicate creation) was recorded
			}
			a.StripeID = obj.ID
		}
		if err != nil {
			return err
		}
		if a.StripeUpdatedAt != nil && ev.Created.Before(*a.StripeUpdatedAt) {
			return nil // an older snapshot than the one applied
		}
		reason := ""
		if obj.Requirements.DisabledReason != nil {
			reason = *obj.Requirements.DisabledReason
		}
		if len(reason) > 200 {
			reason = reason[:200]
		}
		apply(&a, obj.PayoutsEnabled, obj.ChargesEnabled, obj.DetailsSubmitted, reason)
		at := ev.Created
		a.StripeUpdatedAt, a.UpdatedAt = &at, s.clock.Now()
		return s.repo.SaveAccount(ctx, a)
	})
}

// transferFailed handles transfer.failed and transfer.reversed. A full reversal (or a failure)
// fails the withdrawal and returns the money; a partial one (amount_reversed < amount) returns
// the reversed part to the wallet and the withdrawal stays paid (partlyReversed).
func (s *Service) transferFailed(ctx context.Context, ev gateway.Event) error {
	var obj struct {
		ID             string            `json:"id"`
		Amount         int64             `json:"amount"`
		AmountReversed int64             `json:"amount_reversed"`
		Reversed       bool              `json:"reversed"`
		Metadata       map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Object, &obj); err != nil {
		return fmt.Errorf("payout: %s %s: malformed object: %v", ev.Type, ev.ID, err)
	}
	full := ev.Type == "transfer.failed" || obj.Reversed || (obj.Amount > 0 && obj.AmountReversed >= obj.Amount)
	if !full && obj.AmountReversed <= 0 {
		return nil // nothing reversed
	}
	id, err := uuid.Parse(obj.Metadata[MetaWithdrawal])
	if err != nil {
		return nil // not a withdrawal's transfer
	}
	reason := "transfer reversed"
	if ev.Type == "transfer.failed" {
		reason = "transfer failed"
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		w, err := s.repo.Withdrawal(ctx, id, true)
		if errors.Is(err, ErrWithdrawalNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if w.TransferID != "" && obj.ID != "" && w.TransferID != obj.ID {
			return nil // another transfer than the one that paid it
		}
		if !full {
			return s.partlyReversed(ctx, &w, obj.ID, obj.AmountReversed)
		}
		if w.Status != Approved && w.Status != Paid {
			return nil
		}
		return s.fail(ctx, &w, Failed, reason, "stripe")
	})
}

// partlyReversed returns a partial transfer reversal to the wallet (w locked): Stripe's
// amount_reversed is cumulative, so only what it adds to w.Reversed is posted as
// payout.reversed (External/clearing −d, Owner/available +d) under a key naming the cumulative
// amount; duplicates and older events add nothing, and a withdrawal that failed meanwhile (a
// full reversal first) has had all of its money back already. An approved withdrawal whose
// transfer's success was not recorded yet is recorded as paid first.
func (s *Service) partlyReversed(ctx context.Context, w *Withdrawal, transferID string, amountReversed int64) error {
	switch {
	case w.Status == Approved && transferID != "":
		if err := s.paid(ctx, w, transferID); err != nil {
			return err
		}
	case w.Status != Paid:
		return nil
	}
	cum := min(amountReversed, w.Net())
	if cum <= w.Reversed {
		return nil
	}
	d := cum - w.Reversed
	_, err := s.ledger.Post(ctx, ledger.Transaction{Kind: "payout.reversed", Ref: ref(w.ID),
		Key: fmt.Sprintf("payout:%s:reversed:%d", w.ID, cum), Memo: "transfer partly reversed", CreatedBy: "stripe",
		Entries: []ledger.Entry{
			{Account: ledger.External().Account(ledger.Clearing, w.Currency), Amount: -d},
			{Account: w.Owner.Ledger().Account(ledger.Available, w.Currency), Amount: d},
		}})
	if err != nil {
		return err
	}
	w.Reversed, w.UpdatedAt = cum, s.clock.Now()
	return s.repo.SaveWithdrawal(ctx, *w)
}
