package dispatchdb_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/dispatch"
	"doorstep/app/kit/dbtest"
)

// TestPoolFiftyTakers: 50 staff members, each offered the same order, take it at once:
// exactly one wins (assigned and accepted), 49 get 409 offer_taken, one active assignment.
func TestPoolFiftyTakers(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "pool", time.Now().UTC().Truncate(time.Second))
	users := map[uuid.UUID]uuid.UUID{}
	for range 50 {
		id, user := w.member()
		users[id] = user
	}
	w.setMode("pool", 50)
	o := w.book(w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour))
	res, err := w.svc.Dispatch(w.manager(), o.ID)
	require.NoError(t, err)
	require.Equal(t, "pool", res.Mode)
	require.Len(t, res.Offers, 50)
	require.Equal(t, 1, res.Offers[0].Rank)

	_, err = w.svc.Offer(w.manager(), o.ID)
	require.Equal(t, "offers_open", code(err))

	var wg sync.WaitGroup
	start := make(chan struct{})
	errsOut := make([]error, len(res.Offers))
	for i, off := range res.Offers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _, errsOut[i] = w.svc.TakeOffer(w.staffCtx(users[off.StaffID]), off.ID)
		}()
	}
	close(start)
	wg.Wait()
	wins, taken := 0, 0
	var winner uuid.UUID
	for i, err := range errsOut {
		switch code(err) {
		case "":
			wins++
			winner = res.Offers[i].StaffID
		case "offer_taken":
			taken++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	require.Equal(t, 1, wins)
	require.Equal(t, 49, taken)
	var active int64
	require.NoError(t, d.Owner.Raw(`select count(*) from assignments where tenant_id = ? and order_id = ? and status = 'active'`, w.tn.ID, o.ID).Scan(&active).Error)
	require.EqualValues(t, 1, active)
	got, err := w.booking.Get(w.manager(), o.ID)
	require.NoError(t, err)
	require.Equal(t, booking.Accepted, got.Status)
	require.Equal(t, winner, got.Assignment.StaffID)
	var accepted, takenRows int64
	require.NoError(t, d.Owner.Raw(`select count(*) filter (where status = 'accepted'), count(*) filter (where status = 'taken') from dispatch_offers where tenant_id = ? and order_id = ?`,
		w.tn.ID, o.ID).Row().Scan(&accepted, &takenRows))
	require.EqualValues(t, 1, accepted)
	require.EqualValues(t, 49, takenRows)

	// A loser sees the offer as taken; someone else's offer is not found.
	var loser dispatch.Offer
	for _, off := range res.Offers {
		if off.StaffID != winner {
			loser = off
			break
		}
	}
	mine, err := w.svc.MyOffers(w.staffCtx(users[loser.StaffID]))
	require.NoError(t, err)
	require.Len(t, mine, 1)
	require.Equal(t, dispatch.OfferTaken, mine[0].Status)
	_, _, err = w.svc.TakeOffer(w.staffCtx(users[winner]), loser.ID)
	require.Equal(t, "offer_not_found", code(err))
	_, err = w.svc.DeclineOffer(w.staffCtx(users[loser.StaffID]), loser.ID)
	require.Equal(t, "offer_taken", code(err))
}

// TestPoolDeclineAndExpiry: a declined offer cannot be taken; an expired one is 409 offer_expired.
func TestPoolDeclineAndExpiry(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "pooldx", time.Now().UTC().Truncate(time.Second))
	a, ua := w.member()
	_, ub := w.member()
	w.setMode("pool", 5)
	o := w.book(w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour))
	offers, err := w.svc.Offer(w.manager(), o.ID)
	require.NoError(t, err)
	require.Len(t, offers, 2)
	require.Equal(t, a, offers[0].StaffID, "nearest first")
	_, err = w.svc.DeclineOffer(w.staffCtx(ua), offers[0].ID)
	require.NoError(t, err)
	_, _, err = w.svc.TakeOffer(w.staffCtx(ua), offers[0].ID)
	require.Equal(t, "offer_closed", code(err))
	w.clk.Advance(11 * time.Minute)
	_, _, err = w.svc.TakeOffer(w.staffCtx(ub), offers[1].ID)
	require.Equal(t, "offer_expired", code(err))
	_, _, err = w.svc.TakeOffer(w.manager(), offers[1].ID)
	require.Error(t, err, "no staff profile")
}

// TestCandidatesRanking: busy staff are left out; workload, preference and history count.
func TestCandidatesRanking(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "cands", time.Now().UTC().Truncate(time.Second))
	a, _ := w.member()
	b, _ := w.member()
	c, _ := w.member()
	start := w.clk.Now().Add(30 * time.Hour).Truncate(time.Hour)
	first := w.book(start)
	_, err := w.booking.Assign(w.manager(), first.ID, a) // a is busy at that time
	require.NoError(t, err)
	o := w.book(start.Add(30 * time.Minute))
	cs, err := w.svc.Candidates(w.manager(), o.ID)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	require.Equal(t, b, cs[0].StaffID)
	require.Equal(t, c, cs[1].StaffID)
	require.Greater(t, cs[0].Score, cs[1].Score)
	require.NotEmpty(t, cs[0].Reasons)
	require.Equal(t, dispatch.NeutralRating, cs[0].Rating)
}
