// Package slotsdb reads availability's inputs: booking settings, the staff eligible for a
// service at an address (ignoring time), their hours, exceptions and assignments. Three
// queries per request, whatever the range; the sweep over time happens in Go.
package slotsdb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

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

	rows, err = db.Raw(`select a.staff_id, lower(a.during), upper(a.during), o.starts_at, o.ends_at,
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
		if err := rows.Scan(&id, &j.Hold.Start, &j.Hold.End, &j.Visit.Start, &j.Visit.End, &j.DistanceM); err != nil {
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
