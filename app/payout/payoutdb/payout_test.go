package payoutdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
	"doorstep/app/payout"
)

var fast = payout.Retry{Attempts: 3, Backoff: time.Millisecond}

func TestOnboardingAndAccountEvents(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-onb", stripeMock(t, nil), fast)
	other := newWorld(t, db, "pay-onb-b", stripeMock(t, nil), fast)
	m := w.member()

	_, _, err := w.svc.MyAccount(m.ctx)
	require.ErrorIs(t, err, payout.ErrAccountNotFound)
	_, err = w.svc.Onboard(m.ctx, "ftp://nope", "")
	require.Equal(t, "validation_failed", problem(t, err).Code)
	_, err = w.svc.Onboard(w.finance(), "https://app.test/r", "https://app.test/f")
	require.ErrorIs(t, err, payout.ErrNoWallet, "an account without a staff profile or franchisee has no wallet")

	first, err := w.svc.Onboard(m.ctx, "https://app.test/r", "https://app.test/f")
	require.NoError(t, err)
	require.NotEmpty(t, first.URL)
	require.Equal(t, payout.AccountPending, first.Account.State)
	require.Equal(t, payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}, first.Account.Owner)
	require.Equal(t, "payout-account:"+first.Account.ID.String(), first.Account.Key, "the creation key is the row's")
	again, err := w.svc.Onboard(m.ctx, "https://app.test/r", "https://app.test/f")
	require.NoError(t, err)
	require.Equal(t, first.Account.ID, again.Account.ID)
	require.Equal(t, first.Account.StripeID, again.Account.StripeID, "the account is created once; later calls only link")

	// account.updated snapshots out of order and duplicated converge on the newest.
	acct := first.Account.StripeID
	t0 := time.Now().Add(-time.Minute)
	restricted := event(t, "evt_1", "account.updated", t0, map[string]any{"id": acct, "object": "account", "details_submitted": true,
		"requirements": map[string]any{"disabled_reason": "requirements.pending_verification"}})
	enabled := event(t, "evt_2", "account.updated", t0.Add(10*time.Second), map[string]any{"id": acct, "object": "account",
		"payouts_enabled": true, "charges_enabled": true, "details_submitted": true, "requirements": map[string]any{"disabled_reason": nil}})
	require.NoError(t, w.svc.HandleEvent(w.base, restricted))
	a, _, err := w.svc.MyAccount(m.ctx)
	require.NoError(t, err)
	require.Equal(t, payout.AccountRestricted, a.State)
	require.Equal(t, "requirements.pending_verification", a.DisabledReason)
	for _, ev := range []gateway.Event{enabled, restricted, enabled} {
		require.NoError(t, w.svc.HandleEvent(w.base, ev))
	}
	a, _, err = w.svc.MyAccount(m.ctx)
	require.NoError(t, err)
	require.Equal(t, payout.AccountEnabled, a.State)
	require.True(t, a.PayoutsEnabled)
	require.Empty(t, a.DisabledReason)

	// Another tenant's delivery of the same account changes nothing here.
	require.NoError(t, other.svc.HandleEvent(other.base, event(t, "evt_3", "account.updated", time.Now(), map[string]any{"id": acct, "object": "account"})))
	a, _, err = w.svc.MyAccount(m.ctx)
	require.NoError(t, err)
	require.Equal(t, payout.AccountEnabled, a.State)

	// An account whose id was never recorded (a crash between Stripe's answer and the save)
	// is found through the metadata Doorstep put on it.
	lost, err := w.svc.Onboard(w.member().ctx, "https://app.test/r", "https://app.test/f")
	require.NoError(t, err)
	require.NoError(t, db.Owner.Exec(`update payout_accounts set stripe_account_id = null where id = ?`, lost.Account.ID).Error)
	require.NoError(t, w.svc.HandleEvent(w.base, event(t, "evt_4", "account.updated", time.Now(), map[string]any{"id": "acct_Recovered1",
		"object": "account", "payouts_enabled": true, "details_submitted": true,
		"metadata": map[string]string{"tenant_id": w.tid.String(), payout.MetaAccount: lost.Account.ID.String()}})))
	var got struct{ StripeAccountID, State string }
	require.NoError(t, db.Owner.Raw(`select stripe_account_id, state from payout_accounts where id = ?`, lost.Account.ID).Scan(&got).Error)
	require.Equal(t, "acct_Recovered1", got.StripeAccountID)
	require.Equal(t, "enabled", got.State)
	// ...but never overwrites an account id already recorded.
	require.NoError(t, w.svc.HandleEvent(w.base, event(t, "evt_5", "account.updated", time.Now(), map[string]any{"id": "acct_Other1",
		"object": "account", "payouts_enabled": true, "metadata": map[string]string{payout.MetaAccount: lost.Account.ID.String()}})))
	require.NoError(t, db.Owner.Raw(`select stripe_account_id, state from payout_accounts where id = ?`, lost.Account.ID).Scan(&got).Error)
	require.Equal(t, "acct_Recovered1", got.StripeAccountID)

	// A franchisee owner onboards the franchisee.
	fo, err := w.svc.Onboard(w.franchiseeOwner(), "https://app.test/r", "https://app.test/f")
	require.NoError(t, err)
	require.Equal(t, payout.Owner{Kind: payout.OwnerFranchisee, ID: w.fr}, fo.Account.Owner)
	require.NotEqual(t, acct, fo.Account.StripeID)
	require.Contains(t, w.svc.Types(), "account.updated")
	require.Contains(t, w.svc.Types(), "transfer.reversed")
}

