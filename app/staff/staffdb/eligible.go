package staffdb

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/staff"
)

var _ staff.Repo = (*Repo)(nil)

// EligibleSQL is the eligibility query. It is written so that its cost follows the number of
// staff holding the skill, whatever the planner estimates:
//
//   - skilled (btree on staff_skills by service and by category) is the driver, materialised
//     once; every other condition is checked per skilled staff member by primary key.
//   - Spatial indexes cannot narrow it: under row-level security PostgreSQL only uses a
//     query's non-leakproof operators (PostGIS's &&, ~) as index conditions when they are
//     marked leakproof, so st_covers runs as a filter. It runs once per store (here) and once
//     per skilled staff member with an own area, which is cheap at a tenant's scale.
//   - An earlier version intersected a "covering" union with the skills by IN (...); with
//     st_covers's selectivity unknown the planner sometimes re-ran the union per row (0.5 s
//     at 5,000 staff). Materialised CTEs and per-row checks rule that plan out.
//
// {FILTER} is replaced by the scope conditions.
const EligibleSQL = EligibleCTEs + `
select s.id as staff_id, s.user_id, s.store_id, s.level_id, coalesce(lv.rank, 0) as level_rank, s.badge_no, s.display_name,
  s.located_at,
  case when s.last_location is not null then st_distance(s.last_location, {PT}::geography)
       when s.home is not null then st_distance(s.home, {PT}::geography)
       when so.location is not null then st_distance(so.location, {PT}::geography) end as distance_m,
  case when s.last_location is not null then 'last_location' when s.home is not null then 'home'
       when so.location is not null then 'store' else '' end as distance_from
from skilled k
join staff s on s.tenant_id = @t and s.id = k.staff_id
join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
cross join svc
left join staff_levels lv on lv.tenant_id = s.tenant_id and lv.id = s.level_id
where ` + EligibleStaffWhere + `
  and not exists (
    select 1 from required r where not exists (
      select 1 from staff_certificates c
      where c.tenant_id = @t and c.staff_id = s.id and c.type = r.type and c.status = 'approved'
        and (c.expires_on is null or c.expires_on >= ({HI} at time zone so.time_zone)::date)))
  and not exists (
    select 1 from staff_exceptions x
    where x.tenant_id = @t and x.staff_id = s.id and x.kind = 'leave' and x.during && tstzrange({LO}, {HI}))
  and (
    exists (
      select 1 from staff_hours h
      where h.tenant_id = @t and h.staff_id = s.id
        and h.weekday = extract(dow from ({LO} at time zone so.time_zone))::int
        and ({LO} at time zone so.time_zone) >= date_trunc('day', {LO} at time zone so.time_zone) + make_interval(mins => h.start_min)
        and ({HI} at time zone so.time_zone) <= date_trunc('day', {LO} at time zone so.time_zone) + make_interval(mins => h.end_min))
    or exists (
      select 1 from staff_exceptions x
      where x.tenant_id = @t and x.staff_id = s.id and x.kind = 'extra' and x.during @> tstzrange({LO}, {HI})))
  {FILTER}
order by distance_m nulls last, s.badge_no
limit @limit`

// EligibleCTEs are the common table expressions of every eligibility query, here and in
// availability (slotsdb): the service's category and minimum level rank (svc), its category
// and ancestors (cats), the certificate types it requires plus the mandatory ones (required),
// the staff holding the skill (skilled, the driver) and the stores whose territory covers the
// point (here). Parameters: @t tenant, @s service; {PT} is the point.
const EligibleCTEs = `
with recursive svc as materialized (
  select s.category_id, coalesce(l.rank, 0) as min_rank
  from catalog_services s
  left join staff_levels l on l.tenant_id = s.tenant_id and l.id = s.min_level_id
  where s.tenant_id = @t and s.id = @s
), cats as (
  select c.id, c.parent_id, 1 as depth
  from catalog_categories c join svc on c.id = svc.category_id
  where c.tenant_id = @t
  union all
  select c.id, c.parent_id, cats.depth + 1
  from catalog_categories c join cats on c.id = cats.parent_id
  where c.tenant_id = @t and cats.depth < 16
), required as materialized (
  select certificate_type as type from catalog_service_certificates where tenant_id = @t and service_id = @s
  union
  select code from certificate_types where tenant_id = @t and mandatory
), skilled as materialized (
  select staff_id from staff_skills where tenant_id = @t and service_id = @s
  union
  select k.staff_id from staff_skills k join cats on k.category_id = cats.id where k.tenant_id = @t
), here as materialized (
  select id from stores where tenant_id = @t and territory is not null and st_covers(territory, {PT})
)`

