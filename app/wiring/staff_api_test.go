package wiring_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

type staffBody struct {
	ID      uuid.UUID `json:"id"`
	BadgeNo string    `json:"badge_no"`
	Phone   string    `json:"phone"`
	Status  string    `json:"status"`
}

type candidatesBody struct {
	Items []struct {
		StaffID uuid.UUID `json:"staff_id"`
	} `json:"items"`
}

func (c candidatesBody) has(id uuid.UUID) bool {
	for _, it := range c.Items {
		if it.StaffID == id {
			return true
		}
	}
	return false
}

// TestStaffAPI runs the roster through HTTP: HQ settings, a profile and its validation, phone
// masking and reveal, data scope, the certificate review and what it does to eligibility.
func TestStaffAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	hq := f.Tokens["hq_admin"]

	// HQ settings.
	var level idOnly
	e.do(http.MethodPost, "/api/v1/staff-levels", hq, "", map[string]any{"code": "senior", "name_zh": "高级", "name_en": "Senior", "rank": 3}).
		status(http.StatusCreated).ok(&level)
	e.do(http.MethodPost, "/api/v1/staff-levels", hq, "", map[string]any{"code": "senior", "name_zh": "高级", "name_en": "Senior", "rank": 4}).
		wantProblem(http.StatusConflict, "level_code_taken")
	var ct struct {
		Code      string `json:"code"`
		Mandatory bool   `json:"mandatory"`
	}
	e.do(http.MethodPost, "/api/v1/certificate-types", hq, "", map[string]any{"code": "health", "name_zh": "健康证", "name_en": "Health certificate", "mandatory": true}).
		status(http.StatusCreated).ok(&ct)
	require.True(t, ct.Mandatory)
	e.do(http.MethodPost, "/api/v1/staff-levels", f.Tokens["store_manager"], "", map[string]any{"code": "gold", "name_zh": "金牌", "name_en": "Gold", "rank": 5}).
		wantProblem(http.StatusForbidden, "out_of_scope")

	// A staff account in the HQ-run store (the fixture's store manager runs the franchised one).
	newUser := func(email string) uuid.UUID {
		var u idOnly
		e.do(http.MethodPost, "/api/v1/users", hq, "", map[string]any{"email": email, "password": password, "display_name": "Staff " + email,
			"store_id": f.StoreID, "roles": []string{"staff"}}).status(http.StatusCreated).ok(&u)
		return u.ID
	}
	userID := newUser("cleaner@alpha.test")
	svc := newCatalog(e, f, true)
	home := map[string]any{"lng": inTerritory.Lng, "lat": inTerritory.Lat}
	profile := map[string]any{"user_id": userID, "store_id": f.StoreID, "level_id": level.ID, "badge_no": "AC-001", "display_name": "王阿姨",
		"phone": "13812345678", "years_experience": 6, "bio": "六年保洁经验", "status": "active",
		"area":   map[string]any{"kind": "radius", "home": home, "radius_m": 5000},
		"skills": []map[string]any{{"service_id": svc.Service}},
		"hours":  []map[string]any{{"weekday": 1, "start": "08:00", "end": "18:00"}, {"weekday": 2, "start": "08:00", "end": "18:00"}}}
	var s staffBody
	e.do(http.MethodPost, "/api/v1/staff", hq, "", profile).status(http.StatusCreated).ok(&s)
	require.Equal(t, "AC-001", s.BadgeNo)
	require.Equal(t, "+8613812345678", s.Phone, "hq_admin holds staff:phone")
	staffPath := "/api/v1/staff/" + s.ID.String()

	// The badge number is unique in the tenant; the account has one profile.
	dup := map[string]any{"user_id": newUser("second@alpha.test"), "store_id": f.StoreID, "badge_no": "AC-001", "display_name": "李阿姨"}
	e.do(http.MethodPost, "/api/v1/staff", hq, "", dup).wantProblem(http.StatusConflict, "badge_taken")
	profile["badge_no"] = "AC-002"
	e.do(http.MethodPost, "/api/v1/staff", hq, "", profile).wantProblem(http.StatusConflict, "staff_profile_exists")

	// Validation answers 422 with the offending field.
	bowTie := map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{121.40, 31.10}, {121.50, 31.20}, {121.50, 31.10}, {121.40, 31.20}, {121.40, 31.10}}}}
	r := e.do(http.MethodPatch, staffPath, hq, "", map[string]any{"area": map[string]any{"kind": "polygon", "polygon": bowTie}}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"area.polygon"}, r.fields())
	r = e.do(http.MethodPatch, staffPath, hq, "", map[string]any{"area": map[string]any{"kind": "radius", "home": home, "radius_m": 0}}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"area.radius_m"}, r.fields())
	r = e.do(http.MethodPatch, staffPath, hq, "", map[string]any{"area": map[string]any{"kind": "radius", "home": home, "radius_m": -100}})
	require.Equal(t, http.StatusUnprocessableEntity, r.code, "%s", r.body)
	require.NotEmpty(t, r.fields())
	r = e.do(http.MethodPut, staffPath+"/hours", hq, "", map[string]any{"hours": []map[string]any{{"weekday": 3, "start": "18:00", "end": "08:00"}}}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"hours[0]"}, r.fields())
	r = e.do(http.MethodPut, staffPath+"/hours", hq, "", map[string]any{"hours": []map[string]any{{"weekday": 3, "start": "09:00", "end": "09:00"}}}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"hours[0]"}, r.fields())
	var got struct {
		Area struct {
			Kind    string `json:"kind"`
			RadiusM int    `json:"radius_m"`
		} `json:"area"`
		Hours []struct{ Weekday int } `json:"hours"`
	}
	e.do(http.MethodGet, staffPath, hq, "", nil).ok(&got)
	require.Equal(t, "radius", got.Area.Kind, "refused changes change nothing")
	require.Equal(t, 5000, got.Area.RadiusM)
	require.Len(t, got.Hours, 2)

	// Support reads the roster with the phone masked and may not reveal it; hq_admin may, audited.
	var masked staffBody
	e.do(http.MethodGet, staffPath, f.Tokens["support"], "", nil).ok(&masked)
	require.NotEqual(t, "+8613812345678", masked.Phone)
	require.Contains(t, masked.Phone, "*")
	require.True(t, strings.HasSuffix(masked.Phone, "5678"), masked.Phone)
	var list struct{ Items []staffBody }
	e.do(http.MethodGet, "/api/v1/staff?q=AC-001", f.Tokens["support"], "", nil).ok(&list)
	require.Len(t, list.Items, 1)
	require.Equal(t, masked.Phone, list.Items[0].Phone, "lists mask too")
	e.do(http.MethodPost, staffPath+"/phone", f.Tokens["support"], "", nil).wantProblem(http.StatusForbidden, "permission_denied")
	var revealed struct{ Phone string }
	e.do(http.MethodPost, staffPath+"/phone", hq, "", nil).status(http.StatusOK).ok(&revealed)
	require.Equal(t, "+8613812345678", revealed.Phone)
	var reveals int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from audit_log where tenant_id = ? and action = 'staff.phone.reveal' and object_id = ? and actor_id = ?`,
		f.Tenant.ID, s.ID.String(), f.UserIDs["hq_admin"]).Scan(&reveals).Error)
	require.Equal(t, int64(1), reveals)

	// The franchised store's manager and the franchisee owner do not see an HQ store's staff.
	for _, role := range []string{"store_manager", "franchisee_owner", "dispatcher"} {
		tok := f.Tokens[role]
		e.do(http.MethodGet, staffPath, tok, "", nil).wantProblem(http.StatusNotFound, "staff_not_found")
		e.do(http.MethodGet, staffPath+"/certificates", tok, "", nil).wantProblem(http.StatusNotFound, "staff_not_found")
		var l struct{ Items []staffBody }
		e.do(http.MethodGet, "/api/v1/staff", tok, "", nil).ok(&l)
		for _, it := range l.Items {
			require.NotEqual(t, s.ID, it.ID, "%s lists another store's staff", role)
		}
	}
	mgr := f.Tokens["store_manager"]
	e.do(http.MethodPatch, staffPath, mgr, "", map[string]any{"display_name": "改名"}).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodPost, staffPath+"/status", mgr, "", map[string]any{"status": "left"}).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodPost, staffPath+"/phone", mgr, "", nil).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodPatch, staffPath, mgr, "", map[string]any{"store_id": f.FrStoreID}).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodGet, staffPath, hq, "", nil).ok(&masked)
	require.Equal(t, "active", masked.Status, "the manager's refused calls changed nothing")

	// Eligibility: Monday 10:00–12:00 at the staff member's home. The mandatory health
	// certificate is missing, so nobody yet.
	window := "&lng=121.45&lat=31.15&start=" + url.QueryEscape("2030-01-07T10:00:00+08:00") + "&end=" + url.QueryEscape("2030-01-07T12:00:00+08:00")
	eligible := func() candidatesBody {
		var c candidatesBody
		e.do(http.MethodGet, "/api/v1/staff-eligibility?service_id="+svc.Service.String()+window, hq, "", nil).ok(&c)
		return c
	}
	require.False(t, eligible().has(s.ID), "no approved health certificate yet")

	// The staff member uploads it; it waits for review.
	var login struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": "cleaner@alpha.test", "password": password}).ok(&login)
	me := login.Token
	var cert struct {
		ID           uuid.UUID `json:"id"`
		StaffID      uuid.UUID `json:"staff_id"`
		Status       string    `json:"status"`
		RejectReason string    `json:"reject_reason"`
	}
	e.do(http.MethodPost, "/api/v1/me/staff/certificates", me, "", map[string]any{"type": "health", "number": "JK-2029-00017", "issued_on": "2029-06-01"}).
		status(http.StatusCreated).ok(&cert)
	require.Equal(t, "pending", cert.Status)
	require.Equal(t, s.ID, cert.StaffID)
	var mine struct {
		Items []struct{ Status string } `json:"items"`
	}
	e.do(http.MethodGet, "/api/v1/me/staff/certificates", me, "", nil).ok(&mine)
	require.Len(t, mine.Items, 1)
	require.False(t, eligible().has(s.ID), "a pending certificate does not count")
	e.do(http.MethodPost, "/api/v1/me/staff/certificates", me, "", map[string]any{"type": "health", "issued_on": "2029-06-01", "expires_on": "2029-01-01"}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")

	// Review: a staff member cannot review; a rejection needs a reason; approval counts.
	reviewPath := staffPath + "/certificates/" + cert.ID.String() + "/review"
	e.do(http.MethodPost, reviewPath, me, "", map[string]any{"decision": "approve"}).wantProblem(http.StatusForbidden, "permission_denied")
	r = e.do(http.MethodPost, reviewPath, hq, "", map[string]any{"decision": "reject"}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"reason"}, r.fields())
	e.do(http.MethodPost, reviewPath, mgr, "", map[string]any{"decision": "approve"}).wantProblem(http.StatusNotFound, "staff_not_found")
	e.do(http.MethodPost, reviewPath, hq, "", map[string]any{"decision": "approve"}).status(http.StatusOK).ok(&cert)
	require.Equal(t, "approved", cert.Status)
	e.do(http.MethodPost, reviewPath, hq, "", map[string]any{"decision": "reject", "reason": "blurred"}).wantProblem(http.StatusConflict, "certificate_reviewed")
	require.True(t, eligible().has(s.ID), "eligible once the mandatory certificate is approved")

	// Outside the weekly hours (Wednesday) nobody is eligible.
	var c candidatesBody
	e.do(http.MethodGet, "/api/v1/staff-eligibility?service_id="+svc.Service.String()+"&lng=121.45&lat=31.15&start="+
		url.QueryEscape("2030-01-09T10:00:00+08:00")+"&end="+url.QueryEscape("2030-01-09T12:00:00+08:00"), hq, "", nil).ok(&c)
	require.False(t, c.has(s.ID))

	// Bad input is a 4xx, never a 500: malformed parameters 400, malformed bodies 400, invalid
	// values 422, unknown objects 404.
	for _, bad := range []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodGet, "/api/v1/staff/not-a-uuid", nil, http.StatusBadRequest},
		{http.MethodPatch, "/api/v1/staff/123", map[string]any{"bio": "x"}, http.StatusBadRequest},
		{http.MethodGet, "/api/v1/staff/" + uuid.NewString(), nil, http.StatusNotFound},
		{http.MethodPost, staffPath + "/certificates/not-a-uuid/review", map[string]any{"decision": "approve"}, http.StatusBadRequest},
		{http.MethodPost, staffPath + "/certificates/" + uuid.NewString() + "/review", map[string]any{"decision": "approve"}, http.StatusNotFound},
		{http.MethodPost, staffPath + "/certificates", map[string]any{"type": "no_such_type"}, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/staff-eligibility?service_id=nope" + window, nil, http.StatusBadRequest},
		{http.MethodGet, "/api/v1/staff-eligibility?service_id=" + svc.Service.String() + "&lng=121.45&lat=31.15&start=" +
			url.QueryEscape("2030-01-07T12:00:00+08:00") + "&end=" + url.QueryEscape("2030-01-07T10:00:00+08:00"), nil, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/staff-eligibility?service_id=" + svc.Service.String() + "&lng=500&lat=31.15&start=2030-01-07T10:00:00Z&end=2030-01-07T12:00:00Z", nil, http.StatusBadRequest},
		{http.MethodGet, "/api/v1/staff-eligibility?service_id=" + svc.Service.String() + "&lng=121.45&lat=31.15&start=yesterday&end=2030-01-07T12:00:00Z", nil, http.StatusBadRequest},
		{http.MethodPost, staffPath + "/exceptions", map[string]any{"kind": "leave", "start": "2030-01-07T12:00:00Z", "end": "2030-01-07T10:00:00Z"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/staff", map[string]any{"user_id": uuid.New(), "store_id": f.StoreID, "badge_no": "AC-009", "display_name": "nobody"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/staff", `{"user_id": "x"`, http.StatusBadRequest},
		{http.MethodPut, staffPath + "/skills", map[string]any{"skills": []map[string]any{{"service_id": uuid.New()}}}, http.StatusUnprocessableEntity},
		{http.MethodPatch, "/api/v1/staff-levels/" + uuid.NewString(), map[string]any{"name_en": "x"}, http.StatusNotFound},
	} {
		r := e.do(bad.method, bad.path, hq, "", bad.body)
		require.Equal(t, bad.want, r.code, "%s %s → %s", bad.method, bad.path, r.body)
		require.Contains(t, r.header.Get("Content-Type"), "application/problem+json")
	}
	// An unknown service is named as the bad field.
	r = e.do(http.MethodGet, "/api/v1/staff-eligibility?service_id="+uuid.NewString()+window, hq, "", nil).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"service_id"}, r.fields())
}
