// Package catalogdb stores the catalogue in PostgreSQL: categories, services with their
// certificate requirements, packages, add-ons and store overrides; it also answers which
// store's territory (PostGIS) covers an address.
package catalogdb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// Repo implements catalog.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

// refError turns a broken reference or rule into a field error the client can act on.
func refError(err error) error {
	fields := map[string][2]string{
		"catalog_services_category_fk":            {"category_id", "no such category"},
		"catalog_services_level_fk":               {"min_level_id", "no such staff level"},
		"catalog_service_certificates_type_fk":    {"certificate_types", "unknown certificate type"},
		"catalog_categories_parent_fk":            {"parent_id", "no such category"},
		"catalog_store_prices_store_fk":           {"store_id", "no such store"},
		"catalog_store_prices_package_fk":         {"package_id", "no such package"},
		"catalog_packages_bounds":                 {"list_price", "floor_price ≤ list_price ≤ ceiling_price"},
		"catalog_packages_area":                   {"area_max_sqm", "must be above area_min_sqm"},
		"catalog_services_checklist_check":        {"checklist", "must be a list"},
		"catalog_services_images_check":           {"images", "must be a list"},
		"catalog_service_certificates_service_fk": {"service_id", "no such service"},
		"catalog_packages_service_fk":             {"service_id", "no such service"},
		"catalog_add_ons_service_fk":              {"service_id", "no such service"},
		"catalog_services_duration_minutes_check": {"duration_minutes", "1 to 1440 minutes"},
		"catalog_packages_duration_minutes_check": {"duration_minutes", "1 to 1440 minutes"},
		"catalog_add_ons_duration_minutes_check":  {"duration_minutes", "1 to 1440 minutes"},
		"catalog_store_prices_price_check":        {"price", "must not be negative"},
		"catalog_services_skill_check":            {"skill", "a skill code"},
		"catalog_categories_name_zh_check":        {"name_zh", "1 to 100 characters"},
		"catalog_categories_name_en_check":        {"name_en", "1 to 100 characters"},
		"catalog_service_certificates_pkey":       {"certificate_types", "listed twice"},
		"catalog_packages_list_price_check":       {"list_price", "must not be negative"},
		"catalog_packages_floor_price_check":      {"floor_price", "must not be negative"},
		"catalog_add_ons_price_check":             {"price", "must not be negative"},
		"catalog_services_description_zh_check":   {"description_zh", "at most 4000 characters"},
		"catalog_services_description_en_check":   {"description_en", "at most 4000 characters"},
		"catalog_services_name_zh_check":          {"name_zh", "at most 100 characters"},
		"catalog_services_name_en_check":          {"name_en", "at most 100 characters"},
		"catalog_packages_dirt_level_check":       {"dirt_level", "light, normal, heavy or empty"},
		"catalog_packages_frequency_check":        {"frequency", "once, weekly, biweekly or monthly"},
	}
	if pe, ok := dbx.PgError(err); ok {
		if f, ok := fields[pe.ConstraintName]; ok {
			e := errs.InvalidFields(errs.Field(f[0], f[1]))
			e.Err = err
			return e
		}
	}
	return dbx.Err(err)
}

// ---- categories ----

type categoryRow struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	ParentID  *uuid.UUID
	Position  int
	NameZh    string
	NameEn    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (categoryRow) TableName() string { return "catalog_categories" }

func categoryToCore(r categoryRow) catalog.Category {
	c := catalog.Category{ID: r.ID, Position: r.Position, NameZh: r.NameZh, NameEn: r.NameEn, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ParentID != nil {
		c.ParentID = *r.ParentID
	}
	return c
}

func categoryToRow(tid uuid.UUID, c catalog.Category) categoryRow {
	return categoryRow{TenantID: tid, ID: c.ID, ParentID: nilUUID(c.ParentID), Position: c.Position, NameZh: c.NameZh, NameEn: c.NameEn,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func nilUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func (r *Repo) CreateCategory(ctx context.Context, c catalog.Category) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := categoryToRow(tid, c)
	return refError(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) getCategory(ctx context.Context, id uuid.UUID, lock bool) (categoryRow, error) {
	var rows []categoryRow
	q := "select * from catalog_categories where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return categoryRow{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return categoryRow{}, catalog.ErrCategoryNotFound
	}
	return rows[0], nil
}

func (r *Repo) GetCategory(ctx context.Context, id uuid.UUID) (catalog.Category, error) {
	row, err := r.getCategory(ctx, id, false)
	return categoryToCore(row), err
}

func (r *Repo) UpdateCategory(ctx context.Context, id uuid.UUID, fn func(*catalog.Category) error) (catalog.Category, error) {
	row, err := r.getCategory(ctx, id, true)
	if err != nil {
		return catalog.Category{}, err
	}
	c := categoryToCore(row)
	if err := fn(&c); err != nil {
		return catalog.Category{}, err
	}
	err = r.db.Conn(ctx).Exec(`update catalog_categories set parent_id = ?, position = ?, name_zh = ?, name_en = ?, updated_at = ? where id = ?`,
		nilUUID(c.ParentID), c.Position, c.NameZh, c.NameEn, c.UpdatedAt, id).Error
	if err != nil {
		return catalog.Category{}, refError(err)
	}
	return c, nil
}

func (r *Repo) DeleteCategory(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from catalog_categories where id = ?", id)
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return catalog.ErrCategoryInUse
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return catalog.ErrCategoryNotFound
	}
	return nil
}

func (r *Repo) Categories(ctx context.Context) ([]catalog.Category, error) {
	var rows []categoryRow
	if err := r.db.Conn(ctx).Raw("select * from catalog_categories order by position, name_en, id").Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]catalog.Category, 0, len(rows))
	for _, row := range rows {
		out = append(out, categoryToCore(row))
	}
	return out, nil
}

