package commissiondb_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/commission"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
)

// invOrder is the workload's view of one order.
type invOrder struct {
	id       uuid.UUID
	total    int64
	customer uuid.UUID
	state    string // "open", "paying", "card", "stored_value"
	done     bool   // completed
	refunded int64  // reserved or refunded so far
	refunds  []invRefund
}

// invRefund is a card refund that Stripe may still fail.
type invRefund struct {
	id     uuid.UUID
	amount int64
	failed bool
}

// TestLedgerInvariantsUnderRandomWorkload is the must-show: a seeded random workload
// of payments (card and stored value), partial refunds, card top-ups, commission splits,
// settlements and withdrawals (paid or failed), posted per docs/money.md through
// ledger.Service and commission's split, settle and clawback code by concurrent workers. After
// it: every transaction sums to zero per asset, every cached balance equals the sum of its
// postings, no non-negative account is below zero, and every split is whole and never clawed
// back beyond itself. LEDGER_SEED reproduces a workload.
func TestLedgerInvariantsUnderRandomWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("random workload: skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LEDGER_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("LEDGER_SEED=%d", seed)
	db := dbtest.New(t)
	clk := startClock()
	w := newWorld(t, db, "cmr", clk)
	setup := rand.New(rand.NewPCG(seed, 0))

	r := rulesFor(w)
	r.StaffLines = append(r.StaffLines, commission.StaffLine{ServiceID: w.service, LevelID: w.level, Kind: commission.StaffFixed, Value: 1500, BonusBP: 200, BonusMinRating: 4})
	w.publish(r)
	_, err := w.svc.SaveSettings(w.ctx(), commission.Settings{HoldingDays: 1})
	require.NoError(t, err)
	var staff []uuid.UUID
	for i := range 4 {
		store := w.hqStore
		if i%2 == 1 {
			store = w.frStore
		}
		s := w.member(store, i < 2)
		if i%3 == 0 {
			w.rate(s, 4+i%2)
		}
		staff = append(staff, s)
	}
	customers := []uuid.UUID{w.customer}
	for i := range 2 {
		c := uuid.Must(uuid.NewV7())
		w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, ?)`, w.tn.ID, c, "+86139000000"+strconv.Itoa(10+i))
		customers = append(customers, c)
	}
	var orders []*invOrder
	for i := range 36 {
		store := w.hqStore
		if setup.IntN(2) == 1 {
			store = w.frStore
		}
		staffID := uuid.Nil
		if i%6 != 0 {
			staffID = staff[setup.IntN(len(staff))]
		}
		status := "completed"
		if i%4 == 0 {
			status = "awaiting_acceptance"
		}
		total := 100 + setup.Int64N(30000)
		o := &invOrder{id: w.order(store, status, staffID, total), total: total, customer: customers[setup.IntN(len(customers))], state: "open", done: status == "completed"}
		w.exec(`update orders set customer_id = ? where id = ?`, o.customer, o.id)
		orders = append(orders, o)
	}
	owners := []ledger.Owner{ledger.Franchisee(w.franchisee)}
	for _, s := range staff {
		owners = append(owners, ledger.Staff(s))
	}

	var mu sync.Mutex
	pick := func(rng *rand.Rand, ok func(*invOrder) bool) *invOrder {
		var c []*invOrder
		for _, o := range orders {
			if ok(o) {
				c = append(c, o)
			}
		}
		if len(c) == 0 {
			return nil
		}
		return c[rng.IntN(len(c))]
	}
	var counts sync.Map
	count := func(name string) {
		v, _ := counts.LoadOrStore(name, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	const cur = "CNY"
	post := func(ctx context.Context, kind, refKind string, ref uuid.UUID, key string, es ...ledger.Entry) error {
		var keep []ledger.Entry
		for _, e := range es {
			if e.Amount != 0 {
				keep = append(keep, e)
			}
		}
		_, err := w.ledger.Post(ctx, ledger.Transaction{Kind: kind, Ref: ledger.Ref{Kind: refKind, ID: ref}, Key: key, Entries: keep})
		return err
	}
	insufficient := func(err error) bool { return errors.Is(err, ledger.ErrInsufficient) }

	ops := []func(ctx context.Context, rng *rand.Rand) error{
		// Pay an order by card, or from the customer's stored value (which may be too low).
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool { return o.state == "open" })
			if o != nil {
				o.state = "paying"
			}
			mu.Unlock()
			if o == nil {
				return nil
			}
			method := "card"
			if rng.IntN(3) == 0 {
				method = "stored_value"
			}
			err := w.db.Tx.InTx(ctx, func(ctx context.Context) error {
				var err error
				key := "payment:" + o.id.String() + ":succeeded"
				if method == "card" {
					err = post(ctx, "payment.card", "order", o.id, key,
						ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -o.total},
						ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: o.total})
				} else {
					err = post(ctx, "payment.stored_value", "order", o.id, key,
						ledger.Entry{Account: ledger.Customer(o.customer).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -o.total},
						ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: o.total},
						ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: -o.total},
						ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: o.total})
				}
				if err != nil {
					return err
				}
				return w.svc.OrderPaid(ctx, o.id)
			})
			mu.Lock()
			defer mu.Unlock()
			if insufficient(err) {
				o.state = "open"
				count("stored value too low")
				return nil
			}
			if err != nil {
				o.state = "open"
				return err
			}
			o.state = method
			count("paid by " + method)
			return nil
		},
		// Split a paid order (the task; sometimes twice at once, as a redelivery would).
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool { return o.state == "card" || o.state == "stored_value" })
			mu.Unlock()
			if o == nil {
				return nil
			}
			var wg sync.WaitGroup
			errc := make(chan error, 2)
			for range 1 + rng.IntN(2) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					done, err := w.svc.Split(ctx, o.id)
					if done {
						count("split")
					}
					errc <- err
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					return err
				}
			}
			return nil
		},
		// The customer accepts an order awaiting acceptance.
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool { return !o.done })
			if o != nil {
				o.done = true
			}
			mu.Unlock()
			if o == nil {
				return nil
			}
			if err := w.db.Owner.Exec(`update orders set status = 'completed' where id = ?`, o.id).Error; err != nil {
				return err
			}
			_, err := w.svc.Split(ctx, o.id)
			return err
		},
		// A partial (or the final) refund, clawing back commission, sometimes retried.
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool {
				return (o.state == "card" || o.state == "stored_value") && o.refunded < o.total
			})
			var amount int64
			if o != nil {
				amount = 1 + rng.Int64N(o.total-o.refunded)
				if rng.IntN(4) == 0 {
					amount = o.total - o.refunded
				}
				o.refunded += amount
			}
			mu.Unlock()
			if o == nil {
				return nil
			}
			id := uuid.Must(uuid.NewV7())
			defer func() {
				if o.state == "card" {
					mu.Lock()
					o.refunds = append(o.refunds, invRefund{id: id, amount: amount})
					mu.Unlock()
				}
			}()
			for range 1 + rng.IntN(2) {
				err := w.db.Tx.InTx(ctx, func(ctx context.Context) error {
					if err := w.svc.BeforeRefund(ctx, paymentFacts(id, o.id, amount)); err != nil {
						return err
					}
					if o.state == "card" {
						return post(ctx, "refund", "refund", id, "refund:"+id.String(),
							ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: -amount},
							ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: amount})
					}
					return post(ctx, "refund.stored_value", "refund", id, "refund:"+id.String(),
						ledger.Entry{Account: ledger.Customer(o.customer).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: amount},
						ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -amount},
						ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: amount},
						ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: -amount})
				})
				if err != nil {
					return err
				}
			}
			count("refund")
			return nil
		},
		// Stripe fails a card refund (refused, or failed after it succeeded): the commission
		// hook gives its clawback back and the refund's posting is reversed, as payment does.
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool {
				return slices.ContainsFunc(o.refunds, func(r invRefund) bool { return !r.failed })
			})
			var r *invRefund
			if o != nil {
				for i := range o.refunds {
					if !o.refunds[i].failed {
						r = &o.refunds[i]
					}
				}
				r.failed = true
				o.refunded -= r.amount
			}
			mu.Unlock()
			if o == nil {
				return nil
			}
			count("refund failed")
			return w.db.Tx.InTx(ctx, func(ctx context.Context) error {
				if err := w.svc.RefundFailed(ctx, paymentFacts(r.id, o.id, r.amount)); err != nil {
					return err
				}
				orig, err := w.ledger.Post(ctx, refundPosting(r.id, r.amount)) // posted before: returns it
				if err != nil {
					return err
				}
				_, err = w.ledger.Reverse(ctx, orig.ID, "refund:"+r.id.String()+":failed", "refund failed", "payment")
				return err
			})
		},
		// A later card payment of an order already paid by card (a balance for an extra): the
		// split task grows its split, if it has one.
		func(ctx context.Context, rng *rand.Rand) error {
			mu.Lock()
			o := pick(rng, func(o *invOrder) bool { return o.state == "card" })
			mu.Unlock()
			if o == nil {
				return nil
			}
			amount := 1 + rng.Int64N(3000)
			id := uuid.Must(uuid.NewV7())
			err := w.db.Tx.InTx(ctx, func(ctx context.Context) error {
				if err := post(ctx, "payment.card", "order", o.id, "payment:"+id.String()+":succeeded",
					ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -amount},
					ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: amount}); err != nil {
					return err
				}
				return w.svc.OrderPaid(ctx, o.id)
			})
			if err != nil {
				return err
			}
			mu.Lock()
			o.total += amount
			mu.Unlock()
			_, err = w.svc.Split(ctx, o.id)
			count("paid more")
			return err
		},
		// A stored-value card bought for P with a bonus B.
		func(ctx context.Context, rng *rand.Rand) error {
			c := customers[rng.IntN(len(customers))]
			p := 1000 + rng.Int64N(20000)
			b := p / 10 * rng.Int64N(2)
			id := uuid.Must(uuid.NewV7())
			count("top-up")
			return post(ctx, "card.purchase", "card", id, "card:"+id.String()+":purchased",
				ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -p},
				ledger.Entry{Account: ledger.HQ().Account(ledger.CardFunds, cur), Amount: p},
				ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -(p + b)},
				ledger.Entry{Account: ledger.Customer(c).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: p + b})
		},
		// Time passes; the settlement job runs.
		func(ctx context.Context, rng *rand.Rand) error {
			clk.Advance(time.Duration(1+rng.IntN(12)) * time.Hour)
			n, err := w.svc.SettleDue(ctx)
			for range n {
				count("settled")
			}
			return err
		},
		// A withdrawal (amount W, fee F) requested, then paid out or failed.
		func(ctx context.Context, rng *rand.Rand) error {
			o := owners[rng.IntN(len(owners))]
			wd := 1 + rng.Int64N(4000)
			fee := int64(0)
			if wd > 200 {
				fee = 100
			}
			id := uuid.Must(uuid.NewV7())
			err := post(ctx, "payout.request", "withdrawal", id, "payout:"+id.String()+":requested",
				ledger.Entry{Account: o.Account(ledger.Available, cur), Amount: -wd},
				ledger.Entry{Account: o.Account(ledger.Withdrawing, cur), Amount: wd - fee},
				ledger.Entry{Account: ledger.HQ().Account(ledger.Fees, cur), Amount: fee})
			if insufficient(err) {
				count("withdrawal refused")
				return nil
			}
			if err != nil {
				return err
			}
			if rng.IntN(4) == 0 {
				count("withdrawal failed")
				return post(ctx, "payout.failed", "withdrawal", id, "payout:"+id.String()+":failed",
					ledger.Entry{Account: o.Account(ledger.Withdrawing, cur), Amount: -(wd - fee)},
					ledger.Entry{Account: o.Account(ledger.Available, cur), Amount: wd},
					ledger.Entry{Account: ledger.HQ().Account(ledger.Fees, cur), Amount: -fee})
			}
			count("withdrawal paid")
			return post(ctx, "payout.paid", "withdrawal", id, "payout:"+id.String()+":paid",
				ledger.Entry{Account: o.Account(ledger.Withdrawing, cur), Amount: -(wd - fee)},
				ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: wd - fee})
		},
	}
	weights := []int{4, 3, 1, 3, 1, 1, 2, 2, 3} // per op above, in order

	const workers, perWorker = 8, 45
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i+1)))
			ctx := w.system()
			for range perWorker {
				n := rng.IntN(20)
				op := 0
				for n >= weights[op] {
					n -= weights[op]
					op++
				}
				if err := ops[op](ctx, rng); err != nil {
					if pe, ok := dbx.PgError(err); ok {
						err = fmt.Errorf("op %d: %w (%s)", op, err, pe.Detail)
					}
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	// Finish the story: split what is left, settle everything.
	for _, o := range orders {
		_, err := w.svc.Split(w.system(), o.id)
		require.NoError(t, err)
	}
	clk.Advance(72 * time.Hour)
	_, err = w.svc.SettleDue(w.system())
	require.NoError(t, err)
	counts.Range(func(k, v any) bool { t.Logf("%-20s %d", k, v.(*atomic.Int64).Load()); return true })
	for _, k := range []string{"paid by card", "split", "refund", "refund failed", "paid more", "top-up", "settled", "withdrawal paid"} {
		v, ok := counts.Load(k)
		require.True(t, ok && v.(*atomic.Int64).Load() > 0, "the workload did no %q", k)
	}

	// Every transaction sums to zero per asset.
	var unbalanced int64
	require.NoError(t, db.Owner.Raw(`select count(*) from (select transaction_id, asset from ledger_postings where tenant_id = ?
		group by transaction_id, asset having sum(amount) <> 0) x`, w.tn.ID).Scan(&unbalanced).Error)
	require.Zero(t, unbalanced)
	// Every cached balance equals the sum of its postings (and the check agrees).
	var drift int64
	require.NoError(t, db.Owner.Raw(`select count(*) from ledger_accounts a where a.tenant_id = ? and a.balance <>
		coalesce((select sum(p.amount) from ledger_postings p where p.tenant_id = a.tenant_id and p.account_id = a.id), 0)`, w.tn.ID).Scan(&drift).Error)
	require.Zero(t, drift)
	w.checkBooks()
	// No non-negative account below zero.
	var negative int64
	require.NoError(t, db.Owner.Raw(`select count(*) from ledger_accounts where tenant_id = ? and non_negative and balance < 0`, w.tn.ID).Scan(&negative).Error)
	require.Zero(t, negative)
	// Splits: one commission.split per split, lines summing to the total, clawbacks within each line.
	var bad int64
	require.NoError(t, db.Owner.Raw(`select count(*) from commission_splits s where s.tenant_id = ? and (
		s.total <> (select sum(amount) from commission_split_lines l where l.tenant_id = s.tenant_id and l.split_id = s.id)
		or exists (select 1 from commission_split_lines l where l.tenant_id = s.tenant_id and l.split_id = s.id and l.clawed_back > l.amount)
		or (select count(*) from ledger_transactions x where x.tenant_id = s.tenant_id and x.kind = 'commission.split' and x.ref_id = s.order_id) <> 1
		or (s.refunded = s.total and exists (select 1 from commission_split_lines l where l.tenant_id = s.tenant_id and l.split_id = s.id and l.clawed_back <> l.amount)))`,
		w.tn.ID).Scan(&bad).Error)
	require.Zero(t, bad)
	// Every split stands refunded by exactly its refunds that did not fail, and each line has
	// given back exactly its share of them (failed refunds gave theirs back to the unit).
	for _, o := range orders {
		sp, err := w.svc.SplitOf(w.ctx(), o.id)
		if errors.Is(err, commission.ErrSplitNotFound) {
			continue
		}
		require.NoError(t, err)
		var standing int64
		for _, r := range o.refunds {
			if !r.failed {
				standing += r.amount
			}
		}
		if o.state == "stored_value" {
			standing = o.refunded // never fail
		}
		require.Equal(t, min(sp.Total, standing), sp.Refunded, "order %s", o.id)
		for _, l := range sp.Lines {
			require.Equal(t, l.Amount*sp.Refunded/sp.Total, l.ClawedBack, "order %s line %d", o.id, l.No)
		}
	}
	// Nothing is left pending once every split has settled.
	for _, s := range staff {
		require.Zero(t, w.balance(ledger.Staff(s).Account(ledger.Pending, cur)))
	}
	require.Zero(t, w.balance(ledger.Platform().Account(ledger.Pending, cur)))
}
