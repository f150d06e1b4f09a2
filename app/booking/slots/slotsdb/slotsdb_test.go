package slotsdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking/slots"
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