func TestWithdrawalLifecycle(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-life", stripeMock(t, nil), fast)
	m := w.member()
	me := payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}
	fees := ledger.HQ().Account(ledger.Fees, "CNY")
	clearing := ledger.External().Account(ledger.Clearing, "CNY")

	_, err := w.svc.UpdateSettings(m.ctx, payout.Settings{MinAmount: 1000, FeeFixed: 100, FeeBP: 100, DailyLimit: 50_000})
	require.ErrorIs(t, err, payout.ErrTenantScopeOnly)
	_, err = w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 100, FeeBP: 0, DailyLimit: 50})
	require.Equal(t, []errs.FieldError{{Field: "min_amount", Message: "must exceed the fee charged on it"},
		{Field: "daily_limit", Message: "at least the minimum amount"}}, problem(t, err).Fields)
	_, err = w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 1000, FeeFixed: 100, FeeBP: 100, DailyLimit: 50_000})
	require.NoError(t, err)

	w.fund(me, 100_000)
	_, err = w.svc.Request(m.ctx, 20_000, "")
	require.ErrorIs(t, err, payout.ErrAccountNotReady, "no payout account yet")
	w.enable(m.ctx)

	_, err = w.svc.Request(m.ctx, 999, "")
	e := problem(t, err)
	require.Equal(t, errs.Invalid, e.Kind)
	require.Equal(t, "below_minimum", e.Code)
	require.Equal(t, "amount", e.Fields[0].Field)
	_, err = w.svc.Request(m.ctx, 60_000, "")
	e = problem(t, err)
	require.Equal(t, "daily_limit_exceeded", e.Code)
	require.Equal(t, []errs.FieldError{{Field: "amount", Message: "at most CNY 500.00 more today"}}, e.Fields)
	require.Zero(t, w.count(`select count(*) from withdrawals where tenant_id = ?`, w.tid), "refusals write nothing")

	// Request: available −20,000; withdrawing +19,700; HQ fees +300 (100 fixed + 1%).
	wd, err := w.svc.Request(m.ctx, 20_000, "")
	require.NoError(t, err)
	require.Equal(t, payout.Requested, wd.Status)
	require.EqualValues(t, 300, wd.Fee)
	wl := w.wallet(me)
	require.EqualValues(t, 80_000, wl.Available)
	require.EqualValues(t, 19_700, wl.Withdrawing)
	require.EqualValues(t, 300, w.balance(fees))
	tx, err := w.ledger.Get(w.base, wd.RequestTxID)
	require.NoError(t, err)
	require.Equal(t, "payout.request", tx.Kind)
	require.Equal(t, "payout:"+wd.ID.String()+":request", tx.Key)

	// Approval saves the transfer key and enqueues the transfer through the outbox.
	_, err = w.svc.Approve(m.ctx, wd.ID)
	require.ErrorIs(t, err, payout.ErrTenantScopeOnly, "staff cannot approve")
	ap, err := w.svc.Approve(w.finance(), wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Approved, ap.Status)
	require.Equal(t, "payout:"+wd.ID.String()+":transfer", ap.TransferKey)
	require.EqualValues(t, 1, w.count(`select count(*) from outbox where tenant_id = ? and task_type = ? and payload->>'withdrawal_id' = ?`,
		w.tid, payout.TypeTransfer, wd.ID.String()))
	_, err = w.svc.Approve(w.finance(), wd.ID)
	require.ErrorIs(t, err, payout.ErrNotPending)

	before := w.balance(clearing)
	require.NoError(t, w.svc.Transfer(w.base, wd.ID))
	require.NoError(t, w.svc.Transfer(w.base, wd.ID), "a duplicate task changes nothing")
	got, err := w.svc.MyWithdrawal(m.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Paid, got.Status)
	require.NotEmpty(t, got.TransferID)
	require.Equal(t, []payout.Status{payout.Requested, payout.Approved, payout.Paid}, statuses(got))
	require.EqualValues(t, 1, w.count(`select count(*) from ledger_transactions where tenant_id = ? and kind = 'payout.paid' and ref_id = ?`, w.tid, wd.ID))
	wl = w.wallet(me)
	require.EqualValues(t, 80_000, wl.Available)
	require.Zero(t, wl.Withdrawing)
	require.EqualValues(t, 19_700, w.balance(clearing)-before)
	var row struct{ PaidTxID, RequestTxID uuid.UUID }
	require.NoError(t, db.Owner.Raw(`select paid_tx_id, request_tx_id from withdrawals where id = ?`, wd.ID).Scan(&row).Error)
	require.Equal(t, got.PaidTxID, row.PaidTxID, "the row stores its ledger transactions")

	// Reject: the money and the fee return.
	wd2, err := w.svc.Request(m.ctx, 30_000, "")
	require.NoError(t, err)
	_, err = w.svc.Reject(w.finance(), wd2.ID, "  ")
	require.Equal(t, "validation_failed", problem(t, err).Code)
	rj, err := w.svc.Reject(w.finance(), wd2.ID, "银行信息不符")
	require.NoError(t, err)
	require.Equal(t, payout.Rejected, rj.Status)
	wl = w.wallet(me)
	require.EqualValues(t, 80_000, wl.Available)
	require.Zero(t, wl.Withdrawing)
	require.EqualValues(t, 300, w.balance(fees))
	got, err = w.svc.MyWithdrawal(m.ctx, wd2.ID)
	require.NoError(t, err)
	require.Equal(t, []payout.Status{payout.Requested, payout.Rejected}, statuses(got))
	require.Equal(t, "银行信息不符", got.History[1].Reason)
	_, err = w.svc.Approve(w.finance(), wd2.ID)
	require.ErrorIs(t, err, payout.ErrNotPending)

	// The rejected request does not count against the day: 20,000 paid + 30,000 fits 50,000.
	_, err = w.svc.Request(m.ctx, 30_000, "")
	require.NoError(t, err)
	_, err = w.svc.Request(m.ctx, 1_000, "")
	require.Equal(t, "daily_limit_exceeded", problem(t, err).Code)

	// Every step reached the requester's inbox queue, in the tenant's locale.
	var tpls []string
	require.NoError(t, db.Owner.Raw(`select payload->'message'->>'template' from outbox where tenant_id = ? and task_type = 'notify:send'
		and payload->'message'->>'to' = ? order by created_at, id`, w.tid, "user:"+m.user.String()).Scan(&tpls).Error)
	require.Equal(t, []string{"payout_requested", "payout_approved", "payout_paid", "payout_requested", "payout_rejected", "payout_requested"}, tpls)

	// A franchisee wallet with too little: 409 insufficient_balance and nothing written.
	fr := payout.Owner{Kind: payout.OwnerFranchisee, ID: w.fr}
	w.fund(fr, 5_000)
	w.enable(w.franchiseeOwner())
	_, err = w.svc.Request(w.franchiseeOwner(), 6_000, "")
	require.ErrorIs(t, err, ledger.ErrInsufficient)
	require.Zero(t, w.count(`select count(*) from withdrawals where tenant_id = ? and owner_kind = 'franchisee'`, w.tid))
	require.EqualValues(t, 5_000, w.wallet(fr).Available)

	// Finance lists by status.
	list, err := w.svc.Withdrawals(w.finance(), payout.Requested, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, list.Total)
	w.checkBooks()
}

