package wiring_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/kit/money"
	"doorstep/app/payment/gateway"
	"doorstep/app/pricing"
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
	skipIfShort(t)
	t.Parallel()
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
	e.stopWorker() // no job of the world falling due changes rows under the checksums
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

// TestTravelFeeOverflowRefused: a per-km price near int64's maximum is refused at input, naming
// the field; a policy within bounds, or a legacy one stored before the bounds, whose fee or
// total leaves range makes the quote a 422 price_out_of_range — never a negative fee, a
// dropped line or a wrong total — and nothing is stored or booked.
func TestTravelFeeOverflowRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	owner := f.Tokens["owner"]
	const nearMax = math.MaxInt64 - 10

	// Refused at input, by the API and by the service alike.
	r := e.do(http.MethodPut, "/api/v1/pricing/travel", owner, "", map[string]any{"store_id": f.FrStoreID, "free_meters": 0, "per_km": int64(nearMax), "max": 0})
	r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Contains(t, string(r.body), "per_km")
	err := e.app.Pricing.SetTravel(hqContext(f), f.FrStoreID, pricing.Travel{PerKm: nearMax})
	e2, ok := errs.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, "validation_failed", e2.Code)
	require.Equal(t, "per_km", e2.Fields[0].Field)
	for _, field := range []string{"fixed"} {
		r := e.do(http.MethodPost, "/api/v1/pricing/rules", owner, "", map[string]any{"kind": "weekend", "name_zh": "周末", "name_en": "Weekend", field: int64(nearMax)})
		r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
		require.Contains(t, string(r.body), field)
	}
	r = e.do(http.MethodPatch, "/api/v1/catalog/packages/"+f.PackageID.String(), owner, "", map[string]any{"list_price": int64(nearMax)})
	r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Contains(t, string(r.body), "list_price")

	// The franchised store sits about 1.5 km north of the visit.
	require.NoError(t, e.db.Owner.Exec(`update stores set location = st_setsrid(st_makepoint(?, ?), 4326)::geography where tenant_id = ? and id = ?`,
		inTerritory.Lng, inTerritory.Lat+0.0135, f.Tenant.ID, f.FrStoreID).Error)
	quote := func() *resp {
		return e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, map[string]any{
			"package_id": f.PackageID, "location": inTerritory, "start": e.probeSlot()})
	}
	setTravel := func(perKm, max int64) {
		e.do(http.MethodPut, "/api/v1/pricing/travel", owner, "", map[string]any{"store_id": f.FrStoreID, "free_meters": 0, "per_km": perKm, "max": max}).ok(nil)
	}
	var q struct {
		ID    uuid.UUID
		Total int64
		Lines []struct {
			Kind   string
			Amount int64
		}
	}
	setTravel(100, 0)
	quote().ok(&q)
	require.Equal(t, "travel_fee", q.Lines[len(q.Lines)-1].Kind)
	require.Equal(t, int64(200), q.Lines[len(q.Lines)-1].Amount, "two started kilometres at 1.00")

	quotes := count(t, e, "quotes")
	orders := count(t, e, "orders")
	// Within bounds, but two kilometres at the largest per-km price make a total out of range.
	setTravel(money.MaxInput, 0)
	quote().wantProblem(http.StatusUnprocessableEntity, "price_out_of_range")
	// A cap makes the same policy exact: the fee is the cap.
	setTravel(money.MaxInput, 5000)
	quote().ok(&q)
	require.Equal(t, int64(5000), q.Lines[len(q.Lines)-1].Amount)
	quotes++

	// A policy stored before the bounds existed: the fee would wrap negative; the quote fails.
	require.NoError(t, e.db.Owner.Exec(`update pricing_travel set per_km = ?, max_fee = 0 where tenant_id = ? and store_id = ?`,
		int64(nearMax), f.Tenant.ID, f.FrStoreID).Error)
	r = quote().wantProblem(http.StatusUnprocessableEntity, "price_out_of_range")
	require.Contains(t, string(r.body), "travel fee")
	_, err = e.app.Pricing.Quote(hqContext(f), pricing.QuoteRequest{PackageID: f.PackageID, Location: inTerritory, Start: e.probeSlot(), CustomerID: f.CustomerID})
	require.ErrorIs(t, err, pricing.ErrPriceOutOfRange)

	require.Equal(t, quotes, count(t, e, "quotes"), "a refused quote is not stored")
	require.Equal(t, orders, count(t, e, "orders"), "nothing is booked")
	var wrong int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from quotes q
		where q.total <> (select coalesce(sum((l->>'amount')::bigint), 0) from jsonb_array_elements(q.lines) l)`).Scan(&wrong).Error)
	require.Zero(t, wrong, "every stored quote's total is the sum of its lines")
	require.NotContains(t, e.logs.String(), `"status":500`)
}

// TestStripeWebhookFaults: a 2 MiB delivery is 413 body_too_large; a signature dated an hour
// ahead is refused and one two minutes ahead accepted; a correctly signed body that is not an
// event is 400 webhook_payload_invalid. Refused deliveries record nothing.
func TestStripeWebhookFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	events := func() int64 { return count(t, e, "payment_webhook_events") }
	before := events()

	big := []byte(`{"id":"evt_big","object":"event","type":"payment_intent.succeeded","pad":"` + strings.Repeat("x", 2<<20) + `"}`)
	code, body := e.deliver(t, big, gateway.SignTestPayload(big, testWebhookSecret, time.Now()))
	require.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	require.Contains(t, body, `"code":"body_too_large"`)

	setPaymentMode(t, e, f, "prepay", 30)
	id := probeOrder(e, f, booking.PendingPayment, false)
	p, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	ev := intentEvent("evt_future_"+uuid.NewString(), "payment_intent.succeeded", f.Tenant.ID, p.ID, p.Amount, "card")

	code, body = e.deliver(t, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now().Add(time.Hour)))
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, body, `"code":"webhook_signature_invalid"`)

	for name, garbage := range map[string][]byte{
		"not JSON":      []byte("this is not an event"),
		"not an event":  []byte(`{"hello":"world"}`),
		"truncated":     ev[:len(ev)/2],
		"wrong id type": []byte(`{"id":42,"type":"payment_intent.succeeded"}`),
	} {
		code, body := e.deliver(t, garbage, gateway.SignTestPayload(garbage, testWebhookSecret, time.Now()))
		require.Equal(t, http.StatusBadRequest, code, "%s: %s", name, body)
		require.Contains(t, body, `"code":"webhook_payload_invalid"`, name)
	}
	require.Equal(t, before, events(), "refused deliveries record nothing")
	require.Equal(t, "pending", e.paymentRow(t, f, p.ID).Status)

	// Two minutes ahead is within the tolerance: recorded and processed.
	code, body = e.deliver(t, ev, gateway.SignTestPayload(ev, testWebhookSecret, time.Now().Add(2*time.Minute)))
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, before+1, events())
	require.Eventually(t, func() bool { return e.orderStatus(t, f, id) == "confirmed" }, 20*time.Second, 50*time.Millisecond)
	require.NotContains(t, e.logs.String(), `"status":500`)
}

// TestDatabaseUnavailable: while the application's database refuses connections (its running
// connections terminated, new ones not allowed), the API answers 503 unavailable with
// Retry-After and /readyz says not ready; the log says why; once the database is back, so is
// the API, with no restart.
func TestDatabaseUnavailable(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	e := newEnv(t)
	f := e.A
	owner := f.Tokens["owner"]
	e.do(http.MethodGet, "/api/v1/stores", owner, "", nil).status(http.StatusOK)
	e.do(http.MethodGet, "/readyz", "", "", nil).status(http.StatusOK)

	admin, err := sql.Open("pgx", dbtest.AdminURL())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	allow := func(on bool) {
		_, err := admin.Exec(fmt.Sprintf("alter database %s allow_connections %t", e.db.Name, on))
		require.NoError(t, err)
	}
	allow(false)
	t.Cleanup(func() { allow(true) })
	_, err = admin.Exec(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and usename = 'doorstep_app'`, e.db.Name)
	require.NoError(t, err)

	// The first requests meet pooled connections the server terminated (57P01), the later ones
	// connections it refuses to open: both are the same honest answer.
	calls := []struct{ method, path, token, host string }{
		{http.MethodGet, "/api/v1/stores", owner, ""},                      // authenticated read
		{http.MethodGet, "/api/v1/franchisees", owner, ""},                 // another
		{http.MethodPost, "/api/v1/auth/login", "", f.Host},                // public write path, tenant from the host
		{http.MethodGet, "/api/v1/storefront/orders", f.CustomerToken, ""}, // customer
	}
	for _, c := range append(append(calls, calls...), calls...) {
		var body any
		if c.method == http.MethodPost {
			body = map[string]any{"login": "owner@alpha.test", "password": password}
		}
		r := e.do(c.method, c.path, c.token, c.host, body)
		r.wantProblem(http.StatusServiceUnavailable, "unavailable")
		require.NotEmpty(t, r.header.Get("Retry-After"), "%s %s", c.method, c.path)
		require.NotContains(t, string(r.body), "accepting connections", "no internals reach the client")
	}
	r := e.do(http.MethodGet, "/readyz", "", "", nil)
	r.wantProblem(http.StatusServiceUnavailable, "not_ready")
	logs := e.logs.String()
	require.Contains(t, logs, `"code":"unavailable"`)
	require.Contains(t, logs, "SQLSTATE 57P01", "the log holds the cause")
	require.Contains(t, logs, "not currently accepting connections", "the log holds the cause")

	allow(true)
	require.Eventually(t, func() bool {
		return e.do(http.MethodGet, "/api/v1/stores", owner, "", nil).code == http.StatusOK
	}, 10*time.Second, 100*time.Millisecond, "the API recovers by itself")
	e.do(http.MethodGet, "/readyz", "", "", nil).status(http.StatusOK)
}
