package staffdb_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/staff"
)

var (
	inside  = geo.Point{Lng: 121.45, Lat: 31.15} // inside the store's territory
	outside = geo.Point{Lng: 121.60, Lat: 31.15} // east of it, about 14 km from inside
)

func TestEligible(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "alpha")
	monday10, monday12 := shanghai(2030, 1, 7, 10, 0), shanghai(2030, 1, 7, 12, 0)
	square := func(lng, lat float64) *geo.Polygon {
		return &geo.Polygon{Type: "Polygon", Coordinates: [][][2]float64{{{lng - .02, lat - .02}, {lng + .02, lat - .02}, {lng + .02, lat + .02}, {lng - .02, lat + .02}, {lng - .02, lat - .02}}}}
	}
	type tc struct {
		name    string
		mod     func(*staff.NewStaff)
		after   func(id uuid.UUID)
		service uuid.UUID // default S1
		at      *geo.Point
		start   time.Time
		end     time.Time
		want    bool
	}
	cases := []tc{
		{name: "baseline: service skill", want: true},
		{name: "category skill", mod: func(n *staff.NewStaff) { n.Skills = []staff.Skill{{CategoryID: w.child}} }, want: true},
		{name: "parent category skill", mod: func(n *staff.NewStaff) { n.Skills = []staff.Skill{{CategoryID: w.root}} }, want: true},
		{name: "no skill for the service", mod: func(n *staff.NewStaff) {
			n.Skills = []staff.Skill{{ServiceID: w.s3}, {CategoryID: w.other}}
		}, want: false},
		{name: "no skills at all", mod: func(n *staff.NewStaff) { n.Skills = nil }, want: false},

		{name: "level below minimum", service: w.s2, mod: func(n *staff.NewStaff) {
			n.LevelID, n.Skills = w.levels[1], []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) { w.cert(id, "electrician", "", true) }, want: false},
		{name: "level equal to minimum", service: w.s2, mod: func(n *staff.NewStaff) {
			n.LevelID, n.Skills = w.levels[2], []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) { w.cert(id, "electrician", "", true) }, want: true},
		{name: "level above minimum", service: w.s2, mod: func(n *staff.NewStaff) {
			n.LevelID, n.Skills = w.levels[3], []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) { w.cert(id, "electrician", "", true) }, want: true},
		{name: "no level, service with a minimum", service: w.s2, mod: func(n *staff.NewStaff) {
			n.LevelID, n.Skills = uuid.Nil, []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) { w.cert(id, "electrician", "", true) }, want: false},
		{name: "no level, service without a minimum", mod: func(n *staff.NewStaff) { n.LevelID = uuid.Nil }, want: true},

		{name: "service-required certificate missing", service: w.s2, mod: func(n *staff.NewStaff) {
			n.Skills = []staff.Skill{{ServiceID: w.s2}}
		}, want: false},
		{name: "service-required certificate pending", service: w.s2, mod: func(n *staff.NewStaff) {
			n.Skills = []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) { w.cert(id, "electrician", "", false) }, want: false},
		{name: "service-required certificate rejected", service: w.s2, mod: func(n *staff.NewStaff) {
			n.Skills = []staff.Skill{{ServiceID: w.s2}}
		}, after: func(id uuid.UUID) {
			c := w.cert(id, "electrician", "", false)
			_, err := w.svc.Review(w.ctx, id, c, false, "blurred scan")
			require.NoError(t, err)
		}, want: false},
		{name: "non-mandatory certificate not required by the service", mod: func(n *staff.NewStaff) {}, want: true},
		{name: "mandatory certificate missing", after: func(id uuid.UUID) {
			w.exec(`delete from staff_certificates where staff_id = ? and type = 'health'`, id)
		}, want: false},
		{name: "mandatory certificate expired before the interval", after: func(id uuid.UUID) {
			w.exec(`update staff_certificates set expires_on = '2030-01-06' where staff_id = ? and type = 'health'`, id)
		}, want: false},
		{name: "mandatory certificate valid through the interval's day", after: func(id uuid.UUID) {
			w.exec(`update staff_certificates set expires_on = '2030-01-07' where staff_id = ? and type = 'health'`, id)
		}, want: true},
		{name: "mandatory certificate marked expired", after: func(id uuid.UUID) {
			w.exec(`update staff_certificates set status = 'expired' where staff_id = ? and type = 'id_card'`, id)
		}, want: false},
		{name: "an expired and a renewed approved certificate", after: func(id uuid.UUID) {
			w.exec(`update staff_certificates set status = 'expired' where staff_id = ? and type = 'id_card'`, id)
			w.cert(id, "id_card", "2035-01-01", true)
		}, want: true},

		{name: "onboarding", mod: func(n *staff.NewStaff) { n.Status = staff.StatusOnboarding }, want: false},
		{name: "suspended", mod: func(n *staff.NewStaff) { n.Status = staff.StatusSuspended }, want: false},
		{name: "left", mod: func(n *staff.NewStaff) { n.Status = staff.StatusLeft }, want: false},

		{name: "leave overlapping the interval", after: func(id uuid.UUID) {
			_, err := w.svc.AddException(w.ctx, id, staff.NewException{Kind: staff.ExceptionLeave, Start: shanghai(2030, 1, 7, 11, 0), End: shanghai(2030, 1, 7, 15, 0)})
			require.NoError(t, err)
		}, want: false},
		{name: "leave ending as the interval starts", after: func(id uuid.UUID) {
			_, err := w.svc.AddException(w.ctx, id, staff.NewException{Kind: staff.ExceptionLeave, Start: shanghai(2030, 1, 7, 8, 0), End: monday10})
			require.NoError(t, err)
		}, want: true},
		{name: "partly outside working hours", start: shanghai(2030, 1, 7, 17, 0), end: shanghai(2030, 1, 7, 19, 0), want: false},
		{name: "inside a second range of the day", mod: func(n *staff.NewStaff) {
			n.Hours = append(n.Hours, staff.Hours{Weekday: 1, Start: "19:00", End: "22:00"})
		}, start: shanghai(2030, 1, 7, 19, 0), end: shanghai(2030, 1, 7, 21, 0), want: true},
		{name: "day without hours (Sunday)", start: shanghai(2030, 1, 6, 10, 0), end: shanghai(2030, 1, 6, 12, 0), want: false},
		{name: "extra shift on Sunday", start: shanghai(2030, 1, 6, 10, 0), end: shanghai(2030, 1, 6, 12, 0), after: func(id uuid.UUID) {
			_, err := w.svc.AddException(w.ctx, id, staff.NewException{Kind: staff.ExceptionExtra, Start: shanghai(2030, 1, 6, 9, 0), End: shanghai(2030, 1, 6, 13, 0)})
			require.NoError(t, err)
		}, want: true},
		{name: "extra shift but leave as well", start: shanghai(2030, 1, 6, 10, 0), end: shanghai(2030, 1, 6, 12, 0), after: func(id uuid.UUID) {
			_, err := w.svc.AddException(w.ctx, id, staff.NewException{Kind: staff.ExceptionExtra, Start: shanghai(2030, 1, 6, 9, 0), End: shanghai(2030, 1, 6, 13, 0)})
			require.NoError(t, err)
			_, err = w.svc.AddException(w.ctx, id, staff.NewException{Kind: staff.ExceptionLeave, Start: shanghai(2030, 1, 6, 11, 0), End: shanghai(2030, 1, 6, 12, 0)})
			require.NoError(t, err)
		}, want: false},

		{name: "store territory does not cover the address", at: &outside, want: false},
		{name: "own polygon covers the address", at: &outside, mod: func(n *staff.NewStaff) {
			n.Area = staff.Area{Kind: staff.AreaPolygon, Polygon: square(outside.Lng, outside.Lat)}
		}, want: true},
		{name: "own polygon elsewhere (store territory no longer applies)", mod: func(n *staff.NewStaff) {
			n.Area = staff.Area{Kind: staff.AreaPolygon, Polygon: square(outside.Lng, outside.Lat)}
		}, want: false},
		{name: "radius covers the address", at: &outside, mod: func(n *staff.NewStaff) {
			n.Area = staff.Area{Kind: staff.AreaRadius, Home: &geo.Point{Lng: outside.Lng + 0.02, Lat: outside.Lat}, RadiusM: 3000}
		}, want: true},
		{name: "radius too small", at: &outside, mod: func(n *staff.NewStaff) {
			n.Area = staff.Area{Kind: staff.AreaRadius, Home: &geo.Point{Lng: outside.Lng + 0.02, Lat: outside.Lat}, RadiusM: 1500}
		}, want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := w.member(c.mod)
			if c.after != nil {
				c.after(id)
			}
			q := staff.EligibleQuery{ServiceID: w.s1, At: inside, Start: monday10, End: monday12, Limit: staff.MaxEligibleLimit}
			if c.service != uuid.Nil {
				q.ServiceID = c.service
			}
			if c.at != nil {
				q.At = *c.at
			}
			if !c.start.IsZero() {
				q.Start, q.End = c.start, c.end
			}
			got, err := w.svc.Eligible(w.ctx, q)
			require.NoError(t, err)
			found := false
			for _, cand := range got {
				found = found || cand.StaffID == id
			}
			require.Equal(t, c.want, found)
		})
	}

	t.Run("distance from the last location, else home, else the store", func(t *testing.T) {
		fresh := newWorld(t, db, "dist")
		a := fresh.member(nil)
		b := fresh.member(func(n *staff.NewStaff) {
			n.Area = staff.Area{Kind: staff.AreaStore, Home: &geo.Point{Lng: 121.46, Lat: 31.15}}
		})
		c := fresh.member(nil)
		require.NoError(t, fresh.svc.SetLocation(fresh.ctx, c, geo.Point{Lng: 121.4501, Lat: 31.15}, fresh.clk.Now()))
		got, err := fresh.svc.Eligible(fresh.ctx, staff.EligibleQuery{ServiceID: fresh.s1, At: geo.Point{Lng: 121.4502, Lat: 31.15}, Start: monday10, End: monday12})
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, []uuid.UUID{c, a, b}, []uuid.UUID{got[0].StaffID, got[1].StaffID, got[2].StaffID})
		require.Equal(t, "last_location", got[0].DistanceFrom)
		require.InDelta(t, 9.5, got[0].DistanceM, 1)
		require.Equal(t, "store", got[1].DistanceFrom)
		require.Equal(t, "home", got[2].DistanceFrom)
		require.InDelta(t, 933, got[2].DistanceM, 15)
	})

	t.Run("tenant isolation", func(t *testing.T) {
		other := newWorld(t, db, "bravo")
		theirs := other.member(nil)
		got, err := w.svc.Eligible(w.ctx, staff.EligibleQuery{ServiceID: w.s1, At: inside, Start: monday10, End: monday12, Limit: 500})
		require.NoError(t, err)
		require.NotEmpty(t, got)
		for _, c := range got {
			require.NotEqual(t, theirs, c.StaffID)
		}
		// Tenant B cannot name A's service: to B it does not exist.
		_, err = other.svc.Eligible(other.ctx, staff.EligibleQuery{ServiceID: w.s1, At: inside, Start: monday10, End: monday12})
		require.Equal(t, errs.Invalid, errs.KindOf(err))
		// Nor read A's staff.
		_, err = other.svc.Get(other.ctx, got[0].StaffID)
		require.ErrorIs(t, err, staff.ErrNotFound)
	})

	t.Run("bad queries", func(t *testing.T) {
		for _, q := range []staff.EligibleQuery{
			{At: inside, Start: monday10, End: monday12},
			{ServiceID: w.s1, At: inside, Start: monday12, End: monday10},
			{ServiceID: w.s1, At: geo.Point{Lng: 200}, Start: monday10, End: monday12},
			{ServiceID: w.s1, At: inside, Start: monday10, End: monday10.Add(48 * time.Hour)},
		} {
			_, err := w.svc.Eligible(w.ctx, q)
			require.Equal(t, errs.Invalid, errs.KindOf(err), "%+v: %v", q, err)
		}
	})
}
