package wiring_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/httpx"
	"doorstep/rbac"
)

// problemFields returns the locations a problem names.
func (r *resp) problemFields() []string {
	var p struct{ Errors []struct{ Location string } }
	_ = json.Unmarshal(r.body, &p)
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Location)
	}
	return out
}

// TestUnstorableTextRefused: a U+0000 or invalid UTF-8 in a text field is a 422
// validation_failed naming the field, on every endpoint, and nothing is written.
func TestUnstorableTextRefused(t *testing.T) {
	e := newEnv(t)
	owner := e.A.Tokens["owner"]
	rows := func() map[string]int64 {
		out := map[string]int64{}
		for _, table := range []string{"franchisees", "stores", "catalog_services", "pricing_rules", "audit_log", "orders", "api_tokens"} {
			out[table] = count(t, e, table)
		}
		return out
	}

	// A table of endpoints, bodies and the field each must name.
	before := rows()
	cases := []struct {
		name, method, path, token, host string
		body                            any
		field                           string
	}{
		{"franchisee name", "POST", "/api/v1/franchisees", owner, "", map[string]any{"name": "Fr\x00anchise"}, "name"},
		{"nested: store territory type", "POST", "/api/v1/stores", owner, "", map[string]any{"code": "NUL", "name": "Nul", "time_zone": "Asia/Shanghai",
			"territory": map[string]any{"type": "Poly\x00gon", "coordinates": [][][]float64{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}}, "territory.type"},
		{"array element", "PUT", "/api/v1/pricing/rules/00000000-0000-0000-0000-000000000000", owner, "",
			map[string]any{"kind": "region", "name_zh": "区域", "name_en": "Region", "fixed": 100, "store_ids": []string{"x\x00"}}, "store_ids[0]"},
		{"service name", "POST", "/api/v1/catalog/services", owner, "", map[string]any{"name_zh": "保洁\x00", "name_en": "Cleaning", "category": "cleaning"}, "name_zh"},
		{"invalid UTF-8", "POST", "/api/v1/franchisees", owner, "", []byte("{\"name\":\"caf\xe9\"}"), "name"},
		{"query parameter", "GET", "/api/v1/stores?q=a%00b", owner, "", nil, "query.q"},
		{"login (public, before any lookup)", "POST", "/api/v1/auth/login", "", e.A.Host, map[string]any{"login": "owner@alpha.test\x00", "password": password}, "login"},
		{"storefront order address (customer)", "POST", "/api/v1/storefront/orders", e.A.CustomerToken, "",
			map[string]any{"quote_id": "00000000-0000-0000-0000-000000000000", "address": "Room 1\x00"}, "address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.host, c.body)
			r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			require.Contains(t, r.problemFields(), c.field, "%s", r.body)
		})
	}
	require.Equal(t, before, rows(), "a refused request wrote a row")
	require.NotContains(t, e.logs.String(), `"status":500`)

	// The walk: every operation, with a NUL put into each text field of its body in turn and
	// into a query parameter, is refused before it runs; tenant B's data does not change.
	table := probes()
	type attempt struct {
		op     operation
		c      call
		token  string
		host   string
		fields int
	}
	var plan []attempt
	for _, op := range operations(t, e) {
		pr, ok := table[op.ID]
		require.True(t, ok, "operation %s has no probe", op.ID)
		var c call
		switch {
		case pr.own != nil:
			c = pr.own(e, e.B)
		default:
			c = pr.attack(e)
		}
		a := attempt{op: op, c: c, token: e.B.Tokens[roleWith(op.Access.Permission)]}
		switch op.Access.Audience {
		case httpx.Public:
			a.token, a.host = "", e.B.Host
		case httpx.Customer:
			a.token = e.B.CustomerToken
		case httpx.Operator:
			a.token = e.opToken
		}
		if op.ID == "logout" {
			a.token = mintToken(t, e, e.B)
		}
		plan = append(plan, a)
	}
	// Authentication notes a token's last use before any check runs; that is not the request's write.
	checksum := func(f *fixture) map[string]string {
		sum := tenantChecksum(t, e, f)
		delete(sum, "api_tokens")
		return sum
	}
	beforeA, beforeB := checksum(e.A), checksum(e.B)
	checked := 0
	for _, a := range plan {
		sep := "?"
		if strings.Contains(a.c.path, "?") {
			sep = "&"
		}
		r := e.do(a.op.Method, a.c.path+sep+"note=%00", a.token, a.host, a.c.body)
		r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
		require.Contains(t, r.problemFields(), "query.note", "%s: %s", a.op.ID, r.body)
		checked++
		if a.c.body == nil || a.op.ID == "stripe-webhook" {
			continue // no body, or Stripe's raw signed bytes, which the signature check judges
		}
		raw, err := json.Marshal(a.c.body)
		require.NoError(t, err)
		var doc any
		require.NoError(t, json.Unmarshal(raw, &doc))
		for _, leaf := range stringLeaves(doc, "") {
			bad := withNUL(doc, leaf)
			r := e.do(a.op.Method, a.c.path, a.token, a.host, bad)
			r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			require.Contains(t, r.problemFields(), leaf, "%s with NUL in %s: %s", a.op.ID, leaf, r.body)
			checked++
		}
	}
	t.Logf("%d operations, %d refused requests", len(plan), checked)
	require.Equal(t, beforeA, checksum(e.A), "a refused request changed tenant A")
	require.Equal(t, beforeB, checksum(e.B), "a refused request changed tenant B")
}

// roleWith names a role template holding perm: the owner when it does.
func roleWith(perm string) string {
	if perm == "" {
		return "owner"
	}
	var found string
	for _, tpl := range rbac.Templates() {
		for _, p := range tpl.Permissions {
			if p == perm && (found == "" || tpl.Name == "owner") && tpl.Name != "customer" {
				found = tpl.Name
			}
		}
	}
	return found
}

// stringLeaves lists the JSON paths of every string in doc, as the problem names them.
func stringLeaves(doc any, path string) []string {
	var out []string
	switch v := doc.(type) {
	case string:
		out = append(out, path)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, stringLeaves(v[k], p)...)
		}
	case []any:
		for i, x := range v {
			out = append(out, stringLeaves(x, path+"["+strconv.Itoa(i)+"]")...)
		}
	}
	return out
}

// withNUL returns a copy of doc whose string at path has a NUL inserted.
func withNUL(doc any, path string) any {
	var walk func(v any, p string) any
	walk = func(v any, p string) any {
		switch x := v.(type) {
		case string:
			if p == path {
				return x + "\x00"
			}
			return x
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, y := range x {
				q := k
				if p != "" {
					q = p + "." + k
				}
				m[k] = walk(y, q)
			}
			return m
		case []any:
			s := make([]any, len(x))
			for i, y := range x {
				s[i] = walk(y, p+"["+strconv.Itoa(i)+"]")
			}
			return s
		}
		return v
	}
	return walk(doc, "")
}
