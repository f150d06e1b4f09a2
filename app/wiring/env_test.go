package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
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

// jobContext is the context a job of f's tenant runs in: the whole tenant, as the jobs
// middleware restores it. Tests that call a job's work directly use it.
func (f *fixture) jobContext() context.Context {
	return tenant.WithTenant(context.Background(), &f.Tenant)
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
	probeSlots atomic.Int64 // see probeSlot
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

// skipIfShort skips a slow scenario, chaos or storm test under -short (make test-short); make
// test runs them all.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow scenario: skipped with -short")
	}
}

// newEnv runs the real application and its worker on a fresh clone of the seeded world (two
// tenants, see seed) and a fresh Redis index. Nothing is shared with other envs, so the tests
// that build one run in parallel.
func newEnv(t testing.TB) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith lets a test change identity's limits (nil keeps them out of the way).
func newEnvWith(t testing.TB, tune func(*identity.Config)) *env {
	t.Helper()
	return newEnvConfig(t, nil, tune)
}

// newEnvConfig lets a test change the application's configuration too.
func newEnvConfig(t testing.TB, config func(*wiring.Config), tune func(*identity.Config)) *env {
	t.Helper()
	w := seededWorld(t)
	e := startEnv(t, dbtest.NewFrom(t, w.db), config, tune, t.Cleanup)
	e.opToken, e.A, e.B = w.opToken, w.A.clone(), w.B.clone()
	e.probeSlots.Store(w.probeSlots)
	return e
}

// world is the seeded database every env clones. Seeding through the services and the API
// (two tenants, 17 argon2id accounts signed in, a one-time-code login through asynq, every
// domain's objects, signed Stripe events) takes about ten seconds under -race; cloning a
// database takes a fraction of one. It is built once per test process, or again when older
// than worldMaxAge, since some seeded objects (a quote) expire.
type world struct {
	db         string // the template database's name
	built      time.Time
	opToken    string
	A, B       *fixture
	probeSlots int64
}

const worldMaxAge = 8 * time.Minute

var worlds struct {
	sync.Mutex
	current *world
	all     []string // every world database this process built, dropped by TestMain
}

func seededWorld(t testing.TB) *world {
	t.Helper()
	worlds.Lock()
	defer worlds.Unlock()
	if w := worlds.current; w != nil && time.Since(w.built) < worldMaxAge {
		return w
	}
	worlds.current = buildWorld(t)
	worlds.all = append(worlds.all, worlds.current.db)
	return worlds.current
}

// dropWorlds drops the world databases; TestMain calls it after the tests.
func dropWorlds() {
	worlds.Lock()
	defer worlds.Unlock()
	for _, name := range worlds.all {
		_ = dbtest.Drop(context.Background(), name)
	}
}

// buildWorld seeds a new world through a running application, lets its worker finish the
// work seeding queued, and closes every connection so that the database can be cloned.
func buildWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	tpl, err := dbtest.MigratedTemplate(ctx)
	require.NoError(t, err)
	d, err := dbtest.Create(ctx, tpl)
	require.NoError(t, err)
	var stops []func()
	done := false
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		d.Close()
		if !done {
			_ = dbtest.Drop(ctx, d.Name)
		}
	}()
	e := startEnv(t, d, nil, nil, func(f func()) { stops = append(stops, f) })
	_, err = e.app.Platform.EnsureOperator(ctx, "ops@doorstep.test", password, "ops")
	require.NoError(t, err)
	var out struct{ Token string }
	e.do(http.MethodPost, "/api/v1/platform/login", "", "", map[string]any{"email": "ops@doorstep.test", "password": password}).ok(&out)
	e.opToken = out.Token
	e.A = e.seed("alpha", "Alpha Clean 阿尔法", "+8613800000001")
	e.B = e.seed("bravo", "Bravo Repair 布拉沃", "+8613900000002")
	e.settleAll()
	done = true
	return &world{db: d.Name, built: time.Now(), opToken: e.opToken, A: e.A, B: e.B, probeSlots: e.probeSlots.Load()}
}

// settleAll waits until every task that is due has finished (its outbox row closed) and asynq
// has nothing pending or running, so that the world is cloned at rest. Delayed tasks stay in
// the outbox; the clone's relay hands them over when they fall due.
func (e *env) settleAll() {
	e.t.Helper()
	ins := asynq.NewInspector(e.app.RedisOpt)
	defer ins.Close()
	require.Eventually(e.t, func() bool {
		var n int64
		require.NoError(e.t, e.db.Owner.Raw(`select count(*) from outbox
			where done_at is null and (process_at is null or process_at <= now())`).Scan(&n).Error)
		if n > 0 {
			return false
		}
		for _, q := range []string{"critical", "default", "low"} {
			if qi, err := ins.GetQueueInfo(q); err == nil && qi.Pending+qi.Active > 0 {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the seeded world's jobs did not settle")
}

// clone copies what a test may change: its maps and slices.
func (f *fixture) clone() *fixture {
	c := *f
	c.Tokens = maps.Clone(f.Tokens)
	c.UserIDs = maps.Clone(f.UserIDs)
	c.Secrets = slices.Clone(f.Secrets)
	// The domains' seeded objects hang off the fixture's address; the clone reaches them too.
	for _, m := range []*sync.Map{&bookingFixtures, &cardFixtures, &commissionFixtures, &paymentFixtures,
		&payoutFixtures, &reviewFixtures, &dispatchFixtures} {
		if v, ok := m.Load(f); ok {
			m.Store(&c, v)
		}
	}
	return &c
}

// startEnv wires the real application on d and a fresh Redis index, runs its worker and an
// HTTP server, and registers their shutdown with cleanup.
func startEnv(t testing.TB, d *dbtest.DB, config func(*wiring.Config), tune func(*identity.Config), cleanup func(func())) *env {
	t.Helper()
	ctx := context.Background()
	_, ropt := dbtest.Redis(t)
	cfg, err := wiring.LoadConfig()
	require.NoError(t, err)
	cfg.DatabaseURL, cfg.AppDatabaseURL = d.OwnerURL, d.AppURL
	cfg.RedisURL = fmt.Sprintf("redis://%s/%d", ropt.Addr, ropt.DB)
	cfg.BaseDomain, cfg.DevMode = baseDomain, true
	cfg.RelayInterval = 50 * time.Millisecond
	cfg.DBMaxConns = 10
	cfg.StripeAPIURL, cfg.StripeWebhookKey = os.Getenv("STRIPE_MOCK_URL"), testWebhookSecret
	if config != nil {
		config(&cfg)
	}
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
	cleanup(a.Close)
	w, err := a.NewWorker()
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(wctx) }()
	stopWorker := sync.OnceFunc(func() { cancel(); <-done })
	cleanup(stopWorker)
	srv := httptest.NewServer(a.Handler())
	cleanup(srv.Close)
	return &env{t: t, db: d, app: a, srv: srv, sent: sent, logs: logs, stopWorker: stopWorker}
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
