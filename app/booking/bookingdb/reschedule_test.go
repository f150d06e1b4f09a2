package bookingdb_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
)

// reschedule moves order id to start as a store manager.
func (w *world) reschedule(id uuid.UUID, start time.Time) (booking.Order, error) {
	return w.svc.Reschedule(w.manager(), id, start, "")
}

// startOf reads an order's start from the database.
func (w *world) startOf(id uuid.UUID) time.Time {
	w.t.Helper()
	var at time.Time
	require.NoError(w.t, w.db.Owner.Raw(`select starts_at from orders where id = ?`, id).Scan(&at).Error)
	return at
}

// TestRescheduleCapacity (issue 17, "Capacity that holds"): rescheduling an unassigned order
// checks the new start as booking does. Two staff, two unassigned orders at full: moving a
// third order there is a 409 and changes nothing; moving it to a free start works and frees
// its old one; moving one of full's own orders by half an hour works (its own hold is not
// counted against it); off the grid or inside the lead time is a 422.
func TestRescheduleCapacity(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "resched")
	av := w.withSlots()
	w.worker()
	w.worker()
	full := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	old, free := full.Add(4*time.Hour), full.Add(8*time.Hour)
	ctx := w.customer(0)
	first, second := w.book(0, full), w.book(1, full)
	o := w.book(0, old)
	require.Zero(t, freeAt(t, av, ctx, full))
	require.Equal(t, 1, freeAt(t, av, ctx, old))

	_, err := w.reschedule(o.ID, full)
	require.Equal(t, "slot_unavailable", code(err), "%v", err)
	require.True(t, w.startOf(o.ID).Equal(old), "a refused move changes nothing")
	require.Equal(t, 1, freeAt(t, av, ctx, old))

	moved, err := w.reschedule(o.ID, free)
	require.NoError(t, err)
	require.True(t, moved.Start.Equal(free))
	require.True(t, moved.End.Equal(free.Add(120*time.Minute)), "the visit keeps its length")
	require.Equal(t, 2, freeAt(t, av, ctx, old), "the old start frees")
	require.Equal(t, 1, freeAt(t, av, ctx, free), "the new one is held")

	// Half an hour later overlaps first's own hold: only second competes with it.
	_, err = w.reschedule(first.ID, full.Add(30*time.Minute))
	require.NoError(t, err)
	require.Zero(t, freeAt(t, av, ctx, full))
	_, err = w.reschedule(second.ID, full.Add(30*time.Minute))
	require.NoError(t, err)
	require.Zero(t, freeAt(t, av, ctx, full.Add(30*time.Minute)))

	_, err = w.reschedule(o.ID, free.Add(10*time.Minute))
	require.Equal(t, "validation_failed", code(err), "off the slot grid")
	_, err = w.reschedule(o.ID, w.clk.Now().Add(time.Hour).Truncate(30*time.Minute).Add(30*time.Minute))
	require.Equal(t, "validation_failed", code(err), "inside the lead time")
	require.True(t, w.startOf(o.ID).Equal(free))
}

// TestRescheduleAssignedCapacity: an assigned order keeps its staff member when moved, so
// the move must not take someone the unassigned orders at the new time need. Two staff, two
// unassigned orders at full: moving an order assigned to a there is a 409 (it used to be
// accepted, leaving one of them without anyone); moving it to a free start moves the
// assignment; moving it onto its own old window works.
func TestRescheduleAssignedCapacity(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "reschedasg")
	av := w.withSlots()
	a := w.worker()
	w.worker()
	full := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	old, free := full.Add(4*time.Hour), full.Add(8*time.Hour)
	w.book(0, full)
	w.book(1, full)
	x := w.book(0, old)
	_, err := w.svc.Assign(w.manager(), x.ID, a)
	require.NoError(t, err)

	_, err = w.reschedule(x.ID, full)
	require.Equal(t, "slot_unavailable", code(err), "%v", err)
	asg := w.activeAssignment(x.ID)
	require.Equal(t, a, asg.StaffID)
	require.True(t, asg.To.Equal(old.Add(120*time.Minute)), "the assignment stays where it was")

	moved, err := w.reschedule(x.ID, free)
	require.NoError(t, err)
	require.Equal(t, booking.Assigned, moved.Status)
	asg = w.activeAssignment(x.ID)
	require.Equal(t, a, asg.StaffID, "the staff member keeps the job")
	require.True(t, asg.To.Equal(free.Add(120*time.Minute)))
	require.Equal(t, 2, freeAt(t, av, w.customer(0), old))
	require.Equal(t, 1, freeAt(t, av, w.customer(0), free))

	// Overlapping its own assignment is no conflict.
	_, err = w.reschedule(x.ID, free.Add(time.Hour))
	require.NoError(t, err)
}

