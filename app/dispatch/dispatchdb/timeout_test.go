package dispatchdb_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/dispatch"
	"doorstep/app/kit/dbtest"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// TestAutoDispatchAcceptTimeout runs auto mode through the outbox, the relay and a real asynq
// server: the best candidate is assigned and does not accept; when the accept timeout fires,
// the order is released and assigned to the next candidate (with a new timeout scheduled).
//
// The manual clock starts just under accept_timeout_minutes before the real time, so the
// first timeout's ProcessAt is about two seconds away in real time; right after dispatching,
// the clock jumps an hour ahead so the next timeout lands far in the future.
func TestAutoDispatchAcceptTimeout(t *testing.T) {
	d := dbtest.New(t)
	real := time.Now().UTC()
	w := newWorld(t, d, "auto", real.Add(-10*time.Minute+2*time.Second))
	first, _ := w.member()
	second, _ := w.member()
	w.member()
	w.setMode("auto", 5)
	o := w.book(w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour))

	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB, Password: ropt.Password, Username: ropt.Username}
	log := slog.New(slog.DiscardHandler)
	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(d.Tx), "", false))
	w.svc.RegisterTasks(mux)
	srv := jobs.NewServer(redis, log, 2)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	relay := jobs.NewRelay(d.Tx, client, log, jobs.RelayOptions{Interval: 100 * time.Millisecond})
	go func() { _ = relay.Run(ctx) }()

	res, err := w.svc.Dispatch(w.manager(), o.ID)
	require.NoError(t, err)
	require.Equal(t, "auto", res.Mode)
	require.Equal(t, booking.Assigned, res.Order.Status)
	w.clk.Advance(time.Hour)
	got, err := w.booking.Get(w.manager(), o.ID)
	require.NoError(t, err)
	require.Equal(t, first, got.Assignment.StaffID, "the best candidate first")

	require.Eventually(t, func() bool {
		got, err = w.booking.Get(w.manager(), o.ID)
		return err == nil && got.Assignment != nil && got.Assignment.StaffID == second
	}, 30*time.Second, 100*time.Millisecond, "not reassigned to the next candidate")
	require.Equal(t, booking.Assigned, got.Status)

	var expired, open int64
	require.NoError(t, d.Owner.Raw(`select count(*) filter (where status = 'expired' and staff_id = ?), count(*) filter (where status = 'offered' and staff_id = ?)
		from dispatch_offers where tenant_id = ? and order_id = ? and kind = 'auto'`, first, second, w.tn.ID, o.ID).Row().Scan(&expired, &open))
	require.EqualValues(t, 1, expired)
	require.EqualValues(t, 1, open)
	var tasks int64
	require.NoError(t, d.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ?`, w.tn.ID, dispatch.TypeAcceptTimeout).Scan(&tasks).Error)
	require.EqualValues(t, 2, tasks, "the next timeout is scheduled")
	events, err := w.booking.Events(w.manager(), o.ID)
	require.NoError(t, err)
	var reasons []string
	for _, e := range events {
		if e.Action == string(booking.Unassign) {
			reasons = append(reasons, e.Reason)
		}
	}
	require.Equal(t, []string{"accept timeout"}, reasons)

	// A late duplicate of the first timeout changes nothing; once accepted, the second is moot.
	require.NoError(t, w.svc.AcceptTimeout(w.base, dispatch.AcceptTimeoutPayload{OrderID: o.ID, StaffID: first, Attempt: 1}))
	_, err = w.booking.Accept(w.base, o.ID)
	require.NoError(t, err)
	require.NoError(t, w.svc.AcceptTimeout(w.base, dispatch.AcceptTimeoutPayload{OrderID: o.ID, StaffID: second, Attempt: 2}))
	got, err = w.booking.Get(w.manager(), o.ID)
	require.NoError(t, err)
	require.Equal(t, booking.Accepted, got.Status)
	require.Equal(t, second, got.Assignment.StaffID)
}
