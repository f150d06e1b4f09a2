package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/platform"
	"doorstep/tenant"
)

// Problems the guard produces, with their stable codes.
var (
	errNoTenant       = errs.New(errs.NotFound, "tenant_not_found", "no tenant is served at this address")
	errTenantMismatch = errs.New(errs.Forbidden, "tenant_mismatch", "the credentials belong to another tenant than this address")
	errWrongAudience  = errs.New(errs.Forbidden, "wrong_audience", "this operation is not for your kind of account")
	errDenied         = errs.New(errs.Forbidden, "permission_denied", "your roles do not allow this")
	errCSRF           = errs.New(errs.Forbidden, "cross_site_request", "cross-site requests with a session cookie are refused")
)

// guard runs before every API operation: authenticate, resolve the tenant, check the audience
// and the permission, then hand the operation a context carrying principal and tenant.
func (s *Server) guard(hctx huma.Context, next func(huma.Context)) {
	fail := func(err error) {
		if e, ok := errs.As(err); !ok || e.Kind == errs.Internal {
			s.deps.Log.ErrorContext(hctx.Context(), "guard", "err", err)
		}
		_ = huma.WriteErr(s.API, hctx, http.StatusInternalServerError, "", err)
	}
	acc, ok := httpx.AccessOf(hctx.Operation())
	if !ok {
		fail(errs.New(errs.Internal, "no_access_rules", "operation without access rules"))
		return
	}
	r := humagin.Unwrap(hctx).Request
	ctx := hctx.Context()

	p, err := s.authenticate(ctx, r)
	if err != nil {
		fail(err)
		return
	}
	hostTenant, err := s.hostTenant(ctx, r)
	if err != nil {
		fail(err)
		return
	}

	var t *tenant.Tenant
	switch acc.Audience {
	case httpx.Operator:
		if p == nil {
			fail(identity.ErrUnauthenticated)
			return
		}
		if p.Kind != auth.Operator {
			fail(errWrongAudience)
			return
		}
	case httpx.Public:
		if p != nil && p.Kind != auth.Operator {
			if hostTenant != nil && hostTenant.ID != p.TenantID {
				fail(errTenantMismatch)
				return
			}
		}
		t = hostTenant
		if t == nil && acc.TenantFromHost {
			fail(errNoTenant)
			return
		}
	default:
		if p == nil {
			fail(identity.ErrUnauthenticated)
			return
		}
		switch {
		case p.Kind == auth.Operator,
			acc.Audience == httpx.Staff && p.Kind != auth.User,
			acc.Audience == httpx.Customer && p.Kind != auth.Customer:
			fail(errWrongAudience)
			return
		}
		if t, err = s.deps.Resolver.ByID(ctx, p.TenantID); err != nil {
			fail(err)
			return
		}
		if hostTenant != nil && hostTenant.ID != t.ID {
			fail(errTenantMismatch)
			return
		}
	}
	if p != nil && p.Session && unsafeMethod(r.Method) && crossSite(r) {
		fail(errCSRF)
		return
	}
	if acc.Permission != "" {
		subject := p.Subject()
		if p.Kind == auth.Customer {
			subject = "role:customer"
		}
		allowed, err := s.deps.RBAC.Check(t.ID, subject, acc.Permission)
		if err != nil {
			fail(dbx.UnavailableBecause(err))
			return
		}
		if !allowed {
			fail(errDenied)
			return
		}
	}
	if t != nil {
		ctx = tenant.WithTenant(ctx, t)
	}
	if p != nil {
		ctx = auth.WithPrincipal(ctx, p)
	}
	next(huma.WithContext(hctx, ctx))
}

// authenticate reads a bearer token or the web session; no credentials is (nil, nil).
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || raw == "" {
			return nil, errs.New(errs.Unauthenticated, "invalid_authorization", "use the Bearer scheme")
		}
		if platform.IsToken(raw) {
			return s.deps.Operators.Authenticate(ctx, raw)
		}
		p, err := s.deps.Auth.Authenticate(ctx, raw)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if s.deps.Sessions == nil {
		return nil, nil
	}
	sub, err := uuid.Parse(s.deps.Sessions.GetString(ctx, "subject_id"))
	kind := auth.Kind(s.deps.Sessions.GetString(ctx, "kind"))
	if err != nil || kind == "" {
		return nil, nil
	}
	if kind == auth.Operator {
		return &auth.Principal{Kind: auth.Operator, SubjectID: sub, Scope: auth.ScopeTenant, Session: true}, nil
	}
	tid, err := uuid.Parse(s.deps.Sessions.GetString(ctx, "tenant_id"))
	if err != nil {
		return nil, nil
	}
	t, err := s.deps.Resolver.ByID(ctx, tid)
	if err != nil {
		return nil, err
	}
	p, err := s.deps.Auth.PrincipalFor(tenant.WithTenant(ctx, t), kind, sub)
	if err != nil {
		// A session whose account went away or was disabled ends here.
		_ = s.deps.Sessions.Destroy(ctx)
		return nil, err
	}
	return p, nil
}

// hostTenant resolves the Host (or, in dev mode only, the X-Tenant header).
func (s *Server) hostTenant(ctx context.Context, r *http.Request) (*tenant.Tenant, error) {
	t, named, err := s.deps.Resolver.ByHost(ctx, r.Host)
	if named {
		return t, err
	}
	if v := r.Header.Get("X-Tenant"); v != "" && s.deps.Resolver.DevMode() {
		return s.deps.Resolver.ByHeader(ctx, v)
	}
	return nil, nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// crossSite uses Fetch Metadata, falling back to Origin, to refuse cross-site cookie writes.
func crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "same-origin" && site != "none"
	}
	if o := r.Header.Get("Origin"); o != "" {
		o = strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
		return !strings.EqualFold(o, r.Host)
	}
	return false
}
