// Package pricingdb stores pricing rules, holidays, travel policies and quotes in PostgreSQL.
package pricingdb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
)

// Repo implements pricing.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

type ruleRow struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	Kind      string
	NameZh    string
	NameEn    string
	PercentBp int64
	Fixed     int64
	LevelID   *uuid.UUID
	Weekdays  []byte `gorm:"type:jsonb"`
	StartMin  int
	EndMin    int
	StoreIDs  []byte `gorm:"type:jsonb"`
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (ruleRow) TableName() string { return "pricing_rules" }

func ruleToCore(r ruleRow) pricing.Rule {
	out := pricing.Rule{ID: r.ID, Kind: pricing.RuleKind(r.Kind), NameZh: r.NameZh, NameEn: r.NameEn, PercentBP: r.PercentBp,
		Fixed: r.Fixed, StartMin: r.StartMin, EndMin: r.EndMin, Active: r.Active}
	if r.LevelID != nil {
		out.LevelID = *r.LevelID
	}
	_ = json.Unmarshal(r.Weekdays, &out.Weekdays)
	_ = json.Unmarshal(r.StoreIDs, &out.StoreIDs)
	return out
}

func ruleToRow(tid uuid.UUID, r pricing.Rule) ruleRow {
	row := ruleRow{TenantID: tid, ID: r.ID, Kind: string(r.Kind), NameZh: r.NameZh, NameEn: r.NameEn, PercentBp: r.PercentBP,
		Fixed: r.Fixed, StartMin: r.StartMin, EndMin: r.EndMin, Active: r.Active}
	if r.LevelID != uuid.Nil {
		id := r.LevelID
		row.LevelID = &id
	}
	row.Weekdays, _ = json.Marshal(nonNil(r.Weekdays))
	row.StoreIDs, _ = json.Marshal(nonNil(r.StoreIDs))
	return row
}

func (r *Repo) Rules(ctx context.Context) ([]pricing.Rule, error) {
	var rows []ruleRow
	if err := r.db.Conn(ctx).Order("kind, created_at, id").Find(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]pricing.Rule, 0, len(rows))
	for _, row := range rows {
		out = append(out, ruleToCore(row))
	}
	return out, nil
}

func (r *Repo) GetRule(ctx context.Context, id uuid.UUID) (pricing.Rule, error) {
	var row ruleRow
	if err := r.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return pricing.Rule{}, dbx.ErrOr(err, pricing.ErrRuleNotFound)
	}
	return ruleToCore(row), nil
}

func (r *Repo) SaveRule(ctx context.Context, rule pricing.Rule, create bool) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := ruleToRow(tid, rule)
	row.UpdatedAt = time.Now()
	db := r.db.Conn(ctx)
	if create {
		row.CreatedAt = row.UpdatedAt
		err = db.Create(&row).Error
	} else {
		err = db.Model(&ruleRow{}).Where("id = ?", rule.ID).
			Select("name_zh", "name_en", "percent_bp", "fixed", "level_id", "weekdays", "start_min", "end_min", "store_ids", "active", "updated_at").
			Updates(&row).Error
	}
	if dbx.IsConstraint(err, "pricing_rules_level_fk") {
		return errs.InvalidFields(errs.Field("level_id", "no such staff level"))
	}
	return dbx.Err(err)
}

func (r *Repo) DeleteRule(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Where("id = ?", id).Delete(&ruleRow{})
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return pricing.ErrRuleNotFound
	}
	return nil
}

func (r *Repo) Holidays(ctx context.Context, from, to time.Time) (map[string]string, error) {
	var rows []struct {
		Day  time.Time
		Name string
	}
	err := r.db.Conn(ctx).Raw("select day, name from pricing_holidays where day between ?::date and ?::date order by day",
		from.Format(time.DateOnly), to.Format(time.DateOnly)).Scan(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		out[row.Day.Format(time.DateOnly)] = row.Name
	}
	return out, nil
}

