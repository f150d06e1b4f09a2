package bookingdb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/pricing"
)

var pageAll = page.Request{Limit: page.MaxLimit}

// TestNoDoubleBooking: 200 different orders for the same slot are assigned to the same staff
// member at once, through the service against the real database. Exactly one wins; the rest
// get 409 staff_busy naming the winner's order; afterwards no two active assignments of any
// staff member overlap.
func TestNoDoubleBooking(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "race")
	staffID, _ := w.member()
	start := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	const n = 200
	orders := make([]booking.Order, n)
	for i := range orders {
		orders[i] = w.book(i%2, start)
	}
	ctx := w.manager()
	var wg sync.WaitGroup
	gate := make(chan struct{})
	results := make([]error, n)
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, results[i] = w.svc.Assign(ctx, orders[i].ID, staffID)
		}()
	}
	close(gate)
	wg.Wait()
	ok, busy := 0, 0
	var winner booking.Order
	for i, err := range results {
		if err == nil {
			ok++
			winner = orders[i]
			continue
		}
		e, isDomain := errs.As(err)
		require.True(t, isDomain, "unexpected error: %v", err)
		require.Equal(t, "staff_busy", e.Code, "%v", err)
		require.Equal(t, errs.Conflict, e.Kind)
		busy++
	}
	require.Equal(t, 1, ok)
	require.Equal(t, n-1, busy)
	for _, err := range results {
		if err != nil {
			e, _ := errs.As(err)
			require.Contains(t, e.Detail, winner.Number, "the conflict names the order holding the slot")
			break
		}
	}
	var overlaps int64
	require.NoError(t, d.Owner.Raw(`select count(*) from assignments a join assignments b on a.tenant_id = b.tenant_id
		and a.staff_id = b.staff_id and a.id < b.id and a.during && b.during
		where a.status = 'active' and b.status = 'active'`).Scan(&overlaps).Error)
	require.Zero(t, overlaps)
	var assigned int64
	require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ? and status = 'assigned'`, w.tn.ID).Scan(&assigned).Error)
	require.EqualValues(t, 1, assigned, "losers stay confirmed, with no event")
}

// TestConcurrentDirectBookings: 200 staff bookings naming the same staff member for the same
// slot (direct assignment inside the create transaction) → one order, 199 × 409, and no
// partial writes: the losers' quotes stay unused.
func TestConcurrentDirectBookings(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "direct")
	staffID, _ := w.member()
	start := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ctx := w.manager()
	const n = 200
	quotes := make([]uuid.UUID, n)
	for i := range quotes {
		q, err := w.pricing.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: start, CustomerID: w.customers[0]})
		require.NoError(t, err)
		quotes[i] = q.ID
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	results := make([]error, n)
	for i := range quotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, results[i] = w.svc.Create(ctx, booking.NewOrder{QuoteID: quotes[i], CustomerID: w.customers[0], Address: "x", StaffID: staffID})
		}()
	}
	close(gate)
	wg.Wait()
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
			continue
		}
		require.Equal(t, "staff_busy", code(err), "%v", err)
	}
	require.Equal(t, 1, ok)
	var orders, used int64
	require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ?`, w.tn.ID).Scan(&orders).Error)
	require.NoError(t, d.Owner.Raw(`select count(*) from quotes where tenant_id = ? and used_at is not null`, w.tn.ID).Scan(&used).Error)
	require.EqualValues(t, 1, orders)
	require.EqualValues(t, 1, used)
}

// TestConcurrentIdempotentBookings: 30 concurrent requests under one Idempotency-Key create
// one order; every request answers with the same status and body.
func TestConcurrentIdempotentBookings(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "idem")
	ctx := w.customer(0)
	q, err := w.pricing.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: w.clk.Now().Add(30 * time.Hour)})
	require.NoError(t, err)
	const n = 30
	bodies := make([]string, n)
	errsOut := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, b, _, err := w.svc.Idempotent(ctx, "same-key", "same-body", func(ctx context.Context) (int, []byte, error) {
				o, err := w.svc.Create(ctx, booking.NewOrder{QuoteID: q.ID, Address: "x"})
				if err != nil {
					return 0, nil, err
				}
				return 201, []byte(`{"id":"` + o.ID.String() + `"}`), nil
			})
			bodies[i], errsOut[i] = string(b), err
		}()
	}
	close(gate)
	wg.Wait()
	for i := range n {
		require.NoError(t, errsOut[i])
		require.Equal(t, bodies[0], bodies[i])
	}
	var orders int64
	require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ?`, w.tn.ID).Scan(&orders).Error)
	require.EqualValues(t, 1, orders)
}