const subtreeCTE = `with recursive subtree as (
	select id from catalog_categories where id = ?
	union
	select c.id from catalog_categories c join subtree s on c.parent_id = s.id
)`

func (r *Repo) IsDescendant(ctx context.Context, id, ancestor uuid.UUID) (bool, error) {
	var found bool
	err := r.db.Conn(ctx).Raw(subtreeCTE+" select exists (select 1 from subtree where id = ?)", ancestor, id).Scan(&found).Error
	return found, dbx.Err(err)
}

// ---- services ----

type serviceRow struct {
	TenantID        uuid.UUID
	ID              uuid.UUID
	CategoryID      uuid.UUID
	MinLevelID      *uuid.UUID
	Status          string
	NameZh          string
	NameEn          string
	DescriptionZh   string
	DescriptionEn   string
	Images          []byte
	DurationMinutes int
	Skill           string
	Checklist       []byte
	Position        int
	PublishedAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func serviceToCore(r serviceRow) (catalog.Item, error) {
	s := catalog.Item{ID: r.ID, CategoryID: r.CategoryID, Status: catalog.Status(r.Status), NameZh: r.NameZh, NameEn: r.NameEn,
		DescriptionZh: r.DescriptionZh, DescriptionEn: r.DescriptionEn, DurationMinutes: r.DurationMinutes, Skill: r.Skill,
		Position: r.Position, PublishedAt: r.PublishedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Images: []string{}, Checklist: []catalog.Step{}, CertificateTypes: []string{}}
	if r.MinLevelID != nil {
		s.MinLevelID = *r.MinLevelID
	}
	if len(r.Images) > 0 {
		if err := json.Unmarshal(r.Images, &s.Images); err != nil {
			return s, err
		}
	}
	if len(r.Checklist) > 0 {
		if err := json.Unmarshal(r.Checklist, &s.Checklist); err != nil {
			return s, err
		}
	}
	return s, nil
}

func (r *Repo) writeCertificates(ctx context.Context, tid uuid.UUID, s catalog.Item) error {
	db := r.db.Conn(ctx)
	if err := db.Exec("delete from catalog_service_certificates where service_id = ?", s.ID).Error; err != nil {
		return dbx.Err(err)
	}
	for _, c := range s.CertificateTypes {
		if err := db.Exec("insert into catalog_service_certificates (tenant_id, service_id, certificate_type) values (?, ?, ?)", tid, s.ID, c).Error; err != nil {
			return refError(err)
		}
	}
	return nil
}

func (r *Repo) CreateService(ctx context.Context, s catalog.Item) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	images, _ := json.Marshal(s.Images)
	checklist, _ := json.Marshal(s.Checklist)
	err = r.db.Conn(ctx).Exec(`insert into catalog_services (tenant_id, id, category_id, min_level_id, status, name_zh, name_en,
		description_zh, description_en, images, duration_minutes, skill, checklist, position, published_at, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb, ?, ?, ?, ?)`,
		tid, s.ID, s.CategoryID, nilUUID(s.MinLevelID), string(s.Status), s.NameZh, s.NameEn, s.DescriptionZh, s.DescriptionEn,
		string(images), s.DurationMinutes, s.Skill, string(checklist), s.Position, s.PublishedAt, s.CreatedAt, s.UpdatedAt).Error
	if err != nil {
		return refError(err)
	}
	return r.writeCertificates(ctx, tid, s)
}