func statuses(w payout.Withdrawal) []payout.Status {
	var out []payout.Status
	for _, e := range w.History {
		out = append(out, e.Status)
	}
	return out
}

// refusing is Stripe that answers every transfer with an error, retryable or not.
type refusing struct {
	gateway.Gateway
	err error
}

func (r refusing) Transfer(context.Context, gateway.TransferParams) (gateway.Transfer, error) {
	return gateway.Transfer{}, r.err
}

func TestFailedTransferReturnsMoney(t *testing.T) {
	db := dbtest.New(t)
	refused := &gateway.Error{Status: 400, Code: "account_invalid", Message: "no such destination"}
	gw := &refusing{Gateway: stripeMock(t, nil), err: gateway.ErrUnavailable}
	w := newWorld(t, db, "pay-fail", gw, fast)
	m := w.member()
	me := payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 50, DailyLimit: 1_000_000})
	require.NoError(t, err)
	w.fund(me, 10_000)
	w.enable(m.ctx)
	wd, err := w.svc.Request(m.ctx, 4_000, "")
	require.NoError(t, err)
	_, err = w.svc.Approve(w.finance(), wd.ID)
	require.NoError(t, err)

	// No answer: the outcome is unknown, so the withdrawal stays approved and the task retries.
	err = w.svc.Transfer(w.base, wd.ID)
	require.ErrorIs(t, err, gateway.ErrUnavailable)
	got, err := w.svc.MyWithdrawal(m.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Approved, got.Status)
	require.EqualValues(t, 3_950, w.wallet(me).Withdrawing)

	// A definitive refusal fails it and returns amount and fee.
	gw.err = refused
	require.NoError(t, w.svc.Transfer(w.base, wd.ID))
	got, err = w.svc.MyWithdrawal(m.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Failed, got.Status)
	require.Equal(t, "transfer refused: account_invalid", got.Reason)
	require.Equal(t, []payout.Status{payout.Requested, payout.Approved, payout.Failed}, statuses(got))
	wl := w.wallet(me)
	require.EqualValues(t, 10_000, wl.Available)
	require.Zero(t, wl.Withdrawing)
	require.Zero(t, w.balance(ledger.HQ().Account(ledger.Fees, "CNY")))
	require.EqualValues(t, 1, w.count(`select count(*) from ledger_transactions where tenant_id = ? and kind = 'payout.failed' and ref_id = ?`, w.tid, wd.ID))
	require.NoError(t, w.svc.Transfer(w.base, wd.ID), "a late duplicate task does nothing")

	// Paid, then reversed by Stripe: payout.paid is reversed and payout.failed returns the money.
	gw.err = nil
	ok := newWorld(t, db, "pay-rev", stripeMock(t, nil), fast)
	n := ok.member()
	mine := payout.Owner{Kind: payout.OwnerStaff, ID: n.staff}
	ok.fund(mine, 10_000)
	ok.enable(n.ctx)
	wd, err = ok.svc.Request(n.ctx, 4_000, "")
	require.NoError(t, err)
	_, err = ok.svc.Approve(ok.finance(), wd.ID)
	require.NoError(t, err)
	require.NoError(t, ok.svc.Transfer(ok.base, wd.ID))
	paid, err := ok.svc.MyWithdrawal(n.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Paid, paid.Status)
	require.EqualValues(t, 6_000, ok.wallet(mine).Available)

	tr := func(id string, reversed bool) gateway.Event {
		return event(t, id, "transfer.reversed", time.Now(), map[string]any{"id": paid.TransferID, "object": "transfer", "reversed": reversed,
			"metadata": map[string]string{"tenant_id": ok.tid.String(), payout.MetaWithdrawal: wd.ID.String()}})
	}
	require.NoError(t, ok.svc.HandleEvent(ok.base, tr("evt_partial", false)), "a partial reversal is not a failure")
	got, err = ok.svc.MyWithdrawal(n.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Paid, got.Status)
	full := tr("evt_full", true)
	require.NoError(t, ok.svc.HandleEvent(ok.base, full))
	require.NoError(t, ok.svc.HandleEvent(ok.base, full), "a duplicate changes nothing")
	got, err = ok.svc.MyWithdrawal(n.ctx, wd.ID)
	require.NoError(t, err)
	require.Equal(t, payout.Failed, got.Status)
	require.Equal(t, "transfer reversed", got.Reason)
	require.Equal(t, []payout.Status{payout.Requested, payout.Approved, payout.Paid, payout.Failed}, statuses(got))
	wl = ok.wallet(mine)
	require.EqualValues(t, 10_000, wl.Available)
	require.Zero(t, wl.Withdrawing)
	var kinds []string
	require.NoError(t, db.Owner.Raw(`select kind from ledger_transactions where tenant_id = ? and ref_id = ? order by created_at, kind`, ok.tid, wd.ID).
		Scan(&kinds).Error)
	require.ElementsMatch(t, []string{"payout.request", "payout.paid", "payout.paid.reversal", "payout.failed"}, kinds)
	ok.checkBooks()
	w.checkBooks()
}

