package wiring_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
)

type reviewView struct {
	ID          uuid.UUID
	OrderID     uuid.UUID  `json:"order_id"`
	StaffID     *uuid.UUID `json:"staff_id"`
	Attitude    int
	Quality     int
	Punctuality int
	Text        string
	Photos      []string
	Reply       string
}

func TestReviewHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cust := f.CustomerToken
	orderID := probeOrder(e, f, booking.Completed, true)
	open := probeOrder(e, f, booking.Assigned, true)
	body := map[string]any{"order_id": orderID, "attitude": 5, "quality": 3, "punctuality": 4, "text": "tidy and quick",
		"photos": []string{"https://example.com/a.jpg"}}

	// Not yet accepted: 409; bad scores: 4xx; another customer: 404.
	e.do(http.MethodPost, "/api/v1/storefront/reviews", cust, "", map[string]any{"order_id": open, "attitude": 5, "quality": 5, "punctuality": 5}).
		wantProblem(http.StatusConflict, "order_not_reviewable")
	bad := e.do(http.MethodPost, "/api/v1/storefront/reviews", cust, "", map[string]any{"order_id": orderID, "attitude": 9, "quality": 5, "punctuality": 5})
	require.True(t, bad.code >= 400 && bad.code < 500, "%d %s", bad.code, bad.body)
	other := signInCustomer(e, f, "+8613800000078")
	e.do(http.MethodPost, "/api/v1/storefront/reviews", other, "", body).wantProblem(http.StatusNotFound, "order_not_found")

	var r reviewView
	e.do(http.MethodPost, "/api/v1/storefront/reviews", cust, "", body).status(http.StatusCreated).ok(&r)
	require.Equal(t, orderID, r.OrderID)
	require.NotNil(t, r.StaffID)
	require.Equal(t, f.StaffID, *r.StaffID)
	require.Equal(t, []string{"https://example.com/a.jpg"}, r.Photos)
	e.do(http.MethodPost, "/api/v1/storefront/reviews", cust, "", body).wantProblem(http.StatusConflict, "already_reviewed")
	e.do(http.MethodGet, "/api/v1/storefront/reviews/"+r.ID.String(), other, "", nil).wantProblem(http.StatusNotFound, "review_not_found")

	// The store replies; the customer sees it.
	e.do(http.MethodPost, "/api/v1/reviews/"+r.ID.String()+"/reply", f.Tokens["owner"], "", map[string]any{"text": "Thank you!"}).ok(nil)
	var mine struct{ Items []reviewView }
	e.do(http.MethodGet, "/api/v1/storefront/reviews", cust, "", nil).ok(&mine)
	var found bool
	for _, x := range mine.Items {
		if x.ID == r.ID {
			found = true
			require.Equal(t, "Thank you!", x.Reply)
		}
	}
	require.True(t, found)
	e.do(http.MethodPost, "/api/v1/reviews/"+r.ID.String()+"/reply", f.Tokens["owner"], "", map[string]any{"text": ""}).status(http.StatusUnprocessableEntity)

	// The aggregate: the seeded review (5, 4, 5) and this one (5, 3, 4).
	var rs []struct {
		StaffID  uuid.UUID `json:"staff_id"`
		Count    int64
		Attitude float64
		Overall  float64
	}
	e.do(http.MethodGet, "/api/v1/staff-ratings?staff_id="+f.StaffID.String(), f.Tokens["owner"], "", nil).ok(&rs)
	require.Len(t, rs, 1)
	require.EqualValues(t, 2, rs[0].Count)
	require.InDelta(t, 5, rs[0].Attitude, 1e-9)
	require.InDelta(t, 26.0/6, rs[0].Overall, 1e-9)
	avg, err := e.app.Review.RatingsOf(hqContext(f), []uuid.UUID{f.StaffID})
	require.NoError(t, err)
	require.InDelta(t, 26.0/6, avg[f.StaffID], 1e-9)

	var list struct{ Total int64 }
	e.do(http.MethodGet, "/api/v1/reviews?staff_id="+f.StaffID.String(), f.Tokens["owner"], "", nil).ok(&list)
	require.EqualValues(t, 2, list.Total)
	e.do(http.MethodGet, "/api/v1/reviews?staff_id=nope", f.Tokens["owner"], "", nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
	bad = e.do(http.MethodGet, "/api/v1/staff-ratings?staff_id=nope", f.Tokens["owner"], "", nil)
	require.True(t, bad.code >= 400 && bad.code < 500, "%d %s", bad.code, bad.body)
}
