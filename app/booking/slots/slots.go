// Package slots owns availability and capacity: the start times at which a service package
// (with add-ons) can be booked at an address, given who is eligible, their working hours,
// leave, extra shifts, existing assignments with travel between jobs, and the orders booked
// but not yet assigned. Booking calls FreeStaff inside its transaction to validate a chosen
// start before it inserts the order.
//
// Capacity (docs/capacity.md). A live order nobody is assigned to yet — pending_payment,
// confirmed or rework, without an active assignment — is a hold: a demand for one staff member
// of its pool (the staff eligible for its service at its address, time ignored) for its visit.
// For a requested start, the free staff are counted as before; the holds whose visits
// overlap the new visit (with travel either side, as jobs do) are matched to the pool members
// free for their own visits; what is left is the slot's staff count (Remaining: a maximum
// bipartite matching). Availability drops starts with nothing left and FreeStaff refuses them
// (409 slot_unavailable). Nothing is stored for a hold: it is the order row itself, so a
// cancellation or a move frees it at once, and an assignment converts it (the order is no
// longer unassigned; its assignment now blocks the staff member as a job).
//
// Concurrency. FreeStaff asks the store to take a transaction-scoped advisory lock on every
// staff member of the request's eligible pool (sorted) before it reads assignments and holds;
// booking inserts its order in the same transaction, so count-then-insert is safe in READ
// COMMITTED, and bookings whose pools do not intersect never wait for each other. Inserting
// or moving an assignment takes the same lock on its staff member, so converting a hold into
// an assignment cannot be seen half done by a concurrent count. Releasing (cancel, unassign,
// decline) takes no lock: assignments are read before holds, so a count that races a release
// sees the capacity taken twice, never lost.
package slots

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/tenant"
)

// Defaults, matching booking_settings' column defaults (used when a tenant has no row).
const (
	DefaultSlotMinutes   = 30
	DefaultTravelKMH     = 20
	DefaultBufferMinutes = 15
	// MinLead is how far ahead the earliest bookable start lies.
	MinLead = 2 * time.Hour
	// MaxRange is the longest range one request may ask about.
	MaxRange = 31 * 24 * time.Hour
	// DefaultRange is the range when To is not given.
	DefaultRange = 7 * 24 * time.Hour
	// MaxAddOns bounds the add-ons of one request.
	MaxAddOns = 20
	// MaxAhead is how far into the future availability is answered.
	MaxAhead = 366 * 24 * time.Hour
)

// Errors.
var (
	ErrSlotUnavailable = errs.New(errs.Conflict, "slot_unavailable", "nobody who can serve this visit is free at that time")
	// ErrFullyBooked is slot_unavailable because orders already booked for that time (not
	// yet assigned) need every staff member who could serve this one.
	ErrFullyBooked = errs.New(errs.Conflict, "slot_unavailable", "every staff member who could serve this visit is already booked at that time")
)

// Date is a calendar day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Bound is one end of a range: an instant, or (IsDate) a calendar day in the serving store's
// zone; From takes the day's start, To its end.
type Bound struct {
	Time   time.Time
	Date   Date
	IsDate bool
}

// IsZero reports an absent bound.
func (b Bound) IsZero() bool { return !b.IsDate && b.Time.IsZero() }

// ParseBound reads "YYYY-MM-DD" or an RFC 3339 time.
func ParseBound(s string) (Bound, bool) {
	if s == "" {
		return Bound{}, true
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return Bound{IsDate: true, Date: Date{d.Year(), d.Month(), d.Day()}}, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Bound{Time: t}, true
	}
	return Bound{}, false
}

// Request asks for the bookable starts of a visit.
type Request struct {
	PackageID        uuid.UUID
	AddOnIDs         []uuid.UUID // repeated ids count as quantity
	At               geo.Point
	From, To         Bound     // absent From: now; absent To: From plus DefaultRange
	PreferredStaffID uuid.UUID // optional
}

// Result is the answer.
type Result struct {
	StoreID         uuid.UUID
	ServiceID       uuid.UUID
	TimeZone        string
	From, To        time.Time
	SlotMinutes     int
	DurationMinutes int
	Eligible        int  // staff eligible at the address, before time
	PreferredKnown  bool // the preferred staff member is among them
	Slots           []Slot
}

