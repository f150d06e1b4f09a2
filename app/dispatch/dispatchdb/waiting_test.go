package dispatchdb_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/dispatch"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// runJobs starts the outbox relay and a real asynq server with dispatch's handlers, and plugs
// dispatch into booking the way wiring does.
func (w *world) runJobs() {
	t := w.t
	w.booking.SetDispatcher(w.svc)
	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB, Password: ropt.Password, Username: ropt.Username}
	log := slog.New(slog.DiscardHandler)
	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(w.db.Tx), "", false))
	w.svc.RegisterTasks(mux)
	srv := jobs.NewServer(redis, log, 2)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	relay := jobs.NewRelay(w.db.Tx, client, log, jobs.RelayOptions{Interval: 50 * time.Millisecond})
	go func() { _ = relay.Run(ctx) }()
}

// holder is who holds the order now (uuid.Nil: nobody) and its status.
func (w *world) holder(id uuid.UUID) (uuid.UUID, booking.State) {
	d, err := w.booking.Get(w.manager(), id)
	require.NoError(w.t, err)
	if d.Assignment == nil {
		return uuid.Nil, d.Status
	}
	return d.Assignment.StaffID, d.Status
}

func (w *world) offers(orderID uuid.UUID, kind, status string) map[uuid.UUID]int {
	var rows []struct {
		StaffID uuid.UUID
		Round   int
	}
	require.NoError(w.t, w.db.Owner.Raw(`select staff_id, round from dispatch_offers where tenant_id = ? and order_id = ? and kind = ? and status = ?`,
		w.tn.ID, orderID, kind, status).Scan(&rows).Error)
	out := map[uuid.UUID]int{}
	for _, r := range rows {
		out[r.StaffID] = r.Round
	}
	return out
}

