package slotsdb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking/slots"
	"doorstep/app/booking/slots/slotsdb"
	"doorstep/app/catalog"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// TestAvailabilityMatchesPerSlotQuery: over three days of a small roster, the sweep's count at
// every start equals the per-slot eligibility query's, so the Go evaluation of hours, leave,
// extra shifts, certificates and travel agrees with the SQL rules.
func TestAvailabilityMatchesPerSlotQuery(t *testing.T) {
	d := dbtest.New(t)
	w := seed(t, d.Owner, 40, 10)
	svc := newService(d)
	ctx := tenantCtx(w)
	last := w.day0.AddDate(0, 0, 6)
	r, err := svc.Availability(ctx, slots.Request{PackageID: w.pkg, At: at,
		From: slots.Bound{IsDate: true, Date: slots.Date{Year: w.day0.Year(), Month: w.day0.Month(), Day: w.day0.Day()}},
		To:   slots.Bound{IsDate: true, Date: slots.Date{Year: last.Year(), Month: last.Month(), Day: last.Day()}}})
	require.NoError(t, err)
	require.Equal(t, w.store, r.StoreID)
	require.Equal(t, 120, r.DurationMinutes)
	require.Equal(t, 30, r.SlotMinutes)
	require.Equal(t, "Asia/Shanghai", r.TimeZone)
	require.Equal(t, 38, r.Eligible, "suspended staff are not eligible")
	require.True(t, r.From.Equal(w.day0) && r.To.Equal(w.day0.AddDate(0, 0, 7)))
	got := map[int64]int{}
	for _, s := range r.Slots {
		got[s.Start.Unix()] = s.Staff
	}
	busy := false
	for s := w.day0; s.Before(w.day0.AddDate(0, 0, 7)); s = s.Add(30 * time.Minute) {
		want, err := naiveCount(ctx, d, w, s, 2*time.Hour)
		require.NoError(t, err)
		require.Equal(t, want, got[s.Unix()], "start %s", s.In(w.zone))
		busy = busy || (want > 0 && want < 38)
	}
	require.True(t, busy, "the seed should leave some slots partly taken")

	// The preferred staff member.
	pref := md5(t, d.Owner, "s1")
	r, err = svc.Availability(ctx, slots.Request{PackageID: w.pkg, At: at, From: slots.Bound{Time: w.day0}, To: slots.Bound{Time: w.day0.AddDate(0, 0, 2)}, PreferredStaffID: pref})
	require.NoError(t, err)
	require.True(t, r.PreferredKnown)
	var prefSlots int
	for _, s := range r.Slots {
		if s.Preferred {
			prefSlots++
			f, err := svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: s.Start, StaffID: pref})
			require.NoError(t, err)
			require.Equal(t, pref, f.Staff[0].StaffID)
		}
	}
	require.Positive(t, prefSlots)

	// FreeStaff, as booking calls it: staff 1 holds a visit at 15:00 on day 1.
	busy15 := w.day0.AddDate(0, 0, 1).Add(15 * time.Hour)
	_, err = svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: busy15, StaffID: pref})
	require.ErrorIs(t, err, slots.ErrSlotUnavailable)
	f, err := svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: busy15})
	require.NoError(t, err)
	require.Len(t, f.Staff, got[busy15.Unix()])
	require.Equal(t, busy15.Add(2*time.Hour), f.End)
	for _, m := range f.Staff {
		require.False(t, m.HoldStart.After(busy15))
		require.NotEqual(t, pref, m.StaffID)
	}
	_, err = svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: busy15.Add(10 * time.Minute)})
	require.Equal(t, errs.Invalid, errs.KindOf(err), "off the grid")
	_, err = svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: time.Now().Add(-time.Hour).Truncate(time.Hour)})
	require.Equal(t, errs.Invalid, errs.KindOf(err), "in the past")
}

func TestAvailabilityErrors(t *testing.T) {
	d := dbtest.New(t)
	w := seed(t, d.Owner, 3, 1)
	svc := newService(d)
	ctx := tenantCtx(w)
	day := slots.Bound{IsDate: true, Date: slots.Date{Year: w.day0.Year(), Month: w.day0.Month(), Day: w.day0.Day()}}
	cases := []struct {
		name string
		req  slots.Request
		want error
	}{
		{"unknown package", slots.Request{PackageID: uuid.New(), At: at}, catalog.ErrPackageNotFound},
		{"address not served", slots.Request{PackageID: w.pkg, At: geo.Point{Lng: 100, Lat: 20}}, catalog.ErrAddressNotServed},
		{"range too long", slots.Request{PackageID: w.pkg, At: at, From: day, To: slots.Bound{Time: w.day0.AddDate(0, 0, 40)}}, nil},
		{"range backwards", slots.Request{PackageID: w.pkg, At: at, From: slots.Bound{Time: w.day0}, To: slots.Bound{Time: w.day0.Add(-time.Hour)}}, nil},
		{"no package", slots.Request{At: at}, nil},
		{"point out of range", slots.Request{PackageID: w.pkg, At: geo.Point{Lng: 200}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.Availability(ctx, c.req)
			require.Error(t, err)
			if c.want != nil {
				require.ErrorIs(t, err, c.want)
			} else {
				require.Equal(t, errs.Invalid, errs.KindOf(err), err.Error())
			}
		})
	}
	// Unpublished: package_unavailable.
	require.NoError(t, d.Owner.Exec(`update catalog_services set status = 'unpublished'`).Error)
	_, err := svc.Availability(ctx, slots.Request{PackageID: w.pkg, At: at})
	require.ErrorIs(t, err, catalog.ErrPackageUnavailable)

	// Another tenant sees nothing of this one.
	other := dbx.WithTenant(context.Background(), uuid.New())
	_, err = svc.Availability(other, slots.Request{PackageID: w.pkg, At: at})
	require.ErrorIs(t, err, catalog.ErrAddressNotServed)
}

