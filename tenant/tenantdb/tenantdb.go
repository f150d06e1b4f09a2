// Package tenantdb stores tenants and their domains (platform tables) in PostgreSQL.
package tenantdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/tenant"
)

type tenantRow struct {
	ID              uuid.UUID `gorm:"primaryKey"`
	Slug            string
	Name            string
	Status          string
	Locale          string
	Currency        string
	TimeZone        string
	PhoneRegion     string
	BrandName       string
	LogoURL         string
	PrimaryColor    string
	AccentColor     string
	SuspendedReason string
	SuspendedAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (tenantRow) TableName() string { return "tenants" }

type domainRow struct {
	Host      string `gorm:"primaryKey"`
	TenantID  uuid.UUID
	CreatedAt time.Time
}

func (domainRow) TableName() string { return "tenant_domains" }

func toRow(t tenant.Tenant) tenantRow {
	return tenantRow{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status), Locale: t.Locale,
		Currency: t.Currency, TimeZone: t.TimeZone, PhoneRegion: t.PhoneRegion, BrandName: t.Branding.Name,
		LogoURL: t.Branding.LogoURL, PrimaryColor: t.Branding.PrimaryColor, AccentColor: t.Branding.AccentColor,
		SuspendedReason: t.SuspendedReason, SuspendedAt: t.SuspendedAt, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func toCore(r tenantRow) tenant.Tenant {
	return tenant.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Status: tenant.Status(r.Status), Locale: r.Locale,
		Currency: r.Currency, TimeZone: r.TimeZone, PhoneRegion: r.PhoneRegion,
		Branding:        tenant.Branding{Name: r.BrandName, LogoURL: r.LogoURL, PrimaryColor: r.PrimaryColor, AccentColor: r.AccentColor},
		SuspendedReason: r.SuspendedReason, SuspendedAt: r.SuspendedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Store implements tenant.Store.
type Store struct{ db *dbx.DB }

// New returns a Store.
func New(db *dbx.DB) *Store { return &Store{db: db} }

func (s *Store) Create(ctx context.Context, t tenant.Tenant) error {
	r := toRow(t)
	return dbx.Err(s.db.Conn(ctx).Create(&r).Error)
}

func (s *Store) one(ctx context.Context, where string, arg any) (tenant.Tenant, error) {
	var r tenantRow
	if err := s.db.Conn(ctx).Where(where, arg).Take(&r).Error; err != nil {
		if e, ok := errs.As(dbx.Err(err)); ok && e.Kind == errs.NotFound {
			return tenant.Tenant{}, tenant.ErrNotFound
		}
		return tenant.Tenant{}, dbx.Err(err)
	}
	return toCore(r), nil
}

func (s *Store) Get(ctx context.Context, id uuid.UUID) (tenant.Tenant, error) {
	return s.one(ctx, "id = ?", id)
}

func (s *Store) BySlug(ctx context.Context, slug string) (tenant.Tenant, error) {
	return s.one(ctx, "slug = ?", slug)
}

func (s *Store) ByDomain(ctx context.Context, host string) (tenant.Tenant, error) {
	return s.one(ctx, "id = (select tenant_id from tenant_domains where host = ?)", host)
}

func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(*tenant.Tenant) error) (tenant.Tenant, error) {
	var r tenantRow
	db := s.db.Conn(ctx)
	if err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error; err != nil {
		if e, ok := errs.As(dbx.Err(err)); ok && e.Kind == errs.NotFound {
			return tenant.Tenant{}, tenant.ErrNotFound
		}
		return tenant.Tenant{}, dbx.Err(err)
	}
	t := toCore(r)
	if err := fn(&t); err != nil {
		return tenant.Tenant{}, err
	}
	r = toRow(t)
	if err := db.Save(&r).Error; err != nil {
		return tenant.Tenant{}, dbx.Err(err)
	}
	return t, nil
}

func (s *Store) List(ctx context.Context, status tenant.Status, p page.Request) (page.Result[tenant.Tenant], error) {
	q := s.db.Conn(ctx).Model(&tenantRow{})
	if status != "" {
		q = q.Where("status = ?", string(status))
	}
	var out page.Result[tenant.Tenant]
	if err := q.Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []tenantRow
	if err := q.Order("created_at, id").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	for _, r := range rows {
		out.Items = append(out.Items, toCore(r))
	}
	return out, nil
}

func (s *Store) AddDomain(ctx context.Context, d tenant.Domain) error {
	r := domainRow{Host: d.Host, TenantID: d.TenantID, CreatedAt: d.CreatedAt}
	return dbx.Err(s.db.Conn(ctx).Create(&r).Error)
}

func (s *Store) RemoveDomain(ctx context.Context, tenantID uuid.UUID, host string) error {
	res := s.db.Conn(ctx).Where("tenant_id = ? and host = ?", tenantID, host).Delete(&domainRow{})
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.NotFound, "domain_not_found", "no such domain on this tenant")
	}
	return nil
}

func (s *Store) Domains(ctx context.Context, tenantID uuid.UUID) ([]tenant.Domain, error) {
	var rows []domainRow
	if err := s.db.Conn(ctx).Where("tenant_id = ?", tenantID).Order("host").Find(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]tenant.Domain, 0, len(rows))
	for _, r := range rows {
		out = append(out, tenant.Domain{Host: r.Host, TenantID: r.TenantID, CreatedAt: r.CreatedAt})
	}
	return out, nil
}
