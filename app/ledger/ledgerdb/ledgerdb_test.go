package ledgerdb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
)

type world struct {
	t   testing.TB
	db  *dbtest.DB
	svc *ledger.Service
	ctx context.Context
	tid uuid.UUID
}

func newWorld(t testing.TB, db *dbtest.DB, slug string) *world {
	tid := uuid.Must(uuid.NewV7())
	require.NoError(t, db.Owner.Exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, tid, slug, slug).Error)
	return &world{t: t, db: db, tid: tid, svc: ledger.New(db.Tx, ledgerdb.New(db.Tx), nil),
		ctx: dbx.WithTenant(context.Background(), tid)}
}

// topUp gives customer c n stored value, bought for n CNY by card.
func (w *world) topUp(c uuid.UUID, n int64, key string) ledger.Transaction {
	w.t.Helper()
	tx, err := w.svc.Post(w.ctx, ledger.Transaction{Kind: "card.purchase", Key: key, Ref: ledger.Ref{Kind: "customer", ID: c},
		Entries: []ledger.Entry{
			{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: -n},
			{Account: ledger.HQ().Account(ledger.CardFunds, "CNY"), Amount: n},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -n},
			{Account: ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: n},
		}})
	require.NoError(w.t, err)
	return tx
}

func spend(c uuid.UUID, n int64, key string) ledger.Transaction {
	return ledger.Transaction{Kind: "stored_value.spend", Key: key, Entries: []ledger.Entry{
		{Account: ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -n},
		{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: n},
	}}
}

func TestPostBalancesAndReplays(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-a")
	c := uuid.Must(uuid.NewV7())
	first := w.topUp(c, 10_000, "top-1")
	again := w.topUp(c, 10_000, "top-1") // a retry with the same key posts nothing new
	require.Equal(t, first.ID, again.ID)

	bal, err := w.svc.Balance(w.ctx, ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue))
	require.NoError(t, err)
	require.EqualValues(t, 10_000, bal)
	bal, err = w.svc.Balance(w.ctx, ledger.External().Account(ledger.Clearing, "CNY"))
	require.NoError(t, err)
	require.EqualValues(t, -10_000, bal)

	// The same key with other entries is a conflict, not a silent replay.
	_, err = w.svc.Post(w.ctx, spend(c, 5, "top-1"))
	require.ErrorIs(t, err, ledger.ErrKeyConflict)

	got, err := w.svc.Get(w.ctx, first.ID)
	require.NoError(t, err)
	require.Len(t, got.Entries, 4)
	require.Equal(t, first.Entries, got.Entries)

	// Another tenant sees none of it.
	other := newWorld(t, db, "led-b")
	bal, err = other.svc.Balance(other.ctx, ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue))
	require.NoError(t, err)
	require.Zero(t, bal)
	_, err = other.svc.Get(other.ctx, first.ID)
	require.ErrorIs(t, err, ledger.ErrNotFound)
}

func TestPostRefusesMalformedTransactions(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-bad")
	c := uuid.Must(uuid.NewV7())
	sv := ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue)
	issued := ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue)
	cases := map[string]ledger.Transaction{
		"unbalanced":   {Kind: "x", Key: "k1", Entries: []ledger.Entry{{Account: sv, Amount: 5}, {Account: issued, Amount: -4}}},
		"one entry":    {Kind: "x", Key: "k2", Entries: []ledger.Entry{{Account: sv, Amount: 0}}},
		"zero entry":   {Kind: "x", Key: "k3", Entries: []ledger.Entry{{Account: sv, Amount: 0}, {Account: issued, Amount: 0}}},
		"no key":       {Kind: "x", Entries: []ledger.Entry{{Account: sv, Amount: 5}, {Account: issued, Amount: -5}}},
		"mixed assets": {Kind: "x", Key: "k4", Entries: []ledger.Entry{{Account: sv, Amount: 5}, {Account: ledger.HQ().Account(ledger.CardFunds, "CNY"), Amount: -5}}},
		"shared w/ id": {Kind: "x", Key: "k5", Entries: []ledger.Entry{{Account: ledger.Owner{Kind: ledger.OwnerHQ, ID: c}.Account(ledger.Revenue, "CNY"), Amount: 5}, {Account: ledger.HQ().Account(ledger.CardFunds, "CNY"), Amount: -5}}},
		"bad purpose":  {Kind: "x", Key: "k6", Entries: []ledger.Entry{{Account: ledger.HQ().Account("nope", "CNY"), Amount: 5}, {Account: ledger.HQ().Account(ledger.CardFunds, "CNY"), Amount: -5}}},
		"overdraw new": spend(c, 1, "k7"),
	}
	for name, tx := range cases {
		_, err := w.svc.Post(w.ctx, tx)
		require.Error(t, err, name)
	}
	var n int64
	require.NoError(t, db.Owner.Raw(`select count(*) from ledger_transactions where tenant_id = ?`, w.tid).Scan(&n).Error)
	require.Zero(t, n, "nothing was written")
	require.NoError(t, db.Owner.Raw(`select count(*) from ledger_accounts where tenant_id = ?`, w.tid).Scan(&n).Error)
	require.Zero(t, n, "no account was opened")

	// The database refuses an unbalanced transaction even when the service is bypassed.
	err := db.Tx.InTx(w.ctx, func(ctx context.Context) error {
		conn := db.Tx.Conn(ctx)
		txID, acct := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		if err := conn.Exec(`insert into ledger_accounts (tenant_id, id, owner_kind, owner_id, purpose, asset, non_negative)
			values (?, ?, 'hq', ?, 'revenue', 'CNY', false)`, w.tid, acct, uuid.Nil).Error; err != nil {
			return err
		}
		if err := conn.Exec(`insert into ledger_transactions (tenant_id, id, kind, idempotency_key) values (?, ?, 'x', 'raw')`, w.tid, txID).Error; err != nil {
			return err
		}
		return conn.Exec(`insert into ledger_postings (tenant_id, transaction_id, line, account_id, asset, amount) values (?, ?, 0, ?, 'CNY', 7), (?, ?, 1, ?, 'CNY', -6)`,
			w.tid, txID, acct, w.tid, txID, acct).Error
	})
	require.ErrorContains(t, err, "does not balance")
}

