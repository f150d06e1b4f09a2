package slotsdb_test

import (
	"slices"
	"testing"
	"time"

	"doorstep/app/booking/slots"
	"doorstep/app/kit/dbtest"
)

// BenchmarkAvailability measures Service.Availability end to end (catalogue look-ups,
// settings, the three schedule queries and the sweep) for 14 days at one store with 200
// staff and 2,000 active assignments, and reports per-call p50/p95 latency.
//
// The baseline, in the same run on the same data, is the naive design: one eligibility +
// free query per slot (staffdb.EligibleSQL for [start, start + visit) with a not-exists over
// assignments and travel). It runs over the first day's 48 starts; "naive-14d-est-ms" scales
// that to 14 days (× 14), which is what a per-slot design would cost for the same answer.
// Before timing, the sweep's count at each of those 48 starts is checked against it.
//
//	make bench PKGS=./app/booking/slots/... BENCH=Availability
func BenchmarkAvailability(b *testing.B) {
	d := dbtest.New(b)
	w := seed(b, d.Owner, 200, 10)
	svc := newService(d)
	ctx := tenantCtx(w)
	last := w.day0.AddDate(0, 0, 13)
	req := slots.Request{PackageID: w.pkg, At: at,
		From: slots.Bound{IsDate: true, Date: slots.Date{Year: w.day0.Year(), Month: w.day0.Month(), Day: w.day0.Day()}},
		To:   slots.Bound{IsDate: true, Date: slots.Date{Year: last.Year(), Month: last.Month(), Day: last.Day()}}}
	const visit = 2 * time.Hour

	// Correctness first: the sweep and the per-slot query agree on day one.
	r, err := svc.Availability(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	got := map[int64]int{}
	for _, s := range r.Slots {
		got[s.Start.Unix()] = s.Staff
	}
	for s := w.day0; s.Before(w.day0.AddDate(0, 0, 1)); s = s.Add(30 * time.Minute) {
		want, err := naiveCount(ctx, d, w, s, visit)
		if err != nil {
			b.Fatal(err)
		}
		if got[s.Unix()] != want {
			b.Fatalf("at %s the sweep counts %d staff, the per-slot query %d", s.In(w.zone), got[s.Unix()], want)
		}
	}
	b.Logf("14 days: %d slots, %d eligible staff, %d assignments", len(r.Slots), r.Eligible, w.jobs)

	latency := func(b *testing.B, op func()) []time.Duration {
		op() // warm the connection's statement cache
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			op()
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(ds)
		return ds
	}
	pct := func(ds []time.Duration, p float64) float64 {
		i := int(float64(len(ds)-1) * p)
		return float64(ds[i].Microseconds()) / 1000
	}
	var sweepP50 float64
	b.Run("sweep-14d", func(b *testing.B) {
		ds := latency(b, func() {
			if _, err := svc.Availability(ctx, req); err != nil {
				b.Fatal(err)
			}
		})
		sweepP50 = pct(ds, 0.5)
		b.ReportMetric(sweepP50, "p50-ms")
		b.ReportMetric(pct(ds, 0.95), "p95-ms")
		b.ReportMetric(float64(len(ds)), "runs")
	})
	b.Run("naive-per-slot-1d", func(b *testing.B) {
		ds := latency(b, func() {
			for s := w.day0; s.Before(w.day0.AddDate(0, 0, 1)); s = s.Add(30 * time.Minute) {
				if _, err := naiveCount(ctx, d, w, s, visit); err != nil {
					b.Fatal(err)
				}
			}
		})
		p50 := pct(ds, 0.5)
		b.ReportMetric(p50, "p50-ms")
		b.ReportMetric(pct(ds, 0.95), "p95-ms")
		b.ReportMetric(p50*14, "naive-14d-est-ms")
		if sweepP50 > 0 {
			b.ReportMetric(p50*14/sweepP50, "naive÷sweep")
		}
	})
}