// Visit is one chosen start, for FreeStaff.
type Visit struct {
	PackageID uuid.UUID
	AddOnIDs  []uuid.UUID
	At        geo.Point
	Start     time.Time
	StaffID   uuid.UUID // optional: only this staff member
	// Moving, when set, is the order being moved to Start (reschedule): its own hold or
	// assignment at its old time is left out of the count, so it competes only with others.
	Moving uuid.UUID
	// Known, when set, is what the caller has already resolved for this visit (booking, from
	// its quote): the serving store, the service and the visit's length. The catalogue and
	// territory lookups are then skipped — they were 40% of a booking's time.
	Known *Known
}

// Known is a visit's store, service and length, resolved by the caller.
type Known struct {
	StoreID, ServiceID uuid.UUID
	Minutes            int
}

// FreeStaffMember can take the visit; its hold (the assignment interval) starts at HoldStart,
// which leaves time to travel from its previous job.
type FreeStaffMember struct {
	StaffID   uuid.UUID
	HoldStart time.Time
}

// Free is FreeStaff's answer.
type Free struct {
	StoreID   uuid.UUID
	ServiceID uuid.UUID
	Start     time.Time
	End       time.Time
	Staff     []FreeStaffMember // at least one
	// Remaining is how many of Staff are left once the overlapping holds are served (at
	// least one): the capacity this booking takes from.
	Remaining int
}

// Settings are the tenant's booking settings and the serving store's zone.
type Settings struct {
	SlotMinutes   int
	TravelKMH     int
	BufferMinutes int
	TimeZone      string
}

// ScheduleQuery asks for the eligible staff's schedules.
type ScheduleQuery struct {
	ServiceID uuid.UUID
	At        geo.Point
	From, To  time.Time // the window of leave, extra shifts and assignments to read
	// Lock takes a transaction-scoped lock on every eligible staff member before their
	// assignments are read, so a booking's count-then-insert is safe (see the package doc).
	Lock bool
}

// HoldQuery asks for the holds that may compete with a request's eligible staff.
type HoldQuery struct {
	At       geo.Point   // the requested address (Hold.DistanceM is from here)
	From, To time.Time   // holds whose visits overlap [From, To)
	Staff    []uuid.UUID // the request's eligible staff; Hold.Pool is intersected with them
}

// Store reads what availability needs, inside the caller's transaction.
type Store interface {
	// Settings returns the booking settings (defaults when the tenant has none) and storeID's zone.
	Settings(ctx context.Context, storeID uuid.UUID) (Settings, error)
	// Schedules returns every staff member eligible for the service at the address, ignoring
	// time (skill, level, status, area, required certificates approved), with their weekly
	// hours, the leave and extra shifts and active assignments overlapping [From, To).
	Schedules(ctx context.Context, q ScheduleQuery) ([]Schedule, error)
	// Holds returns the live orders without an active assignment whose visits overlap
	// [From, To) and that some of q.Staff are eligible for, each with those staff as its pool.
	// Called after Schedules, in the same transaction (see the package doc for why).
	Holds(ctx context.Context, q HoldQuery) ([]Hold, error)
}

// Catalog is what availability needs from the catalogue; its errors are 4xx domain errors
// (address_not_served, package_not_found, package_unavailable, add-on validation).
type Catalog interface {
	ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, error)
	// VisitLength is the service of the package as sold at the store and the visit's length:
	// the package's minutes plus each add-on's.
	VisitLength(ctx context.Context, packageID, storeID uuid.UUID, addOnIDs []uuid.UUID) (serviceID uuid.UUID, minutes int, err error)
}

// Service answers availability.
type Service struct {
	db    *dbx.DB
	store Store
	cat   Catalog
	clock clock.Clock
}

// NewService builds the service; clk nil means the system clock.
func NewService(db *dbx.DB, store Store, cat Catalog, clk clock.Clock) *Service {
	if clk == nil {
		clk = clock.System{}
	}
	return &Service{db: db, store: store, cat: cat, clock: clk}
}

func validatePoint(at geo.Point, v *errs.Validation) {
	v.Check(at.Lng >= -180 && at.Lng <= 180, "lng", "-180 to 180")
	v.Check(at.Lat >= -90 && at.Lat <= 90, "lat", "-90 to 90")
}

