package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"doorstep/app/audit"
	"doorstep/app/audit/auditapi"
	"doorstep/app/audit/auditdb"
	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/booking/slots"
	"doorstep/app/card"
	"doorstep/app/catalog"
	"doorstep/app/commission"
	"doorstep/app/dispatch"
	"doorstep/app/finance"
	"doorstep/app/identity"
	"doorstep/app/identity/identityapi"
	"doorstep/app/identity/identitydb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgercheck"
	"doorstep/app/notify"
	"doorstep/app/org"
	"doorstep/app/org/orgapi"
	"doorstep/app/org/orgdb"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
	"doorstep/app/payout"
	"doorstep/app/platform"
	"doorstep/app/pricing"
	"doorstep/app/review"
	"doorstep/app/server"
	"doorstep/app/staff"
	"doorstep/jobs"
	"doorstep/rbac"
	"doorstep/rbac/rbacapi"
	"doorstep/tenant"
	"doorstep/tenant/tenantapi"
	"doorstep/tenant/tenantdb"
)

// App is the wired application.
type App struct {
	Cfg       Config
	Log       *slog.Logger
	DB        *dbx.DB
	Redis     *redis.Client
	RedisOpt  asynq.RedisConnOpt
	Registry  *prometheus.Registry
	Enforcer  *rbac.Enforcer
	Roles     *rbac.Service
	Outbox    *jobs.Outbox
	Audit     *audit.Log
	Tenants   *tenant.Service
	Resolver  *tenant.Resolver
	Identity  *identity.Service
	Org       *org.Service
	Staff     *staff.Service
	Catalog   *catalog.Service
	Pricing   *pricing.Service
	Booking   *booking.Service
	Review    *review.Service
	Dispatch  *dispatch.Service
	Platform  *platform.Service
	Sessions  *scs.SessionManager
	Server    *server.Server
	Sender    notify.Sender
	Inbox     *notify.Inbox
	JobMetric *jobs.Metrics

	Availability *slots.Service // bookable slots (app/booking/slots)

	Ledger  *ledger.Service  // the double-entry book (app/ledger)
	Gateway gateway.Gateway  // the payment processor (Stripe)
	Card    *card.Service    // prepaid cards (app/card)
	Finance *finance.Service // finance reports (app/finance)

	Commission  *commission.Service  // commission rules, splits, settlement, clawback (app/commission)
	LedgerCheck *ledgercheck.Checker // the ledger consistency check (job and command)
	Payout      *payout.Service      // wallets and withdrawals; also the webhook's EventHandler for Connect and transfer events
	Payment     *payment.Service     // payments, refunds, Stripe webhooks (app/payment)

	closers []func()
}

// Options tune wiring for tests.
type Options struct {
	Identity *identity.Config // nil: identity.DefaultConfig()
	Sender   notify.Sender    // nil: see App.senders; set: takes every channel but the in-app inbox
	Gateway  gateway.Gateway  // nil: Stripe at Config.StripeAPIURL
}

