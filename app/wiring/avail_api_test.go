package wiring_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/staff"
)

type availabilityOut struct {
	StoreID         uuid.UUID `json:"store_id"`
	TimeZone        string    `json:"time_zone"`
	SlotMinutes     int       `json:"slot_minutes"`
	DurationMinutes int       `json:"duration_minutes"`
	EligibleStaff   int       `json:"eligible_staff"`
	PreferredKnown  *bool     `json:"preferred_eligible"`
	Slots           []struct {
		Start     time.Time `json:"start"`
		End       time.Time `json:"end"`
		Staff     int       `json:"staff"`
		Preferred *bool     `json:"preferred"`
	} `json:"slots"`
}

// localStarts renders the slots' starts as hh:mm in zone.
func (a availabilityOut) localStarts(zone *time.Location) []string {
	out := []string{}
	for _, s := range a.Slots {
		out = append(out, s.Start.In(zone).Format("15:04"))
	}
	return out
}

func halfHours(from, to string) []string {
	a, _ := time.Parse("15:04", from)
	b, _ := time.Parse("15:04", to)
	out := []string{}
	for t := a; !t.After(b); t = t.Add(30 * time.Minute) {
		out = append(out, t.Format("15:04"))
	}
	return out
}

// TestAvailabilityAPI: the fixture's only staff member works Mondays 08:00–18:00 at the
// franchised store; a two-hour package there has half-hourly slots 08:00–16:00. Once they hold
// a visit 10:00–12:00 about 4.8 km away (15 minutes' drive at 20 km/h, plus 15 minutes'
// buffer), the slots from 08:00 to 12:00 go: a visit must end, and its travel too, before the
// hold begins, and start 30 minutes after the visit ends.
func TestAvailabilityAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	// The fixture gives the staff member every day 07:00–22:00; this test wants Mondays only.
	_, err := e.app.Staff.SetHours(hqContext(f), f.StaffID, []staff.Hours{{Weekday: 1, Start: "08:00", End: "18:00"}})
	require.NoError(t, err)
	zone, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	monday := time.Now().In(zone).AddDate(0, 0, 1)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, 1)
	}
	day := monday.Format(time.DateOnly)
	q := func(extra string) string {
		return fmt.Sprintf("/api/v1/storefront/availability?package_id=%s&lng=%v&lat=%v&from=%s&to=%s%s", f.PackageID, inTerritory.Lng, inTerritory.Lat, day, day, extra)
	}

	var out availabilityOut
	pub := e.do(http.MethodGet, q(""), "", f.Host, nil).ok(&out)
	require.NotContains(t, string(pub.body), f.StaffID.String(), "the public answer counts staff, never names them")
	require.Equal(t, f.FrStoreID, out.StoreID)
	require.Equal(t, "Asia/Shanghai", out.TimeZone)
	require.Equal(t, 30, out.SlotMinutes)
	require.Equal(t, 120, out.DurationMinutes)
	require.Equal(t, 1, out.EligibleStaff)
	require.Equal(t, halfHours("08:00", "16:00"), out.localStarts(zone))
	for _, s := range out.Slots {
		require.Equal(t, 1, s.Staff)
		require.Nil(t, s.Preferred)
		require.Equal(t, 2*time.Hour, s.End.Sub(s.Start))
	}

	// The add-on lengthens the visit by 30 minutes; the preferred staff member is flagged.
	e.do(http.MethodGet, q("&add_on="+f.AddOnID.String()+"&staff_id="+f.StaffID.String()), "", f.Host, nil).ok(&out)
	require.Equal(t, 150, out.DurationMinutes)
	require.Equal(t, halfHours("08:00", "15:30"), out.localStarts(zone))
	require.True(t, *out.PreferredKnown)
	for _, s := range out.Slots {
		require.True(t, *s.Preferred)
	}

	// A repeated add-on counts twice.
	e.do(http.MethodGet, q("&add_on="+f.AddOnID.String()+"&add_on="+f.AddOnID.String()), "", f.Host, nil).ok(&out)
	require.Equal(t, 180, out.DurationMinutes)
	require.Equal(t, halfHours("08:00", "15:00"), out.localStarts(zone))

	// Staff booking on a customer's behalf sees the same.
	var staffOut availabilityOut
	e.do(http.MethodGet, "/api/v1/availability"+q("")[len("/api/v1/storefront/availability"):], f.Tokens["dispatcher"], "", nil).ok(&staffOut)
	require.Equal(t, halfHours("08:00", "16:00"), staffOut.localStarts(zone))

	// Assign the staff member to an order 10:00–12:00, as the owner.
	ten := time.Date(monday.Year(), monday.Month(), monday.Day(), 10, 0, 0, 0, zone)
	order := uuid.New()
	require.NoError(t, e.db.Owner.Exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		  starts_at, ends_at, location, address, total, currency, created_by)
		values (?, ?, 'AV-1', ?, ?, ?, ?, ?, 'assigned', ?, ?, st_setsrid(st_makepoint(?, ?), 4326)::geography, 'elsewhere', 10000, 'CNY', 'system')`,
		f.Tenant.ID, order, f.CustomerID, f.FrStoreID, f.ServiceID, f.PackageID, f.QuoteID, ten, ten.Add(2*time.Hour),
		inTerritory.Lng+0.05, inTerritory.Lat).Error)
	require.NoError(t, e.db.Owner.Exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
		values (?, ?, ?, ?, tstzrange(?, ?), 'system')`, f.Tenant.ID, uuid.New(), order, f.StaffID, ten.Add(-30*time.Minute), ten.Add(2*time.Hour)).Error)
	e.do(http.MethodGet, q(""), "", f.Host, nil).ok(&out)
	require.Equal(t, halfHours("12:30", "16:00"), out.localStarts(zone))

	// Released, the slots come back.
	require.NoError(t, e.db.Owner.Exec(`update assignments set status = 'released', released_at = now() where order_id = ?`, order).Error)
	e.do(http.MethodGet, q(""), "", f.Host, nil).ok(&out)
	require.Equal(t, halfHours("08:00", "16:00"), out.localStarts(zone))

	// Bad input: 4xx with the field named, never a 500.
	base := "/api/v1/storefront/availability"
	pt := fmt.Sprintf("&lng=%v&lat=%v", inTerritory.Lng, inTerritory.Lat)
	cases := []struct {
		name, path string
		status     int
		code       string
		field      string
	}{
		{"missing package", base + "?lng=121.45&lat=31.15", 400, "invalid_parameter", "query.package_id"},
		{"package not a uuid", base + "?package_id=nope" + pt, 400, "invalid_parameter", "query.package_id"},
		{"add-on not a uuid", base + "?package_id=" + f.PackageID.String() + "&add_on=x" + pt, 422, "validation_failed", "add_on[0]"},
		{"add-on of another service", base + "?package_id=" + f.PackageID.String() + "&add_on=" + uuid.NewString() + pt, 422, "validation_failed", "add_on[0]"},
		{"staff not a uuid", base + "?package_id=" + f.PackageID.String() + "&staff_id=x" + pt, 400, "invalid_parameter", "query.staff_id"},
		{"missing lat", base + "?package_id=" + f.PackageID.String() + "&lng=121.45", 400, "invalid_parameter", "query.lat"},
		{"longitude out of range", base + "?package_id=" + f.PackageID.String() + "&lng=200&lat=31", 400, "invalid_parameter", "query.lng"},
		{"latitude not a number", base + "?package_id=" + f.PackageID.String() + "&lng=121&lat=north", 400, "invalid_parameter", "query.lat"},
		{"from not a date", base + "?package_id=" + f.PackageID.String() + pt + "&from=tomorrow", 422, "validation_failed", "from"},
		{"range over 31 days", base + "?package_id=" + f.PackageID.String() + pt + "&from=" + day + "&to=" + monday.AddDate(0, 0, 40).Format(time.DateOnly), 422, "validation_failed", "to"},
		{"range backwards", base + "?package_id=" + f.PackageID.String() + pt + "&from=" + day + "&to=" + monday.AddDate(0, 0, -1).Format(time.DateOnly), 422, "validation_failed", "to"},
		{"unknown package", base + "?package_id=" + uuid.NewString() + pt, 404, "package_not_found", ""},
		{"address not served", base + "?package_id=" + f.PackageID.String() + "&lng=100&lat=20", 422, "address_not_served", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(http.MethodGet, c.path, "", f.Host, nil)
			r.wantProblem(c.status, c.code)
			if c.field != "" {
				require.Contains(t, string(r.body), fmt.Sprintf(`"location":%q`, c.field), string(r.body))
			}
		})
	}
	t.Run("from as a time", func(t *testing.T) {
		from := url.QueryEscape(time.Date(monday.Year(), monday.Month(), monday.Day(), 12, 0, 0, 0, zone).Format(time.RFC3339))
		e.do(http.MethodGet, base+"?package_id="+f.PackageID.String()+pt+"&from="+from+"&to="+monday.Format(time.DateOnly), "", f.Host, nil).ok(&out)
		require.Equal(t, halfHours("12:00", "16:00"), out.localStarts(zone))
	})
	t.Run("staff route needs orders:create", func(t *testing.T) {
		e.do(http.MethodGet, "/api/v1/availability?package_id="+f.PackageID.String()+pt, f.Tokens["staff"], "", nil).wantProblem(403, "permission_denied")
		e.do(http.MethodGet, "/api/v1/availability?package_id="+f.PackageID.String()+pt, f.CustomerToken, "", nil).wantProblem(403, "wrong_audience")
	})
	t.Run("another tenant's package is unknown", func(t *testing.T) {
		e.do(http.MethodGet, base+"?package_id="+f.PackageID.String()+pt, "", e.B.Host, nil).wantProblem(404, "package_not_found")
	})
}