// EligibleStaffWhere are the per-staff conditions every eligibility query shares, over staff s,
// its level lv and svc: active, senior enough, and an area that covers {PT}.
const EligibleStaffWhere = `s.status = 'active'
  and coalesce(lv.rank, 0) >= svc.min_rank
  and case s.area_kind
        when 'store' then s.store_id in (select id from here)
        when 'polygon' then st_covers(s.area_polygon, {PT})
        else st_dwithin(s.home, {PT}::geography, s.radius_m) end`

var eligibleExpand = strings.NewReplacer(
	"{PT}", "st_setsrid(st_makepoint(cast(@lng as float8), cast(@lat as float8)), 4326)",
	"{LO}", "cast(@lo as timestamptz)",
	"{HI}", "cast(@hi as timestamptz)",
)

// EligibleQuery returns the SQL and named arguments for q in tenant tid.
func EligibleQuery(tid uuid.UUID, q staff.EligibleQuery) (string, map[string]any) {
	filter := ""
	args := map[string]any{"t": tid, "s": q.ServiceID, "lng": q.At.Lng, "lat": q.At.Lat, "lo": q.Start, "hi": q.End, "limit": q.Limit}
	if q.StoreID != uuid.Nil {
		filter += " and s.store_id = @store"
		args["store"] = q.StoreID
	}
	if q.OnlyStore != uuid.Nil {
		filter += " and s.store_id = @only_store"
		args["only_store"] = q.OnlyStore
	}
	if q.OnlyFranch != uuid.Nil {
		filter += " and so.franchisee_id = @only_franch"
		args["only_franch"] = q.OnlyFranch
	}
	return eligibleExpand.Replace(strings.Replace(EligibleSQL, "{FILTER}", filter, 1)), args
}

type candidateRow struct {
	StaffID      uuid.UUID
	UserID       uuid.UUID
	StoreID      uuid.UUID
	LevelID      *uuid.UUID
	LevelRank    int
	BadgeNo      string
	DisplayName  string
	LocatedAt    *time.Time
	DistanceM    *float64
	DistanceFrom string
}

func (r *Repo) Eligible(ctx context.Context, q staff.EligibleQuery) ([]staff.Candidate, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	db := r.db.Conn(ctx)
	var exists bool
	if err := db.Raw(`select exists (select 1 from catalog_services where id = ?)`, q.ServiceID).Scan(&exists).Error; err != nil {
		return nil, dbx.Err(err)
	}
	if !exists {
		return nil, invalid("service_id", "no such service")
	}
	sql, args := EligibleQuery(tid, q)
	var rows []candidateRow
	if err := db.Raw(sql, args).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]staff.Candidate, 0, len(rows))
	for _, row := range rows {
		c := staff.Candidate{StaffID: row.StaffID, UserID: row.UserID, StoreID: row.StoreID, LevelRank: row.LevelRank,
			BadgeNo: row.BadgeNo, DisplayName: row.DisplayName, LocatedAt: row.LocatedAt, DistanceM: -1, DistanceFrom: row.DistanceFrom}
		if row.LevelID != nil {
			c.LevelID = *row.LevelID
		}
		if row.DistanceM != nil {
			c.DistanceM = *row.DistanceM
		}
		out = append(out, c)
	}
	return out, nil
}