// withCertificates loads the certificate requirements of services.
func (r *Repo) withCertificates(ctx context.Context, rows []serviceRow) ([]catalog.Item, error) {
	out := make([]catalog.Item, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	var certs []struct {
		ServiceID       uuid.UUID
		CertificateType string
	}
	if err := r.db.Conn(ctx).Raw(`select service_id, certificate_type from catalog_service_certificates
		where service_id in ? order by certificate_type`, ids).Scan(&certs).Error; err != nil {
		return nil, dbx.Err(err)
	}
	by := map[uuid.UUID][]string{}
	for _, c := range certs {
		by[c.ServiceID] = append(by[c.ServiceID], c.CertificateType)
	}
	for _, row := range rows {
		s, err := serviceToCore(row)
		if err != nil {
			return nil, err
		}
		if c := by[row.ID]; c != nil {
			s.CertificateTypes = c
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *Repo) getService(ctx context.Context, id uuid.UUID, lock bool) (catalog.Item, error) {
	var rows []serviceRow
	q := "select * from catalog_services where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return catalog.Item{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return catalog.Item{}, catalog.ErrServiceNotFound
	}
	out, err := r.withCertificates(ctx, rows)
	if err != nil {
		return catalog.Item{}, err
	}
	return out[0], nil
}

func (r *Repo) GetService(ctx context.Context, id uuid.UUID) (catalog.Item, error) {
	return r.getService(ctx, id, false)
}

func (r *Repo) UpdateService(ctx context.Context, id uuid.UUID, fn func(*catalog.Item) error) (catalog.Item, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return catalog.Item{}, err
	}
	s, err := r.getService(ctx, id, true)
	if err != nil {
		return catalog.Item{}, err
	}
	certsBefore := append([]string(nil), s.CertificateTypes...)
	if err := fn(&s); err != nil {
		return catalog.Item{}, err
	}
	images, _ := json.Marshal(s.Images)
	checklist, _ := json.Marshal(s.Checklist)
	err = r.db.Conn(ctx).Exec(`update catalog_services set category_id = ?, min_level_id = ?, status = ?, name_zh = ?, name_en = ?,
		description_zh = ?, description_en = ?, images = ?::jsonb, duration_minutes = ?, skill = ?, checklist = ?::jsonb, position = ?,
		published_at = ?, updated_at = ? where id = ?`,
		s.CategoryID, nilUUID(s.MinLevelID), string(s.Status), s.NameZh, s.NameEn, s.DescriptionZh, s.DescriptionEn, string(images),
		s.DurationMinutes, s.Skill, string(checklist), s.Position, s.PublishedAt, s.UpdatedAt, id).Error
	if err != nil {
		return catalog.Item{}, refError(err)
	}
	if !equal(certsBefore, s.CertificateTypes) {
		if err := r.writeCertificates(ctx, tid, s); err != nil {
			return catalog.Item{}, err
		}
	}
	return s, nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (r *Repo) DeleteService(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from catalog_services where id = ?", id)
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return errs.New(errs.Conflict, "in_use", "the resource is still referenced")
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return catalog.ErrServiceNotFound
	}
	return nil
}

// where builds a condition list with its arguments.
type where struct {
	sql  string
	args []any
}

func (w *where) add(cond string, args ...any) {
	w.sql += " and " + cond
	w.args = append(w.args, args...)
}

func (w *where) search(q string) {
	if q == "" {
		return
	}
	like := "%" + escapeLike(q) + "%"
	w.add("(s.name_zh ilike ? or s.name_en ilike ? or s.description_zh ilike ? or s.description_en ilike ?)", like, like, like, like)
}

func (r *Repo) ListServices(ctx context.Context, f catalog.ServiceFilter, p page.Request) (page.Result[catalog.Item], error) {
	w := where{sql: "true"}
	prefix := ""
	var prefixArgs []any
	if f.CategoryID != uuid.Nil {
		prefix, prefixArgs = subtreeCTE, []any{f.CategoryID}
		w.add("s.category_id in (select id from subtree)")
	}
	if f.Status != "" {
		w.add("s.status = ?", string(f.Status))
	}
	w.search(f.Query)
	return r.listServices(ctx, prefix, prefixArgs, w, p)
}

func (r *Repo) listServices(ctx context.Context, prefix string, prefixArgs []any, w where, p page.Request) (page.Result[catalog.Item], error) {
	var out page.Result[catalog.Item]
	db := r.db.Conn(ctx)
	args := append(append([]any{}, prefixArgs...), w.args...)
	if err := db.Raw(prefix+" select count(*) from catalog_services s where "+w.sql, args...).Scan(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []serviceRow
	q := prefix + " select s.* from catalog_services s where " + w.sql + " order by s.position, s.name_en, s.id limit ? offset ?"
	if err := db.Raw(q, append(args, p.Limit, p.Offset)...).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	var err error
	out.Items, err = r.withCertificates(ctx, rows)
	return out, err
}

func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '%' || c == '_' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(out)
}
