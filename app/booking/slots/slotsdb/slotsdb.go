// Package slotsdb reads availability's inputs: booking settings, the staff eligible for a
// service at an address (ignoring time), their hours, exceptions and assignments, and the
// holds (orders booked but not yet assigned) competing for them. Five queries per request,
// whatever the range; the sweep over time happens in Go.
package slotsdb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking/bookingdb"
	"doorstep/app/booking/slots"
	"doorstep/app/kit/dbx"
	"doorstep/app/staff/staffdb"
)

// Store implements slots.Store.
type Store struct{ db *dbx.DB }

var _ slots.Store = (*Store)(nil)

// New returns the store.
func New(db *dbx.DB) *Store { return &Store{db: db} }

// Settings reads booking_settings (column defaults when absent) and the store's zone.
func (s *Store) Settings(ctx context.Context, storeID uuid.UUID) (slots.Settings, error) {
	var row struct {
		SlotMinutes, TravelKMH, BufferMinutes *int
		TimeZone                              *string
	}
	err := s.db.Conn(ctx).Raw(`
select b.slot_minutes, b.travel_kmh, b.buffer_minutes, (select time_zone from stores where id = ?) as time_zone
from (select 1) one left join booking_settings b on true`, storeID).Scan(&row).Error
	if err != nil {
		return slots.Settings{}, dbx.Err(err)
	}
	out := slots.Settings{SlotMinutes: slots.DefaultSlotMinutes, TravelKMH: slots.DefaultTravelKMH, BufferMinutes: slots.DefaultBufferMinutes}
	if row.SlotMinutes != nil {
		out.SlotMinutes, out.TravelKMH, out.BufferMinutes = *row.SlotMinutes, *row.TravelKMH, *row.BufferMinutes
	}
	if row.TimeZone != nil {
		out.TimeZone = *row.TimeZone
	}
	return out, nil
}

// CandidatesSQL is staffdb.EligibleSQL without the time conditions (hours, leave, extra
// shifts), which the caller evaluates over a whole range in Go: skill (the service, its
// category or an ancestor), active, level at least the service's minimum, an area covering
// the address, and an approved certificate of every required and mandatory type. Instead of
// testing expiry against one interval it returns certs_until, the last day every required
// type stays valid (null: none expires), so that one query serves 31 days. The plan follows
// staffdb's reasoning: skilled staff drive, every other condition is a per-row check, and
// st_covers runs once per store because spatial operators cannot be index conditions under
// row-level security.
const CandidatesSQL = staffdb.EligibleCTEs + `
select s.id as staff_id, so.time_zone,
  case when cert.until is null or cert.until = 'infinity' then 0 else to_char(cert.until, 'YYYYMMDD')::int end as certs_until
from skilled k
join staff s on s.tenant_id = @t and s.id = k.staff_id
join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
cross join svc
left join staff_levels lv on lv.tenant_id = s.tenant_id and lv.id = s.level_id
cross join lateral (
  select count(*) filter (where best is null) as missing, min(best) as until
  from (
    select (select max(coalesce(c.expires_on, 'infinity'::date)) from staff_certificates c
            where c.tenant_id = @t and c.staff_id = s.id and c.type = r.type and c.status = 'approved') as best
    from required r) x
) cert
where ` + staffdb.EligibleStaffWhere + `
  and cert.missing = 0
  and (cert.until is null or cert.until >= (cast(@lo as timestamptz) at time zone so.time_zone)::date)`

var pointExpand = strings.NewReplacer("{PT}", "st_setsrid(st_makepoint(cast(@lng as float8), cast(@lat as float8)), 4326)")

type candidateRow struct {
	StaffID    uuid.UUID
	TimeZone   string
	CertsUntil int
}