func (r *Repo) SetHoliday(ctx context.Context, day time.Time, name string) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into pricing_holidays (tenant_id, day, name) values (?, ?::date, ?)
		on conflict (tenant_id, day) do update set name = excluded.name`, tid, day.Format(time.DateOnly), name).Error)
}

func (r *Repo) DeleteHoliday(ctx context.Context, day time.Time) error {
	res := r.db.Conn(ctx).Exec("delete from pricing_holidays where day = ?::date", day.Format(time.DateOnly))
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.NotFound, "holiday_not_found", "no holiday on that day")
	}
	return nil
}

// Travel returns the store's policy, else the tenant default, else no travel fee.
func (r *Repo) Travel(ctx context.Context, storeID uuid.UUID) (pricing.Travel, error) {
	var rows []struct {
		FreeMeters int64
		PerKm      int64
		MaxFee     int64
	}
	err := r.db.Conn(ctx).Raw(`select free_meters, per_km, max_fee from pricing_travel
		where store_id = ? or store_id is null order by store_id nulls last limit 1`, storeID).Scan(&rows).Error
	if err != nil {
		return pricing.Travel{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return pricing.Travel{}, nil
	}
	return pricing.Travel{FreeMeters: rows[0].FreeMeters, PerKm: rows[0].PerKm, Max: rows[0].MaxFee}, nil
}

func (r *Repo) SetTravel(ctx context.Context, storeID uuid.UUID, t pricing.Travel) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	var store *uuid.UUID
	if storeID != uuid.Nil {
		store = &storeID
	}
	err = r.db.Conn(ctx).Exec(`insert into pricing_travel (tenant_id, id, store_id, free_meters, per_km, max_fee, updated_at)
		values (?, ?, ?, ?, ?, ?, now())
		on conflict (tenant_id, coalesce(store_id, '00000000-0000-0000-0000-000000000000'::uuid))
		do update set free_meters = excluded.free_meters, per_km = excluded.per_km, max_fee = excluded.max_fee, updated_at = now()`,
		tid, uuid.Must(uuid.NewV7()), store, t.FreeMeters, t.PerKm, t.Max).Error
	if dbx.IsConstraint(err, "pricing_travel_store_fk") {
		return errs.New(errs.NotFound, "store_not_found", "no such store")
	}
	return dbx.Err(err)
}

// Distance is the geodesic distance in metres from the store's location to a point (0 when
// the store has no location).
func (r *Repo) Distance(ctx context.Context, storeID uuid.UUID, at geo.Point) (float64, error) {
	var d *float64
	err := r.db.Conn(ctx).Raw(`select st_distance(location, st_setsrid(st_makepoint(?, ?), 4326)::geography)
		from stores where id = ?`, at.Lng, at.Lat, storeID).Row().Scan(&d)
	if err != nil {
		return 0, dbx.ErrOr(err, errs.New(errs.NotFound, "store_not_found", "no such store"))
	}
	if d == nil {
		return 0, nil
	}
	return *d, nil
}

type quoteRow struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	StoreID    uuid.UUID
	PackageID  uuid.UUID
	CustomerID *uuid.UUID
	CreatedBy  string
	StartsAt   time.Time
	Lng, Lat   float64
	Request    []byte
	Lines      []byte
	Subtotal   int64
	Total      int64
	Currency   string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
}

func (r *Repo) CreateQuote(ctx context.Context, q pricing.Quote) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	req, err := json.Marshal(q.Request)
	if err != nil {
		return err
	}
	lines, err := json.Marshal(q.Breakdown.Lines)
	if err != nil {
		return err
	}
	var cust *uuid.UUID
	if q.CustomerID != uuid.Nil {
		cust = &q.CustomerID
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into quotes (tenant_id, id, store_id, package_id, customer_id, created_by, starts_at,
		location, request, lines, subtotal, total, currency, created_at, expires_at)
		values (?, ?, ?, ?, ?, ?, ?, st_setsrid(st_makepoint(?, ?), 4326)::geography, ?, ?, ?, ?, ?, ?, ?)`,
		tid, q.ID, q.StoreID, q.PackageID, cust, q.CreatedBy, q.Start, q.Location.Lng, q.Location.Lat, req, lines,
		q.Breakdown.Subtotal, q.Breakdown.Total, q.Breakdown.Currency, q.CreatedAt, q.ExpiresAt).Error)
}

func (r *Repo) GetQuote(ctx context.Context, id uuid.UUID, lock bool) (pricing.Quote, error) {
	sql := `select tenant_id, id, store_id, package_id, customer_id, created_by, starts_at,
		st_x(location::geometry) as lng, st_y(location::geometry) as lat, request, lines, subtotal, total, currency,
		created_at, expires_at, used_at from quotes where id = ?`
	if lock {
		sql += " for update"
	}
	var rows []quoteRow
	if err := r.db.Conn(ctx).Raw(sql, id).Scan(&rows).Error; err != nil {
		return pricing.Quote{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return pricing.Quote{}, pricing.ErrQuoteNotFound
	}
	row := rows[0]
	q := pricing.Quote{ID: row.ID, StoreID: row.StoreID, PackageID: row.PackageID, CreatedBy: row.CreatedBy, Start: row.StartsAt,
		Location: geo.Point{Lng: row.Lng, Lat: row.Lat}, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt, UsedAt: row.UsedAt,
		Breakdown: pricing.Breakdown{Currency: row.Currency, Subtotal: row.Subtotal, Total: row.Total}}
	if row.CustomerID != nil {
		q.CustomerID = *row.CustomerID
	}
	if err := json.Unmarshal(row.Request, &q.Request); err != nil {
		return pricing.Quote{}, err
	}
	if err := json.Unmarshal(row.Lines, &q.Breakdown.Lines); err != nil {
		return pricing.Quote{}, err
	}
	return q, nil
}

func (r *Repo) MarkQuoteUsed(ctx context.Context, id uuid.UUID, at time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Exec("update quotes set used_at = ? where id = ?", at, id).Error)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
