package tenant

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// Store persists tenants and domains. Platform tables: no tenant needs to be set.
type Store interface {
	Create(ctx context.Context, t Tenant) error
	Get(ctx context.Context, id uuid.UUID) (Tenant, error)
	BySlug(ctx context.Context, slug string) (Tenant, error)
	ByDomain(ctx context.Context, host string) (Tenant, error)
	// Update locks the tenant row, applies fn and saves.
	Update(ctx context.Context, id uuid.UUID, fn func(*Tenant) error) (Tenant, error)
	List(ctx context.Context, status Status, p page.Request) (page.Result[Tenant], error)
	AddDomain(ctx context.Context, d Domain) error
	RemoveDomain(ctx context.Context, tenantID uuid.UUID, host string) error
	Domains(ctx context.Context, tenantID uuid.UUID) ([]Domain, error)
}

// Provisioner sets up what a new tenant needs (owner account, roles, first store). It runs in
// the creation transaction with the new tenant in the context.
type Provisioner interface {
	Provision(ctx context.Context, t Tenant, n NewTenant) error
}

// Auditor records sensitive changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

// Service runs the tenant lifecycle.
type Service struct {
	db          *dbx.DB
	store       Store
	provisioner Provisioner
	audit       Auditor
	baseDomain  string
}

// NewService wires the tenant service.
func NewService(db *dbx.DB, store Store, p Provisioner, a Auditor, baseDomain string) *Service {
	return &Service{db: db, store: store, provisioner: p, audit: a, baseDomain: strings.ToLower(baseDomain)}
}

// Create makes a tenant with its owner account, default roles and first store, all or nothing.
func (s *Service) Create(ctx context.Context, n NewTenant) (Tenant, error) {
	n.Slug = strings.ToLower(strings.TrimSpace(n.Slug))
	if n.Locale == "" {
		n.Locale = "zh-CN"
	}
	if n.Currency == "" {
		n.Currency = "CNY"
	}
	if n.TimeZone == "" {
		n.TimeZone = "Asia/Shanghai"
	}
	if n.PhoneRegion == "" {
		n.PhoneRegion = "CN"
	}
	var v errs.Validation
	n.validate(&v)
	if err := v.Err(); err != nil {
		return Tenant{}, err
	}
	now := time.Now()
	t := Tenant{
		ID: uuid.Must(uuid.NewV7()), Slug: n.Slug, Name: strings.TrimSpace(n.Name), Status: Active,
		Locale: n.Locale, Currency: n.Currency, TimeZone: n.TimeZone, PhoneRegion: n.PhoneRegion,
		Branding:  Branding{Name: strings.TrimSpace(n.Name), PrimaryColor: "#0f766e", AccentColor: "#f59e0b"},
		CreatedAt: now, UpdatedAt: now,
	}
	ctx = WithTenant(ctx, &t)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.Create(ctx, t); err != nil {
			if e, ok := errs.As(err); ok && e.Kind == errs.Conflict {
				return ErrSlugTaken
			}
			return err
		}
		if s.provisioner != nil {
			if err := s.provisioner.Provision(ctx, t, n); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, "tenant.create", "tenant", t.ID.String(), nil, t)
	})
	if err != nil {
		return Tenant{}, err
	}
	return t, nil
}

// Get returns a tenant by id.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Tenant, error) {
	return s.store.Get(ctx, id)
}

// List returns tenants for platform operators.
func (s *Service) List(ctx context.Context, status Status, p page.Request) (page.Result[Tenant], error) {
	return s.store.List(ctx, status, p.Normalize())
}

// UpdateSettings changes the settings of the tenant in ctx.
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Tenant, error) {
	id, ok := dbx.TenantID(ctx)
	if !ok {
		return Tenant{}, ErrNotFound
	}
	var out Tenant
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Tenant
		var err error
		out, err = s.store.Update(ctx, id, func(t *Tenant) error {
			before = *t
			var v errs.Validation
			in.apply(t, &v)
			t.UpdatedAt = time.Now()
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "tenant.settings.update", "tenant", id.String(), before, out)
	})
	return out, err
}

// Suspend stops a tenant's API and storefront; Resume restarts them.
func (s *Service) Suspend(ctx context.Context, id uuid.UUID, reason string) (Tenant, error) {
	return s.setStatus(ctx, id, Suspended, reason)
}

// Resume reactivates a suspended tenant.
func (s *Service) Resume(ctx context.Context, id uuid.UUID) (Tenant, error) {
	return s.setStatus(ctx, id, Active, "")
}

func (s *Service) setStatus(ctx context.Context, id uuid.UUID, st Status, reason string) (Tenant, error) {
	if len(reason) > 500 {
		return Tenant{}, errs.InvalidFields(errs.Field("reason", "at most 500 characters"))
	}
	var out Tenant
	ctx = dbx.WithTenant(ctx, id)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.store.Update(ctx, id, func(t *Tenant) error {
			t.Status, t.SuspendedReason, t.UpdatedAt = st, reason, time.Now()
			if st == Suspended {
				now := time.Now()
				t.SuspendedAt = &now
			} else {
				t.SuspendedAt = nil
			}
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "tenant."+map[Status]string{Suspended: "suspend", Active: "resume"}[st], "tenant", id.String(), nil, map[string]string{"status": string(st), "reason": reason})
	})
	return out, err
}

// Domains lists the custom domains of the tenant in ctx.
func (s *Service) Domains(ctx context.Context) ([]Domain, error) {
	id, _ := dbx.TenantID(ctx)
	return s.store.Domains(ctx, id)
}

// AddDomain attaches a custom domain to the tenant in ctx.
func (s *Service) AddDomain(ctx context.Context, host string) (Domain, error) {
	id, _ := dbx.TenantID(ctx)
	host = NormalizeHost(host)
	if !hostRe.MatchString(host) || len(host) > 253 {
		return Domain{}, errs.InvalidFields(errs.Field("host", "must be a valid host name"))
	}
	if s.baseDomain != "" && (host == s.baseDomain || strings.HasSuffix(host, "."+s.baseDomain)) {
		return Domain{}, errs.InvalidFields(errs.Field("host", "sub-domains of the platform domain are reserved"))
	}
	d := Domain{Host: host, TenantID: id, CreatedAt: time.Now()}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.AddDomain(ctx, d); err != nil {
			if e, ok := errs.As(err); ok && e.Kind == errs.Conflict {
				return ErrDomain
			}
			return err
		}
		return s.audit.Record(ctx, "tenant.domain.add", "domain", host, nil, d)
	})
	return d, err
}

// RemoveDomain detaches a custom domain from the tenant in ctx.
func (s *Service) RemoveDomain(ctx context.Context, host string) error {
	id, _ := dbx.TenantID(ctx)
	host = NormalizeHost(host)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.RemoveDomain(ctx, id, host); err != nil {
			return err
		}
		return s.audit.Record(ctx, "tenant.domain.remove", "domain", host, Domain{Host: host, TenantID: id}, nil)
	})
}
