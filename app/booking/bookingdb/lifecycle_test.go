package bookingdb_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
)

// TestTransitionTable runs EVERY state × action pair through the service: allowed pairs
// reach the state machine's next state and write one order_events row for the action; all
// others are a 409 illegal_transition naming the state and the action, and change nothing.
func TestTransitionTable(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "tt")
	staffID, staffUser := w.member()
	other, _ := w.member()
	_ = other
	base := w.clk.Now().Add(24 * time.Hour).Truncate(time.Hour)

	actorCtx := map[booking.Action]context.Context{
		booking.ConfirmPayment: w.manager(), booking.Assign: w.manager(), booking.Unassign: w.manager(),
		booking.AcceptJob: w.staffCtx(staffUser), booking.Decline: w.staffCtx(staffUser), booking.Depart: w.staffCtx(staffUser),
		booking.Arrive: w.staffCtx(staffUser), booking.Start: w.staffCtx(staffUser), booking.Complete: w.staffCtx(staffUser),
		booking.AcceptByCustomer: w.customer(0), booking.AutoAccept: w.as(nil), booking.RequestRework: w.customer(0),
		booking.Cancel: w.manager(), booking.Reschedule: w.manager(), booking.MarkNoShow: w.manager(), booking.CloseOrder: w.manager(),
	}
	run := func(ctx context.Context, a booking.Action, o booking.Order) error {
		var err error
		switch a {
		case booking.ConfirmPayment:
			_, err = w.svc.ConfirmPayment(ctx, o.ID)
		case booking.Assign:
			_, err = w.svc.Assign(ctx, o.ID, staffID)
		case booking.Unassign:
			_, err = w.svc.Unassign(ctx, o.ID, "table")
		case booking.AcceptJob:
			_, err = w.svc.Accept(ctx, o.ID)
		case booking.Decline:
			_, err = w.svc.Decline(ctx, o.ID, "table")
		case booking.Depart:
			_, err = w.svc.Depart(ctx, o.ID)
		case booking.Arrive:
			_, err = w.svc.Arrive(ctx, o.ID, here)
		case booking.Start:
			_, err = w.svc.Start(ctx, o.ID)
		case booking.Complete:
			_, err = w.svc.Complete(ctx, o.ID, booking.Completion{Notes: "done"})
		case booking.AcceptByCustomer:
			_, err = w.svc.AcceptWork(ctx, o.ID, booking.Acceptance{Code: "123456"})
		case booking.AutoAccept:
			_, err = w.svc.AutoAccept(ctx, o.ID)
		case booking.RequestRework:
			_, err = w.svc.RequestRework(ctx, o.ID, "table")
		case booking.Cancel:
			_, err = w.svc.Cancel(ctx, o.ID, "table")
		case booking.Reschedule:
			_, err = w.svc.Reschedule(ctx, o.ID, o.Start.Add(30*time.Minute), "table")
		case booking.MarkNoShow:
			_, err = w.svc.MarkNoShow(ctx, o.ID, "table")
		case booking.CloseOrder:
			_, err = w.svc.Close(ctx, o.ID, "table")
		default:
			t.Fatalf("no call for action %s", a)
		}
		return err
	}

	i, allowed := 0, 0
	for _, s := range booking.States {
		for _, a := range booking.Actions {
			t.Run(fmt.Sprintf("%s×%s", s, a), func(t *testing.T) {
				start := base.Add(time.Duration(i) * 3 * time.Hour)
				i++
				o := w.book(0, start)
				w.exec(`update orders set status = ?, completed_at = ?, acceptance_code = '123456' where tenant_id = ? and id = ?`,
					string(s), w.clk.Now(), w.tn.ID, o.ID)
				if a != booking.Assign {
					w.exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
						values (?, gen_random_uuid(), ?, ?, tstzrange(?, ?), 'test')`, w.tn.ID, o.ID, staffID, o.Start.Add(-15*time.Minute), o.End)
				}
				var eventsBefore int64
				require.NoError(t, d.Owner.Raw(`select count(*) from order_events where tenant_id = ? and order_id = ?`, w.tn.ID, o.ID).Scan(&eventsBefore).Error)

				want, terr := booking.Transition(s, a)
				err := run(actorCtx[a], a, o)

				var status string
				require.NoError(t, d.Owner.Raw(`select status from orders where tenant_id = ? and id = ?`, w.tn.ID, o.ID).Scan(&status).Error)
				var ev []struct{ FromStatus, ToStatus string }
				require.NoError(t, d.Owner.Raw(`select from_status, to_status from order_events where tenant_id = ? and order_id = ? and action = ?`,
					w.tn.ID, o.ID, string(a)).Scan(&ev).Error)
				if terr == nil {
					allowed++
					require.NoError(t, err, "%s × %s should be allowed", s, a)
					require.Equal(t, string(want), status)
					require.Len(t, ev, 1, "one event for the transition")
					require.Equal(t, string(s), ev[0].FromStatus)
					require.Equal(t, string(want), ev[0].ToStatus)
					return
				}
				require.Error(t, err)
				e, ok := errs.As(err)
				require.True(t, ok, "%v", err)
				require.Equal(t, "illegal_transition", e.Code, "%s × %s: %v", s, a, err)
				require.Equal(t, http.StatusConflict, httpx.StatusOf(e.Kind))
				require.True(t, strings.Contains(e.Detail, string(s)) && strings.Contains(e.Detail, string(a)), e.Detail)
				require.Equal(t, string(s), status, "an illegal action changes nothing")
				require.Empty(t, ev)
				var eventsAfter int64
				require.NoError(t, d.Owner.Raw(`select count(*) from order_events where tenant_id = ? and order_id = ?`, w.tn.ID, o.ID).Scan(&eventsAfter).Error)
				require.Equal(t, eventsBefore, eventsAfter)
			})
		}
	}
	require.Equal(t, len(booking.States)*len(booking.Actions), i, "every pair ran")
	t.Logf("%d state × action pairs, %d allowed", i, allowed)
}

// TestWhoMayAct: the state machine's actor sets hold through the service.
func TestWhoMayAct(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "who")
	staffID, staffUser := w.member()
	_, strangerUser := w.member()
	start := w.clk.Now().Add(72 * time.Hour).Truncate(time.Hour)
	o := w.book(0, start)

	// Another customer of the tenant cannot see or touch the order.
	_, err := w.svc.Get(w.customer(1), o.ID)
	require.Equal(t, "order_not_found", code(err))
	_, err = w.svc.Cancel(w.customer(1), o.ID, "")
	require.Equal(t, "order_not_found", code(err))
	r, err := w.svc.MyOrders(w.customer(1), nil, pageAll)
	require.NoError(t, err)
	require.Empty(t, r.Items)

	// A customer cannot assign; a staff member not assigned cannot accept.
	_, err = w.svc.Assign(w.customer(0), o.ID, staffID)
	require.Equal(t, "action_not_allowed", code(err))
	_, err = w.svc.Assign(w.manager(), o.ID, staffID)
	require.NoError(t, err)
	_, err = w.svc.Accept(w.staffCtx(strangerUser), o.ID)
	require.Equal(t, "order_not_found", code(err))
	_, err = w.svc.Get(w.staffCtx(strangerUser), o.ID)
	require.Equal(t, "order_not_found", code(err))
	jobs, err := w.svc.MyJobs(w.staffCtx(strangerUser), booking.JobsUpcoming, pageAll)
	require.NoError(t, err)
	require.Empty(t, jobs.Items)
	jobs, err = w.svc.MyJobs(w.staffCtx(staffUser), booking.JobsUpcoming, pageAll)
	require.NoError(t, err)
	require.Len(t, jobs.Items, 1)

	// The customer sees who is coming.
	det, err := w.svc.Get(w.customer(0), o.ID)
	require.NoError(t, err)
	require.NotNil(t, det.Staff)
	require.Equal(t, "B0001", det.Staff.BadgeNo)

	// Staff go through the visit; arriving 1 km away is flagged.
	sc := w.staffCtx(staffUser)
	_, err = w.svc.Accept(sc, o.ID)
	require.NoError(t, err)
	_, err = w.svc.Cancel(w.staffCtx(staffUser), o.ID, "")
	require.Error(t, err, "staff cannot cancel")
	_, err = w.svc.Depart(sc, o.ID)
	require.NoError(t, err)
	_, err = w.svc.Cancel(w.customer(0), o.ID, "")
	require.Equal(t, "action_not_allowed", code(err), "customers cannot cancel once staff are on the way")
	_, err = w.svc.Arrive(sc, o.ID, geo.Point{Lng: here.Lng + 0.0105, Lat: here.Lat})
	require.NoError(t, err)
	evs, err := w.svc.Events(w.manager(), o.ID)
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Equal(t, "arrive", last.Action)
	require.Equal(t, true, last.Data["far_from_address"])
	require.NotNil(t, last.Location)
	_, err = w.svc.Start(sc, o.ID)
	require.NoError(t, err)
	_, err = w.svc.Complete(sc, o.ID, booking.Completion{Checklist: []booking.CheckItem{{Item: "kitchen", Done: true}},
		Photos: []string{"https://img.example/1.jpg"}, Extras: []booking.ExtraInput{{Name: "oven", Price: 3000}, {Name: "balcony", Price: 2000}}})
	require.NoError(t, err)
	var outbox int64
	require.NoError(t, d.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ? and process_at > now() + interval '47 hours'`,
		w.tn.ID, booking.TypeAutoAccept).Scan(&outbox).Error)
	require.EqualValues(t, 1, outbox, "auto-accept is scheduled through the outbox")

	det, err = w.svc.Get(w.customer(0), o.ID)
	require.NoError(t, err)
	require.Len(t, det.Extras, 2)
	require.Len(t, det.AcceptanceCode, 6)
	staffView, err := w.svc.Get(sc, o.ID)
	require.NoError(t, err)
	require.Empty(t, staffView.AcceptanceCode, "only the customer sees the code")
	_, err = w.svc.AcceptWork(sc, o.ID, booking.Acceptance{Code: det.AcceptanceCode})
	require.Equal(t, "extras_pending", code(err))
	_, err = w.svc.DecideExtra(sc, o.ID, det.Extras[0].ID, true)
	require.Error(t, err, "staff cannot approve extras")
	got, err := w.svc.DecideExtra(w.customer(0), o.ID, det.Extras[0].ID, true)
	require.NoError(t, err)
	require.Equal(t, o.Total+3000, got.Total)
	got, err = w.svc.DecideExtra(w.customer(0), o.ID, det.Extras[1].ID, false)
	require.NoError(t, err)
	require.Equal(t, o.Total+3000, got.Total, "declined extras are not charged")
	_, err = w.svc.AcceptWork(sc, o.ID, booking.Acceptance{Code: "000000"})
	if det.AcceptanceCode != "000000" {
		require.Equal(t, "acceptance_code_wrong", code(err))
	}
	got, err = w.svc.AcceptWork(sc, o.ID, booking.Acceptance{Code: det.AcceptanceCode})
	require.NoError(t, err)
	require.Equal(t, booking.Completed, got.Status)

	// The auto-accept job finds nothing left to do.
	_, err = w.svc.AutoAccept(w.as(nil), o.ID)
	require.True(t, booking.IsIllegal(err))

	// Rework within the window goes back for a new visit.
	got, err = w.svc.RequestRework(w.customer(0), o.ID, "windows streaky")
	require.NoError(t, err)
	require.Equal(t, booking.Rework, got.Status)
	got, err = w.svc.Assign(w.manager(), o.ID, staffID)
	require.NoError(t, err)
	require.Equal(t, booking.Assigned, got.Status)
	past, err := w.svc.MyJobs(sc, booking.JobsUpcoming, pageAll)
	require.NoError(t, err)
	require.Len(t, past.Items, 1)
}

// TestCancellationFee: free until free_cancel_hours before the start, cancel_fee_bp after.
func TestCancellationFee(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "fee")
	early := w.book(0, w.clk.Now().Add(72*time.Hour).Truncate(time.Hour))
	late := w.book(0, w.clk.Now().Add(5*time.Hour).Truncate(time.Hour))
	o, err := w.svc.Cancel(w.customer(0), early.ID, "plans changed")
	require.NoError(t, err)
	require.Zero(t, o.CancelFee)
	o, err = w.svc.Cancel(w.customer(0), late.ID, "plans changed")
	require.NoError(t, err)
	require.Equal(t, late.Total*2000/10000, o.CancelFee)
	evs, err := w.svc.Events(w.customer(0), late.ID)
	require.NoError(t, err)
	require.EqualValues(t, o.CancelFee, evs[len(evs)-1].Data["cancel_fee"])
	require.Equal(t, "plans changed", evs[len(evs)-1].Reason)
}

// TestIdempotencyAndNumbers: a key replays the stored response, a reused key with another
// body is refused, and order numbers are unique per tenant and day.
func TestIdempotencyAndNumbers(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "jj")
	ctx := w.customer(0)
	calls := 0
	fn := func(ctx context.Context) (int, []byte, error) {
		calls++
		o := w.book(0, w.clk.Now().Add(48*time.Hour).Add(time.Duration(calls)*4*time.Hour).Truncate(time.Hour))
		return 201, []byte(`{"id":"` + o.ID.String() + `"}`), nil
	}
	st, body, replay, err := w.svc.Idempotent(ctx, "k1", "h1", fn)
	require.NoError(t, err)
	require.False(t, replay)
	st2, body2, replay, err := w.svc.Idempotent(ctx, "k1", "h1", fn)
	require.NoError(t, err)
	require.True(t, replay)
	require.Equal(t, st, st2)
	require.JSONEq(t, string(body), string(body2))
	require.Equal(t, 1, calls)
	_, _, _, err = w.svc.Idempotent(ctx, "k1", "h2", fn)
	require.Equal(t, "idempotency_key_reused", code(err))
	// The same key of another customer is another key.
	_, _, replay, err = w.svc.Idempotent(w.customer(1), "k1", "h1", fn)
	require.NoError(t, err)
	require.False(t, replay)

	r, err := w.svc.MyOrders(ctx, nil, pageAll)
	require.NoError(t, err)
	require.Len(t, r.Items, 2)
	day := w.clk.Now().In(w.tn.Location()).Format("20060102")
	require.True(t, strings.HasPrefix(r.Items[0].Number, "JJ"+day+"-"), r.Items[0].Number)
	require.NotEqual(t, r.Items[0].Number, r.Items[1].Number)
	_ = uuid.Nil
}
