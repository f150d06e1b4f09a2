package wiring_test

import (
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/pricing"
)

// bookingProbes covers the area's operations. Attacks aim at tenant A's real order (seeded in
// env_booking_test.go); own calls make a fresh order in the state the operation needs.
func bookingProbes() map[string]probe {
	aOrder := func(suffix string) func(e *env) call {
		return func(e *env) call {
			return call{path: "/api/v1/storefront/orders/" + bookingOf(e.A).OrderID.String() + suffix}
		}
	}
	aStoreOrder := func(suffix string, body any) func(e *env) call {
		return func(e *env) call {
			return call{path: "/api/v1/orders/" + bookingOf(e.A).OrderID.String() + suffix, body: body}
		}
	}
	aJob := func(suffix string, body any) func(e *env) call {
		return func(e *env) call {
			return call{path: "/api/v1/me/jobs/" + bookingOf(e.A).OrderID.String() + suffix, body: body}
		}
	}
	// job makes an order of f's staff member in state and calls its own-job operation.
	job := func(state booking.State, suffix string, body any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/me/jobs/" + probeOrder(e, f, state, true).String() + suffix, body: body}
		}
	}
	store := func(state booking.State, assigned bool, suffix string, body func(e *env, f *fixture) any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			var b any
			if body != nil {
				b = body(e, f)
			}
			return call{path: "/api/v1/orders/" + probeOrder(e, f, state, assigned).String() + suffix, body: b}
		}
	}
	existing := func(suffix string) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/orders/" + bookingOf(f).OrderID.String() + suffix}
		}
	}
	reason := map[string]any{"reason": "probe"}
	settings := map[string]any{"slot_minutes": 30, "travel_kmh": 20, "buffer_minutes": 15, "payment_mode": "pay_after", "free_cancel_hours": 24,
		"cancel_fee_bp": 2000, "auto_accept_hours": 48, "accept_timeout_minutes": 10, "rework_days": 7}
	newQuote := func(e *env, f *fixture) uuid.UUID {
		q, err := e.app.Pricing.Quote(hqContext(f), pricing.QuoteRequest{PackageID: f.PackageID, Location: inTerritory, Start: e.probeSlot(), CustomerID: f.CustomerID})
		require.NoError(e.t, err)
		return q.ID
	}
	return map[string]probe{
		// customers
		"create-my-order": {attack: func(e *env) call {
			return call{path: "/api/v1/storefront/orders", body: map[string]any{"quote_id": e.A.QuoteID, "address": "spy"}}
		}},
		"list-my-orders":       {attack: p("/api/v1/storefront/orders")},
		"get-my-order":         {object: true, attack: aOrder("")},
		"list-my-order-events": {object: true, attack: aOrder("/events")},
		"cancel-my-order":      {object: true, attack: aOrder("/cancel")},
		"decide-my-order-extra": {object: true, attack: func(e *env) call {
			c := aOrder("/extras/" + uuid.NewString() + "/decision")(e)
			c.body = map[string]any{"approve": true}
			return c
		}},
		"accept-my-order":         {object: true, attack: func(e *env) call { c := aOrder("/accept")(e); c.body = map[string]any{"code": "123456"}; return c }},
		"request-my-order-rework": {object: true, attack: aOrder("/rework")},
		"create-my-series": {attack: func(e *env) call {
			return call{path: "/api/v1/storefront/series", body: map[string]any{"package_id": e.A.PackageID, "location": inTerritory, "address": "spy",
				"frequency": "weekly", "local_time": "09:00", "first_date": time.Now().AddDate(0, 0, 90).Format(time.DateOnly)}}
		}},
		"list-my-series": {attack: p("/api/v1/storefront/series")},
		"update-my-series": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/storefront/series/" + bookingOf(e.A).SeriesID.String(), body: map[string]any{"paused": true}}
		}},

		// staff, own jobs
		"list-my-jobs":   {own: func(e *env, f *fixture) call { return call{path: "/api/v1/me/jobs?when=upcoming"} }},
		"get-my-job":     {object: true, attack: aJob("", nil), own: job(booking.Assigned, "", nil)},
		"accept-my-job":  {object: true, attack: aJob("/accept", nil), own: job(booking.Assigned, "/accept", nil)},
		"decline-my-job": {object: true, attack: aJob("/decline", reason), own: job(booking.Assigned, "/decline", reason)},
		"depart-my-job":  {object: true, attack: aJob("/depart", nil), own: job(booking.Accepted, "/depart", nil)},
		"arrive-my-job": {object: true, attack: aJob("/arrive", map[string]any{"location": inTerritory}),
			own: job(booking.OnTheWay, "/arrive", map[string]any{"location": inTerritory})},
		"start-my-job": {object: true, attack: aJob("/start", nil), own: job(booking.Arrived, "/start", nil)},
		"complete-my-job": {object: true, attack: aJob("/complete", map[string]any{"notes": "x"}),
			own: job(booking.InService, "/complete", map[string]any{"notes": "done", "extras": []map[string]any{{"name": "oven", "price": 3000}}})},
		"accept-my-job-for-customer": {object: true, attack: aJob("/acceptance", map[string]any{"code": "123456"}),
			own: job(booking.AwaitingAcceptance, "/acceptance", map[string]any{"code": "123456"})},

		// store side
		"create-order": {own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/orders", body: map[string]any{"quote_id": newQuote(e, f), "customer_id": f.CustomerID, "address": "代客下单"}}
		}},
		"list-orders":       {own: func(e *env, f *fixture) call { return call{path: "/api/v1/orders?status=confirmed"} }},
		"get-order":         {object: true, attack: aStoreOrder("", nil), own: existing("")},
		"list-order-events": {object: true, attack: aStoreOrder("/events", nil), own: existing("/events")},
		"cancel-order":      {object: true, attack: aStoreOrder("/cancel", reason), own: store(booking.Confirmed, false, "/cancel", nil)},
		"reschedule-order": {object: true, attack: aStoreOrder("/reschedule", map[string]any{"start": time.Now().Add(100 * 24 * time.Hour)}),
			own: store(booking.Confirmed, false, "/reschedule", func(e *env, f *fixture) any { return map[string]any{"start": e.probeSlot()} })},
		"mark-order-no-show":      {object: true, attack: aStoreOrder("/no-show", reason), own: store(booking.Arrived, true, "/no-show", nil)},
		"close-order":             {object: true, attack: aStoreOrder("/close", nil), own: store(booking.Completed, false, "/close", nil)},
		"reopen-order-for-rework": {object: true, attack: aStoreOrder("/rework", reason), own: store(booking.Completed, false, "/rework", nil)},
		"assign-order": {object: true, attack: func(e *env) call { return aStoreOrder("/assign", map[string]any{"staff_id": e.A.StaffID})(e) },
			own: store(booking.Confirmed, false, "/assign", func(e *env, f *fixture) any { return map[string]any{"staff_id": f.StaffID} })},
		"unassign-order": {object: true, attack: aStoreOrder("/unassign", nil), own: store(booking.Assigned, true, "/unassign", nil)},

		"get-booking-settings": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/booking/settings"} }},
		"set-booking-settings": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/booking/settings", body: settings} }},
		"get-store-dispatch-settings": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/stores/" + e.A.FrStoreID.String() + "/dispatch-settings"}
		},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/stores/" + f.FrStoreID.String() + "/dispatch-settings"}
			}},
		"set-store-dispatch-settings": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/stores/" + e.A.FrStoreID.String() + "/dispatch-settings", body: map[string]any{"mode": "auto", "pool_size": 5}}
		}, own: func(e *env, f *fixture) call {
			// manual: pool or auto would make the worker dispatch the orders later probes create
			return call{path: "/api/v1/stores/" + f.FrStoreID.String() + "/dispatch-settings", body: map[string]any{"mode": "manual", "pool_size": 5, "pool_rounds": 2}}
		}},
	}
}