// resolved is what both operations need before computing.
type resolved struct {
	store     uuid.UUID
	service   uuid.UUID
	zone      *time.Location
	settings  Settings
	duration  time.Duration
	schedules []Schedule
	holds     []Hold
}

// resolve finds the serving store, the visit's length and settings, then the schedules over
// [from, to) widened by a day each side (travel and leave reach across the range's edges).
// With lock, the eligible staff are locked before their assignments and the holds are read.
// An order being moved (moving) is left out of the assignments and holds read.
func (s *Service) resolve(ctx context.Context, pkg uuid.UUID, addOns []uuid.UUID, at geo.Point, known *Known, lock bool, moving uuid.UUID, window func(*time.Location) (time.Time, time.Time, error)) (resolved, time.Time, time.Time, error) {
	var r resolved
	var from, to time.Time
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		var mins int
		if known != nil {
			r.store, r.service, mins = known.StoreID, known.ServiceID, known.Minutes
		} else {
			if r.store, err = s.cat.ServingStore(ctx, at); err != nil {
				return err
			}
			if r.service, mins, err = s.cat.VisitLength(ctx, pkg, r.store, addOns); err != nil {
				return err
			}
		}
		if mins <= 0 {
			return errs.InvalidFields(errs.Field("package_id", "the package has no duration"))
		}
		r.duration = time.Duration(mins) * time.Minute
		if r.settings, err = s.store.Settings(ctx, r.store); err != nil {
			return err
		}
		r.zone = zoneOf(ctx, r.settings.TimeZone)
		if from, to, err = window(r.zone); err != nil {
			return err
		}
		lo, hi := from.Add(-24*time.Hour), to.Add(r.duration+24*time.Hour)
		if r.schedules, err = s.store.Schedules(ctx, ScheduleQuery{ServiceID: r.service, At: at, From: lo, To: hi, Lock: lock}); err != nil {
			return err
		}
		if len(r.schedules) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(r.schedules))
		for i, sc := range r.schedules {
			ids[i] = sc.StaffID
		}
		if r.holds, err = s.store.Holds(ctx, HoldQuery{At: at, From: lo, To: hi, Staff: ids}); err != nil {
			return err
		}
		if moving != uuid.Nil {
			r.leaveOut(moving)
		}
		return nil
	})
	return r, from, to, err
}

// leaveOut drops an order's own assignment and hold, so that moving it is counted as if it
// were booked afresh at its new time.
func (r *resolved) leaveOut(order uuid.UUID) {
	for i := range r.schedules {
		jobs := r.schedules[i].Jobs[:0:0]
		for _, j := range r.schedules[i].Jobs {
			if j.OrderID != order {
				jobs = append(jobs, j)
			}
		}
		r.schedules[i].Jobs = jobs
	}
	holds := r.holds[:0:0]
	for _, h := range r.holds {
		if h.OrderID != order {
			holds = append(holds, h)
		}
	}
	r.holds = holds
}

// zoneOf is the store's zone, else the tenant's, else UTC.
func zoneOf(ctx context.Context, name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	if t, ok := tenant.FromContext(ctx); ok {
		return t.Location()
	}
	return time.UTC
}

func (r resolved) params(from, to, earliest time.Time, preferred uuid.UUID) Params {
	return Params{From: from, To: to, Zone: r.zone, Step: r.settings.SlotMinutes, Duration: r.duration, Earliest: earliest,
		TravelKMH: r.settings.TravelKMH, Buffer: time.Duration(r.settings.BufferMinutes) * time.Minute, Preferred: preferred}
}

func startOf(d Date, zone *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, zone)
}

