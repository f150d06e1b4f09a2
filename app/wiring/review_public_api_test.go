package wiring_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/review"
)

type publicReviews struct {
	Items []struct {
		ID          uuid.UUID
		Reviewer    string
		StaffName   string `json:"staff_name"`
		Attitude    int
		Quality     int
		Punctuality int
		Text        string
		Photos      []string
		Reply       string
	}
	Total   int64
	Summary struct {
		Count                          int64
		Average                        float64
		Attitude, Quality, Punctuality float64
	}
}

// TestPublicReviews: anyone on the storefront reads a service's or a staff member's
// published reviews, newest first and paged, with scores, text, photos and the store's reply,
// the reviewer's name masked, and the aggregate; reviews the store hides are left out (of the
// aggregate too); another tenant's service or staff member is not found.
func TestPublicReviews(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	require.NoError(t, e.db.Owner.Exec(`update customers set name = '张三丰' where tenant_id = ? and id = ?`, f.Tenant.ID, f.CustomerID).Error)
	seeded := reviewOf(f).ReviewID // 5, 4, 5 "seeded review", one photo
	e.do(http.MethodPost, "/api/v1/reviews/"+seeded.String()+"/reply", f.Tokens["owner"], "", map[string]any{"text": "谢谢!"}).ok(nil)
	newer, err := e.app.Review.Create(customerContext(f), review.NewReview{OrderID: probeOrder(e, f, booking.Completed, true), Attitude: 3, Quality: 3, Punctuality: 3, Text: "还行"})
	require.NoError(t, err)
	hidden, err := e.app.Review.Create(customerContext(f), review.NewReview{OrderID: probeOrder(e, f, booking.Completed, true), Attitude: 1, Quality: 1, Punctuality: 1, Text: "abuse"})
	require.NoError(t, err)
	var rec struct {
		HiddenAt *string `json:"hidden_at"`
	}
	e.do(http.MethodPut, "/api/v1/reviews/"+hidden.ID.String()+"/visibility", f.Tokens["owner"], "", map[string]any{"hidden": true}).ok(&rec)
	require.NotNil(t, rec.HiddenAt)
	e.do(http.MethodPut, "/api/v1/reviews/"+hidden.ID.String()+"/visibility", f.Tokens["staff"], "", map[string]any{"hidden": false}).status(http.StatusForbidden)

	for _, base := range []string{"/api/v1/storefront/catalog/services/" + f.ServiceID.String(), "/api/v1/storefront/staff/" + f.StaffID.String()} {
		var pg publicReviews
		r := e.do(http.MethodGet, base+"/reviews?limit=1", "", f.Host, nil).ok(&pg)
		require.EqualValues(t, 2, pg.Total, base)
		require.Len(t, pg.Items, 1)
		require.Equal(t, newer.ID, pg.Items[0].ID, "newest first")
		require.Equal(t, "张*", pg.Items[0].Reviewer)
		require.Equal(t, "还行", pg.Items[0].Text)
		require.EqualValues(t, 2, pg.Summary.Count)
		require.InDelta(t, 3.83, pg.Summary.Average, 0.001, "(5+4+5+3+3+3)/6; the hidden 1-star review does not count")
		require.InDelta(t, 4, pg.Summary.Attitude, 1e-9)
		body := string(r.body)
		require.NotContains(t, body, "张三丰")
		require.NotContains(t, body, f.CustomerID.String())
		require.NotContains(t, body, hidden.ID.String())
		require.False(t, strings.Contains(body, "customer_id") || strings.Contains(body, "order_id"), body)

		e.do(http.MethodGet, base+"/reviews?limit=1&offset=1", "", f.Host, nil).ok(&pg)
		require.Len(t, pg.Items, 1)
		require.Equal(t, seeded, pg.Items[0].ID)
		require.Equal(t, []string{"https://example.com/r.jpg"}, pg.Items[0].Photos)
		require.Equal(t, "谢谢!", pg.Items[0].Reply)
		require.Equal(t, 5, pg.Items[0].Attitude)
		require.NotEmpty(t, pg.Items[0].StaffName)
	}

	// Shown again, it counts again.
	e.do(http.MethodPut, "/api/v1/reviews/"+hidden.ID.String()+"/visibility", f.Tokens["owner"], "", map[string]any{"hidden": false}).ok(nil)
	var pg publicReviews
	e.do(http.MethodGet, "/api/v1/storefront/staff/"+f.StaffID.String()+"/reviews", "", f.Host, nil).ok(&pg)
	require.EqualValues(t, 3, pg.Total)
	require.Equal(t, hidden.ID, pg.Items[0].ID)

	// Unknown or another tenant's: not found; bad paging or ids: 400.
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services/"+uuid.NewString()+"/reviews", "", f.Host, nil).wantProblem(http.StatusNotFound, "service_not_found")
	e.do(http.MethodGet, "/api/v1/storefront/staff/"+f.StaffID.String()+"/reviews", "", e.B.Host, nil).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodGet, "/api/v1/storefront/staff/"+f.StaffID.String()+"/reviews?limit=0", "", f.Host, nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
	e.do(http.MethodGet, "/api/v1/storefront/staff/nope/reviews", "", f.Host, nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三丰": "张*", "张三": "张*", "Alice": "A*", " 李 ": "李*", "": "**"} {
		require.Equal(t, want, review.MaskName(in), in)
	}
}
