package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/geo"
	"doorstep/app/notify"
	"doorstep/app/org"
	"doorstep/app/wiring"
	"doorstep/rbac"
	"doorstep/tenant"
)

const baseDomain = "doorstep.test"

// captureSender records every notification the worker sends.
type captureSender struct {
	mu   sync.Mutex
	sent []notify.Rendered
}

func (c *captureSender) Send(_ context.Context, _ uuid.UUID, r notify.Rendered) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, r)
	return nil
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

// codeFor waits for a login code sent to phone.
func (c *captureSender) codeFor(t testing.TB, phone string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for i := len(c.sent) - 1; i >= 0; i-- {
			if c.sent[i].To == phone {
				if m := codeRe.FindStringSubmatch(c.sent[i].Body); m != nil {
					c.mu.Unlock()
					return m[1]
				}
			}
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no login code sent to %s", phone)
	return ""
}

// fixture is one tenant with an account per template role and one object of each kind.
type fixture struct {
	Tenant        tenant.Tenant
	Host          string
	Tokens        map[string]string    // role → bearer token of a user holding only that role
	UserIDs       map[string]uuid.UUID // role → that user's id
	FranchiseeID  uuid.UUID
	StoreID       uuid.UUID // HQ-run store
	FrStoreID     uuid.UUID // franchised store
	CustomerID    uuid.UUID
	CustomerPhone string
	CustomerToken string
	CustomRole    string
	Domain        string
	Secrets       []string // strings that identify this tenant's data
	fixtureObjects
}

type env struct {
	t       testing.TB
	db      *dbtest.DB
	app     *wiring.App
	srv     *httptest.Server
	sent    *captureSender
	A, B    *fixture
	opToken string
	logs    *syncBuffer // everything the application logged
	// stopWorker stops the worker (relay, job handlers, scheduler) before the test ends, for
	// benchmarks that measure the API alone; it is safe to call more than once.
	stopWorker func()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const password = "correct horse battery"

// testWebhookSecret signs the Stripe events tests deliver to /api/v1/webhooks/stripe.
const testWebhookSecret = "whsec_doorstep_test"

// newEnv wires the real application on a fresh database and Redis index, runs its worker,
// and builds two tenants.
func newEnv(t testing.TB) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith lets a test change identity's limits (nil keeps them out of the way).
func newEnvWith(t testing.TB, tune func(*identity.Config)) *env {
	t.Helper()
	ctx := context.Background()
	d := dbtest.New(t)
	_, ropt := dbtest.Redis(t)
	cfg, err := wiring.LoadConfig()
	require.NoError(t, err)
	cfg.DatabaseURL, cfg.AppDatabaseURL = d.OwnerURL, d.AppURL
	cfg.RedisURL = fmt.Sprintf("redis://%s/%d", ropt.Addr, ropt.DB)
	cfg.BaseDomain, cfg.DevMode = baseDomain, true
	cfg.RelayInterval = 50 * time.Millisecond
	cfg.DBMaxConns = 10
	cfg.StripeAPIURL, cfg.StripeWebhookKey = os.Getenv("STRIPE_MOCK_URL"), testWebhookSecret
	require.NotEmpty(t, cfg.StripeAPIURL, "STRIPE_MOCK_URL is unset: run through make test, or eval \"$(deploy/dev/stripe-mock.sh)\"")
	idc := identity.DefaultConfig()
	idc.LoginPerMinute, idc.LoginPerMinIP, idc.CodesPerHour, idc.CodesPerMinIP = 100000, 100000, 100000, 100000
	if tune != nil {
		tune(&idc)
	}
	sent := &captureSender{}
	logs := &syncBuffer{}
	var logOut io.Writer = logs
	if os.Getenv("DOORSTEP_TEST_LOG") != "" {
		logOut = io.MultiWriter(logs, os.Stderr)
	}
	a, err := wiring.New(ctx, cfg, slog.New(slog.NewJSONHandler(logOut, nil)), wiring.Options{Identity: &idc, Sender: sent})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	w, err := a.NewWorker()
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(wctx) }()
	stopWorker := sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stopWorker)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, db: d, app: a, srv: srv, sent: sent, logs: logs, stopWorker: stopWorker}
	_, err = a.Platform.EnsureOperator(ctx, "ops@doorstep.test", password, "ops")
	require.NoError(t, err)
	var out struct{ Token string }
	e.do(http.MethodPost, "/api/v1/platform/login", "", "", map[string]any{"email": "ops@doorstep.test", "password": password}).ok(&out)
	e.opToken = out.Token
	e.A = e.seed("alpha", "Alpha Clean 阿尔法", "+8613800000001")
	e.B = e.seed("bravo", "Bravo Repair 布拉沃", "+8613900000002")
	return e
}

