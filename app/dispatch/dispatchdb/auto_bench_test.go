package dispatchdb_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
)

// BenchmarkAutoDispatch (issue 4, c): one auto-dispatch decision for an order among 1,000
// staff (real staff rows, 300 of them with a visit that day): load the order, take the 50
// nearest eligible, leave out the busy, count workload and history, score and rank. The
// eligibility query itself is stood in for (an in-memory nearest-first list); the rest runs
// against PostgreSQL. Reports p50 and p99 per decision.
func BenchmarkAutoDispatch(b *testing.B) {
	d := dbtest.New(b)
	w := newWorld(b, d, "bench", time.Now().UTC().Truncate(time.Second))
	for range 1000 {
		w.member()
	}
	start := w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour)
	for i, id := range w.staff.order[:300] {
		busyAt := start.Add(time.Duration(3+i%5) * time.Hour)
		o := w.book(busyAt)
		_, err := w.booking.Assign(w.manager(), o.ID, id)
		require.NoError(b, err)
	}
	o := w.book(start)
	ctx := w.manager()
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		cs, err := w.svc.Candidates(ctx, o.ID)
		lat = append(lat, time.Since(t0))
		if err != nil || len(cs) == 0 {
			b.Fatalf("candidates: %d, %v", len(cs), err)
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
