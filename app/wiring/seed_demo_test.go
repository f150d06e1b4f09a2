package wiring_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/catalog"
	"doorstep/app/demo"
	"doorstep/app/kit/geo"
	"doorstep/app/staff"
	"doorstep/tenant"
)

// demoTenant finds a seeded demo tenant by slug and returns an HQ context in it.
func demoTenant(t *testing.T, e *env, slug string) (tenant.Tenant, context.Context) {
	ts, err := e.app.Tenants.List(context.Background(), "", pageAll())
	require.NoError(t, err)
	for _, tn := range ts.Items {
		if tn.Slug == slug {
			return tn, hqContext(&fixture{Tenant: tn})
		}
	}
	t.Fatalf("no demo tenant %s", slug)
	return tenant.Tenant{}, nil
}

func demoService(t *testing.T, e *env, ctx context.Context, nameEn string) catalog.Item {
	r, err := e.app.Catalog.ListServices(ctx, catalog.ServiceFilter{}, pageAll())
	require.NoError(t, err)
	for _, s := range r.Items {
		if s.NameEn == nameEn {
			return s
		}
	}
	t.Fatalf("no demo service %q", nameEn)
	return catalog.Item{}
}

// nextWeekday is 10:00–12:00 Shanghai time on the first Monday to Friday at least four days
// ahead (after the demo's leave, before any demo certificate expires).
func nextWeekday() (time.Time, time.Time) {
	cst := time.FixedZone("CST", 8*3600)
	y, m, d := time.Now().In(cst).Date()
	day := time.Date(y, m, d+4, 10, 0, 0, 0, cst)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	return day, day.Add(2 * time.Hour)
}

func badges(cs []staff.Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.BadgeNo
	}
	return out
}

// seedDemo runs the demo seed (app/demo) against the test app, as `doorstep seed demo` does.
func seedDemo(e *env) error {
	a := e.app
	return demo.Seed(context.Background(), demo.Services{DB: a.DB, Platform: a.Platform, Tenants: a.Tenants, Identity: a.Identity,
		Roles: a.Roles, Org: a.Org, Catalog: a.Catalog, Pricing: a.Pricing, Card: a.Card, Staff: a.Staff}, a.Cfg.BaseDomain, io.Discard)
}

