package payoutdb_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/notify"
	"doorstep/app/notify/notifydb"
	"doorstep/app/payment/gateway/gatewaytest"
	"doorstep/app/payout"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// TestConcurrentRequestsHoldLimitAndBalance: many concurrent requests of one owner never
// exceed the daily limit (the owner's account row is the lock) nor the available balance (the
// ledger's non-negative check under its row lock).
func TestConcurrentRequestsHoldLimitAndBalance(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "pay-conc", stripeMock(t, nil), fast)
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 10, DailyLimit: 10_000})
	require.NoError(t, err)
	rich, poor := w.member(), w.member()
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: rich.staff}, 1_000_000)
	w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: poor.staff}, 5_000)
	w.enable(rich.ctx)
	w.enable(poor.ctx)

	run := func(ctx context.Context, n int, amount int64) (ok int, codes map[string]int) {
		var mu sync.Mutex
		codes = map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := w.svc.Request(ctx, amount, "")
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
					return
				}
				e, isDomain := errs.As(err)
				require.True(t, isDomain, "%v", err)
				codes[e.Code]++
			}()
		}
		close(start)
		wg.Wait()
		return ok, codes
	}

	ok, codes := run(rich.ctx, 40, 700)
	require.Equal(t, 14, ok, "10,000 / 700: the daily limit holds (%v)", codes)
	require.Equal(t, map[string]int{"daily_limit_exceeded": 26}, codes)
	rw := w.wallet(payout.Owner{Kind: payout.OwnerStaff, ID: rich.staff})
	require.EqualValues(t, 1_000_000-14*700, rw.Available)
	require.EqualValues(t, 14*690, rw.Withdrawing)

	ok, codes = run(poor.ctx, 30, 300)
	require.Equal(t, 16, ok, "5,000 / 300: the balance holds (%v)", codes)
	require.Equal(t, map[string]int{"insufficient_balance": 14}, codes)
	pw := w.wallet(payout.Owner{Kind: payout.OwnerStaff, ID: poor.staff})
	require.EqualValues(t, 200, pw.Available)
	require.EqualValues(t, 16*290, pw.Withdrawing)
	require.EqualValues(t, 30, w.count(`select count(*) from withdrawals where tenant_id = ?`, w.tid))
	require.EqualValues(t, 30, w.count(`select count(*) from withdrawal_events where tenant_id = ?`, w.tid))
	w.checkBooks()
}

