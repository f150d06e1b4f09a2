package tenantapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/httpx"
	"doorstep/tenant"
)

// NewTenantInput creates a tenant with its owner and first store.
type NewTenantInput struct {
	Name          string `json:"name" minLength:"1" maxLength:"200"`
	Slug          string `json:"slug" pattern:"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"`
	Locale        string `json:"locale,omitempty" enum:"zh-CN,en"`
	Currency      string `json:"currency,omitempty" pattern:"^[A-Z]{3}$"`
	TimeZone      string `json:"time_zone,omitempty"`
	PhoneRegion   string `json:"phone_region,omitempty" pattern:"^[A-Z]{2}$"`
	OwnerEmail    string `json:"owner_email,omitempty" format:"email"`
	OwnerPhone    string `json:"owner_phone,omitempty"`
	OwnerName     string `json:"owner_name,omitempty" maxLength:"100"`
	OwnerPassword string `json:"owner_password" minLength:"10" maxLength:"200"`
	StoreName     string `json:"store_name,omitempty" maxLength:"200"`
}

type platformAPI struct{ svc *tenant.Service }

// RegisterPlatform adds the operator-only tenant registry operations.
func RegisterPlatform(h huma.API, svc *tenant.Service) {
	a := platformAPI{svc: svc}
	acc := httpx.Access{Audience: httpx.Operator}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-list-tenants", Method: http.MethodGet, Path: "/api/v1/platform/tenants",
		Summary: "List tenants", Tags: []string{"Platform"}}, acc), a.list)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-create-tenant", Method: http.MethodPost, Path: "/api/v1/platform/tenants",
		Summary: "Create a tenant with its owner, roles and first store", Tags: []string{"Platform"}, DefaultStatus: http.StatusCreated}, acc), a.create)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-get-tenant", Method: http.MethodGet, Path: "/api/v1/platform/tenants/{id}",
		Summary: "Get a tenant", Tags: []string{"Platform"}}, acc), a.get)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-suspend-tenant", Method: http.MethodPost, Path: "/api/v1/platform/tenants/{id}/suspend",
		Summary: "Suspend a tenant: its API and storefront answer 403 tenant_suspended", Tags: []string{"Platform"}}, acc), a.suspend)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-resume-tenant", Method: http.MethodPost, Path: "/api/v1/platform/tenants/{id}/resume",
		Summary: "Resume a suspended tenant", Tags: []string{"Platform"}}, acc), a.resume)
}

func (a platformAPI) list(ctx context.Context, in *struct {
	httpx.PageQuery
	Status string `query:"status" enum:"active,suspended,"`
}) (*httpx.Body[httpx.List[TenantDTO]], error) {
	p := in.Page()
	r, err := a.svc.List(ctx, tenant.Status(in.Status), p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[TenantDTO]]{Body: httpx.ListOf(r, p, toDTO)}, nil
}

func (a platformAPI) create(ctx context.Context, in *struct{ Body NewTenantInput }) (*httpx.Body[TenantDTO], error) {
	b := in.Body
	t, err := a.svc.Create(ctx, tenant.NewTenant{Name: b.Name, Slug: b.Slug, Locale: b.Locale, Currency: b.Currency, TimeZone: b.TimeZone,
		PhoneRegion: b.PhoneRegion, OwnerEmail: b.OwnerEmail, OwnerPhone: b.OwnerPhone, OwnerName: b.OwnerName,
		OwnerPassword: b.OwnerPassword, StoreName: b.StoreName})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(t)}, nil
}

// IDPath is the {id} path parameter; exported because huma only fills exported (embedded) fields.
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a platformAPI) get(ctx context.Context, in *IDPath) (*httpx.Body[TenantDTO], error) {
	t, err := a.svc.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(t)}, nil
}

func (a platformAPI) suspend(ctx context.Context, in *struct {
	ID   uuid.UUID `path:"id" format:"uuid"`
	Body struct {
		Reason string `json:"reason" maxLength:"500"`
	}
}) (*httpx.Body[TenantDTO], error) {
	t, err := a.svc.Suspend(ctx, in.ID, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(t)}, nil
}

func (a platformAPI) resume(ctx context.Context, in *IDPath) (*httpx.Body[TenantDTO], error) {
	t, err := a.svc.Resume(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(t)}, nil
}