// New connects everything. The caller must Close the app.
func New(ctx context.Context, cfg Config, log *slog.Logger, opt Options) (*App, error) {
	a := &App{Cfg: cfg, Log: log, Registry: prometheus.NewRegistry()}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	g, err := dbx.Open(cfg.AppDatabaseURL, dbx.PoolConfig{MaxOpen: cfg.DBMaxConns, MaxIdle: cfg.DBMaxConns, MaxLifetime: 30 * time.Minute})
	if err != nil {
		return nil, err
	}
	if sqlDB, err := g.DB(); err == nil {
		a.closers = append(a.closers, func() { _ = sqlDB.Close() })
		if err := sqlDB.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("database %s: %w", redactURL(cfg.AppDatabaseURL), err)
		}
	}
	a.DB = dbx.New(g)

	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	a.Redis = redis.NewClient(ropt)
	a.closers = append(a.closers, func() { _ = a.Redis.Close() })
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	a.RedisOpt = asynq.RedisClientOpt{Addr: ropt.Addr, Username: ropt.Username, Password: ropt.Password, DB: ropt.DB, TLSConfig: ropt.TLSConfig}

	// Policies load through a pool of their own: a permission check on a cold tenant must not
	// queue behind the requests and jobs that hold the main pool (twenty concurrent requests
	// of a tenant this instance had not seen yet waited out the load's timeout and were refused).
	pg, err := dbx.Open(cfg.AppDatabaseURL, dbx.PoolConfig{MaxOpen: 2, MaxIdle: 1, MaxLifetime: 30 * time.Minute})
	if err != nil {
		return nil, err
	}
	if sqlDB, err := pg.DB(); err == nil {
		a.closers = append(a.closers, func() { _ = sqlDB.Close() })
	}
	if a.Enforcer, err = rbac.NewEnforcer(ctx, pg, a.Redis, log); err != nil {
		return nil, fmt.Errorf("rbac: %w", err)
	}
	a.closers = append(a.closers, func() { _ = a.Enforcer.Close() })
	a.Roles = rbac.NewService(a.DB, a.Enforcer)

	clk := clock.System{}
	a.Outbox = jobs.NewOutbox(a.DB, clk)
	a.Audit = audit.New(a.DB, auditdb.New(a.DB))
	a.Org = org.NewService(a.DB, orgdb.New(a.DB), a.Audit)
	a.Platform = platform.NewService(a.DB, a.Redis)
	idCfg := identity.DefaultConfig()
	if opt.Identity != nil {
		idCfg = *opt.Identity
	}
	a.Identity = identity.NewService(identity.Deps{DB: a.DB, Repo: identitydb.New(a.DB), Roles: roleAdapter{a.Enforcer, a.Roles},
		Stores: a.Org, Audit: a.Audit, Codes: codeSender{a.Outbox}, Redis: a.Redis, Clock: clk, Log: log}, idCfg)
	tstore := tenantdb.New(a.DB)
	a.Tenants = tenant.NewService(a.DB, tstore, provisioner{a}, a.Audit, cfg.BaseDomain)
	a.Resolver = tenant.NewResolver(tstore, cfg.BaseDomain, cfg.DevMode)

	if a.Sender, err = a.senders(opt.Sender, clk); err != nil {
		return nil, err
	}
	a.JobMetric = jobs.NewMetrics(a.Registry)

	a.Sessions = scs.New()
	a.Sessions.Store = goredisstore.NewWithPrefix(a.Redis, "doorstep:session:")
	a.Sessions.Lifetime = cfg.SessionTTL
	a.Sessions.IdleTimeout = 2 * time.Hour
	a.Sessions.Cookie.Name = "doorstep_session"
	a.Sessions.Cookie.HttpOnly = true
	a.Sessions.Cookie.SameSite = http.SameSiteLaxMode
	a.Sessions.Cookie.Secure = !cfg.DevMode
	a.Sessions.Cookie.Path = "/"

	a.Server = server.New(server.Config{DevMode: cfg.DevMode, BaseDomain: cfg.BaseDomain, MaxBodyBytes: cfg.MaxBodyBytes, TrustedProxies: cfg.TrustedProxies},
		server.Deps{Log: log, Auth: a.Identity, Operators: a.Platform, Resolver: a.Resolver, RBAC: a.Enforcer,
			Sessions: a.Sessions, Registry: a.Registry, Ready: a.ready})
	api := a.Server.API
	tenantapi.Register(api, a.Tenants)
	tenantapi.RegisterPlatform(api, a.Tenants)
	platform.Register(api, a.Platform, a.Sessions)
	identityapi.Register(api, a.Identity, a.Roles, a.Sessions)
	orgapi.Register(api, a.Org)
	rbacapi.Register(api, a.Roles)
	auditapi.Register(api, a.Audit)
	a.wireLedger(opt)
	a.wireStaff(api)
	a.wireCatalog(api)
	a.wireAvailability(api)
	a.wireBooking(api)
	a.wireInbox(api)
	a.wireReview(api)
	a.wireDispatch(api)
	a.wireCard(api)
	a.wireFinance(api)
	a.wireCommission(api)
	a.wirePayout(api)
	a.wirePayment(api)
	if err := a.CheckWired(); err != nil {
		return nil, err
	}
	a.Server.Finish()
	a.mountWeb()
	ok = true
	return a, nil
}

// CheckWired fails when a domain is missing a collaborator wiring must hand it (a hook, a
// handler, a subscriber): New refuses to build such an app, as the server refuses an operation
// without access rules.
func (a *App) CheckWired() error {
	if err := errors.Join(a.Booking.Wired(), a.Card.Wired(), a.Payment.Wired()); err != nil {
		return fmt.Errorf("wiring: unwired hooks: %w", err)
	}
	return nil
}

// Handler is the HTTP handler of serve.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

func (a *App) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	sqlDB, err := a.DB.Gorm().DB()
	if err != nil {
		return err
	}
	return errors.Join(sqlDB.PingContext(ctx), a.Redis.Ping(ctx).Err())
}

// Close releases connections in reverse order.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// roleAdapter gives identity the enforcer's and the role service's answers.
type roleAdapter struct {
	e *rbac.Enforcer
	s *rbac.Service
}

func (r roleAdapter) RolesOf(tid uuid.UUID, subject string) []string {
	return r.e.RolesOf(tid, subject)
}
func (r roleAdapter) ScopeOf(ctx context.Context, roles []string) (auth.Scope, error) {
	return r.s.ScopeOf(ctx, roles)
}
func (r roleAdapter) Can(ctx context.Context, perm string) bool { return r.s.Can(ctx, perm) }

// codeSender sends login codes through the notification outbox.
type codeSender struct{ ob *jobs.Outbox }

func (c codeSender) SendLoginCode(ctx context.Context, phone, code, locale, brand string, ttl time.Duration) error {
	return notify.Enqueue(ctx, c.ob, notify.Message{Channel: "sms", To: phone, Locale: locale, Template: "login_code",
		Params: map[string]string{"Code": code, "Brand": brand, "Minutes": strconv.Itoa(int(ttl.Minutes()))}})
}
