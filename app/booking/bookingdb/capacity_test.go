package bookingdb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/booking"
	"doorstep/app/booking/bookingdb"
	"doorstep/app/booking/slots"
	"doorstep/app/booking/slots/slotsdb"
	"doorstep/app/kit/dbtest"
	"doorstep/app/pricing"
	"doorstep/app/pricing/pricingdb"
	"doorstep/jobs"
)

// slotsCatalog is availability's view of the world's catalogue.
type slotsCatalog struct{ catalogue }

func (c slotsCatalog) VisitLength(context.Context, uuid.UUID, uuid.UUID, []uuid.UUID) (uuid.UUID, int, error) {
	return c.service, 120, nil
}

// checkSlots is booking's view of availability, as wiring builds it.
type checkSlots struct{ s *slots.Service }

func (c checkSlots) Check(ctx context.Context, sc booking.SlotCheck) error {
	_, err := c.s.FreeStaff(ctx, slots.Visit{PackageID: sc.PackageID, At: sc.At, Start: sc.Start, StaffID: sc.StaffID,
		Known: &slots.Known{StoreID: sc.StoreID, ServiceID: sc.ServiceID, Minutes: sc.Minutes}, Moving: sc.Moving})
	return err
}

// withSlots makes the world book against real availability: the store's territory covers the
// address, and the booking service checks every start (capacity included). It returns the
// availability service.
func (w *world) withSlots() *slots.Service {
	w.t.Helper()
	w.exec(`update stores set territory = st_makeenvelope(121.40, 31.20, 121.50, 31.26, 4326) where tenant_id = ? and id = ?`, w.tn.ID, w.store)
	c := catalogue{store: w.store, service: w.service}
	av := slots.NewService(w.db.Tx, slotsdb.New(w.db.Tx), slotsCatalog{c}, w.clk)
	w.pricing = pricing.NewService(w.db.Tx, pricingdb.New(w.db.Tx), c, nil, audit.New(w.db.Tx, auditdb.New(w.db.Tx)), w.clk)
	w.svc = booking.NewService(booking.Deps{DB: w.db.Tx, Repo: bookingdb.New(w.db.Tx), Quotes: w.pricing, Catalog: c, Staff: w.staff,
		Stores: stores{}, Outbox: jobs.NewOutbox(w.db.Tx, w.clk), Clock: w.clk, Slots: checkSlots{av}})
	return av
}

// worker adds a staff member who can serve the world's service at its address at any hour.
func (w *world) worker() uuid.UUID {
	w.t.Helper()
	id, _ := w.member()
	w.exec(`insert into staff_skills (tenant_id, staff_id, id, service_id) values (?, ?, gen_random_uuid(), ?)`, w.tn.ID, id, w.service)
	w.exec(`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min) select ?, ?, wd, 0, 1440 from generate_series(0, 6) wd`, w.tn.ID, id)
	return id
}

// tryBook has customer i book a visit at start (nil error: booked).
func (w *world) tryBook(i int, start time.Time) (booking.Order, error) {
	ctx := w.customer(i)
	q, err := w.pricing.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: start})
	require.NoError(w.t, err)
	return w.svc.Create(ctx, booking.NewOrder{QuoteID: q.ID, Address: "人民广场 1 号"})
}

// freeAt is availability's staff count at start (0: the start is not offered).
func freeAt(t *testing.T, av *slots.Service, ctx context.Context, start time.Time) int {
	t.Helper()
	r, err := av.Availability(ctx, slots.Request{PackageID: uuid.New(), At: here, From: slots.Bound{Time: start}, To: slots.Bound{Time: start.Add(time.Minute)}})
	require.NoError(t, err)
	require.LessOrEqual(t, len(r.Slots), 1)
	if len(r.Slots) == 0 {
		return 0
	}
	require.True(t, r.Slots[0].Start.Equal(start))
	return r.Slots[0].Staff
}

