package bookingdb_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
)

// TestRecurring: a weekly series books its occurrences 14 days ahead, skips a skipped date,
// books nothing while paused and nothing twice when the job runs again.
func TestRecurring(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "rec")
	ctx := w.customer(0)
	first := w.clk.Now().In(w.tn.Location()).AddDate(0, 0, 1).Format(time.DateOnly)
	sr, err := w.svc.CreateSeries(ctx, booking.NewSeries{PackageID: uuid.New(), Location: here, Address: "每周保洁", Frequency: booking.Weekly,
		LocalTime: "09:30", FirstDate: first})
	require.NoError(t, err)
	count := func() int64 {
		var n int64
		require.NoError(t, d.Owner.Raw(`select count(*) from orders where tenant_id = ? and series_id = ?`, w.tn.ID, sr.ID).Scan(&n).Error)
		return n
	}
	require.EqualValues(t, 2, count(), "days 1 and 8 are within 14 days")
	_, err = w.svc.RunRecurring(w.as(nil))
	require.NoError(t, err)
	require.EqualValues(t, 2, count(), "a rerun books nothing twice")

	// Skip the next one, move a week on: the skipped date is not booked, the one after is.
	skip := sr.NextDate.Format(time.DateOnly)
	_, err = w.svc.ChangeSeries(ctx, sr.ID, nil, skip)
	require.NoError(t, err)
	w.clk.Advance(7 * 24 * time.Hour)
	_, err = w.svc.RunRecurring(w.as(nil))
	require.NoError(t, err)
	require.EqualValues(t, 2, count())
	w.clk.Advance(7 * 24 * time.Hour)
	_, err = w.svc.RunRecurring(w.as(nil))
	require.NoError(t, err)
	require.EqualValues(t, 3, count())

	// Paused: nothing more.
	paused := true
	_, err = w.svc.ChangeSeries(ctx, sr.ID, &paused, "")
	require.NoError(t, err)
	w.clk.Advance(14 * 24 * time.Hour)
	_, err = w.svc.RunRecurring(w.as(nil))
	require.NoError(t, err)
	require.EqualValues(t, 3, count())

	// Another customer cannot touch it; the owner sees it.
	_, err = w.svc.ChangeSeries(w.customer(1), sr.ID, &paused, "")
	require.Equal(t, "series_not_found", code(err))
	mine, err := w.svc.MySeries(ctx)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	require.True(t, mine[0].Paused)

	// Occurrences are ordinary orders of the customer.
	r, err := w.svc.MyOrders(ctx, nil, pageAll)
	require.NoError(t, err)
	require.Len(t, r.Items, 3)
	for _, o := range r.Items {
		require.Equal(t, sr.ID, o.SeriesID)
		require.Equal(t, 9, o.Start.In(w.tn.Location()).Hour())
		require.Equal(t, 30, o.Start.In(w.tn.Location()).Minute())
	}
}