func TestStaffSeeOnlyTheirOwnWallet(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-iso", stripeMock(t, nil), fast)
	a, b := w.member(), w.member()
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, DailyLimit: 1_000_000})
	require.NoError(t, err)
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: a.staff}, 7_000)
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: b.staff}, 3_000)
	w.enable(a.ctx)
	wa, err := w.svc.Request(a.ctx, 1_000, "")
	require.NoError(t, err)

	_, err = w.svc.MyWithdrawal(b.ctx, wa.ID)
	require.ErrorIs(t, err, payout.ErrWithdrawalNotFound, "another staff member's withdrawal is not found")
	_, err = w.svc.MyWithdrawal(w.franchiseeOwner(), wa.ID)
	require.ErrorIs(t, err, payout.ErrWithdrawalNotFound, "nor is it the franchisee's")
	lb, err := w.svc.MyWithdrawals(b.ctx, page.Request{})
	require.NoError(t, err)
	require.Zero(t, lb.Total)
	la, err := w.svc.MyWithdrawals(a.ctx, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, la.Total)

	wb, err := w.svc.MyWallet(b.ctx)
	require.NoError(t, err)
	require.Equal(t, b.staff, wb.Owner.ID)
	require.EqualValues(t, 3_000, wb.Available)
	require.Nil(t, wb.Account)
	st, err := w.svc.MyStatement(b.ctx, time.Time{}, time.Time{}, page.Request{Limit: 50})
	require.NoError(t, err)
	require.Len(t, st.Lines, 3, "b's split and settlement lines only")
	for _, l := range st.Lines {
		require.Equal(t, ledger.Staff(b.staff), l.Account.Owner)
		require.NotEqual(t, wa.RequestTxID, l.TxID)
	}
	st, err = w.svc.MyStatement(a.ctx, time.Time{}, time.Time{}, page.Request{Limit: 2})
	require.NoError(t, err)
	require.Len(t, st.Lines, 2)
	require.True(t, st.HasMore)
	require.Equal(t, "payout.request", st.Lines[0].Kind, "newest first")
	rest, err := w.svc.MyStatement(a.ctx, time.Time{}, time.Time{}, page.Request{Limit: 2, Offset: 4})
	require.NoError(t, err)
	require.Len(t, rest.Lines, 1, "request (2 lines), settle (2), split (1)")
	require.False(t, rest.HasMore)
	_, err = w.svc.MyStatement(a.ctx, time.Time{}, time.Time{}, page.Request{Limit: 200, Offset: 900})
	require.Equal(t, "validation_failed", problem(t, err).Code)

	fw, err := w.svc.MyWallet(w.franchiseeOwner())
	require.NoError(t, err)
	require.Equal(t, payout.Owner{Kind: payout.OwnerFranchisee, ID: w.fr}, fw.Owner)
	require.Zero(t, fw.Available)
	_, err = w.svc.MyWallet(w.finance())
	require.True(t, errors.Is(err, payout.ErrNoWallet))
}