// TestSeedDemo seeds the demo twice and checks that its roster, eligibility and prices work
// together: the staff who can take a weekday job at the 徐汇店 address, and a storefront quote.
func TestSeedDemo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.NoError(t, seedDemo(e))
	jj, jjCtx := demoTenant(t, e, "jiajie")
	fx, fxCtx := demoTenant(t, e, "fixit")
	count := func(c context.Context) int {
		r, err := e.app.Staff.List(c, staff.Filter{}, pageAll())
		require.NoError(t, err)
		return len(r.Items)
	}
	nJJ, nFX := count(jjCtx), count(fxCtx)
	require.GreaterOrEqual(t, nJJ, 16, "about eight staff per jiajie store")
	require.GreaterOrEqual(t, nFX, 8)
	require.NoError(t, seedDemo(e), "the seed is idempotent")
	require.Equal(t, nJJ, count(jjCtx))
	require.Equal(t, nFX, count(fxCtx))

	// The catalogue carries the roster's requirements.
	deep := demoService(t, e, jjCtx, "Deep cleaning")
	require.NotEqual(t, uuid.Nil, deep.MinLevelID, "deep cleaning needs 中级")
	ac := demoService(t, e, fxCtx, "Air conditioner repair")
	require.Equal(t, []string{"refrigeration"}, ac.CertificateTypes)

	// Who can clean at the 徐汇店 address on a weekday morning: active, skilled, certified.
	xh := geo.Point{Lng: 121.4365, Lat: 31.1880}
	start, end := nextWeekday()
	daily := demoService(t, e, jjCtx, "Daily home cleaning (hourly)")
	require.Equal(t, catalog.Published, daily.Status)
	cs, err := e.app.Staff.Eligible(jjCtx, staff.EligibleQuery{ServiceID: daily.ID, At: xh, Start: start, End: end})
	require.NoError(t, err)
	require.NotEmpty(t, cs)
	got := badges(cs)
	t.Logf("daily cleaning at 徐汇店 %s: %v", start.Format(time.DateOnly), got)
	require.Contains(t, got, "JJ-XH-001", "the demo login 刘阿姨")
	require.NotContains(t, got, "JJ-XH-004", "onboarding, health certificate pending")
	require.NotContains(t, got, "JJ-XH-007", "health certificate expired")
	for _, c := range cs {
		require.Regexp(t, `^JJ-XH-`, c.BadgeNo, "only 徐汇店 staff cover this address")
	}
	cs, err = e.app.Staff.Eligible(jjCtx, staff.EligibleQuery{ServiceID: deep.ID, At: xh, Start: start, End: end})
	require.NoError(t, err)
	require.NotEmpty(t, cs)
	for _, c := range cs {
		require.GreaterOrEqual(t, c.LevelRank, 2, "%s is below 中级", c.BadgeNo)
	}
	cs, err = e.app.Staff.Eligible(fxCtx, staff.EligibleQuery{ServiceID: ac.ID, At: geo.Point{Lng: 121.4480, Lat: 31.2290}, Start: start, End: end})
	require.NoError(t, err)
	require.Contains(t, badges(cs), "FX-JA-001", "the demo login Bo Wang")
	require.NotContains(t, badges(cs), "FX-JA-005", "refrigeration licence expired")

	// The demo staff logins reach their own profiles; the store manager sees the same answer.
	jjHost, fxHost := jj.Slug+"."+baseDomain, fx.Slug+"."+baseDomain
	login := func(host, email string) string {
		var out struct{ Token string }
		e.do(http.MethodPost, "/api/v1/auth/login", "", host, map[string]any{"login": email, "password": demo.Password}).ok(&out)
		return out.Token
	}
	var me struct {
		BadgeNo string `json:"badge_no"`
		Status  string
	}
	e.do(http.MethodGet, "/api/v1/me/staff", login(jjHost, "ayi.xh@jiajie.demo"), jjHost, nil).ok(&me)
	require.Equal(t, "JJ-XH-001", me.BadgeNo)
	e.do(http.MethodGet, "/api/v1/me/staff", login(fxHost, "tech@fixit.demo"), fxHost, nil).ok(&me)
	require.Equal(t, "FX-JA-001", me.BadgeNo)
	var el struct {
		Items []struct {
			BadgeNo string `json:"badge_no"`
		}
	}
	e.do(http.MethodGet, "/api/v1/staff-eligibility?service_id="+daily.ID.String()+"&lng=121.4365&lat=31.188&start="+
		url.QueryEscape(start.Format(time.RFC3339))+"&end="+url.QueryEscape(end.Format(time.RFC3339)), login(jjHost, "manager.xh@jiajie.demo"), jjHost, nil).ok(&el)
	require.NotEmpty(t, el.Items)

	// A storefront quote for the 2-hour package at the store's own address: list price, no
	// travel fee, no weekday surcharge.
	pkgs, err := e.app.Catalog.Packages(jjCtx, daily.ID)
	require.NoError(t, err)
	require.NotEmpty(t, pkgs)
	var q struct {
		ID       uuid.UUID
		Subtotal int64
		Total    int64
		Currency string
	}
	e.do(http.MethodPost, "/api/v1/storefront/quotes", "", jjHost, map[string]any{"package_id": pkgs[0].ID, "location": xh,
		"start": start.Format(time.RFC3339)}).status(http.StatusCreated).ok(&q)
	require.NotEqual(t, uuid.Nil, q.ID)
	require.Equal(t, "CNY", q.Currency)
	require.Equal(t, pkgs[0].ListPrice, q.Subtotal)
	require.Equal(t, pkgs[0].ListPrice, q.Total)
}
