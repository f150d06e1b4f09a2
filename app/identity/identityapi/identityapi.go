// Package identityapi exposes sign-in, tokens, the caller's own profile, staff accounts and
// customers. Phone numbers are masked unless the caller's roles need them.
package identityapi

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/kit/phone"
)

// Session keys in the scs web session.
const (
	SessionTenant  = "tenant_id"
	SessionKind    = "kind"
	SessionSubject = "subject_id"
)

// RoleService is what the API needs from rbac.
type RoleService interface {
	AssignRoles(ctx context.Context, subject string, roles []string) error
	RolesOf(ctx context.Context, subject string) []string
}

type api struct {
	svc      *identity.Service
	roles    RoleService
	sessions *scs.SessionManager
}

// Register adds the identity operations.
func Register(h huma.API, svc *identity.Service, roles RoleService, sessions *scs.SessionManager) {
	a := api{svc: svc, roles: roles, sessions: sessions}
	authTag := []string{"Auth"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login",
		Summary: "Staff sign-in with e-mail or phone and password", Tags: authTag,
		Description: "The tenant comes from the Host (or `X-Tenant` in dev mode). With `session: true` a web session cookie is set instead of returning a token."},
		httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.login)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "request-login-code", Method: http.MethodPost, Path: "/api/v1/auth/customer/code",
		Summary: "Send a one-time login code to a customer's phone", Tags: authTag, DefaultStatus: http.StatusAccepted},
		httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.requestCode)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "customer-login", Method: http.MethodPost, Path: "/api/v1/auth/customer/login",
		Summary: "Customer sign-in with phone and one-time code", Tags: authTag},
		httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.customerLogin)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Summary: "Revoke the token in use or end the web session", Tags: authTag, DefaultStatus: http.StatusNoContent},
		httpx.Access{Audience: httpx.Member}), a.logout)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/auth/tokens",
		Summary: "List your API tokens", Tags: authTag}, httpx.Access{Audience: httpx.Member}), a.listTokens)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/auth/tokens",
		Summary: "Create a named API token for an integration", Tags: authTag, DefaultStatus: http.StatusCreated}, httpx.Access{Audience: httpx.Member}), a.createToken)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/v1/auth/tokens/{id}",
		Summary: "Revoke one of your tokens", Tags: authTag, DefaultStatus: http.StatusNoContent}, httpx.Access{Audience: httpx.Member}), a.revokeToken)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/me",
		Summary: "Who am I", Tags: authTag}, httpx.Access{Audience: httpx.Member}), a.me)
	registerUsers(h, a)
	registerCustomers(h, a)
}

// LoginInput is a staff sign-in.
type LoginInput struct {
	Login    string `json:"login" minLength:"3" maxLength:"254" doc:"E-mail or phone number"`
	Password string `json:"password" minLength:"1" maxLength:"200"`
	Session  bool   `json:"session,omitempty" doc:"Set a web session cookie instead of returning a bearer token"`
}