// TestResumeStuckTransfers: an approved withdrawal whose transfer task was lost is enqueued
// again after an hour by the tenant's resume task (which the platform sweep queues, one per
// active tenant), and paying it stops that.
func TestResumeStuckTransfers(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-resume", stripeMock(t, nil), fast)
	m := w.member()
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}, 10_000)
	w.enable(m.ctx)
	wd, err := w.svc.Request(m.ctx, 2_000, "")
	require.NoError(t, err)
	_, err = w.svc.Approve(w.finance(), wd.ID)
	require.NoError(t, err)
	tasks := func() int64 {
		return w.count(`select count(*) from outbox where tenant_id = ? and task_type = ?`, w.tid, payout.TypeTransfer)
	}
	require.EqualValues(t, 1, tasks())
	n, err := w.svc.Resume(w.base)
	require.NoError(t, err)
	require.Zero(t, n, "not stuck yet")
	w.clk.Advance(2 * time.Hour)
	n, err = w.svc.SweepResume(context.Background())
	require.NoError(t, err)
	require.Positive(t, n, "one resume task per active tenant")
	require.EqualValues(t, 1, w.count(`select count(*) from outbox where tenant_id = ? and task_type = ?`, w.tid, payout.TypeResume))
	n, err = w.svc.Resume(w.base)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.EqualValues(t, 2, tasks())
	require.NoError(t, w.svc.Transfer(w.base, wd.ID))
	n, err = w.svc.Resume(w.base)
	require.NoError(t, err)
	require.Zero(t, n, "paid: nothing to resume")
}
