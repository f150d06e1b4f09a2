// Package orgdb stores franchisees and stores in PostgreSQL/PostGIS.
package orgdb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
	"doorstep/app/org"
)

// Repo implements org.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

// StoresOfFranchisee lists a franchisee's stores: the one query behind every domain's data
// scope check (auth.ReachesStore), in the caller's transaction.
func (r *Repo) StoresOfFranchisee(ctx context.Context, franchiseeID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.Conn(ctx).Raw(`select id from stores where franchisee_id = ?`, franchiseeID).Scan(&ids).Error
	return ids, dbx.Err(err)
}

type franchiseeRow struct {
	TenantID     uuid.UUID
	ID           uuid.UUID
	Name         string
	LegalName    string
	ContactName  string
	ContactPhone string
	ContactEmail string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (franchiseeRow) TableName() string { return "franchisees" }

func franchiseeToCore(r franchiseeRow) org.Franchisee {
	return org.Franchisee{ID: r.ID, Name: r.Name, LegalName: r.LegalName, ContactName: r.ContactName,
		ContactPhone: r.ContactPhone, ContactEmail: r.ContactEmail, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func franchiseeToRow(tid uuid.UUID, f org.Franchisee) franchiseeRow {
	return franchiseeRow{TenantID: tid, ID: f.ID, Name: f.Name, LegalName: f.LegalName, ContactName: f.ContactName,
		ContactPhone: f.ContactPhone, ContactEmail: f.ContactEmail, Status: f.Status, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (r *Repo) CreateFranchisee(ctx context.Context, f org.Franchisee) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := franchiseeToRow(tid, f)
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) GetFranchisee(ctx context.Context, id uuid.UUID) (org.Franchisee, error) {
	var row franchiseeRow
	if err := r.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return org.Franchisee{}, dbx.ErrOr(err, org.ErrFranchiseeNotFound)
	}
	return franchiseeToCore(row), nil
}

func (r *Repo) UpdateFranchisee(ctx context.Context, id uuid.UUID, fn func(*org.Franchisee) error) (org.Franchisee, error) {
	var row franchiseeRow
	db := r.db.Conn(ctx)
	if err := db.Raw("select * from franchisees where id = ? for update", id).Scan(&row).Error; err != nil {
		return org.Franchisee{}, dbx.Err(err)
	}
	if row.ID == uuid.Nil {
		return org.Franchisee{}, org.ErrFranchiseeNotFound
	}
	f := franchiseeToCore(row)
	if err := fn(&f); err != nil {
		return org.Franchisee{}, err
	}
	row = franchiseeToRow(row.TenantID, f)
	if err := db.Where("tenant_id = ? and id = ?", row.TenantID, row.ID).Save(&row).Error; err != nil {
		return org.Franchisee{}, dbx.Err(err)
	}
	return f, nil
}

func (r *Repo) DeleteFranchisee(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Where("id = ?", id).Delete(&franchiseeRow{})
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return org.ErrInUse
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return org.ErrFranchiseeNotFound
	}
	return nil
}

func (r *Repo) ListFranchisees(ctx context.Context, only uuid.UUID, p page.Request) (page.Result[org.Franchisee], error) {
	q := r.db.Conn(ctx).Model(&franchiseeRow{})
	if only != uuid.Nil {
		q = q.Where("id = ?", only)
	}
	var out page.Result[org.Franchisee]
	if err := q.Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []franchiseeRow
	if err := q.Order("name, id").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]org.Franchisee, 0, len(rows))
	for _, row := range rows {
		out.Items = append(out.Items, franchiseeToCore(row))
	}
	return out, nil
}

// ---- stores ----