// TestCapacityHolds (issue 17, "Capacity that holds"): with K eligible staff, N concurrent
// customer bookings of one start — none assigned — leave exactly K orders, the rest 409
// slot_unavailable, and availability no longer offers the start. Assigning one of them
// converts its hold (still full); one cancellation frees exactly one place, which one more
// booking takes.
func TestCapacityHolds(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "cap")
	av := w.withSlots()
	const k, n = 4, 12
	staff := make([]uuid.UUID, k)
	for i := range staff {
		staff[i] = w.worker()
	}
	start := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ctx := w.customer(0)
	require.Equal(t, k, freeAt(t, av, ctx, start))

	quotes := make([]uuid.UUID, n)
	for i := range quotes {
		q, err := w.pricing.Quote(w.customer(i%2), pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: start})
		require.NoError(t, err)
		quotes[i] = q.ID
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	orders := make([]booking.Order, n)
	results := make([]error, n)
	for i := range quotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			orders[i], results[i] = w.svc.Create(w.customer(i%2), booking.NewOrder{QuoteID: quotes[i], Address: "人民广场 1 号"})
		}()
	}
	close(gate)
	wg.Wait()
	var booked []booking.Order
	for i, err := range results {
		if err == nil {
			booked = append(booked, orders[i])
			require.Equal(t, booking.Confirmed, orders[i].Status)
			continue
		}
		require.Equal(t, "slot_unavailable", code(err), "%v", err)
	}
	require.Equal(t, k, len(booked), "exactly K bookings hold the K staff")
	var count int64
	require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ? and starts_at = ?`, w.tn.ID, start).Scan(&count).Error)
	require.EqualValues(t, k, count)
	require.Zero(t, freeAt(t, av, ctx, start), "availability no longer offers the start")
	// A start whose visit overlaps the booked ones (with the buffer) is full too; one clear of
	// them is not.
	require.Zero(t, freeAt(t, av, ctx, start.Add(90*time.Minute)))
	require.Equal(t, k, freeAt(t, av, ctx, start.Add(150*time.Minute)))

	// Dispatch assigning one converts its hold into the assignment: still full, not more.
	_, err := w.svc.Assign(w.manager(), booked[0].ID, staff[0])
	require.NoError(t, err)
	require.Zero(t, freeAt(t, av, ctx, start))
	_, err = w.tryBook(0, start)
	require.Equal(t, "slot_unavailable", code(err))

	// One cancellation frees exactly one place.
	_, err = w.svc.Cancel(w.customer(int(slicesIndex(orders, booked[1].ID)%2)), booked[1].ID, "")
	require.NoError(t, err)
	require.Equal(t, 1, freeAt(t, av, ctx, start))
	_, err = w.tryBook(1, start)
	require.NoError(t, err)
	require.Zero(t, freeAt(t, av, ctx, start))
	_, err = w.tryBook(0, start)
	require.Equal(t, "slot_unavailable", code(err))

	// Cancelling the assigned one frees its staff member.
	_, err = w.svc.Cancel(w.manager(), booked[0].ID, "")
	require.NoError(t, err)
	require.Equal(t, 1, freeAt(t, av, ctx, start))
}

// TestCapacityNamedStaff: staff booking on a customer's behalf name a staff member. With two
// staff and one unassigned order at the start, naming either works (the other serves the
// hold); once both are taken, naming anyone is a 409.
func TestCapacityNamedStaff(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "named")
	av := w.withSlots()
	a, b := w.worker(), w.worker()
	start := w.clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	_, err := w.tryBook(0, start)
	require.NoError(t, err)
	require.Equal(t, 1, freeAt(t, av, w.customer(0), start))
	direct := func(staffID uuid.UUID) error {
		ctx := w.manager()
		q, err := w.pricing.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: start, CustomerID: w.customers[1]})
		require.NoError(t, err)
		_, err = w.svc.Create(ctx, booking.NewOrder{QuoteID: q.ID, CustomerID: w.customers[1], Address: "x", StaffID: staffID})
		return err
	}
	require.NoError(t, direct(a), "b serves the unassigned order")
	require.Zero(t, freeAt(t, av, w.customer(0), start))
	require.Equal(t, "slot_unavailable", code(direct(b)), "b is needed by the unassigned order")
}

func slicesIndex(os []booking.Order, id uuid.UUID) int {
	for i, o := range os {
		if o.ID == id {
			return i
		}
	}
	return -1
}
