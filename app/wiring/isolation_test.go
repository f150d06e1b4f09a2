package wiring_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/httpx"
)

// operation is one registered API operation.
type operation struct {
	ID, Method, Path string
	Access           httpx.Access
}

func operations(t *testing.T, e *env) []operation {
	var ops []operation
	for path, item := range e.app.Server.API.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPut: item.Put, http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
			if op == nil {
				continue
			}
			acc, ok := httpx.AccessOf(op)
			require.True(t, ok, "%s has no access rules", op.OperationID)
			ops = append(ops, operation{ID: op.OperationID, Method: method, Path: path, Access: acc})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].ID < ops[j].ID })
	return ops
}

// tenantChecksum fingerprints every row tenant a owns, in every table with a tenant_id
// column (found in the catalog, so new tables are covered), plus its registry row, domains
// and casbin policies.
func tenantChecksum(t *testing.T, e *env, f *fixture) map[string]string {
	var tables []string
	require.NoError(t, e.db.Owner.Raw(`select table_name from information_schema.columns
		where table_schema = 'public' and column_name = 'tenant_id'
		and table_name in (select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE')`).Scan(&tables).Error)
	require.NotEmpty(t, tables)
	out := map[string]string{}
	q := func(name, sql string, args ...any) {
		var sum *string
		require.NoError(t, e.db.Owner.Raw(sql, args...).Scan(&sum).Error, name)
		v := "<none>"
		if sum != nil {
			v = *sum
		}
		out[name] = v
	}
	for _, tbl := range tables {
		q(tbl, fmt.Sprintf(`select md5(string_agg(x::text, '|' order by x::text)) from %q x where tenant_id = ?`, tbl), f.Tenant.ID)
	}
	q("tenants", `select md5(x::text) from tenants x where id = ?`, f.Tenant.ID)
	q("casbin_rule", `select md5(string_agg(concat_ws(',', ptype, v0, v1, v2, v3), '|' order by concat_ws(',', ptype, v0, v1, v2, v3)))
		from casbin_rule where v1 = ? or v2 = ?`, f.Tenant.ID.String(), f.Tenant.ID.String())
	return out
}

// TestRouteWalkIsolation calls every API route as tenant B with tenant A's object ids. Object
// routes must answer 403 or 404; no answer may contain A's data; A's rows must not change.
// A route without a probe fails the test.
func TestRouteWalkIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	table := probes()
	ops := operations(t, e)
	// The walk is about what requests do: stop the worker, so that a job of A's world falling
	// due meanwhile (a reminder, an unpaid order's cancellation, the relay's bookkeeping) does
	// not change A's rows under the checksum.
	e.stopWorker()
	// Probes act with A's tokens to set up their targets, and a token's first use in a minute
	// records last_used_at; use each one now, so that the walk itself changes nothing of A's.
	for _, tok := range e.A.Tokens {
		e.do(http.MethodGet, "/api/v1/me", tok, "", nil).ok(nil)
	}
	before := tenantChecksum(t, e, e.A)
	seen := map[string]bool{}
	for _, op := range ops {
		seen[op.ID] = true
		pr, ok := table[op.ID]
		if !ok {
			t.Errorf("operation %s (%s %s) has no isolation probe: add one to probes()", op.ID, op.Method, op.Path)
			continue
		}
		var c call
		switch {
		case pr.attack != nil:
			c = pr.attack(e)
		case pr.own != nil:
			c = pr.own(e, e.B) // B acting in its own space
		default:
			t.Errorf("probe %s has neither attack nor own", op.ID)
			continue
		}
		token, host := e.B.Tokens["owner"], ""
		switch op.Access.Audience {
		case httpx.Public:
			host = e.B.Host
			token = ""
		case httpx.Customer:
			token = e.B.CustomerToken
		}
		if op.ID == "logout" {
			token = mintToken(t, e, e.B)
		}
		r := e.do(op.Method, c.path, token, host, c.body)
		t.Logf("%-24s %s %s → %d %s", op.ID, op.Method, c.path, r.code, r.problem())
		if pr.object || op.Access.Audience == httpx.Operator {
			require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.code, "%s %s answered %d: %s", op.Method, c.path, r.code, r.body)
		}
		require.Less(t, r.code, 500, "%s: %s", op.ID, r.body)
		sent := strings.ToLower(c.path + fmt.Sprint(c.body))
		for _, s := range e.A.Secrets {
			if strings.Contains(sent, strings.ToLower(s)) {
				continue // what the caller sent may come back (e.g. as the problem's instance)
			}
			require.NotContains(t, strings.ToLower(string(r.body)), strings.ToLower(s), "%s leaked tenant A's %q: %s", op.ID, s, r.body)
		}

		// The same call with B's credentials at A's address is refused outright.
		if op.Access.Audience != httpx.Public && op.Access.Audience != httpx.Operator {
			t2 := token
			if op.ID == "logout" {
				t2 = mintToken(t, e, e.B)
			}
			r2 := e.do(op.Method, c.path, t2, e.A.Host, c.body)
			require.Equal(t, http.StatusForbidden, r2.code, "%s at A's host: %s", op.ID, r2.body)
			require.Equal(t, "tenant_mismatch", r2.problem())
		}
	}
	for id := range table {
		require.True(t, seen[id], "probe %s names no registered operation", id)
	}
	require.Equal(t, before, tenantChecksum(t, e, e.A), "tenant A's rows changed during the walk")
}

// mintToken signs B's owner in again for calls that consume their token.
func mintToken(t *testing.T, e *env, f *fixture) string {
	var out struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": "owner@" + f.Tenant.Slug + ".test", "password": password}).ok(&out)
	return out.Token
}