type storeRow struct {
	TenantID     uuid.UUID
	ID           uuid.UUID
	FranchiseeID *uuid.UUID
	Code         string
	Name         string
	Address      string
	Phone        string
	Lng          *float64
	Lat          *float64
	Territory    *string
	OpeningHours []byte
	TimeZone     string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const storeColumns = `tenant_id, id, franchisee_id, code, name, address, phone,
	st_x(location::geometry) as lng, st_y(location::geometry) as lat,
	st_asgeojson(territory) as territory, opening_hours, time_zone, status, created_at, updated_at`

func storeToCore(r storeRow) (org.Store, error) {
	s := org.Store{ID: r.ID, Code: r.Code, Name: r.Name, Address: r.Address, Phone: r.Phone,
		TimeZone: r.TimeZone, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.FranchiseeID != nil {
		s.FranchiseeID = *r.FranchiseeID
	}
	if r.Lng != nil && r.Lat != nil {
		s.Location = &geo.Point{Lng: *r.Lng, Lat: *r.Lat}
	}
	if r.Territory != nil {
		p, err := geo.ParsePolygon(*r.Territory)
		if err != nil {
			return s, err
		}
		s.Territory = p
	}
	s.OpeningHours = []org.OpeningHours{}
	if len(r.OpeningHours) > 0 {
		if err := json.Unmarshal(r.OpeningHours, &s.OpeningHours); err != nil {
			return s, err
		}
	}
	return s, nil
}

// storeValues returns the geometry expressions and arguments for a write.
func storeArgs(s org.Store) (fr *uuid.UUID, loc, terr any, hours []byte, err error) {
	if s.FranchiseeID != uuid.Nil {
		id := s.FranchiseeID
		fr = &id
	}
	loc = gorm.Expr("NULL::geography")
	if s.Location != nil {
		loc = gorm.Expr("st_setsrid(st_makepoint(?, ?), 4326)::geography", s.Location.Lng, s.Location.Lat)
	}
	terr = gorm.Expr("NULL::geometry")
	if s.Territory != nil {
		terr = gorm.Expr("st_setsrid(st_geomfromgeojson(?), 4326)", s.Territory.JSON())
	}
	hours, err = json.Marshal(s.OpeningHours)
	return
}

// territoryError turns PostGIS's verdict on a polygon into a field error.
func territoryError(err error) error {
	if dbx.IsConstraint(err, "stores_territory_check") {
		return errs.InvalidFields(errs.Field("territory", "the polygon is not valid (for example it intersects itself)"))
	}
	if pe, ok := dbx.PgError(err); ok && (pe.Code == "XX000" || pe.Code == "22023") {
		return errs.InvalidFields(errs.Field("territory", "not a valid GeoJSON polygon"))
	}
	if dbx.IsConstraint(err, "stores_code_key") {
		return errs.New(errs.Conflict, "store_code_taken", "another store has this code")
	}
	return dbx.Err(err)
}

func (r *Repo) CreateStore(ctx context.Context, s org.Store) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	fr, loc, terr, hours, err := storeArgs(s)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Exec(`insert into stores (tenant_id, id, franchisee_id, code, name, address, phone, location,
		territory, opening_hours, time_zone, status, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, s.ID, fr, s.Code, s.Name, s.Address, s.Phone, loc, terr, hours, s.TimeZone, s.Status, s.CreatedAt, s.UpdatedAt).Error
	return territoryError(err)
}

func (r *Repo) getStore(ctx context.Context, id uuid.UUID, lock bool) (org.Store, error) {
	var rows []storeRow
	q := "select " + storeColumns + " from stores where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return org.Store{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return org.Store{}, org.ErrStoreNotFound
	}
	return storeToCore(rows[0])
}

func (r *Repo) GetStore(ctx context.Context, id uuid.UUID) (org.Store, error) {
	return r.getStore(ctx, id, false)
}

func (r *Repo) UpdateStore(ctx context.Context, id uuid.UUID, fn func(*org.Store) error) (org.Store, error) {
	s, err := r.getStore(ctx, id, true)
	if err != nil {
		return org.Store{}, err
	}
	if err := fn(&s); err != nil {
		return org.Store{}, err
	}
	fr, loc, terr, hours, err := storeArgs(s)
	if err != nil {
		return org.Store{}, err
	}
	err = r.db.Conn(ctx).Exec(`update stores set franchisee_id = ?, code = ?, name = ?, address = ?, phone = ?,
		location = ?, territory = ?, opening_hours = ?, time_zone = ?, status = ?, updated_at = ? where id = ?`,
		fr, s.Code, s.Name, s.Address, s.Phone, loc, terr, hours, s.TimeZone, s.Status, s.UpdatedAt, id).Error
	if err != nil {
		return org.Store{}, territoryError(err)
	}
	return s, nil
}

func (r *Repo) DeleteStore(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from stores where id = ?", id)
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return org.ErrInUse
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return org.ErrStoreNotFound
	}
	return nil
}

func (r *Repo) ListStores(ctx context.Context, f org.StoreFilter, p page.Request) (page.Result[org.Store], error) {
	where := "true"
	var args []any
	add := func(cond string, a any) { where += " and " + cond; args = append(args, a) }
	if f.FranchiseeID != uuid.Nil {
		add("franchisee_id = ?", f.FranchiseeID)
	}
	if f.OnlyFranch != uuid.Nil {
		add("franchisee_id = ?", f.OnlyFranch)
	}
	if f.OnlyStore != uuid.Nil {
		add("id = ?", f.OnlyStore)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Query != "" {
		where += " and (name ilike ? or code ilike ? or address ilike ?)"
		like := "%" + escapeLike(f.Query) + "%"
		args = append(args, like, like, like)
	}
	var out page.Result[org.Store]
	db := r.db.Conn(ctx)
	if err := db.Raw("select count(*) from stores where "+where, args...).Scan(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []storeRow
	q := "select " + storeColumns + " from stores where " + where + " order by code, id limit ? offset ?"
	if err := db.Raw(q, append(args, p.Limit, p.Offset)...).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]org.Store, 0, len(rows))
	for _, row := range rows {
		s, err := storeToCore(row)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, s)
	}
	return out, nil
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