func (w *world) waitingTasksSent(orderID uuid.UUID) bool {
	var n int64
	require.NoError(w.t, w.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ? and payload->>'order_id' = ? and enqueued_at is null`,
		w.tn.ID, dispatch.TypeWaiting, orderID.String()).Scan(&n).Error)
	return n == 0
}

// TestConfirmationDispatchesAutoAndDecline: in auto mode a booking created confirmed (pay
// after service) is assigned to the best candidate by the dispatch task the booking's own
// transaction enqueued; each decline reassigns at once to the next candidate, never to
// someone who declined; a prepaid booking is dispatched only once its payment confirms it.
func TestConfirmationDispatchesAutoAndDecline(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "autodecl", time.Now().UTC())
	first, firstUser := w.member()
	second, secondUser := w.member()
	third, _ := w.member()
	w.setMode("auto", 5)
	w.runJobs()
	start := w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour)

	o := w.book(start)
	require.Equal(t, booking.Confirmed, o.Status, "pay after service: confirmed at once, nobody assigned inline")
	var n int64
	require.NoError(t, d.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ?`, w.tn.ID, dispatch.TypeWaiting).Scan(&n).Error)
	require.EqualValues(t, 1, n, "the booking's transaction enqueued the dispatch task")
	require.Eventually(t, func() bool { s, _ := w.holder(o.ID); return s == first }, 20*time.Second, 50*time.Millisecond, "auto-assigned to the best candidate")

	_, err := w.booking.Decline(w.staffCtx(firstUser), o.ID, "sick")
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := w.holder(o.ID); return s == second }, 20*time.Second, 50*time.Millisecond, "reassigned to the next candidate")
	require.Contains(t, w.offers(o.ID, dispatch.KindAuto, dispatch.OfferDeclined), first, "the decliner's auto offer is closed as declined")

	_, err = w.booking.Decline(w.staffCtx(secondUser), o.ID, "too far")
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := w.holder(o.ID); return s == third }, 20*time.Second, 50*time.Millisecond, "neither decliner gets it back")
	_, st := w.holder(o.ID)
	require.Equal(t, booking.Assigned, st)

	// A duplicate of the first task changes nothing: the order is assigned.
	require.NoError(t, w.svc.Waiting(w.base, dispatch.WaitingPayload{OrderID: o.ID, Cause: booking.WaitingCreated}))
	s, _ := w.holder(o.ID)
	require.Equal(t, third, s)

	// Prepaid: nothing is dispatched while the payment is pending; confirming it dispatches.
	set, err := w.booking.Settings(w.manager())
	require.NoError(t, err)
	set.PaymentMode = "prepay"
	_, err = w.booking.SetSettings(w.manager(), set)
	require.NoError(t, err)
	p := w.book(start.Add(4 * time.Hour))
	require.Equal(t, booking.PendingPayment, p.Status)
	require.NoError(t, d.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ? and payload->>'order_id' = ?`,
		w.tn.ID, dispatch.TypeWaiting, p.ID.String()).Scan(&n).Error)
	require.Zero(t, n, "pending payment is not dispatched")
	_, err = w.booking.ConfirmPayment(w.base, p.ID)
	require.NoError(t, err)
	// (third wins it: they serve this customer already, which outweighs first's 2 km.)
	require.Eventually(t, func() bool { s, _ := w.holder(p.ID); return s == third }, 20*time.Second, 50*time.Millisecond, "dispatched once paid")
}

// TestConfirmationDispatchesManualAndPool: in manual mode confirmation dispatches nothing and
// the order waits on the board; in pool mode the offers go out to the top pool_size staff.
func TestConfirmationDispatchesManualAndPool(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "manpool", time.Now().UTC())
	a, _ := w.member()
	b, _ := w.member()
	w.member()
	w.runJobs()
	start := w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour)

	m := w.book(start)
	require.Eventually(t, func() bool { return w.waitingTasksSent(m.ID) }, 20*time.Second, 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the handler runs right after the relay hands the task over
	s, st := w.holder(m.ID)
	require.Equal(t, uuid.Nil, s)
	require.Equal(t, booking.Confirmed, st)
	require.Empty(t, w.offers(m.ID, dispatch.KindPool, dispatch.OfferOffered))
	bd, err := w.svc.Board(w.manager(), w.store, start.In(w.tn.Location()).Format(time.DateOnly))
	require.NoError(t, err)
	require.Len(t, bd.Unassigned, 1)
	require.Equal(t, m.ID, bd.Unassigned[0].ID, "manual: waits on the dispatcher's board")

	w.setMode("pool", 2)
	p := w.book(start.Add(3 * time.Hour))
	require.Eventually(t, func() bool { return len(w.offers(p.ID, dispatch.KindPool, dispatch.OfferOffered)) == 2 }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, map[uuid.UUID]int{a: 1, b: 1}, w.offers(p.ID, dispatch.KindPool, dispatch.OfferOffered), "round 1 to the top two")
	_, st = w.holder(p.ID)
	require.Equal(t, booking.Confirmed, st, "pool: waits for a taker")
}

// TestPoolRoundsThenAtRisk: nobody takes round 1 before it expires (a real delayed asynq task)
// → the next pool_size staff not yet offered get round 2; when the last open offer of a round
// is declined, the next round goes out at once; after the store's pool_rounds the order is
// flagged at risk on the board instead of being offered forever.
func TestPoolRoundsThenAtRisk(t *testing.T) {
	d := dbtest.New(t)
	real := time.Now().UTC()
	// Round 1's offers expire (clock + 10 min) about three seconds from now in real time.
	w := newWorld(t, d, "rounds", real.Add(-10*time.Minute+3*time.Second))
	var staff []uuid.UUID
	users := map[uuid.UUID]uuid.UUID{}
	for range 7 {
		id, u := w.member()
		staff, users[id] = append(staff, id), u
	}
	_, err := w.booking.SetDispatchSettings(w.manager(), booking.DispatchSettings{StoreID: w.store, Mode: "pool", PoolSize: 2, PoolRounds: 3})
	require.NoError(t, err)
	w.runJobs()
	o := w.book(w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour))
	require.Eventually(t, func() bool { return len(w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered)) == 2 }, 20*time.Second, 50*time.Millisecond)
	w.clk.Advance(time.Hour) // later rounds expire an hour from now: they only end by declines here
	require.Equal(t, map[uuid.UUID]int{staff[0]: 1, staff[1]: 1}, w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered))

	// Round 1 expires through the delayed task: round 2 goes to the next two.
	require.Eventually(t, func() bool { return len(w.offers(o.ID, dispatch.KindPool, dispatch.OfferExpired)) == 2 }, 30*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool { return len(w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered)) == 2 }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, map[uuid.UUID]int{staff[2]: 2, staff[3]: 2}, w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered), "round 2 skips those offered before")

	// Both of round 2 decline: round 3 goes out at once (not in an hour).
	for _, id := range []uuid.UUID{staff[2], staff[3]} {
		var offer uuid.UUID
		require.NoError(t, d.Owner.Raw(`select id from dispatch_offers where tenant_id = ? and order_id = ? and staff_id = ?`, w.tn.ID, o.ID, id).Row().Scan(&offer))
		_, err := w.svc.DeclineOffer(w.staffCtx(users[id]), offer)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered)) == 2 }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, map[uuid.UUID]int{staff[4]: 3, staff[5]: 3}, w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered))

	// A stale duplicate of round 1's task does nothing.
	require.NoError(t, w.svc.PoolRoundOver(w.base, dispatch.PoolRoundPayload{OrderID: o.ID, Round: 1}))
	require.Len(t, w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered), 2)

	// Round 3 of 3 expires: flagged at risk, not offered to the seventh.
	jobCtx := dbx.WithTenant(context.Background(), w.tn.ID) // what the job middleware gives handlers
	require.NoError(t, w.svc.PoolRoundOver(jobCtx, dispatch.PoolRoundPayload{OrderID: o.ID, Round: 3}))
	require.Empty(t, w.offers(o.ID, dispatch.KindPool, dispatch.OfferOffered))
	require.Len(t, w.offers(o.ID, dispatch.KindPool, dispatch.OfferExpired), 4)
	var reason string
	var rounds int
	require.NoError(t, d.Owner.Raw(`select reason, rounds from dispatch_flags where tenant_id = ? and order_id = ?`, w.tn.ID, o.ID).Row().Scan(&reason, &rounds))
	require.Equal(t, dispatch.FlagPoolExhausted, reason)
	require.Equal(t, 3, rounds)
	bd, err := w.svc.Board(w.manager(), w.store, o.Start.In(w.tn.Location()).Format(time.DateOnly))
	require.NoError(t, err)
	require.Len(t, bd.AtRisk, 1, "a day away, yet at risk: dispatch gave up")
	require.Equal(t, o.ID, bd.AtRisk[0].ID)
	require.Equal(t, dispatch.FlagPoolExhausted, bd.AtRisk[0].Flag)

	// The dispatcher opens the pool again by hand: the flag goes, the seventh gets it.
	offs, err := w.svc.Offer(w.manager(), o.ID)
	require.NoError(t, err)
	require.Len(t, offs, 1)
	require.Equal(t, staff[6], offs[0].StaffID)
	require.Equal(t, 4, offs[0].Round)
	require.NoError(t, d.Owner.Raw(`select count(*) from dispatch_flags where tenant_id = ? and order_id = ?`, w.tn.ID, o.ID).Scan(&rounds).Error)
	require.Zero(t, rounds)

	// That extra round is past pool_rounds too: when it ends, the order is flagged again.
	w.clk.Advance(2 * time.Hour)
	require.NoError(t, w.svc.PoolRoundOver(jobCtx, dispatch.PoolRoundPayload{OrderID: o.ID, Round: 4}))
	require.NoError(t, d.Owner.Raw(`select reason from dispatch_flags where tenant_id = ? and order_id = ?`, w.tn.ID, o.ID).Scan(&reason).Error)
	require.Equal(t, dispatch.FlagPoolExhausted, reason)
}

// TestWorkloadCountsTheStoresLocalDay: "today's workload" in ranking counts visits starting on
// the order's local day in the store's time zone, also in a job's context, which carries only
// the tenant id: a 07:00 Shanghai visit (23:00 UTC the day before) counts for a 10:00 order.
func TestWorkloadCountsTheStoresLocalDay(t *testing.T) {
	d := dbtest.New(t)
	now := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	w := newWorld(t, d, "localday", now)
	busy, _ := w.member()
	free, _ := w.member()
	sh := w.tn.Location()
	early := w.book(time.Date(2030, 3, 5, 7, 0, 0, 0, sh)) // 2030-03-04 23:00 UTC
	_, err := w.booking.Assign(w.manager(), early.ID, busy)
	require.NoError(t, err)
	o := w.book(time.Date(2030, 3, 5, 13, 0, 0, 0, sh))

	for name, ctx := range map[string]context.Context{"request": w.manager(), "job": dbx.WithTenant(context.Background(), w.tn.ID)} {
		cs, err := w.svc.Candidates(ctx, o.ID)
		require.NoError(t, err, name)
		load := map[uuid.UUID]int{}
		for _, c := range cs {
			load[c.StaffID] = c.Workload
		}
		require.Equal(t, map[uuid.UUID]int{busy: 1, free: 0}, load, name)
	}
}

// TestWaitingDuplicatesAtOnce: the outbox delivers at least once, so duplicate dispatch tasks
// may run together. Twenty at once for one pool order open exactly one round; for one auto
// order they make exactly one assignment.
func TestWaitingDuplicatesAtOnce(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "dups", time.Now().UTC())
	for range 4 {
		w.member()
	}
	start := w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour)
	run := func(id uuid.UUID) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- w.svc.Waiting(dbx.WithTenant(context.Background(), w.tn.ID), dispatch.WaitingPayload{OrderID: id, Cause: booking.WaitingCreated})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}

	w.setMode("pool", 2)
	p := w.book(start)
	run(p.ID)
	var n, rounds int
	require.NoError(t, d.Owner.Raw(`select count(*), coalesce(max(round), 0) from dispatch_offers where tenant_id = ? and order_id = ?`, w.tn.ID, p.ID).Row().Scan(&n, &rounds))
	require.Equal(t, 2, n, "one round of pool_size offers")
	require.Equal(t, 1, rounds)

	w.setMode("auto", 2)
	a := w.book(start.Add(3 * time.Hour))
	run(a.ID)
	require.NoError(t, d.Owner.Raw(`select count(*) from dispatch_offers where tenant_id = ? and order_id = ?`, w.tn.ID, a.ID).Row().Scan(&n))
	require.Equal(t, 1, n, "one auto attempt")
	var active int
	require.NoError(t, d.Owner.Raw(`select count(*) from assignments where tenant_id = ? and order_id = ? and status = 'active'`, w.tn.ID, a.ID).Row().Scan(&active))
	require.Equal(t, 1, active)
	s, st := w.holder(a.ID)
	require.NotEqual(t, uuid.Nil, s)
	require.Equal(t, booking.Assigned, st)
}
