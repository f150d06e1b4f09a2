package wiring_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/geo"
)

// TestStaffLocationFeedsETA: while the staff member is on the way, the customer's order view
// shows their last reported position and an ETA from it (distance / the tenant's travel
// speed); location updates are limited per staff member with a 429 location_rate_limited and
// Retry-After.
func TestStaffLocationFeedsETA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	staffTok, cust := f.Tokens["staff"], f.Tokens["customer"]
	id := probeOrder(e, f, booking.Accepted, true).String()
	type view struct {
		Status        string
		StaffLocation *geo.Point `json:"staff_location"`
		ETAMinutes    *int       `json:"eta_minutes"`
	}
	var v view
	e.do(http.MethodGet, "/api/v1/storefront/orders/"+id, cust, "", nil).ok(&v)
	require.Nil(t, v.ETAMinutes, "no ETA before the staff member is on the way")

	// About 1.9 km east of the address: 6 minutes at the default 20 km/h.
	far := geo.Point{Lng: inTerritory.Lng + 0.02, Lat: inTerritory.Lat}
	e.do(http.MethodPut, "/api/v1/me/staff/location", staffTok, "", map[string]any{"location": far}).status(http.StatusOK)
	e.do(http.MethodPost, "/api/v1/me/jobs/"+id+"/depart", staffTok, "", nil).status(http.StatusOK)
	e.do(http.MethodGet, "/api/v1/storefront/orders/"+id, cust, "", nil).ok(&v)
	require.Equal(t, "on_the_way", v.Status)
	require.NotNil(t, v.ETAMinutes)
	require.Equal(t, 6, *v.ETAMinutes)
	require.NotNil(t, v.StaffLocation)
	require.InDelta(t, far.Lng, v.StaffLocation.Lng, 1e-9)

	// Closer, and the tenant travels at 60 km/h: the ETA follows both.
	near := geo.Point{Lng: inTerritory.Lng + 0.005, Lat: inTerritory.Lat}
	e.do(http.MethodPut, "/api/v1/me/staff/location", staffTok, "", map[string]any{"location": near}).status(http.StatusOK)
	settings := map[string]any{"slot_minutes": 30, "travel_kmh": 60, "buffer_minutes": 15, "payment_mode": "pay_after", "free_cancel_hours": 24,
		"cancel_fee_bp": 2000, "auto_accept_hours": 48, "accept_timeout_minutes": 10, "rework_days": 7}
	e.do(http.MethodPut, "/api/v1/booking/settings", f.Tokens["owner"], "", settings).status(http.StatusOK)
	e.do(http.MethodGet, "/api/v1/storefront/orders/"+id, cust, "", nil).ok(&v)
	require.Equal(t, 1, *v.ETAMinutes, "about 0.48 km at 60 km/h")

	// 12 updates a minute per staff member: two are spent; the thirteenth within the minute is refused.
	refused := 0
	for i := 3; i <= 14 && refused == 0; i++ {
		r := e.do(http.MethodPut, "/api/v1/me/staff/location", staffTok, "", map[string]any{"location": near})
		if r.code == http.StatusTooManyRequests {
			refused = i
			r.wantProblem(http.StatusTooManyRequests, "location_rate_limited")
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			require.NoError(t, err, r.header.Get("Retry-After"))
			require.GreaterOrEqual(t, secs, 1)
			continue
		}
		r.status(http.StatusOK)
	}
	require.Contains(t, []int{13, 14}, refused, "the limit is 12 a minute (one more may trickle in meanwhile)")
	// Another tenant's staff member is not held back by this one's budget.
	e.do(http.MethodPut, "/api/v1/me/staff/location", e.B.Tokens["staff"], "", map[string]any{"location": near}).status(http.StatusOK)
}