// LoginOutput is a successful sign-in.
type LoginOutput struct {
	Token     string     `json:"token,omitempty" doc:"Bearer token; absent for session sign-ins"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Me        MeDTO      `json:"me"`
}

// MeDTO describes the caller.
type MeDTO struct {
	Kind         string     `json:"kind" enum:"user,customer,operator"`
	ID           uuid.UUID  `json:"id"`
	TenantID     uuid.UUID  `json:"tenant_id"`
	Roles        []string   `json:"roles"`
	Scope        string     `json:"scope" enum:"tenant,franchisee,store,self"`
	FranchiseeID *uuid.UUID `json:"franchisee_id,omitempty"`
	StoreID      *uuid.UUID `json:"store_id,omitempty"`
}

func toMe(p *auth.Principal) MeDTO {
	m := MeDTO{Kind: string(p.Kind), ID: p.SubjectID, TenantID: p.TenantID, Roles: p.Roles, Scope: string(p.Scope)}
	if m.Roles == nil {
		m.Roles = []string{}
	}
	if p.FranchiseeID != uuid.Nil {
		id := p.FranchiseeID
		m.FranchiseeID = &id
	}
	if p.StoreID != uuid.Nil {
		id := p.StoreID
		m.StoreID = &id
	}
	return m
}

func (a api) login(ctx context.Context, in *struct{ Body LoginInput }) (*httpx.Body[LoginOutput], error) {
	res, err := a.svc.Login(ctx, in.Body.Login, in.Body.Password, httpx.ClientIPFrom(ctx), !in.Body.Session)
	if err != nil {
		return nil, err
	}
	out := LoginOutput{Me: toMe(res.Principal)}
	if in.Body.Session {
		if err := a.startSession(ctx, res.Principal); err != nil {
			return nil, err
		}
	} else {
		out.Token, out.ExpiresAt = res.Token, &res.ExpiresAt
	}
	return &httpx.Body[LoginOutput]{Body: out}, nil
}

// startSession rotates the session id (against fixation) and stores the principal's keys.
func (a api) startSession(ctx context.Context, p *auth.Principal) error {
	if a.sessions == nil {
		return errs.New(errs.Invalid, "sessions_unavailable", "web sessions are not enabled")
	}
	if err := a.sessions.RenewToken(ctx); err != nil {
		return err
	}
	a.sessions.Put(ctx, SessionTenant, p.TenantID.String())
	a.sessions.Put(ctx, SessionKind, string(p.Kind))
	a.sessions.Put(ctx, SessionSubject, p.SubjectID.String())
	return nil
}

func (a api) requestCode(ctx context.Context, in *struct {
	Body struct {
		Phone string `json:"phone" minLength:"3" maxLength:"32"`
	}
}) (*struct{}, error) {
	return nil, a.svc.RequestCode(ctx, in.Body.Phone, httpx.ClientIPFrom(ctx))
}

func (a api) customerLogin(ctx context.Context, in *struct {
	Body struct {
		Phone   string `json:"phone" minLength:"3" maxLength:"32"`
		Code    string `json:"code" pattern:"^[0-9]{6}$"`
		Session bool   `json:"session,omitempty"`
	}
}) (*httpx.Body[LoginOutput], error) {
	res, err := a.svc.VerifyCode(ctx, in.Body.Phone, in.Body.Code)
	if err != nil {
		return nil, err
	}
	out := LoginOutput{Me: toMe(res.Principal), Token: res.Token, ExpiresAt: &res.ExpiresAt}
	if in.Body.Session {
		if err := a.startSession(ctx, res.Principal); err != nil {
			return nil, err
		}
	}
	return &httpx.Body[LoginOutput]{Body: out}, nil
}

func principal(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, identity.ErrUnauthenticated
	}
	return p, nil
}

func (a api) logout(ctx context.Context, _ *httpx.Empty) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Session && a.sessions != nil {
		return nil, a.sessions.Destroy(ctx)
	}
	return nil, a.svc.Logout(ctx, p)
}

// TokenDTO is an API token's metadata (never the secret).
type TokenDTO struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func (a api) listTokens(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]TokenDTO], error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := a.svc.ListTokens(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]TokenDTO, 0, len(ts))
	for _, t := range ts {
		out = append(out, TokenDTO{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt})
	}
	return &httpx.Body[[]TokenDTO]{Body: out}, nil
}

func (a api) createToken(ctx context.Context, in *struct {
	Body struct {
		Name    string `json:"name" minLength:"1" maxLength:"100"`
		TTLDays int    `json:"ttl_days,omitempty" minimum:"1" maximum:"365"`
	}
}) (*httpx.Body[LoginOutput], error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	raw, exp, err := a.svc.CreateToken(ctx, p, in.Body.Name, time.Duration(in.Body.TTLDays)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[LoginOutput]{Body: LoginOutput{Token: raw, ExpiresAt: &exp, Me: toMe(p)}}, nil
}

func (a api) revokeToken(ctx context.Context, in *struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RevokeToken(ctx, p, in.ID)
}

func (a api) me(ctx context.Context, _ *httpx.Empty) (*httpx.Body[MeDTO], error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[MeDTO]{Body: toMe(p)}, nil
}

func maskUnless(show bool, e164 string) string {
	if show {
		return e164
	}
	return phone.Mask(e164)
}