func TestLedgerIsAppendOnly(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-ao")
	tx := w.topUp(uuid.Must(uuid.NewV7()), 500, "ao")
	for _, stmt := range []string{
		`update ledger_postings set amount = amount * 2 where transaction_id = ?`,
		`delete from ledger_postings where transaction_id = ?`,
		`update ledger_transactions set memo = 'edited' where id = ?`,
		`delete from ledger_transactions where id = ?`,
	} {
		// The application role has no such privilege.
		err := db.Tx.InTx(w.ctx, func(ctx context.Context) error { return db.Tx.Conn(ctx).Exec(stmt, tx.ID).Error })
		require.Error(t, err, stmt)
		// Nor does the owner: the trigger refuses.
		require.ErrorContains(t, db.Owner.Exec(stmt, tx.ID).Error, "append-only", stmt)
	}
}

func TestReverse(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-rev")
	c := uuid.Must(uuid.NewV7())
	sv := ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue)
	tx := w.topUp(c, 800, "rev-top")
	rev, err := w.svc.Reverse(w.ctx, tx.ID, "rev-1", "refund of the card", "test")
	require.NoError(t, err)
	require.Equal(t, tx.ID, rev.Reverses)
	require.Equal(t, "card.purchase.reversal", rev.Kind)
	bal, err := w.svc.Balance(w.ctx, sv)
	require.NoError(t, err)
	require.Zero(t, bal)
	// Replaying the reversal's key returns it; a second reversal under another key is refused.
	again, err := w.svc.Reverse(w.ctx, tx.ID, "rev-1", "refund of the card", "test")
	require.NoError(t, err)
	require.Equal(t, rev.ID, again.ID)
	_, err = w.svc.Reverse(w.ctx, tx.ID, "rev-2", "again", "test")
	require.ErrorIs(t, err, ledger.ErrAlreadyReversed)

	// A reversal that would overdraw a non-negative account is refused as a whole.
	tx2 := w.topUp(c, 300, "rev-top-2")
	_, err = w.svc.Post(w.ctx, spend(c, 200, "rev-spend"))
	require.NoError(t, err)
	_, err = w.svc.Reverse(w.ctx, tx2.ID, "rev-3", "too late", "test")
	require.ErrorIs(t, err, ledger.ErrInsufficient)
	bal, err = w.svc.Balance(w.ctx, sv)
	require.NoError(t, err)
	require.EqualValues(t, 100, bal)

	ps, err := w.svc.Postings(w.ctx, ledger.Filter{Owner: &sv.Owner})
	require.NoError(t, err)
	require.Len(t, ps, 4) // top-up, reversal, top-up, spend
	require.Equal(t, "stored_value.spend", ps[0].Kind)
}

// TestConcurrentSpends is the must-show: 300 concurrent spends of 100 from a
// stored-value balance of 10,000 leave exactly 100 successes and a zero balance.
func TestConcurrentSpends(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-race")
	c := uuid.Must(uuid.NewV7())
	w.topUp(c, 10_000, "race-top")

	var ok, short atomic.Int64
	var wg sync.WaitGroup
	errCh := make(chan error, 300)
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Post(w.ctx, spend(c, 100, fmt.Sprintf("race-%d", i)))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ledger.ErrInsufficient):
				short.Add(1)
			default:
				errCh <- err
			}
		}()
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		require.NoError(t, err)
	}
	require.EqualValues(t, 100, ok.Load())
	require.EqualValues(t, 200, short.Load())
	bal, err := w.svc.Balance(w.ctx, ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue))
	require.NoError(t, err)
	require.Zero(t, bal)
	ms, err := w.svc.Check(w.ctx)
	require.NoError(t, err)
	require.Empty(t, ms)
}

func TestCheckFindsTampering(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "led-chk")
	c := uuid.Must(uuid.NewV7())
	w.topUp(c, 1_000, "chk-top")
	ms, err := w.svc.Check(w.ctx)
	require.NoError(t, err)
	require.Empty(t, ms)

	// Someone with owner rights edits a cached balance behind the ledger's back.
	require.NoError(t, db.Owner.Exec(`update ledger_accounts set balance = balance + 1 where tenant_id = ? and owner_kind = 'customer'`, w.tid).Error)
	ms, err = w.svc.Check(w.ctx)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.Equal(t, "balance", ms[0].Kind)
	require.EqualValues(t, 1_001, ms[0].Cached)
	require.EqualValues(t, 1_000, ms[0].Computed)
}
