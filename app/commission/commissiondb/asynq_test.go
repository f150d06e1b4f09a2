package commissiondb_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/commission"
	"doorstep/app/kit/dbtest"
	"doorstep/app/ledger"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// TestSplitAndSettlementThroughAsynq runs the real path: booking's completion hook and the
// payment's PaidHook enqueue commission:split through the outbox, the relay hands it to a
// real asynq server, and the periodic commission:settle_sweep task, enqueued into the same
// server, queues commission:settle for the tenant through the outbox, which releases the split
// only once the holding period is over in the tenant's time zone.
func TestSplitAndSettlementThroughAsynq(t *testing.T) {
	db := dbtest.New(t)
	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB}
	clk := startClock()
	w := newWorld(t, db, "cmq", clk)
	w.publish(rulesFor(w))
	_, err := w.svc.SaveSettings(w.ctx(), commission.Settings{HoldingDays: 2})
	require.NoError(t, err)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(db.Tx), "", false))
	w.svc.RegisterTasks(mux)
	srv := jobs.NewServer(redis, log, 4)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })
	relay := jobs.NewRelay(db.Tx, client, log, jobs.RelayOptions{})

	// waitDone waits until asynq finished every task given (outbox rows or tasks we enqueued).
	waitDone := func(queue string, ids ...string) {
		t.Helper()
		require.Eventually(t, func() bool {
			for _, id := range ids {
				info, err := insp.GetTaskInfo(queue, id)
				if err != nil || info.State != asynq.TaskStateCompleted {
					return false
				}
			}
			return true
		}, 15*time.Second, 20*time.Millisecond)
	}
	// relayed relays the outbox and returns the ids of the tenant's tasks of type typ.
	relayed := func(typ string) []string {
		t.Helper()
		var ids []string
		require.NoError(t, db.Owner.Raw(`select id::text from outbox where tenant_id = ? and task_type = ? order by id`, w.tn.ID, typ).Scan(&ids).Error)
		n, err := relay.RunOnce(context.Background())
		require.NoError(t, err)
		require.Positive(t, n)
		return ids
	}

	staff := w.member(w.frStore, true)
	o := w.order(w.frStore, "completed", staff, 10000)
	require.NoError(t, db.Tx.InTx(w.system(), func(ctx context.Context) error { return w.svc.OrderCompleted(ctx, o) }))
	waitDone("default", relayed(commission.TypeSplit)...)
	_, err = w.svc.SplitOf(w.ctx(), o)
	require.ErrorIs(t, err, commission.ErrSplitNotFound, "completed but unpaid: the task leaves it")

	w.pay(o, 10000) // PaidHook: enqueues the split again
	waitDone("default", relayed(commission.TypeSplit)...)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, commission.StatusPending, sp.Status)

	settle := func() {
		t.Helper()
		id := uuid.NewString()
		_, err := client.Enqueue(asynq.NewTask(commission.TypeSettleSweep, nil), asynq.TaskID(id), asynq.Retention(time.Hour), asynq.Queue(jobs.QueueLow))
		require.NoError(t, err)
		waitDone(jobs.QueueLow, id)
		// The sweep queued one commission:settle per active tenant through the outbox.
		waitDone(jobs.QueueLow, relayed(commission.TypeSettle)...)
	}
	// 23:59 on D+1 in Shanghai: still held.
	clk.Advance(24*time.Hour + 13*time.Hour + 59*time.Minute)
	settle()
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, commission.StatusPending, sp.Status, "inside the holding period")
	require.Equal(t, int64(2000), w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))

	// 00:01 on D+2: released, once, however often the job runs.
	clk.Advance(2 * time.Minute)
	settle()
	settle()
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, commission.StatusSettled, sp.Status)
	require.Zero(t, w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))
	require.Equal(t, int64(2000), w.balance(ledger.Staff(staff).Account(ledger.Available, "CNY")))
	require.Equal(t, int64(6500), w.balance(ledger.Franchisee(w.franchisee).Account(ledger.Available, "CNY")))
	require.Equal(t, int64(1000), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	var settles int64
	require.NoError(t, db.Owner.Raw(`select count(*) from ledger_transactions where tenant_id = ? and kind = ?`, w.tn.ID, commission.KindSettle).Scan(&settles).Error)
	require.Equal(t, int64(1), settles)
	w.checkBooks()
}
