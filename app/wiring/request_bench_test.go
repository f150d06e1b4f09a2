package wiring_test

import (
	"net/http"
	"testing"
)

// BenchmarkRequest measures whole HTTP requests through the real server: the bare stack
// (/healthz: router, request id, access log, metrics) as the baseline, then an authenticated
// API read (bearer token looked up under RLS, principal with roles and scope, tenant status,
// casbin check, the operation's own transaction and JSON).
func BenchmarkRequest(b *testing.B) {
	e := newEnv(b)
	client := e.srv.Client()
	get := func(b *testing.B, path, token string) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := client.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				b.Fatalf("%s: %v %v", path, err, res)
			}
			res.Body.Close()
		}
	}
	b.Run("healthz", func(b *testing.B) { get(b, "/healthz", "") })
	b.Run("me", func(b *testing.B) { get(b, "/api/v1/me", e.A.Tokens["store_manager"]) })
	b.Run("list-stores", func(b *testing.B) { get(b, "/api/v1/stores", e.A.Tokens["owner"]) })
}