// TestHolds: the live orders nobody is assigned to (pending_payment, confirmed, rework) are
// holds, each with the given staff eligible for it; availability and FreeStaff subtract them.
func TestHolds(t *testing.T) {
	d := dbtest.New(t)
	w := seed(t, d.Owner, 6, 1)
	svc := newService(d)
	ctx := tenantCtx(w)
	ten := w.day0.AddDate(0, 0, 1).Add(10 * time.Hour)
	order := func(name, status string, start time.Time, lng float64) uuid.UUID {
		exec := func(sql string) {
			require.NoError(t, d.Owner.Exec(sql, name, start, lng).Error)
		}
		exec(`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
			select md5('t')::uuid, md5('hq'||?)::uuid, md5('st')::uuid, md5('p')::uuid, 'system', cast(? as timestamptz),
			  st_setsrid(st_makepoint(cast(? as float8), 31.12), 4326)::geography, '{}', '[]', 10000, 10000, 'CNY', now()`)
		require.NoError(t, d.Owner.Exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
			  starts_at, ends_at, location, address, total, currency, created_by)
			select md5('t')::uuid, md5('ho'||@n)::uuid, 'H-'||@n, md5('cu')::uuid, md5('st')::uuid, md5('sv')::uuid, md5('p')::uuid, md5('hq'||@n)::uuid, @st,
			  cast(@s as timestamptz), cast(@s as timestamptz) + interval '2 hours', st_setsrid(st_makepoint(cast(@lng as float8), 31.12), 4326)::geography, 'a', 10000, 'CNY', 'system'`,
			map[string]any{"n": name, "st": status, "s": start, "lng": lng}).Error)
		return md5(t, d.Owner, "ho"+name)
	}
	confirmed := order("confirmed", "confirmed", ten, at.Lng)
	pending := order("pending", "pending_payment", ten, at.Lng)
	rework := order("rework", "rework", ten.Add(time.Hour), at.Lng)
	order("cancelled", "cancelled", ten, at.Lng)
	assigned := order("assigned", "confirmed", ten.Add(10*time.Hour), at.Lng)
	require.NoError(t, d.Owner.Exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
		values (md5('t')::uuid, gen_random_uuid(), ?, md5('s6')::uuid, tstzrange(?, ?), 'system')`, assigned, ten.Add(10*time.Hour), ten.Add(12*time.Hour)).Error)
	order("later", "confirmed", ten.AddDate(0, 0, 5), at.Lng)
	order("outside the territory", "confirmed", ten, 121.50)
	// Staff 2's health certificate lapses before the visits: not eligible for them.
	require.NoError(t, d.Owner.Exec(`update staff_certificates set expires_on = ? where staff_id = md5('s2')::uuid and type = 'health'`,
		w.day0.Format(time.DateOnly)).Error)

	staff := make([]uuid.UUID, 6)
	for i := range staff {
		staff[i] = md5(t, d.Owner, fmt.Sprintf("s%d", i+1))
	}
	store := slotsdb.New(d.Tx)
	var holds []slots.Hold
	require.NoError(t, d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		holds, err = store.Holds(ctx, slots.HoldQuery{At: at, From: ten.Add(-24 * time.Hour), To: ten.Add(26 * time.Hour), Staff: staff[:5]})
		return err
	}))
	got := map[uuid.UUID][]uuid.UUID{}
	for _, h := range holds {
		got[h.OrderID] = h.Pool
		require.Equal(t, 2*time.Hour, h.Visit.End.Sub(h.Visit.Start))
		require.Less(t, h.DistanceM, 1.0)
	}
	pool := []uuid.UUID{staff[0], staff[2], staff[3], staff[4]} // not 2 (certificate), not 6 (not asked)
	slices.SortFunc(pool, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	require.Equal(t, map[uuid.UUID][]uuid.UUID{confirmed: pool, pending: pool, rework: pool}, got)

	// Another tenant sees none.
	require.NoError(t, d.Tx.InTx(dbx.WithTenant(context.Background(), uuid.New()), func(ctx context.Context) error {
		other, err := store.Holds(ctx, slots.HoldQuery{At: at, From: ten.Add(-24 * time.Hour), To: ten.Add(26 * time.Hour), Staff: staff})
		require.Empty(t, other)
		return err
	}))

	// Availability and FreeStaff subtract the three holds overlapping a visit at 10:00 (rework
	// 11:00–13:00 included), the two at 10:00 from one at 08:00.
	for _, c := range []struct {
		start time.Time
		holds int
	}{{ten, 3}, {ten.Add(-2 * time.Hour), 2}, {ten.Add(3*time.Hour + 30*time.Minute), 0}} {
		free, err := naiveCount(ctx, d, w, c.start, 2*time.Hour)
		require.NoError(t, err)
		require.Greater(t, free, c.holds)
		r, err := svc.Availability(ctx, slots.Request{PackageID: w.pkg, At: at, From: slots.Bound{Time: c.start}, To: slots.Bound{Time: c.start.Add(time.Minute)}})
		require.NoError(t, err)
		require.Len(t, r.Slots, 1)
		require.Equal(t, free-c.holds, r.Slots[0].Staff, "at %s", c.start.In(w.zone))
		f, err := svc.FreeStaff(ctx, slots.Visit{PackageID: w.pkg, At: at, Start: c.start})
		require.NoError(t, err)
		require.Len(t, f.Staff, free)
		require.Equal(t, free-c.holds, f.Remaining)
	}
}
