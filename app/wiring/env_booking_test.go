package wiring_test

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/pricing"
	"doorstep/tenant"
)

// bookingObjects are a fixture's real orders, for the route walk and the probes.
type bookingObjects struct {
	OrderID  uuid.UUID // confirmed, unassigned
	SeriesID uuid.UUID // weekly, first visit 60 days ahead (nothing booked yet)
}

var bookingFixtures sync.Map // *fixture → *bookingObjects

func bookingOf(f *fixture) *bookingObjects {
	v, _ := bookingFixtures.Load(f)
	return v.(*bookingObjects)
}

// seedBooking makes f's orders (called from seedObjects).
func (e *env) seedBooking(f *fixture) {
	o := &bookingObjects{OrderID: probeOrder(e, f, booking.Confirmed, false)}
	cctx := auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant),
		&auth.Principal{Kind: auth.Customer, TenantID: f.Tenant.ID, SubjectID: f.CustomerID, Scope: auth.ScopeSelf})
	sr, err := e.app.Booking.CreateSeries(cctx, booking.NewSeries{PackageID: f.PackageID, Location: inTerritory, Address: "每周保洁",
		Frequency: booking.Weekly, LocalTime: "09:00", FirstDate: time.Now().AddDate(0, 0, 60).Format(time.DateOnly)})
	require.NoError(e.t, err)
	o.SeriesID = sr.ID
	bookingFixtures.Store(f, o)
	f.Secrets = append(f.Secrets, o.OrderID.String(), o.SeriesID.String())
}

// probeSlot is a fresh three-hour window far enough ahead that nothing else is booked there,
// inside the fixture staff member's working day (07:00–22:00 Shanghai) and on the slot grid,
// so availability accepts it: four a day (08:00, 11:00, 14:00, 17:00) from 40 days ahead.
// The count is the env's, carried on from the world's seeding, so a clone never reuses a slot
// the world booked and many tests do not push the slots past a card's validity.
func (e *env) probeSlot() time.Time {
	n := int(e.probeSlots.Add(1))
	sh, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Now().In(sh).AddDate(0, 0, 40+n/4)
	return time.Date(day.Year(), day.Month(), day.Day(), 8+3*(n%4), 0, 0, 0, sh)
}

// probeOrder books a visit for f's customer through the services, then puts it in state (as
// the database owner, standing in for the steps before it); assigned gives it an active
// assignment of f's staff member, so their own-job operations find it.
func probeOrder(e *env, f *fixture, state booking.State, assigned bool) uuid.UUID {
	ctx := hqContext(f)
	q, err := e.app.Pricing.Quote(ctx, pricing.QuoteRequest{PackageID: f.PackageID, Location: inTerritory, Start: e.probeSlot(), CustomerID: f.CustomerID})
	require.NoError(e.t, err)
	o, err := e.app.Booking.Create(ctx, booking.NewOrder{QuoteID: q.ID, CustomerID: f.CustomerID, Address: "probe address"})
	require.NoError(e.t, err)
	if state != o.Status {
		require.NoError(e.t, e.db.Owner.Exec(`update orders set status = ?, completed_at = now(), acceptance_code = '123456'
			where tenant_id = ? and id = ?`, string(state), f.Tenant.ID, o.ID).Error)
	}
	if assigned {
		require.NoError(e.t, e.db.Owner.Exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
			values (?, gen_random_uuid(), ?, ?, tstzrange(?, ?), 'probe')`, f.Tenant.ID, o.ID, f.StaffID, o.Start.Add(-15*time.Minute), o.End).Error)
	}
	return o.ID
}

// settleDispatch waits until the dispatch tasks written for the order so far have been handed
// to asynq and asynq has nothing due left running or pending, so a test can change the
// store's mode without racing the worker's handling of the order's confirmation.
func (e *env) settleDispatch(f *fixture, orderID uuid.UUID) {
	e.t.Helper()
	ins := asynq.NewInspector(e.app.RedisOpt)
	defer ins.Close()
	require.Eventually(e.t, func() bool {
		var n int64
		require.NoError(e.t, e.db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = 'dispatch:order_waiting'
			and payload->>'order_id' = ? and enqueued_at is null`, f.Tenant.ID, orderID.String()).Scan(&n).Error)
		if n > 0 {
			return false
		}
		for _, q := range []string{"critical", "default", "low"} {
			if qi, err := ins.GetQueueInfo(q); err == nil && qi.Pending+qi.Active > 0 {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "dispatch tasks of %s not settled", orderID)
}