// Availability returns the bookable starts over the request's range.
func (s *Service) Availability(ctx context.Context, req Request) (Result, error) {
	var v errs.Validation
	v.Check(req.PackageID != uuid.Nil, "package_id", "required")
	v.Check(len(req.AddOnIDs) <= MaxAddOns, "add_on", fmt.Sprintf("at most %d", MaxAddOns))
	validatePoint(req.At, &v)
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	now := s.clock.Now()
	window := func(zone *time.Location) (time.Time, time.Time, error) {
		from := now
		switch {
		case req.From.IsDate:
			from = startOf(req.From.Date, zone)
		case !req.From.Time.IsZero():
			from = req.From.Time
		}
		to := from.Add(DefaultRange)
		switch {
		case req.To.IsDate:
			to = startOf(req.To.Date, zone).AddDate(0, 0, 1)
		case !req.To.Time.IsZero():
			to = req.To.Time
		}
		var v errs.Validation
		v.Check(from.Before(to), "to", "must be after from")
		v.Check(to.Sub(from) <= MaxRange+time.Hour, "to", "a range of at most 31 days") // an hour for a DST change
		v.Check(from.Before(now.Add(MaxAhead)), "from", "at most a year ahead")
		return from, to, v.Err()
	}
	r, from, to, err := s.resolve(ctx, req.PackageID, req.AddOnIDs, req.At, nil, false, uuid.Nil, window)
	if err != nil {
		return Result{}, err
	}
	p := r.params(from, to, now.Add(MinLead), req.PreferredStaffID)
	out := Result{StoreID: r.store, ServiceID: r.service, TimeZone: r.zone.String(), From: from, To: to,
		SlotMinutes: p.Step, DurationMinutes: int(r.duration / time.Minute), Eligible: len(r.schedules),
		Slots: Compute(p, r.schedules, r.holds)}
	if out.SlotMinutes <= 0 {
		out.SlotMinutes = DefaultSlotMinutes
	}
	for _, sc := range r.schedules {
		if req.PreferredStaffID != uuid.Nil && sc.StaffID == req.PreferredStaffID {
			out.PreferredKnown = true
		}
	}
	return out, nil
}

// FreeStaff validates a chosen start: it must be on the slot grid and at least MinLead ahead,
// someone (v.StaffID, when given) must be free for the whole visit with travel, and capacity
// must remain once the overlapping holds are served. It answers who is free, with each one's
// hold start. Booking calls it inside its own transaction, which holds the pool's locks until
// it commits the order (and, when staff named one, the assignment, which the no-overlap
// constraint also guards); rescheduling calls it the same way with v.Moving set.
func (s *Service) FreeStaff(ctx context.Context, v Visit) (Free, error) {
	var val errs.Validation
	val.Check(v.PackageID != uuid.Nil, "package_id", "required")
	val.Check(len(v.AddOnIDs) <= MaxAddOns, "add_on", fmt.Sprintf("at most %d", MaxAddOns))
	validatePoint(v.At, &val)
	now := s.clock.Now()
	val.Check(!v.Start.IsZero(), "start", "required")
	if err := val.Err(); err != nil {
		return Free{}, err
	}
	// The range holding just this start: the grid has it only if it is a slot start.
	window := func(*time.Location) (time.Time, time.Time, error) { return v.Start, v.Start.Add(time.Nanosecond), nil }
	r, from, to, err := s.resolve(ctx, v.PackageID, v.AddOnIDs, v.At, v.Known, true, v.Moving, window)
	if err != nil {
		return Free{}, err
	}
	p := r.params(from, to, time.Time{}, uuid.Nil)
	grid := p.Grid()
	var bad errs.Validation
	bad.Check(len(grid) == 1 && grid[0].Equal(v.Start), "start", fmt.Sprintf("not a slot start (every %d minutes from local midnight)", r.settings.SlotMinutes))
	bad.Check(!v.Start.Before(now.Add(MinLead)), "start", fmt.Sprintf("at least %s ahead", MinLead))
	if err := bad.Err(); err != nil {
		return Free{}, err
	}
	out := Free{StoreID: r.store, ServiceID: r.service, Start: v.Start, End: v.Start.Add(r.duration)}
	var free []int
	for i, sc := range r.schedules {
		if v.StaffID != uuid.Nil && sc.StaffID != v.StaffID {
			continue
		}
		if ok, hold := FreeAt(p, sc, v.Start); ok {
			out.Staff = append(out.Staff, FreeStaffMember{StaffID: sc.StaffID, HoldStart: hold})
			free = append(free, i)
		}
	}
	if len(out.Staff) == 0 {
		return Free{}, ErrSlotUnavailable
	}
	if out.Remaining = newCapacity(p, r.schedules, r.holds).remaining(v.Start, free); out.Remaining == 0 {
		return Free{}, ErrFullyBooked
	}
	return out, nil
}
