// Package staffdb stores the staff roster in PostgreSQL/PostGIS and answers the eligibility
// query.
package staffdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
	"doorstep/app/staff"
)

// Repo implements staff.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

type staffRow struct {
	TenantID        uuid.UUID
	ID              uuid.UUID
	UserID          uuid.UUID
	StoreID         uuid.UUID
	FranchiseeID    *uuid.UUID
	LevelID         *uuid.UUID
	BadgeNo         string
	DisplayName     string
	PhotoURL        string
	Phone           *string
	YearsExperience int
	Bio             string
	Status          string
	AreaKind        string
	AreaPolygon     *string
	HomeLng         *float64
	HomeLat         *float64
	RadiusM         *int
	LastLng         *float64
	LastLat         *float64
	LocatedAt       *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

const staffSelect = `select s.tenant_id, s.id, s.user_id, s.store_id, so.franchisee_id, s.level_id, s.badge_no, s.display_name,
	s.photo_url, s.phone, s.years_experience, s.bio, s.status, s.area_kind, st_asgeojson(s.area_polygon) as area_polygon,
	st_x(s.home::geometry) as home_lng, st_y(s.home::geometry) as home_lat, s.radius_m,
	st_x(s.last_location::geometry) as last_lng, st_y(s.last_location::geometry) as last_lat, s.located_at,
	s.created_at, s.updated_at
	from staff s join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id`

func toCore(r staffRow) (staff.Staff, error) {
	s := staff.Staff{ID: r.ID, UserID: r.UserID, StoreID: r.StoreID, BadgeNo: r.BadgeNo, DisplayName: r.DisplayName,
		PhotoURL: r.PhotoURL, YearsExperience: r.YearsExperience, Bio: r.Bio, Status: r.Status,
		Area: staff.Area{Kind: r.AreaKind}, LocatedAt: r.LocatedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.FranchiseeID != nil {
		s.FranchiseeID = *r.FranchiseeID
	}
	if r.LevelID != nil {
		s.LevelID = *r.LevelID
	}
	if r.Phone != nil {
		s.Phone = *r.Phone
	}
	if r.AreaPolygon != nil {
		p, err := geo.ParsePolygon(*r.AreaPolygon)
		if err != nil {
			return s, err
		}
		s.Area.Polygon = p
	}
	if r.HomeLng != nil && r.HomeLat != nil {
		s.Area.Home = &geo.Point{Lng: *r.HomeLng, Lat: *r.HomeLat}
	}
	if r.RadiusM != nil {
		s.Area.RadiusM = *r.RadiusM
	}
	if r.LastLng != nil && r.LastLat != nil {
		s.LastLocation = &geo.Point{Lng: *r.LastLng, Lat: *r.LastLat}
	}
	return s, nil
}

// areaArgs returns the SQL expressions for area_polygon, home, radius_m and area.
func areaArgs(a staff.Area) (poly, home, radius, area any) {
	poly, home, radius, area = gorm.Expr("NULL::geometry"), gorm.Expr("NULL::geography"), nil, gorm.Expr("NULL::geometry")
	if a.Home != nil {
		home = gorm.Expr("st_setsrid(st_makepoint(?, ?), 4326)::geography", a.Home.Lng, a.Home.Lat)
	}
	switch a.Kind {
	case staff.AreaPolygon:
		if a.Polygon != nil {
			poly = gorm.Expr("st_setsrid(st_geomfromgeojson(?), 4326)", a.Polygon.JSON())
			area = poly
		}
	case staff.AreaRadius:
		radius = a.RadiusM
		if a.Home != nil {
			// 2% larger than the radius: the buffer polygon is inscribed in the circle; the
			// query rechecks the exact distance.
			area = gorm.Expr("st_buffer(st_setsrid(st_makepoint(?, ?), 4326)::geography, ? * 1.02)::geometry", a.Home.Lng, a.Home.Lat, a.RadiusM)
		}
	}
	return
}

func nullUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func invalid(field, msg string) error {
	return errs.InvalidFields(errs.Field(field, msg))
}

// writeErr maps constraint violations of a profile write to domain errors.
func writeErr(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case dbx.IsConstraint(err, "staff_badge_key"):
		return staff.ErrBadgeTaken
	case dbx.IsConstraint(err, "staff_user_key"):
		return staff.ErrUserHasProfile
	case dbx.IsConstraint(err, "staff_area_polygon_check"):
		return invalid("area.polygon", "the polygon is not valid (for example it intersects itself)")
	case dbx.IsConstraint(err, "staff_user_fk"):
		return invalid("user_id", "no such user")
	case dbx.IsConstraint(err, "staff_store_fk"):
		return invalid("store_id", "no such store")
	case dbx.IsConstraint(err, "staff_level_fk"):
		return invalid("level_id", "no such staff level")
	case dbx.IsConstraint(err, "staff_area_check"):
		return invalid("area", "incomplete service area")
	}
	if pe, ok := dbx.PgError(err); ok && (pe.Code == "XX000" || pe.Code == "22023") {
		return invalid("area.polygon", "not a valid GeoJSON polygon")
	}
	return dbx.Err(err)
}

func (r *Repo) Create(ctx context.Context, s staff.Staff) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	poly, home, radius, area := areaArgs(s.Area)
	err = r.db.Conn(ctx).Exec(`insert into staff (tenant_id, id, user_id, store_id, level_id, badge_no, display_name, photo_url,
		phone, years_experience, bio, status, area_kind, area_polygon, home, radius_m, area, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, s.ID, s.UserID, s.StoreID, nullUUID(s.LevelID), s.BadgeNo, s.DisplayName, s.PhotoURL, nullStr(s.Phone),
		s.YearsExperience, s.Bio, s.Status, s.Area.Kind, poly, home, radius, area, s.CreatedAt, s.UpdatedAt).Error
	return writeErr(err)
}

func (r *Repo) getOne(ctx context.Context, where string, arg any, lock bool) (staff.Staff, error) {
	q := staffSelect + " where " + where
	if lock {
		q += " for update of s"
	}
	var rows []staffRow
	if err := r.db.Conn(ctx).Raw(q, arg).Scan(&rows).Error; err != nil {
		return staff.Staff{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return staff.Staff{}, staff.ErrNotFound
	}
	s, err := toCore(rows[0])
	if err != nil {
		return s, err
	}
	if err := r.loadDetails(ctx, &s); err != nil {
		return s, err
	}
	return s, nil
}

func (r *Repo) loadDetails(ctx context.Context, s *staff.Staff) error {
	db := r.db.Conn(ctx)
	var skills []struct{ ServiceID, CategoryID *uuid.UUID }
	if err := db.Raw(`select service_id, category_id from staff_skills where staff_id = ? order by created_at, id`, s.ID).Scan(&skills).Error; err != nil {
		return dbx.Err(err)
	}
	s.Skills = make([]staff.Skill, 0, len(skills))
	for _, k := range skills {
		var sk staff.Skill
		if k.ServiceID != nil {
			sk.ServiceID = *k.ServiceID
		}
		if k.CategoryID != nil {
			sk.CategoryID = *k.CategoryID
		}
		s.Skills = append(s.Skills, sk)
	}
	var hours []struct{ Weekday, StartMin, EndMin int }
	if err := db.Raw(`select weekday, start_min, end_min from staff_hours where staff_id = ? order by weekday, start_min`, s.ID).Scan(&hours).Error; err != nil {
		return dbx.Err(err)
	}
	s.Hours = make([]staff.Hours, 0, len(hours))
	for _, h := range hours {
		s.Hours = append(s.Hours, staff.Hours{Weekday: h.Weekday, Start: staff.HHMM(h.StartMin), End: staff.HHMM(h.EndMin)})
	}
	return nil
}

func (r *Repo) Get(ctx context.Context, id uuid.UUID) (staff.Staff, error) {
	return r.getOne(ctx, "s.id = ?", id, false)
}

func (r *Repo) GetByUser(ctx context.Context, userID uuid.UUID) (staff.Staff, error) {
	return r.getOne(ctx, "s.user_id = ?", userID, false)
}

func (r *Repo) Update(ctx context.Context, id uuid.UUID, fn func(*staff.Staff) error) (staff.Staff, error) {
	s, err := r.getOne(ctx, "s.id = ?", id, true)
	if err != nil {
		return staff.Staff{}, err
	}
	if err := fn(&s); err != nil {
		return staff.Staff{}, err
	}
	poly, home, radius, area := areaArgs(s.Area)
	err = r.db.Conn(ctx).Exec(`update staff set store_id = ?, level_id = ?, badge_no = ?, display_name = ?, photo_url = ?,
		phone = ?, years_experience = ?, bio = ?, status = ?, area_kind = ?, area_polygon = ?, home = ?, radius_m = ?, area = ?,
		updated_at = ? where id = ?`,
		s.StoreID, nullUUID(s.LevelID), s.BadgeNo, s.DisplayName, s.PhotoURL, nullStr(s.Phone), s.YearsExperience, s.Bio,
		s.Status, s.Area.Kind, poly, home, radius, area, s.UpdatedAt, id).Error
	if err != nil {
		return staff.Staff{}, writeErr(err)
	}
	return r.getOne(ctx, "s.id = ?", id, false)
}

func (r *Repo) List(ctx context.Context, f staff.Filter, p page.Request) (page.Result[staff.Staff], error) {
	where := "true"
	var args []any
	add := func(cond string, a ...any) { where += " and " + cond; args = append(args, a...) }
	if f.StoreID != uuid.Nil {
		add("s.store_id = ?", f.StoreID)
	}
	if f.OnlyStore != uuid.Nil {
		add("s.store_id = ?", f.OnlyStore)
	}
	if f.OnlyFranch != uuid.Nil {
		add("so.franchisee_id = ?", f.OnlyFranch)
	}
	if f.OnlyUser != uuid.Nil {
		add("s.user_id = ?", f.OnlyUser)
	}
	if f.Status != "" {
		add("s.status = ?", f.Status)
	}
	if f.LevelID != uuid.Nil {
		add("s.level_id = ?", f.LevelID)
	}
	if f.SkillID != uuid.Nil {
		add(`exists (select 1 from staff_skills k where k.tenant_id = s.tenant_id and k.staff_id = s.id
			and (k.service_id = ? or k.category_id = ?))`, f.SkillID, f.SkillID)
	}
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		add("(s.display_name ilike ? or s.badge_no ilike ? or s.phone like ?)", like, like, like)
	}
	out := page.Result[staff.Staff]{Items: []staff.Staff{}}
	db := r.db.Conn(ctx)
	if err := db.Raw(`select count(*) from staff s join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id where `+where, args...).Scan(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []staffRow
	if err := db.Raw(staffSelect+" where "+where+" order by s.badge_no, s.id limit ? offset ?", append(args, p.Limit, p.Offset)...).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	for _, row := range rows {
		s, err := toCore(row)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, s)
	}
	return out, nil
}

func (r *Repo) SetSkills(ctx context.Context, id uuid.UUID, skills []staff.Skill) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	db := r.db.Conn(ctx)
	if err := db.Exec(`delete from staff_skills where staff_id = ?`, id).Error; err != nil {
		return dbx.Err(err)
	}
	seen := map[staff.Skill]bool{}
	for _, k := range skills {
		if seen[k] {
			continue
		}
		seen[k] = true
		err := db.Exec(`insert into staff_skills (tenant_id, staff_id, id, service_id, category_id) values (?, ?, ?, ?, ?)`,
			tid, id, uuid.Must(uuid.NewV7()), nullUUID(k.ServiceID), nullUUID(k.CategoryID)).Error
		switch {
		case err == nil:
		case dbx.IsConstraint(err, "staff_skills_service_fk"):
			return invalid("skills", "no such service: "+k.ServiceID.String())
		case dbx.IsConstraint(err, "staff_skills_category_fk"):
			return invalid("skills", "no such category: "+k.CategoryID.String())
		default:
			return dbx.Err(err)
		}
	}
	return nil
}

func (r *Repo) SetHours(ctx context.Context, id uuid.UUID, hours []staff.Hours) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	db := r.db.Conn(ctx)
	if err := db.Exec(`delete from staff_hours where staff_id = ?`, id).Error; err != nil {
		return dbx.Err(err)
	}
	for _, h := range hours {
		if err := db.Exec(`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min) values (?, ?, ?, ?, ?)`,
			tid, id, h.Weekday, staff.Minutes(h.Start), staff.Minutes(h.End)).Error; err != nil {
			return dbx.Err(err)
		}
	}
	return nil
}

func (r *Repo) SetLocation(ctx context.Context, id uuid.UUID, at geo.Point, when time.Time) error {
	res := r.db.Conn(ctx).Exec(`update staff set last_location = st_setsrid(st_makepoint(?, ?), 4326)::geography, located_at = ?
		where id = ? and (located_at is null or located_at <= ?)`, at.Lng, at.Lat, when, id, when)
	return dbx.Err(res.Error)
}

func (r *Repo) StoreFranchisee(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error) {
	var rows []struct{ FranchiseeID *uuid.UUID }
	if err := r.db.Conn(ctx).Raw(`select franchisee_id from stores where id = ?`, storeID).Scan(&rows).Error; err != nil {
		return uuid.Nil, dbx.Err(err)
	}
	if len(rows) == 0 {
		return uuid.Nil, errs.New(errs.NotFound, "store_not_found", "no such store")
	}
	if rows[0].FranchiseeID == nil {
		return uuid.Nil, nil
	}
	return *rows[0].FranchiseeID, nil
}

func (r *Repo) UserExists(ctx context.Context, userID uuid.UUID) (bool, error) {
	var ok bool
	err := r.db.Conn(ctx).Raw(`select exists (select 1 from users where id = ?)`, userID).Scan(&ok).Error
	return ok, dbx.Err(err)
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
