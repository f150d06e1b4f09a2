package carddb_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/card"
	"doorstep/app/kit/dbtest"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
)

// countingGateway records the Stripe idempotency key of every PaymentIntent creation.
type countingGateway struct {
	gateway.Gateway
	mu   sync.Mutex
	keys []string
}

func (g *countingGateway) CreatePaymentIntent(ctx context.Context, p gateway.IntentParams) (gateway.Intent, error) {
	g.mu.Lock()
	g.keys = append(g.keys, p.Key)
	g.mu.Unlock()
	return g.Gateway.CreatePaymentIntent(ctx, p)
}

func (g *countingGateway) calls() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.keys...)
}

// TestPurchaseRequestKey: a retried purchase under the same Idempotency-Key gets the first
// purchase and client secret without a second Stripe call; the key with another product is
// idempotency_key_reused; keys are per customer; a first call whose outcome was unknown is
// repaired under the saved Stripe key; concurrent retries make one row.
func TestPurchaseRequestKey(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cpk")
	gw := &countingGateway{Gateway: w.svc.Gateway}
	d := w.svc.Deps
	d.Gateway = gw
	svc := card.NewService(d)
	p := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30})
	p2 := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充200", NameEn: "Pay 200", Price: 20000, ValidityDays: 30})
	rows := func(key string) int64 {
		var n int64
		require.NoError(t, db.Owner.Raw(`select count(*) from card_purchases where tenant_id = ? and request_key = ?`, w.tn.ID, key).Scan(&n).Error)
		return n
	}

	_, err := svc.Purchase(w.customer(0), p.ID, strings.Repeat("k", 201))
	require.Equal(t, "validation_failed", code(err))

	first, err := svc.Purchase(w.customer(0), p.ID, "buy-1")
	require.NoError(t, err)
	require.NotEmpty(t, first.ClientSecret)
	again, err := svc.Purchase(w.customer(0), p.ID, "buy-1")
	require.NoError(t, err)
	require.Equal(t, first.Purchase.ID, again.Purchase.ID)
	require.Equal(t, first.ClientSecret, again.ClientSecret)
	require.Equal(t, first.Purchase.IntentID, again.Purchase.IntentID)
	require.Len(t, gw.calls(), 1, "the retry made no Stripe call")
	require.EqualValues(t, 1, rows("buy-1"))

	_, err = svc.Purchase(w.customer(0), p2.ID, "buy-1")
	require.Equal(t, "idempotency_key_reused", code(err))
	theirs, err := svc.Purchase(w.customer(1), p.ID, "buy-1")
	require.NoError(t, err)
	require.NotEqual(t, first.Purchase.ID, theirs.Purchase.ID, "keys are per customer")
	require.Len(t, gw.calls(), 2)

	// Paid: the retry answers with the purchase as it is now; still no call, one card.
	require.NoError(t, svc.HandleIntent(w.system(), w.event(first.Purchase, "payment_intent.succeeded")))
	again, err = svc.Purchase(w.customer(0), p.ID, "buy-1")
	require.NoError(t, err)
	require.Equal(t, card.PurchaseSucceeded, again.Purchase.Status)
	require.NotEqual(t, uuid.Nil, again.Purchase.CardID)
	require.Len(t, gw.calls(), 2)
	require.EqualValues(t, 10000, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue), "one card")

	// Stripe did not answer the first time: the retry asks again under the saved Stripe key.
	dd := d
	dd.Gateway = gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_x", APIURL: "http://127.0.0.1:1", Timeout: 200 * time.Millisecond})
	dd.Audit = audit.New(db.Tx, auditdb.New(db.Tx))
	_, err = card.NewService(dd).Purchase(w.customer(0), p.ID, "buy-down")
	require.True(t, errors.Is(err, card.ErrProcessorDown), "%v", err)
	repaired, err := svc.Purchase(w.customer(0), p.ID, "buy-down")
	require.NoError(t, err)
	require.NotEmpty(t, repaired.ClientSecret)
	require.Equal(t, repaired.Purchase.Key, gw.calls()[2])
	require.EqualValues(t, 1, rows("buy-down"))

	// Concurrent retries: the test holds the key's index entry (an uncommitted row) until
	// every request is waiting to insert; one wins, the rest lose on the constraint and replay.
	hold := db.Owner.Begin()
	require.NoError(t, hold.Exec(`insert into card_purchases (tenant_id, id, customer_id, product_id, amount, currency, idempotency_key, request_key)
		values (?, ?, ?, ?, 10000, 'CNY', 'held', 'buy-race')`, w.tn.ID, uuid.New(), w.customers[0], p.ID).Error)
	const n = 12 // within the test pool's 16 connections
	ids := make([]uuid.UUID, n)
	errsOf := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := svc.Purchase(w.customer(0), p.ID, "buy-race")
			ids[i], errsOf[i] = st.Purchase.ID, err
		}()
	}
	db.WaitLocked(t, n)
	require.NoError(t, hold.Rollback().Error)
	wg.Wait()
	for i := range n {
		require.NoError(t, errsOf[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.EqualValues(t, 1, rows("buy-race"))
	won := w.purchase(ids[0])
	for _, k := range gw.calls()[3:] {
		require.Equal(t, won.Key, k, "every Stripe call is under the one row's key")
	}
	w.requireBooksConsistent()
}

// TestAdjustRequestKey: a retried adjustment under the same Idempotency-Key returns the first
// and posts nothing; the key with another card, delta or reason is idempotency_key_reused;
// keys are per requester; concurrent retries make one adjustment and one posting.
func TestAdjustRequestKey(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cpl")
	p := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30})
	c, other := w.buy(0, p), w.buy(1, p)
	hq := w.hq()
	sv := func(i int) int64 {
		return w.balance(ledger.Customer(w.customers[i]), ledger.StoredValue, ledger.AssetStoredValue)
	}
	count := func(sql string, args ...any) int64 {
		var n int64
		require.NoError(t, db.Owner.Raw(sql, args...).Scan(&n).Error)
		return n
	}

	_, err := w.svc.Adjust(hq, c.ID, 500, "goodwill", strings.Repeat("k", 201))
	require.Equal(t, "validation_failed", code(err))

	first, err := w.svc.Adjust(hq, c.ID, 500, "goodwill", "adj-1")
	require.NoError(t, err)
	again, err := w.svc.Adjust(hq, c.ID, 500, " goodwill ", "adj-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.LedgerTxID, again.LedgerTxID)
	require.EqualValues(t, 10500, sv(0), "posted once")

	for name, call := range map[string]func() error{
		"another delta":  func() error { _, err := w.svc.Adjust(hq, c.ID, 600, "goodwill", "adj-1"); return err },
		"another reason": func() error { _, err := w.svc.Adjust(hq, c.ID, 500, "other", "adj-1"); return err },
		"another card":   func() error { _, err := w.svc.Adjust(hq, other.ID, 500, "goodwill", "adj-1"); return err },
	} {
		require.Equal(t, "idempotency_key_reused", code(call()), name)
	}
	theirs, err := w.svc.Adjust(w.hq(), c.ID, 500, "goodwill", "adj-1")
	require.NoError(t, err)
	require.NotEqual(t, first.ID, theirs.ID, "keys are per requester")
	require.EqualValues(t, 11000, sv(0))
	require.EqualValues(t, 10000, sv(1))

	// Concurrent retries: the test holds the card's row until every request waits for it.
	hold := db.Owner.Begin()
	require.NoError(t, hold.Exec(`select 1 from cards where id = ? for update`, c.ID).Error)
	const n = 12
	ids := make([]uuid.UUID, n)
	errsOf := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := w.svc.Adjust(hq, c.ID, -100, "race", "adj-race")
			ids[i], errsOf[i] = a.ID, err
		}()
	}
	db.WaitLocked(t, n)
	require.NoError(t, hold.Commit().Error)
	wg.Wait()
	for i := range n {
		require.NoError(t, errsOf[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.EqualValues(t, 1, count(`select count(*) from card_adjustments where tenant_id = ? and request_key = 'adj-race'`, w.tn.ID))
	require.EqualValues(t, 1, count(`select count(*) from ledger_transactions where tenant_id = ? and kind = 'card.adjust' and memo = 'race'`, w.tn.ID))
	require.EqualValues(t, 10900, sv(0))
	w.requireBooksConsistent()

	// The card expires: a retry still gets its first answer; a new key is refused.
	w.clk.Advance(c.ExpiresAt.Sub(w.clk.Now()) + time.Minute)
	again, err = w.svc.Adjust(hq, c.ID, 500, "goodwill", "adj-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID)
	_, err = w.svc.Adjust(hq, c.ID, 500, "goodwill", "adj-2")
	require.Equal(t, "card_expired", code(err))
}
