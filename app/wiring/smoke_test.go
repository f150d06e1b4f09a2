package wiring_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEnvSmoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var me struct {
		Kind  string
		Roles []string
		Scope string
	}
	e.do(http.MethodGet, "/api/v1/me", e.A.Tokens["store_manager"], "", nil).ok(&me)
	require.Equal(t, []string{"store_manager"}, me.Roles)
	require.Equal(t, "store", me.Scope)
	e.do(http.MethodGet, "/api/v1/me", e.A.CustomerToken, e.A.Host, nil).ok(&me)
	require.Equal(t, "customer", me.Kind)

	// Operational endpoints.
	require.Contains(t, string(e.do(http.MethodGet, "/healthz", "", "", nil).status(200).body), "ok")
	require.Contains(t, string(e.do(http.MethodGet, "/readyz", "", "", nil).status(200).body), "ready")
	// A login code goes out through outbox → relay → asynq → sender, and the job is counted.
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", e.A.Host, map[string]any{"phone": "+8613800000123"}).status(http.StatusAccepted)
	e.sent.codeFor(t, "+8613800000123")
	metrics := string(e.do(http.MethodGet, "/metrics", "", "", nil).status(200).body)
	require.Contains(t, metrics, `doorstep_http_requests_total{method="GET",route="/api/v1/me",status="200"}`)
	require.Eventually(t, func() bool { // counted once the handler has returned, just after the send
		m := string(e.do(http.MethodGet, "/metrics", "", "", nil).status(200).body)
		return strings.Contains(m, `doorstep_jobs_total{result="ok",type="notify:send"}`)
	}, 10*time.Second, 50*time.Millisecond, "the worker's login-code jobs are counted")
	var spec struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]any
	}
	e.do(http.MethodGet, "/api/openapi.json", "", "", nil).ok(&spec)
	require.Equal(t, "3.1.0", spec.OpenAPI)
	require.Contains(t, spec.Paths, "/api/v1/stores/{id}")

	// Storefront by Host, in the tenant's colours; the console entry page.
	home := string(e.do(http.MethodGet, "/", "", e.A.Host, nil).status(200).body)
	require.Contains(t, home, "Alpha Clean")
	require.Contains(t, home, "--primary:#0f766e")
	require.Contains(t, string(e.do(http.MethodGet, "/console", "", "", nil).status(200).body), "Doorstep")
}