// seed creates a tenant through the services, then signs everybody in through the API.
func (e *env) seed(slug, name, customerPhone string) *fixture {
	t := e.t
	ctx := context.Background()
	owner := "owner@" + slug + ".test"
	tn, err := e.app.Tenants.Create(ctx, tenant.NewTenant{Name: name, Slug: slug, OwnerEmail: owner, OwnerPassword: password, StoreName: name + " HQ store"})
	require.NoError(t, err)
	f := &fixture{Tenant: tn, Host: slug + "." + baseDomain, Tokens: map[string]string{}, UserIDs: map[string]uuid.UUID{}, CustomerPhone: customerPhone}
	sctx := auth.WithPrincipal(tenant.WithTenant(ctx, &tn), &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
	fr, err := e.app.Org.CreateFranchisee(sctx, org.NewFranchisee{Name: name + " Franchise", ContactEmail: "fr@" + slug + ".test"})
	require.NoError(t, err)
	f.FranchiseeID = fr.ID
	stores, err := e.app.Org.ListStores(sctx, org.StoreFilter{}, pageAll())
	require.NoError(t, err)
	f.StoreID = stores.Items[0].ID
	square := &geo.Polygon{Type: "Polygon", Coordinates: [][][2]float64{{{121.4, 31.1}, {121.5, 31.1}, {121.5, 31.2}, {121.4, 31.2}, {121.4, 31.1}}}}
	st, err := e.app.Org.CreateStore(sctx, org.Store{Code: "FR1", Name: name + " franchised", TimeZone: "Asia/Shanghai", FranchiseeID: fr.ID, Territory: square})
	require.NoError(t, err)
	f.FrStoreID = st.ID
	for _, tpl := range rbac.Templates() {
		if tpl.Name == "customer" {
			continue
		}
		n := identity.NewUser{Email: tpl.Name + "@" + slug + ".test", Password: password, DisplayName: tpl.Name + " of " + slug, Roles: []string{tpl.Name}}
		switch tpl.Scope {
		case auth.ScopeFranchisee:
			n.FranchiseeID = fr.ID
		case auth.ScopeStore, auth.ScopeSelf:
			n.StoreID = st.ID
		}
		if tpl.Name == "owner" {
			// the provisioned owner exists already
			continue
		}
		u, err := e.app.Identity.CreateUser(sctx, n, e.app.Roles)
		require.NoError(t, err)
		f.UserIDs[tpl.Name] = u.ID
	}
	for _, tpl := range rbac.Templates() {
		if tpl.Name == "customer" {
			continue
		}
		email := tpl.Name + "@" + slug + ".test"
		if tpl.Name == "owner" {
			email = owner
		}
		var out struct {
			Token string
			Me    struct{ ID uuid.UUID }
		}
		e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": email, "password": password}).ok(&out)
		f.Tokens[tpl.Name] = out.Token
		f.UserIDs[tpl.Name] = out.Me.ID
	}
	// A customer signs in with a one-time code delivered through outbox → relay → asynq → sender.
	e.do(http.MethodPost, "/api/v1/auth/customer/code", "", f.Host, map[string]any{"phone": customerPhone}).status(http.StatusAccepted)
	code := e.sent.codeFor(t, customerPhone)
	var cust struct {
		Token string
		Me    struct{ ID uuid.UUID }
	}
	e.do(http.MethodPost, "/api/v1/auth/customer/login", "", f.Host, map[string]any{"phone": customerPhone, "code": code}).ok(&cust)
	f.CustomerToken, f.CustomerID = cust.Token, cust.Me.ID
	f.Tokens["customer"] = cust.Token

	f.CustomRole = "auditor_" + slug
	e.do(http.MethodPost, "/api/v1/roles", f.Tokens["owner"], "", map[string]any{"name": f.CustomRole, "scope": "tenant", "permissions": []string{"audit:read"}}).status(http.StatusCreated)
	f.Domain = "book." + slug + "-brand.com"
	e.do(http.MethodPost, "/api/v1/tenant/domains", f.Tokens["owner"], "", map[string]any{"host": f.Domain}).status(http.StatusCreated)
	f.Secrets = []string{tn.ID.String(), slug, name, fr.ID.String(), f.StoreID.String(), st.ID.String(), f.CustomerID.String(),
		owner, f.Domain, customerPhone, f.CustomRole}
	for _, id := range f.UserIDs {
		f.Secrets = append(f.Secrets, id.String())
	}
	e.seedObjects(f)
	return f
}

// ---- requests ----

type resp struct {
	t      testing.TB
	code   int
	body   []byte
	header http.Header
	req    string
}

func (e *env) do(method, path, token, host string, body any) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if host != "" {
		req.Host = host
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return &resp{t: e.t, code: res.StatusCode, body: b, header: res.Header, req: method + " " + path}
}

func (r *resp) status(want int) *resp {
	r.t.Helper()
	require.Equal(r.t, want, r.code, "%s → %s", r.req, r.body)
	return r
}

func (r *resp) ok(v any) *resp {
	r.t.Helper()
	require.True(r.t, r.code >= 200 && r.code < 300, "%s → %d %s", r.req, r.code, r.body)
	if v != nil {
		require.NoError(r.t, json.Unmarshal(r.body, v), string(r.body))
	}
	return r
}

// problem returns the problem code of an error response.
func (r *resp) problem() string {
	var p struct{ Code string }
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

func (r *resp) wantProblem(status int, code string) *resp {
	r.t.Helper()
	require.Equal(r.t, status, r.code, "%s → %s", r.req, r.body)
	require.Equal(r.t, code, r.problem(), "%s → %s", r.req, r.body)
	require.Contains(r.t, r.header.Get("Content-Type"), "application/problem+json")
	return r
}