// Schedules runs three queries: the candidates, their hours and exceptions, their
// assignments in the window with each order's distance from the address.
func (s *Store) Schedules(ctx context.Context, q slots.ScheduleQuery) ([]slots.Schedule, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	db := s.db.Conn(ctx)
	args := map[string]any{"t": tid, "s": q.ServiceID, "lng": q.At.Lng, "lat": q.At.Lat, "lo": q.From, "hi": q.To}
	var cands []candidateRow
	if err := db.Raw(pointExpand.Replace(CandidatesSQL), args).Scan(&cands).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]slots.Schedule, len(cands))
	if len(cands) == 0 {
		return out, nil
	}
	idx := make(map[uuid.UUID]int, len(cands))
	ids := make([]string, len(cands))
	zones := map[string]*time.Location{}
	for i, c := range cands {
		idx[c.StaffID] = i
		ids[i] = c.StaffID.String()
		zone, ok := zones[c.TimeZone]
		if !ok {
			if zone, err = time.LoadLocation(c.TimeZone); err != nil {
				zone = time.UTC
			}
			zones[c.TimeZone] = zone
		}
		out[i] = slots.Schedule{StaffID: c.StaffID, Zone: zone, CertsUntil: c.CertsUntil}
	}
	args["ids"] = "{" + strings.Join(ids, ",") + "}"
	if q.Lock {
		// Before the assignments are read: see the slots package doc.
		locked := make([]uuid.UUID, len(cands))
		for i, c := range cands {
			locked[i] = c.StaffID
		}
		if err := bookingdb.LockStaff(db, locked); err != nil {
			return nil, err
		}
	}

	// gorm's reflective Scan costs more than the queries at a few thousand rows; these loops
	// scan by hand.
	rows, err := db.Raw(`select staff_id, weekday, start_min, end_min from staff_hours
		where tenant_id = @t and staff_id = any(cast(@ids as uuid[]))`, args).Rows()
	if err != nil {
		return nil, dbx.Err(err)
	}
	err = scanEach(rows, func() error {
		var id uuid.UUID
		var h slots.WeeklyHours
		if err := rows.Scan(&id, &h.Weekday, &h.StartMin, &h.EndMin); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			out[i].Hours = append(out[i].Hours, h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	rows, err = db.Raw(`select staff_id, kind = 'extra', lower(during), upper(during) from staff_exceptions
		where tenant_id = @t and staff_id = any(cast(@ids as uuid[]))
		  and during && tstzrange(cast(@lo as timestamptz), cast(@hi as timestamptz))`, args).Rows()
	if err != nil {
		return nil, dbx.Err(err)
	}
	err = scanEach(rows, func() error {
		var id uuid.UUID
		var extra bool
		var w slots.Window
		if err := rows.Scan(&id, &extra, &w.Start, &w.End); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			if extra {
				out[i].Extra = append(out[i].Extra, w)
			} else {
				out[i].Leave = append(out[i].Leave, w)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	rows, err = db.Raw(`select a.staff_id, a.order_id, lower(a.during), upper(a.during), o.starts_at, o.ends_at,
		  st_distance(o.location, cast(st_setsrid(st_makepoint(cast(@lng as float8), cast(@lat as float8)), 4326) as geography))
		from assignments a
		join orders o on o.tenant_id = a.tenant_id and o.id = a.order_id
		where a.tenant_id = @t and a.status = 'active' and a.staff_id = any(cast(@ids as uuid[]))
		  and a.during && tstzrange(cast(@lo as timestamptz), cast(@hi as timestamptz))`, args).Rows()
	if err != nil {
		return nil, dbx.Err(err)
	}
	err = scanEach(rows, func() error {
		var id uuid.UUID
		var j slots.Job
		if err := rows.Scan(&id, &j.OrderID, &j.Hold.Start, &j.Hold.End, &j.Visit.Start, &j.Visit.End, &j.DistanceM); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			out[i].Jobs = append(out[i].Jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HoldsSQL finds the holds: live orders (pending_payment, confirmed, rework) without an active
// assignment whose visit overlaps [@lo, @hi), each with the staff among @ids eligible for it,
// time ignored — the conditions of CandidatesSQL (skill for the service or a category above
// it, active, level, an area covering the order's address, every required certificate
// approved and valid on the visit's last day), evaluated per (order, staff) pair. Orders
// nobody among @ids could serve are left out. The partial index orders_hold_during_idx
// (migration 00024) bounds the scan by the window.
const HoldsSQL = `
with recursive h as materialized (
  select o.id, o.service_id, o.location, o.starts_at, o.ends_at
  from orders o
  where o.tenant_id = @t and o.status in ('pending_payment', 'confirmed', 'rework')
    and tstzrange(o.starts_at, o.ends_at) && tstzrange(cast(@lo as timestamptz), cast(@hi as timestamptz))
    and not exists (select 1 from assignments a where a.tenant_id = @t and a.order_id = o.id and a.status = 'active')
), svc as materialized (
  select s.id, s.category_id, coalesce(l.rank, 0) as min_rank
  from catalog_services s left join staff_levels l on l.tenant_id = s.tenant_id and l.id = s.min_level_id
  where s.tenant_id = @t and s.id in (select service_id from h)
), cats as (
  select svc.id as service_id, c.id, c.parent_id, 1 as depth
  from catalog_categories c join svc on c.id = svc.category_id
  where c.tenant_id = @t
  union all
  select cats.service_id, c.id, c.parent_id, cats.depth + 1
  from catalog_categories c join cats on c.id = cats.parent_id
  where c.tenant_id = @t and cats.depth < 16
), skilled as materialized (
  select k.service_id, k.staff_id from staff_skills k
  where k.tenant_id = @t and k.staff_id = any(cast(@ids as uuid[])) and k.service_id in (select id from svc)
  union
  select cats.service_id, k.staff_id from staff_skills k join cats on k.category_id = cats.id
  where k.tenant_id = @t and k.staff_id = any(cast(@ids as uuid[]))
)
select h.id as order_id, h.starts_at, h.ends_at,
  st_distance(h.location, cast({PT} as geography)) as distance_m,
  string_agg(s.id::text, ',' order by s.id) as pool
from h
join svc on svc.id = h.service_id
join skilled k on k.service_id = h.service_id
join staff s on s.tenant_id = @t and s.id = k.staff_id
join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
left join staff_levels lv on lv.tenant_id = s.tenant_id and lv.id = s.level_id
where s.status = 'active'
  and coalesce(lv.rank, 0) >= svc.min_rank
  and case s.area_kind
        when 'store' then so.territory is not null and st_covers(so.territory, h.location::geometry)
        when 'polygon' then st_covers(s.area_polygon, h.location::geometry)
        else st_dwithin(s.home, h.location, s.radius_m) end
  and not exists (
    select 1 from (
      select r.certificate_type as type from catalog_service_certificates r where r.tenant_id = @t and r.service_id = h.service_id
      union
      select ct.code from certificate_types ct where ct.tenant_id = @t and ct.mandatory) req
    where not exists (
      select 1 from staff_certificates c
      where c.tenant_id = @t and c.staff_id = s.id and c.type = req.type and c.status = 'approved'
        and (c.expires_on is null or c.expires_on >= (h.ends_at at time zone so.time_zone)::date)))
group by h.id, h.starts_at, h.ends_at, h.location`

// Holds runs HoldsSQL.
func (s *Store) Holds(ctx context.Context, q slots.HoldQuery) ([]slots.Hold, error) {
	if len(q.Staff) == 0 {
		return nil, nil
	}
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(q.Staff))
	for i, id := range q.Staff {
		ids[i] = id.String()
	}
	args := map[string]any{"t": tid, "lng": q.At.Lng, "lat": q.At.Lat, "lo": q.From, "hi": q.To, "ids": "{" + strings.Join(ids, ",") + "}"}
	rows, err := s.db.Conn(ctx).Raw(pointExpand.Replace(HoldsSQL), args).Rows()
	if err != nil {
		return nil, dbx.Err(err)
	}
	var out []slots.Hold
	err = scanEach(rows, func() error {
		var h slots.Hold
		var pool string
		if err := rows.Scan(&h.OrderID, &h.Visit.Start, &h.Visit.End, &h.DistanceM, &pool); err != nil {
			return err
		}
		for _, p := range strings.Split(pool, ",") {
			id, err := uuid.Parse(p)
			if err != nil {
				return err
			}
			h.Pool = append(h.Pool, id)
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// scanEach calls scan for every row and closes rows.
func scanEach(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return dbx.Err(err)
		}
	}
	return dbx.Err(rows.Err())
}
