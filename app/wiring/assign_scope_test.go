package wiring_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/staff"
)

// TestAssignKeepsToTheCallersScope: a store-scoped dispatcher cannot assign a staff member of
// another store (422 staff_not_available, as if unknown); head office can.
func TestAssignKeepsToTheCallersScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	hq, err := e.app.Staff.Create(sysCtx(f), staff.NewStaff{UserID: probeUser(e, f), StoreID: f.StoreID, BadgeNo: "HQ001", DisplayName: "HQ staff",
		Status: staff.StatusActive, Hours: []staff.Hours{{Weekday: 1, Start: "08:00", End: "18:00"}}})
	require.NoError(t, err)
	id := probeOrder(e, f, booking.Confirmed, false).String()
	e.do(http.MethodPost, "/api/v1/orders/"+id+"/assign", f.Tokens["dispatcher"], "", map[string]any{"staff_id": hq.ID}).
		wantProblem(http.StatusUnprocessableEntity, "staff_not_available")
	d, err := e.app.Booking.Get(hqContext(f), uuid.MustParse(id))
	require.NoError(t, err)
	require.Equal(t, booking.Confirmed, d.Status, "nothing changed")
	var o struct{ Status string }
	e.do(http.MethodPost, "/api/v1/orders/"+id+"/assign", f.Tokens["owner"], "", map[string]any{"staff_id": hq.ID}).ok(&o)
	require.Equal(t, "assigned", o.Status)
}

// TestStaffRatingsKeepToTheCallersScope: a store-scoped caller gets the ratings of staff of
// their store only; head office gets everyone's.
func TestStaffRatingsKeepToTheCallersScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	hq, err := e.app.Staff.Create(sysCtx(f), staff.NewStaff{UserID: probeUser(e, f), StoreID: f.StoreID, BadgeNo: "HQ002", DisplayName: "HQ staff",
		Status: staff.StatusActive})
	require.NoError(t, err)
	require.NoError(t, e.db.Owner.Exec(`insert into staff_ratings (tenant_id, staff_id, count, attitude_sum, quality_sum, punctuality_sum)
		values (?, ?, 1, 3, 3, 3)`, f.Tenant.ID, hq.ID).Error)
	q := "/api/v1/staff-ratings?staff_id=" + hq.ID.String() + "," + f.StaffID.String()
	who := func(token string) []uuid.UUID {
		var rs []struct {
			StaffID uuid.UUID `json:"staff_id"`
		}
		e.do(http.MethodGet, q, token, "", nil).ok(&rs)
		var ids []uuid.UUID
		for _, r := range rs {
			ids = append(ids, r.StaffID)
		}
		return ids
	}
	require.ElementsMatch(t, []uuid.UUID{hq.ID, f.StaffID}, who(f.Tokens["owner"]))
	require.Equal(t, []uuid.UUID{f.StaffID}, who(f.Tokens["store_manager"]), "the HQ store's staff member is outside the franchised store's scope")
}
