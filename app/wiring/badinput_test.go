package wiring_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"doorstep/app/identity"
	"doorstep/app/kit/httpx"
)

// TestBadInput checks that malformed requests get the documented 4xx problem codes, never a
// 500, and write nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.A.Tokens["owner"]
	huma.Register(e.app.Server.API, httpx.Op(huma.Operation{OperationID: "test-panic", Method: http.MethodGet, Path: "/api/v1/test/panic"},
		httpx.Access{Audience: httpx.Public}), func(context.Context, *struct{}) (*struct{}, error) {
		panic("secret internal detail: password=hunter2")
	})

	expired := mintToken(t, e, e.A)
	require.NoError(t, e.db.Owner.Exec(`update api_tokens set expires_at = now() - interval '1 minute'
		where created_at = (select max(created_at) from api_tokens where tenant_id = ?)`, e.A.Tenant.ID).Error)
	revoked := mintToken(t, e, e.A)
	e.do(http.MethodPost, "/api/v1/auth/logout", revoked, "", nil).status(http.StatusNoContent)

	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	franchiseesBefore := count(t, e, "franchisees")
	cases := []struct {
		name, method, path, token, host string
		body                            any
		status                          int
		code                            string
	}{
		{"malformed json", "POST", "/api/v1/franchisees", owner, "", `{"name":`, 400, "malformed_json"},
		{"wrong json type", "POST", "/api/v1/franchisees", owner, "", `{"name": 42}`, 422, "validation_failed"},
		{"unknown field", "POST", "/api/v1/franchisees", owner, "", `{"name":"x","is_admin":true}`, 422, "unknown_field"},
		{"missing required field", "POST", "/api/v1/stores", owner, "", `{"name":"x"}`, 422, "validation_failed"},
		{"oversized body", "POST", "/api/v1/franchisees", owner, "", big, 413, "body_too_large"},
		{"oversized raw webhook body", "POST", "/api/v1/webhooks/stripe", "", "", big, 413, "body_too_large"},
		{"NUL in a text field", "POST", "/api/v1/franchisees", owner, "", `{"name":"a\u0000b"}`, 422, "validation_failed"},
		{"invalid UTF-8 in a text field", "POST", "/api/v1/franchisees", owner, "", "{\"name\":\"a\xffb\"}", 422, "validation_failed"},
		{"empty body", "POST", "/api/v1/franchisees", owner, "", "", 400, "body_required"},
		{"bad uuid in path", "GET", "/api/v1/stores/not-a-uuid", owner, "", nil, 400, "invalid_parameter"},
		{"bad uuid in query", "GET", "/api/v1/stores?franchisee_id=nope", owner, "", nil, 400, "invalid_parameter"},
		{"limit out of range", "GET", "/api/v1/stores?limit=100000", owner, "", nil, 400, "invalid_parameter"},
		{"missing auth", "GET", "/api/v1/stores", "", "", nil, 401, "unauthenticated"},
		{"garbage token", "GET", "/api/v1/stores", "dst_garbage", "", nil, 401, "unauthenticated"},
		{"expired token", "GET", "/api/v1/stores", expired, "", nil, 401, "token_expired"},
		{"revoked token", "GET", "/api/v1/stores", revoked, "", nil, 401, "token_revoked"},
		{"unknown tenant host", "GET", "/api/v1/storefront", "", "nobody." + baseDomain, nil, 404, "tenant_not_found"},
		{"nested unknown host", "GET", "/api/v1/storefront", "", "a.b." + baseDomain, nil, 404, "tenant_not_found"},
		{"no tenant for host route", "GET", "/api/v1/storefront", "", "", nil, 404, "tenant_not_found"},
		{"token at another tenant's host", "GET", "/api/v1/stores", owner, e.B.Host, nil, 403, "tenant_mismatch"},
		{"customer on staff route", "GET", "/api/v1/stores", e.A.CustomerToken, "", nil, 403, "wrong_audience"},
		{"tenant user on platform route", "GET", "/api/v1/platform/tenants", owner, "", nil, 403, "wrong_audience"},
		{"invalid polygon", "POST", "/api/v1/stores", owner, "", map[string]any{"code": "BOW", "name": "Bow tie", "time_zone": "Asia/Shanghai",
			"territory": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}}, 422, "validation_failed"},
		{"open ring", "POST", "/api/v1/stores", owner, "", map[string]any{"code": "OPEN", "name": "Open", "time_zone": "Asia/Shanghai",
			"territory": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}, 422, "validation_failed"},
		{"bad time zone", "POST", "/api/v1/stores", owner, "", map[string]any{"code": "TZ", "name": "TZ", "time_zone": "Mars/Olympus"}, 422, "validation_failed"},
		{"unknown route", "GET", "/api/v1/nothing-here", owner, "", nil, 404, "route_not_found"},
		{"wrong method", "PUT", "/api/v1/stores", owner, "", nil, 405, "method_not_allowed"},
		{"panic", "GET", "/api/v1/test/panic", "", "", nil, 500, "internal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.host, c.body)
			r.wantProblem(c.status, c.code)
			require.NotContains(t, string(r.body), "hunter2")
			require.NotContains(t, string(r.body), "goroutine")
			require.NotEmpty(t, r.header.Get("X-Request-ID"))
		})
	}
	require.Equal(t, franchiseesBefore, count(t, e, "franchisees"), "a rejected request wrote a row")

	// Field details name the offending field.
	r := e.do("POST", "/api/v1/stores", owner, "", map[string]any{"code": "BOW", "name": "Bow tie", "time_zone": "Asia/Shanghai",
		"territory": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}})
	require.Contains(t, string(r.body), `"location":"territory"`)
}

