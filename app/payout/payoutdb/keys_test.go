package payoutdb_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payout"
)

// TestWithdrawalRequestKey: a retry under the same Idempotency-Key returns the first
// withdrawal and takes nothing more, even after the rules changed; the key with another amount
// is idempotency_key_reused; keys are per requesting user; concurrent retries make one row.
func TestWithdrawalRequestKey(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-keys", stripeMock(t, nil), fast)
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 10, DailyLimit: 1_000_000})
	require.NoError(t, err)
	m, other := w.member(), w.member()
	me := payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}
	w.fund(me, 10_000)
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: other.staff}, 10_000)
	w.enable(m.ctx)
	w.enable(other.ctx)
	rows := func() int64 { return w.count(`select count(*) from withdrawals where tenant_id = ?`, w.tid) }

	_, err = w.svc.Request(m.ctx, 1_000, strings.Repeat("k", 201))
	require.Equal(t, []errs.FieldError{{Field: "Idempotency-Key", Message: "at most 200 characters"}}, problem(t, err).Fields)

	first, err := w.svc.Request(m.ctx, 1_000, "wd-1")
	require.NoError(t, err)
	again, err := w.svc.Request(m.ctx, 1_000, "wd-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.Fee, again.Fee)
	require.Equal(t, "wd-1", again.RequestKey)
	require.Equal(t, []payout.Status{payout.Requested}, statuses(again), "no second history step")
	require.EqualValues(t, 9_000, w.wallet(me).Available, "taken once")

	_, err = w.svc.Request(m.ctx, 2_000, "wd-1")
	e := problem(t, err)
	require.Equal(t, errs.Invalid, e.Kind)
	require.Equal(t, "idempotency_key_reused", e.Code)

	// The rules change (the amount is now below the minimum): the retry still gets the first.
	_, err = w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 5_000, FeeFixed: 10, DailyLimit: 1_000_000})
	require.NoError(t, err)
	again, err = w.svc.Request(m.ctx, 1_000, "wd-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID)
	_, err = w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 10, DailyLimit: 1_000_000})
	require.NoError(t, err)

	// Another user's key of the same name is theirs; no key means a new withdrawal each time.
	theirs, err := w.svc.Request(other.ctx, 2_000, "wd-1")
	require.NoError(t, err)
	require.NotEqual(t, first.ID, theirs.ID)
	_, err = w.svc.Request(m.ctx, 1_000, "")
	require.NoError(t, err)
	_, err = w.svc.Request(m.ctx, 1_000, "")
	require.NoError(t, err)
	require.EqualValues(t, 4, rows())
	require.EqualValues(t, 7_000, w.wallet(me).Available)

	// A refused request stores nothing: the key is free for a corrected retry.
	_, err = w.svc.Request(m.ctx, 50_000, "wd-2")
	require.Equal(t, "insufficient_balance", problem(t, err).Code)
	fixed, err := w.svc.Request(m.ctx, 3_000, "wd-2")
	require.NoError(t, err)
	require.EqualValues(t, 5, rows())

	// Retried after approval: the first withdrawal as it is now, nothing new.
	_, err = w.svc.Approve(w.finance(), fixed.ID)
	require.NoError(t, err)
	again, err = w.svc.Request(m.ctx, 3_000, "wd-2")
	require.NoError(t, err)
	require.Equal(t, fixed.ID, again.ID)
	require.Equal(t, payout.Approved, again.Status)

	// Concurrent retries of one key: one row, one posting, everyone gets the same withdrawal.
	// The test holds the owner's account row so that every request has looked for the key
	// (and found nothing) before the first may write.
	const n = 12 // within the test pool's 16 connections
	ids := make([]uuid.UUID, n)
	errsOf := make([]error, n)
	hold := db.Owner.Begin()
	require.NoError(t, hold.Exec(`select 1 from payout_accounts where tenant_id = ? and owner_id = ? for update`, w.tid, m.staff).Error)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wd, err := w.svc.Request(m.ctx, 1_500, "wd-race")
			ids[i], errsOf[i] = wd.ID, err
		}()
	}
	db.WaitLocked(t, n)
	require.NoError(t, hold.Commit().Error)
	wg.Wait()
	for i := range n {
		require.NoError(t, errsOf[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.EqualValues(t, 1, w.count(`select count(*) from withdrawals where tenant_id = ? and request_key = 'wd-race'`, w.tid))
	require.EqualValues(t, 1, w.count(`select count(*) from ledger_transactions where tenant_id = ? and kind = 'payout.request' and ref_id = ?`, w.tid, ids[0]))
	require.EqualValues(t, 7_000-3_000-1_500, w.wallet(me).Available)
	w.checkBooks()
}

// TestPartialTransferReversal: transfer.reversed with amount_reversed below the amount returns
// the reversed part to the wallet (payout.reversed); Stripe's amount is cumulative, so
// duplicates and an older event delivered late add nothing and a later one posts only the
// difference; a full reversal afterwards fails the withdrawal without returning the partial
// part twice. Delivered the other way round (full first), the partial event changes nothing.
func TestPartialTransferReversal(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-part", stripeMock(t, nil), fast)
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 50, DailyLimit: 1_000_000})
	require.NoError(t, err)
	clearing := ledger.External().Account(ledger.Clearing, "CNY")
	fees := ledger.HQ().Account(ledger.Fees, "CNY")

	// paid makes a paid withdrawal of 4,000 (fee 50, net 3,950) from a wallet of 10,000.
	paid := func() (payout.Owner, payout.Withdrawal) {
		m := w.member()
		me := payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}
		w.fund(me, 10_000)
		w.enable(m.ctx)
		wd, err := w.svc.Request(m.ctx, 4_000, "")
		require.NoError(t, err)
		_, err = w.svc.Approve(w.finance(), wd.ID)
		require.NoError(t, err)
		require.NoError(t, w.svc.Transfer(w.base, wd.ID))
		wd, err = w.svc.Withdrawal(w.finance(), wd.ID)
		require.NoError(t, err)
		require.Equal(t, payout.Paid, wd.Status)
		require.EqualValues(t, 6_000, w.wallet(me).Available)
		return me, wd
	}
	reversal := func(wd payout.Withdrawal, id string, amountReversed int64) error {
		ev := event(t, id, "transfer.reversed", time.Now(), map[string]any{"id": wd.TransferID, "object": "transfer",
			"amount": wd.Net(), "amount_reversed": amountReversed, "reversed": amountReversed >= wd.Net(),
			"metadata": map[string]string{"tenant_id": w.tid.String(), payout.MetaWithdrawal: wd.ID.String()}})
		return w.svc.HandleEvent(w.base, ev)
	}
	get := func(id uuid.UUID) payout.Withdrawal {
		got, err := w.svc.Withdrawal(w.finance(), id)
		require.NoError(t, err)
		return got
	}
	postings := func(id uuid.UUID, kind string) []string {
		var keys []string
		require.NoError(t, db.Owner.Raw(`select idempotency_key from ledger_transactions where tenant_id = ? and ref_id = ? and kind = ?
			order by idempotency_key`, w.tid, id, kind).Scan(&keys).Error)
		return keys
	}

	me, wd := paid()
	clearing0, fees0 := w.balance(clearing), w.balance(fees)
	require.NoError(t, reversal(wd, "evt_part_1000", 1_000))
	require.NoError(t, reversal(wd, "evt_part_1000", 1_000), "a duplicate delivery")
	require.NoError(t, reversal(wd, "evt_part_1000_again", 1_000), "another event with the same cumulative amount")
	got := get(wd.ID)
	require.Equal(t, payout.Paid, got.Status, "a partial reversal is no failure")
	require.EqualValues(t, 1_000, got.Reversed)
	require.EqualValues(t, 7_000, w.wallet(me).Available)
	require.EqualValues(t, clearing0-1_000, w.balance(clearing))

	require.NoError(t, reversal(wd, "evt_part_2500", 2_500))
	require.NoError(t, reversal(wd, "evt_part_1000_late", 1_000), "an older amount delivered late")
	require.NoError(t, reversal(wd, "evt_part_0", 0), "nothing reversed")
	require.EqualValues(t, 2_500, get(wd.ID).Reversed)
	require.EqualValues(t, 8_500, w.wallet(me).Available)
	require.Zero(t, w.wallet(me).Withdrawing)
	require.Equal(t, []string{"payout:" + wd.ID.String() + ":reversed:1000", "payout:" + wd.ID.String() + ":reversed:2500"},
		postings(wd.ID, "payout.reversed"))
	require.Equal(t, fees0, w.balance(fees), "a partial reversal keeps the fee")
	w.checkBooks()

	// The rest is reversed too: the withdrawal fails and the wallet is whole again, once.
	require.NoError(t, reversal(wd, "evt_full", wd.Net()))
	require.NoError(t, reversal(wd, "evt_part_3000_late", 3_000), "a partial event after the failure")
	got = get(wd.ID)
	require.Equal(t, payout.Failed, got.Status)
	require.Equal(t, "transfer reversed", got.Reason)
	wl := w.wallet(me)
	require.EqualValues(t, 10_000, wl.Available)
	require.Zero(t, wl.Withdrawing)
	require.Equal(t, clearing0-wd.Net(), w.balance(clearing), "nothing is left out with the processor")
	require.Equal(t, fees0-50, w.balance(fees), "the fee is returned with a full reversal")
	require.Len(t, postings(wd.ID, "payout.reversed"), 2)
	require.Len(t, postings(wd.ID, "payout.failed"), 1)
	w.checkBooks()

	// Full reversal delivered before the partial one: today's behaviour, then nothing more.
	me2, wd2 := paid()
	require.NoError(t, reversal(wd2, "evt2_full", wd2.Net()))
	require.NoError(t, reversal(wd2, "evt2_part", 1_000))
	got = get(wd2.ID)
	require.Equal(t, payout.Failed, got.Status)
	require.Zero(t, got.Reversed)
	require.EqualValues(t, 10_000, w.wallet(me2).Available)
	require.Empty(t, postings(wd2.ID, "payout.reversed"))
	w.checkBooks()
}
