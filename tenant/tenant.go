// Package tenant owns the tenants registry (a platform table): creation with provisioning,
// settings and branding, custom domains, suspension, and resolving the tenant of a request
// from the principal or the Host. It also carries the resolved tenant in the context.
package tenant

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
)

// Status of a tenant.
type Status string

const (
	Active    Status = "active"
	Suspended Status = "suspended"
)

// Branding is what the white-label storefront shows.
type Branding struct {
	Name         string
	LogoURL      string
	PrimaryColor string
	AccentColor  string
}

// Tenant is a chain or brand (or the shared marketplace).
type Tenant struct {
	ID              uuid.UUID
	Slug            string
	Name            string
	Status          Status
	Locale          string
	Currency        string
	TimeZone        string
	PhoneRegion     string
	Branding        Branding
	SuspendedReason string
	SuspendedAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Location is the tenant's time zone.
func (t Tenant) Location() *time.Location {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// BrandName is the name shown to customers.
func (t Tenant) BrandName() string {
	if t.Branding.Name != "" {
		return t.Branding.Name
	}
	return t.Name
}

// Domain is a custom host name that serves a tenant's storefront.
type Domain struct {
	Host      string
	TenantID  uuid.UUID
	CreatedAt time.Time
}

// Errors with stable codes.
var (
	ErrNotFound  = errs.New(errs.NotFound, "tenant_not_found", "no such tenant")
	ErrSuspended = errs.New(errs.Forbidden, "tenant_suspended", "this tenant is suspended")
	ErrSlugTaken = errs.New(errs.Conflict, "slug_taken", "a tenant with this slug exists")
	ErrDomain    = errs.New(errs.Conflict, "domain_taken", "this domain is already in use")
)

// NewTenant is what creating a tenant takes.
type NewTenant struct {
	Name          string
	Slug          string
	Locale        string
	Currency      string
	TimeZone      string
	PhoneRegion   string
	OwnerEmail    string
	OwnerPhone    string
	OwnerPassword string
	OwnerName     string
	StoreName     string
}

// Settings is a partial update of a tenant's settings; nil fields stay.
type Settings struct {
	Name         *string
	Locale       *string
	Currency     *string
	TimeZone     *string
	PhoneRegion  *string
	BrandName    *string
	LogoURL      *string
	PrimaryColor *string
	AccentColor  *string
}

var (
	slugRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	colorRe  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	regionRe = regexp.MustCompile(`^[A-Z]{2}$`)
	hostRe   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// reservedSlugs cannot be tenant slugs because they name platform hosts.
var reservedSlugs = map[string]bool{"www": true, "api": true, "console": true, "admin": true, "platform": true, "static": true}

func (n NewTenant) validate(v *errs.Validation) {
	v.Check(strings.TrimSpace(n.Name) != "" && len(n.Name) <= 200, "name", "must be 1 to 200 characters")
	v.Check(slugRe.MatchString(n.Slug) && !reservedSlugs[n.Slug], "slug", "must be 1 to 40 lower-case letters, digits or dashes, not reserved")
	v.Check(n.Locale == "zh-CN" || n.Locale == "en", "locale", "must be zh-CN or en")
	v.Check(money.ValidCurrency(n.Currency), "currency", "unsupported currency")
	_, err := time.LoadLocation(n.TimeZone)
	v.Check(err == nil && n.TimeZone != "", "time_zone", "unknown IANA time zone")
	v.Check(n.OwnerEmail != "" || n.OwnerPhone != "", "owner_email", "an owner e-mail or phone is required")
}

func (s Settings) apply(t *Tenant, v *errs.Validation) {
	if s.Name != nil {
		v.Check(strings.TrimSpace(*s.Name) != "" && len(*s.Name) <= 200, "name", "must be 1 to 200 characters")
		t.Name = *s.Name
	}
	if s.Locale != nil {
		v.Check(*s.Locale == "zh-CN" || *s.Locale == "en", "locale", "must be zh-CN or en")
		t.Locale = *s.Locale
	}
	if s.Currency != nil {
		v.Check(money.ValidCurrency(*s.Currency), "currency", "unsupported currency")
		t.Currency = *s.Currency
	}
	if s.TimeZone != nil {
		_, err := time.LoadLocation(*s.TimeZone)
		v.Check(err == nil && *s.TimeZone != "", "time_zone", "unknown IANA time zone")
		t.TimeZone = *s.TimeZone
	}
	if s.PhoneRegion != nil {
		v.Check(regionRe.MatchString(*s.PhoneRegion), "phone_region", "must be an ISO 3166 alpha-2 code")
		t.PhoneRegion = *s.PhoneRegion
	}
	if s.BrandName != nil {
		v.Check(len(*s.BrandName) <= 100, "brand_name", "at most 100 characters")
		t.Branding.Name = *s.BrandName
	}
	if s.LogoURL != nil {
		v.Check(*s.LogoURL == "" || validURL(*s.LogoURL), "logo_url", "must be an https or http URL")
		t.Branding.LogoURL = *s.LogoURL
	}
	if s.PrimaryColor != nil {
		v.Check(colorRe.MatchString(*s.PrimaryColor), "primary_color", "must be #rrggbb")
		t.Branding.PrimaryColor = *s.PrimaryColor
	}
	if s.AccentColor != nil {
		v.Check(colorRe.MatchString(*s.AccentColor), "accent_color", "must be #rrggbb")
		t.Branding.AccentColor = *s.AccentColor
	}
}

func validURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) <= 2000 && !strings.ContainsAny(s, " \"<>")
}

// NormalizeHost lower-cases a Host header value and strips the port.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

type ctxKey struct{}

// WithTenant returns ctx carrying t; transactions started from it run as t.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(dbx.WithTenant(ctx, t.ID), ctxKey{}, t)
}

// FromContext returns the resolved tenant.
func FromContext(ctx context.Context) (*Tenant, bool) {
	t, ok := ctx.Value(ctxKey{}).(*Tenant)
	return t, ok
}