func count(t *testing.T, e *env, table string) int64 {
	var n int64
	require.NoError(t, e.db.Owner.Table(table).Count(&n).Error)
	return n
}

// TestSuspendedTenant: a suspended tenant's API and storefront answer 403 tenant_suspended,
// other tenants carry on, and resuming restores service.
func TestSuspendedTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/platform/tenants/" + e.A.Tenant.ID.String()
	e.do(http.MethodPost, path+"/suspend", e.opToken, "", map[string]any{"reason": "unpaid invoice"}).ok(nil)

	e.do(http.MethodGet, "/api/v1/stores", e.A.Tokens["owner"], "", nil).wantProblem(403, "tenant_suspended")
	e.do(http.MethodGet, "/api/v1/me", e.A.CustomerToken, "", nil).wantProblem(403, "tenant_suspended")
	e.do(http.MethodGet, "/api/v1/storefront", "", e.A.Host, nil).wantProblem(403, "tenant_suspended")
	e.do(http.MethodPost, "/api/v1/auth/login", "", e.A.Host, map[string]any{"login": "owner@alpha.test", "password": password}).wantProblem(403, "tenant_suspended")
	page := e.do(http.MethodGet, "/", "", e.A.Host, nil)
	require.Equal(t, http.StatusForbidden, page.code)
	require.Contains(t, string(page.body), "tenant_suspended")
	e.do(http.MethodGet, "/api/v1/stores", e.B.Tokens["owner"], "", nil).status(http.StatusOK)

	e.do(http.MethodPost, path+"/resume", e.opToken, "", nil).ok(nil)
	e.do(http.MethodGet, "/api/v1/stores", e.A.Tokens["owner"], "", nil).status(http.StatusOK)
	home := e.do(http.MethodGet, "/", "", e.A.Host, nil).status(http.StatusOK)
	require.Contains(t, string(home.body), "Alpha Clean")

	// The suspension is in A's audit log.
	var audit struct{ Items []struct{ Action string } }
	e.do(http.MethodGet, "/api/v1/audit?object_type=tenant", e.A.Tokens["owner"], "", nil).ok(&audit)
	var actions []string
	for _, it := range audit.Items {
		actions = append(actions, it.Action)
	}
	require.Contains(t, actions, "tenant.suspend")
	require.Contains(t, actions, "tenant.resume")
}

// TestRateLimits: logins and code requests are limited per account, phone and IP.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(c *identity.Config) {
		c.LoginPerMinute, c.LoginPerMinIP, c.CodesPerHour, c.CodesPerMinIP = 6, 1000, 3, 3
	})
	// The env's Redis is fresh (the world was seeded in another), so six wrong passwords use up
	// the minute's attempts. The budget refills one attempt every 10 s, so on a slow machine a
	// seventh or eighth wrong try may still be answered 401 — but never more than that.
	refused := 0
	for i := 0; i < 9 && refused == 0; i++ {
		r := e.do(http.MethodPost, "/api/v1/auth/login", "", e.A.Host, map[string]any{"login": "owner@alpha.test", "password": "wrong password"})
		if r.code == http.StatusTooManyRequests {
			refused = i + 1
			continue
		}
		r.wantProblem(401, "invalid_credentials")
	}
	require.GreaterOrEqual(t, refused, 7, "six wrong passwords are allowed")
	require.LessOrEqual(t, refused, 9, "the limit stops wrong passwords")
	// Once limited, the right password is refused too.
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", e.A.Host, map[string]any{"login": "owner@alpha.test", "password": password})
	r.wantProblem(429, "rate_limited")
	require.NotEmpty(t, r.header.Get("Retry-After"))

	phone := "+8613700000003"
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", e.B.Host, map[string]any{"phone": phone}).status(http.StatusAccepted)
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", e.B.Host, map[string]any{"phone": phone}).wantProblem(429, "rate_limited")
	// Another phone is not held back by the first one's limit...
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", e.B.Host, map[string]any{"phone": "+8613700000004"}).status(http.StatusAccepted)
	// ...until the IP's budget (3 a minute, refused requests included) is spent.
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", e.B.Host, map[string]any{"phone": "+8613700000005"}).wantProblem(429, "rate_limited")

	// Five wrong codes burn the code; the right one then fails too.
	code := e.sent.codeFor(t, phone)
	for i := 0; i < 5; i++ {
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		e.do(http.MethodPost, "/api/v1/auth/customer/login", "", e.B.Host, map[string]any{"phone": phone, "code": wrong}).wantProblem(401, "invalid_code")
	}
	e.do(http.MethodPost, "/api/v1/auth/customer/login", "", e.B.Host, map[string]any{"phone": phone, "code": code}).wantProblem(401, "invalid_code")
}
