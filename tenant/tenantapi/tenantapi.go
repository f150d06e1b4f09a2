// Package tenantapi exposes tenant settings, domains and storefront info to the tenant, and the
// tenant registry (create, suspend, resume) to platform operators.
package tenantapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/httpx"
	"doorstep/tenant"
)

// TenantDTO is a tenant's settings as the API shows them.
type TenantDTO struct {
	ID              uuid.UUID   `json:"id"`
	Slug            string      `json:"slug"`
	Name            string      `json:"name"`
	Status          string      `json:"status" enum:"active,suspended"`
	Locale          string      `json:"locale" enum:"zh-CN,en"`
	Currency        string      `json:"currency"`
	TimeZone        string      `json:"time_zone"`
	PhoneRegion     string      `json:"phone_region"`
	Branding        BrandingDTO `json:"branding"`
	SuspendedReason string      `json:"suspended_reason,omitempty"`
	SuspendedAt     *time.Time  `json:"suspended_at,omitempty"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// BrandingDTO is the storefront branding.
type BrandingDTO struct {
	Name         string `json:"name"`
	LogoURL      string `json:"logo_url"`
	PrimaryColor string `json:"primary_color"`
	AccentColor  string `json:"accent_color"`
}

func toDTO(t tenant.Tenant) TenantDTO {
	return TenantDTO{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status), Locale: t.Locale, Currency: t.Currency,
		TimeZone: t.TimeZone, PhoneRegion: t.PhoneRegion, Branding: BrandingDTO(t.Branding),
		SuspendedReason: t.SuspendedReason, SuspendedAt: t.SuspendedAt, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// SettingsPatch is a partial settings update.
type SettingsPatch struct {
	Name         *string `json:"name,omitempty" maxLength:"200"`
	Locale       *string `json:"locale,omitempty" enum:"zh-CN,en"`
	Currency     *string `json:"currency,omitempty" pattern:"^[A-Z]{3}$"`
	TimeZone     *string `json:"time_zone,omitempty"`
	PhoneRegion  *string `json:"phone_region,omitempty" pattern:"^[A-Z]{2}$"`
	BrandName    *string `json:"brand_name,omitempty" maxLength:"100"`
	LogoURL      *string `json:"logo_url,omitempty" maxLength:"2000"`
	PrimaryColor *string `json:"primary_color,omitempty" pattern:"^#[0-9a-fA-F]{6}$"`
	AccentColor  *string `json:"accent_color,omitempty" pattern:"^#[0-9a-fA-F]{6}$"`
}

// DomainDTO is a custom domain.
type DomainDTO struct {
	Host      string    `json:"host"`
	CreatedAt time.Time `json:"created_at"`
}

// StorefrontDTO is what an anonymous storefront visitor may know about the tenant.
type StorefrontDTO struct {
	Slug     string      `json:"slug"`
	Locale   string      `json:"locale"`
	Currency string      `json:"currency"`
	TimeZone string      `json:"time_zone"`
	Branding BrandingDTO `json:"branding"`
}

type api struct{ svc *tenant.Service }

// Register adds the tenant's own operations.
func Register(h huma.API, svc *tenant.Service) {
	a := api{svc: svc}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-tenant", Method: http.MethodGet, Path: "/api/v1/tenant",
		Summary: "Get the tenant's settings", Tags: []string{"Tenant"}}, httpx.Access{Audience: httpx.Staff, Permission: "settings:read"}), a.get)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "update-tenant", Method: http.MethodPatch, Path: "/api/v1/tenant",
		Summary: "Change the tenant's settings and branding", Tags: []string{"Tenant"}}, httpx.Access{Audience: httpx.Staff, Permission: "settings:write"}), a.update)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-domains", Method: http.MethodGet, Path: "/api/v1/tenant/domains",
		Summary: "List custom domains", Tags: []string{"Tenant"}}, httpx.Access{Audience: httpx.Staff, Permission: "domains:read"}), a.domains)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "add-domain", Method: http.MethodPost, Path: "/api/v1/tenant/domains",
		Summary: "Attach a custom domain", Tags: []string{"Tenant"}, DefaultStatus: http.StatusCreated}, httpx.Access{Audience: httpx.Staff, Permission: "domains:write"}), a.addDomain)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "remove-domain", Method: http.MethodDelete, Path: "/api/v1/tenant/domains/{host}",
		Summary: "Detach a custom domain", Tags: []string{"Tenant"}, DefaultStatus: http.StatusNoContent}, httpx.Access{Audience: httpx.Staff, Permission: "domains:write"}), a.removeDomain)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-storefront", Method: http.MethodGet, Path: "/api/v1/storefront",
		Summary: "Storefront branding for the tenant named by the Host", Tags: []string{"Storefront"}}, httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.storefront)
}

func (a api) get(ctx context.Context, _ *httpx.Empty) (*httpx.Body[TenantDTO], error) {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrNotFound
	}
	cur, err := a.svc.Get(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(cur)}, nil
}

func (a api) update(ctx context.Context, in *struct{ Body SettingsPatch }) (*httpx.Body[TenantDTO], error) {
	b := in.Body
	t, err := a.svc.UpdateSettings(ctx, tenant.Settings{Name: b.Name, Locale: b.Locale, Currency: b.Currency, TimeZone: b.TimeZone,
		PhoneRegion: b.PhoneRegion, BrandName: b.BrandName, LogoURL: b.LogoURL, PrimaryColor: b.PrimaryColor, AccentColor: b.AccentColor})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[TenantDTO]{Body: toDTO(t)}, nil
}

func (a api) domains(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]DomainDTO], error) {
	ds, err := a.svc.Domains(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DomainDTO, 0, len(ds))
	for _, d := range ds {
		out = append(out, DomainDTO{Host: d.Host, CreatedAt: d.CreatedAt})
	}
	return &httpx.Body[[]DomainDTO]{Body: out}, nil
}

func (a api) addDomain(ctx context.Context, in *struct {
	Body struct {
		Host string `json:"host" minLength:"4" maxLength:"253" example:"book.example.com"`
	}
}) (*httpx.Body[DomainDTO], error) {
	d, err := a.svc.AddDomain(ctx, in.Body.Host)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DomainDTO]{Body: DomainDTO{Host: d.Host, CreatedAt: d.CreatedAt}}, nil
}

func (a api) removeDomain(ctx context.Context, in *struct {
	Host string `path:"host" maxLength:"253"`
}) (*struct{}, error) {
	return nil, a.svc.RemoveDomain(ctx, in.Host)
}

func (a api) storefront(ctx context.Context, _ *httpx.Empty) (*httpx.Body[StorefrontDTO], error) {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrNotFound
	}
	b := BrandingDTO(t.Branding)
	if b.Name == "" {
		b.Name = t.Name
	}
	return &httpx.Body[StorefrontDTO]{Body: StorefrontDTO{Slug: t.Slug, Locale: t.Locale, Currency: t.Currency, TimeZone: t.TimeZone, Branding: b}}, nil
}