func (w *world) activeAssignment(orderID uuid.UUID) booking.Assignment {
	w.t.Helper()
	var rows []struct {
		StaffID  uuid.UUID
		From, To time.Time
	}
	require.NoError(w.t, w.db.Owner.Raw(`select staff_id, lower(during) as "from", upper(during) as "to" from assignments
		where order_id = ? and status = 'active'`, orderID).Scan(&rows).Error)
	require.Len(w.t, rows, 1)
	return booking.Assignment{StaffID: rows[0].StaffID, From: rows[0].From, To: rows[0].To}
}

// TestConcurrentReschedulesAndBookings: with K staff, concurrent reschedules (some of
// unassigned orders, some of assigned ones) and new bookings into one start never put more
// than K live orders there: exactly K succeed, the rest are 409 slot_unavailable (or
// staff_busy, an assigned mover racing a conversion), availability shows the start full and
// no staff member has two overlapping assignments.
func TestConcurrentReschedulesAndBookings(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "reschedrace")
	av := w.withSlots()
	const k = 3
	staff := make([]uuid.UUID, k)
	for i := range staff {
		staff[i] = w.worker()
	}
	target := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	// Six orders to move, three at each of two other starts; one at each assigned.
	var movers []booking.Order
	for _, at := range []time.Time{target.Add(4 * time.Hour), target.Add(8 * time.Hour)} {
		for i := range k {
			movers = append(movers, w.book(i%2, at))
		}
	}
	for i, j := range []int{0, k} {
		_, err := w.svc.Assign(w.manager(), movers[j].ID, staff[i])
		require.NoError(t, err)
	}
	const bookings = 6
	type attempt struct {
		move uuid.UUID // nil: a new booking
		err  error
	}
	attempts := make([]attempt, 0, len(movers)+bookings)
	for _, o := range movers {
		attempts = append(attempts, attempt{move: o.ID})
	}
	for range bookings {
		attempts = append(attempts, attempt{})
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range attempts {
		wg.Go(func() {
			<-gate
			if a := &attempts[i]; a.move != uuid.Nil {
				_, a.err = w.reschedule(a.move, target)
			} else {
				_, a.err = w.tryBook(i%2, target)
			}
		})
	}
	close(gate)
	wg.Wait()
	ok := 0
	for _, a := range attempts {
		if a.err == nil {
			ok++
			continue
		}
		require.Contains(t, []string{"slot_unavailable", "staff_busy"}, code(a.err), "%v", a.err)
	}
	require.Equal(t, k, ok, "exactly K of %d attempts succeed", len(attempts))
	var live int64
	require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ? and starts_at = ?
		and status in ('pending_payment', 'confirmed', 'rework', 'assigned', 'accepted')`, w.tn.ID, target).Scan(&live).Error)
	require.EqualValues(t, k, live, "never more live orders at the start than staff")
	require.Zero(t, freeAt(t, av, w.customer(0), target))
	var overlaps int64
	require.NoError(t, d.Owner.Raw(`select count(*) from assignments a join assignments b on a.tenant_id = b.tenant_id
		and a.staff_id = b.staff_id and a.id < b.id and a.during && b.during
		where a.status = 'active' and b.status = 'active'`).Scan(&overlaps).Error)
	require.Zero(t, overlaps)
}
