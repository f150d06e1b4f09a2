// Package server assembles the HTTP surface: gin with request ids, access logs, panic recovery
// and metrics; huma for the versioned API with OpenAPI 3.1 and problem errors; and the guard
// that authenticates, resolves the tenant and checks permissions before any operation runs.
// Console and storefront routes hang off the same engine.
package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/alexedwards/scs/v2"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"doorstep/app/auth"
	"doorstep/app/kit/httpx"
	"doorstep/tenant"
)

// Authenticator turns tenant bearer tokens and web sessions into principals.
type Authenticator interface {
	Authenticate(ctx context.Context, raw string) (*auth.Principal, error)
	PrincipalFor(ctx context.Context, kind auth.Kind, subject uuid.UUID) (*auth.Principal, error)
}

// OperatorAuthenticator authenticates platform operator tokens.
type OperatorAuthenticator interface {
	Authenticate(ctx context.Context, raw string) (*auth.Principal, error)
}

// Authorizer answers permission questions (casbin); an error means it could not answer (the
// tenant's policy cannot be loaded now), which is a 503, not a refusal.
type Authorizer interface {
	Check(tenantID uuid.UUID, subject, permission string) (bool, error)
}

// Config is the server's behaviour.
type Config struct {
	DevMode        bool
	BaseDomain     string
	MaxBodyBytes   int64
	TrustedProxies []string
}

// Deps are what the server calls.
type Deps struct {
	Log       *slog.Logger
	Auth      Authenticator
	Operators OperatorAuthenticator
	Resolver  *tenant.Resolver
	RBAC      Authorizer
	Sessions  *scs.SessionManager
	Registry  *prometheus.Registry
	Ready     func(ctx context.Context) error
}

// Server is the assembled HTTP application.
type Server struct {
	cfg    Config
	deps   Deps
	Engine *gin.Engine
	API    huma.API
}

// New builds the engine and the API; callers then Register operations on s.API and call
// s.Handler().
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	gin.SetMode(gin.ReleaseMode)
	httpx.InstallErrors()
	e := gin.New()
	e.HandleMethodNotAllowed = true
	_ = e.SetTrustedProxies(cfg.TrustedProxies)
	metrics := httpx.NewMetrics(d.Registry)
	e.Use(httpx.RequestID(), httpx.AccessLog(d.Log), httpx.Recover(d.Log), metrics.Middleware())
	e.NoRoute(func(c *gin.Context) {
		httpx.WriteProblem(c, httpx.NewProblem(http.StatusNotFound, "route_not_found", "no such route"))
	})
	e.NoMethod(func(c *gin.Context) {
		httpx.WriteProblem(c, httpx.NewProblem(http.StatusMethodNotAllowed, "method_not_allowed", "this route does not accept the method"))
	})

	hc := huma.DefaultConfig("Doorstep API", "1.0.0")
	hc.OpenAPIPath = "/api/openapi"
	hc.DocsPath = "/api/docs"
	hc.SchemasPath = "/api/schemas"
	hc.Info.Description = "Multi-tenant platform for chains and franchises of on-site services. Errors are RFC 9457 problems with a stable `code`."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "Opaque token from /api/v1/auth/login"},
		"cookie": {Type: "apiKey", In: "cookie", Name: "doorstep_session"},
	}
	api := humagin.New(e, hc)
	s := &Server{cfg: cfg, deps: d, Engine: e, API: api}
	// After the guard (an anonymous caller learns nothing about the body's rules), before any
	// operation: text PostgreSQL cannot store is a 422 naming the field, never a failed write.
	api.UseMiddleware(s.guard, httpx.RefuseUnstorableText(api))

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		if d.Ready != nil {
			if err := d.Ready(c.Request.Context()); err != nil {
				d.Log.WarnContext(c.Request.Context(), "not ready", "err", err)
				httpx.WriteProblem(c, httpx.NewProblem(http.StatusServiceUnavailable, "not_ready", "a dependency is unreachable"))
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
	return s
}

// Finish applies per-operation settings once every operation is registered, and refuses to
// start when an operation has no access rules (fail closed).
func (s *Server) Finish() {
	for path, item := range s.API.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			if _, ok := httpx.AccessOf(op); !ok {
				panic("server: operation " + op.OperationID + " on " + path + " has no access rules")
			}
		}
	}
}

// Handler is the complete HTTP handler, with web sessions loaded.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.Engine
	if s.deps.Sessions != nil {
		h = s.deps.Sessions.LoadAndSave(h)
	}
	return http.MaxBytesHandler(h, s.cfg.MaxBodyBytes+1024)
}