// TestFaultyStripeCausesNoDoublePayout is the must-show: a Stripe client that injects timeouts
// on 20% of calls (half before Stripe saw the request, half after it acted) pays every
// approved withdrawal exactly once. The transfers run through the real path: approval →
// outbox → relay → asynq → payout:transfer, with gateway.Do making one attempt per run so
// that a timeout fails the task and asynq retries it (with the key saved on the row).
func TestFaultyStripeCausesNoDoublePayout(t *testing.T) {
	db := dbtest.New(t)
	ft := gatewaytest.NewFaultyTransport(http.DefaultTransport, 0.2, 2026)
	w := newWorld(t, db, "pay-faulty", stripeMock(t, ft), payout.Retry{Attempts: 1, Backoff: time.Millisecond})
	_, err := w.svc.UpdateSettings(w.finance(), payout.Settings{MinAmount: 100, FeeFixed: 25, FeeBP: 50, DailyLimit: 1_000_000})
	require.NoError(t, err)

	const members, each = 8, 8
	const amount = int64(1_000)
	var ms []member
	for range members {
		m := w.member()
		w.fund(payout.Owner{Kind: payout.OwnerStaff, ID: m.staff}, 50_000)
		w.enableRetrying(m.ctx)
		ms = append(ms, m)
	}

	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB, Password: ropt.Password, Username: ropt.Username}
	log := slog.New(slog.DiscardHandler)
	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(db.Tx), "", false))
	var runs, failed atomic.Int64
	mux.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			err := next.ProcessTask(ctx, task)
			if task.Type() == payout.TypeTransfer {
				runs.Add(1)
				if err != nil {
					failed.Add(1)
				}
			}
			return err
		})
	})
	w.svc.RegisterTasks(mux)
	notify.NewHandler(db.Tx, discard{}, notifydb.NewDeliveries(db.Tx)).Register(mux)
	srv := jobs.NewServer(redis, log, 8)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	relay := jobs.NewRelay(db.Tx, client, log, jobs.RelayOptions{Interval: 50 * time.Millisecond})
	go func() { _ = relay.Run(ctx) }()

	var ids []uuid.UUID
	keys := map[string]uuid.UUID{}
	for _, m := range ms {
		for range each {
			wd, err := w.svc.Request(m.ctx, amount, "")
			require.NoError(t, err)
			ap, err := w.svc.Approve(w.finance(), wd.ID)
			require.NoError(t, err)
			ids = append(ids, wd.ID)
			keys[ap.TransferKey] = wd.ID
		}
	}
	require.Eventually(t, func() bool {
		return w.count(`select count(*) from withdrawals where tenant_id = ? and status = 'paid'`, w.tid) == int64(len(ids))
	}, 90*time.Second, 100*time.Millisecond, "every approved withdrawal is paid")

	// Exactly one key per withdrawal reached Stripe's transfers endpoint, and no other key.
	reached := map[string]int{}
	for k, n := range ft.Reached() {
		var method, path, key string
		_, err := fmt.Sscanf(k, "%s %s %s", &method, &path, &key)
		if err == nil && path == "/v1/transfers" {
			reached[key] += n
		}
	}
	require.Len(t, reached, len(ids), "one idempotency key per withdrawal")
	retried := 0
	for key, n := range reached {
		require.Contains(t, keys, key)
		if n > 1 {
			retried++
		}
	}
	calls, faults := ft.Stats()
	t.Logf("%d Stripe calls, %d injected timeouts; %d transfer task runs, %d failed and retried by asynq; %d transfers reached Stripe more than once under their key",
		calls, faults, runs.Load(), failed.Load(), retried)
	require.Greater(t, faults, 0)
	require.Greater(t, failed.Load(), int64(0), "some transfer tasks failed and were retried by asynq")
	require.Greater(t, retried, 0, "some transfers reached Stripe twice (a timeout after Stripe acted), under the same key")

	// Exactly one payout.paid per withdrawal, and exact wallets.
	var perRef []struct {
		RefID uuid.UUID
		N     int
	}
	require.NoError(t, db.Owner.Raw(`select ref_id, count(*) as n from ledger_transactions where tenant_id = ? and kind = 'payout.paid'
		group by ref_id`, w.tid).Scan(&perRef).Error)
	require.Len(t, perRef, len(ids))
	for _, r := range perRef {
		require.Equal(t, 1, r.N, r.RefID)
	}
	fee := int64(25 + 5) // 25 fixed + 0.5% of 1,000
	for _, m := range ms {
		wl := w.wallet(payout.Owner{Kind: payout.OwnerStaff, ID: m.staff})
		require.EqualValues(t, 50_000-each*amount, wl.Available)
		require.Zero(t, wl.Withdrawing)
	}
	require.EqualValues(t, int64(len(ids))*fee, w.balance(ledger.HQ().Account(ledger.Fees, "CNY")))
	require.EqualValues(t, -members*100_000+int64(len(ids))*(amount-fee), w.balance(ledger.External().Account(ledger.Clearing, "CNY")))
	w.checkBooks()
}

type discard struct{}

func (discard) Send(context.Context, uuid.UUID, notify.Rendered) error { return nil }

// enableRetrying is enable for a faulty processor: onboarding answers 503 when Stripe timed
// out, and the caller tries again; the account's key was saved first, so it is created once.
func (w *world) enableRetrying(ctx context.Context) {
	w.t.Helper()
	var o payout.Onboarding
	var err error
	for range 20 {
		o, err = w.svc.Onboard(ctx, "https://app.test/wallet", "https://app.test/wallet/refresh")
		if errs.KindOf(err) != errs.Unavailable {
			break
		}
	}
	require.NoError(w.t, err)
	ev := event(w.t, "evt_"+uuid.NewString(), "account.updated", time.Now(), map[string]any{"id": o.Account.StripeID, "object": "account",
		"payouts_enabled": true, "details_submitted": true})
	require.NoError(w.t, w.svc.HandleEvent(w.base, ev))
}
