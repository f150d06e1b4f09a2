package slots

import (
	"math"
	"sort"
	"time"

	"github.com/google/uuid"
)

// This file is the pure part of availability: given the eligible staff's schedules and
// assignments, which start times are free. No I/O, so it is table-tested in isolation.

// Window is the half-open interval [Start, End).
type Window struct{ Start, End time.Time }

// WeeklyHours is one weekly working range in the staff member's home-store zone, in minutes
// from local midnight (End up to 1440).
type WeeklyHours struct {
	Weekday          time.Weekday
	StartMin, EndMin int
}

// Job is one of a staff member's active assignments.
type Job struct {
	OrderID   uuid.UUID
	Hold      Window  // the assignment's interval (the visit plus the travel before it)
	Visit     Window  // the order's visit
	DistanceM float64 // from the job's address to the requested address
}

// Schedule is what decides when one eligible staff member is free.
type Schedule struct {
	StaffID uuid.UUID
	Zone    *time.Location // the home store's zone, in which Hours are read
	// CertsUntil is the last day (yyyymmdd, home-store zone) on which every required
	// certificate is valid; 0 when none expires.
	CertsUntil int
	Hours      []WeeklyHours
	Leave      []Window
	Extra      []Window
	Jobs       []Job
}

// Params are the request and the tenant's settings, resolved.
type Params struct {
	From, To  time.Time      // starts in [From, To)
	Zone      *time.Location // the slot grid's zone (the serving store's)
	Step      int            // slot granularity in minutes, dividing 1440
	Duration  time.Duration  // the visit
	Earliest  time.Time      // no start before this (now plus the lead time)
	TravelKMH int
	Buffer    time.Duration // added to every travel leg
	Preferred uuid.UUID     // optional
}

// Slot is one bookable start.
type Slot struct {
	Start, End time.Time
	Staff      int  // how many staff could serve it
	Preferred  bool // the preferred staff member could
}

// Travel is the time from one address to another, distanceM apart: distance at the tenant's
// travel speed, rounded up to the minute, plus the buffer.
func (p Params) Travel(distanceM float64) time.Duration {
	kmh := p.TravelKMH
	if kmh <= 0 {
		kmh = DefaultTravelKMH
	}
	if distanceM < 0 || math.IsNaN(distanceM) {
		distanceM = 0
	}
	mins := math.Ceil(distanceM / 1000 / float64(kmh) * 60)
	return time.Duration(mins)*time.Minute + p.Buffer
}

// Grid returns the slot starts in [From, To) that are not before Earliest, aligned to Step
// minutes from local midnight in Zone. Local times that do not exist (a DST gap) are skipped;
// a repeated local hour (DST end) yields its first occurrence only.
func (p Params) Grid() []time.Time {
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	step := p.Step
	if step <= 0 || 1440%step != 0 {
		step = DefaultSlotMinutes
	}
	lo := p.From
	if p.Earliest.After(lo) {
		lo = p.Earliest
	}
	var out []time.Time
	if !lo.Before(p.To) {
		return out
	}
	y, m, d := lo.In(zone).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, zone)
	last := p.To.In(zone)
	for !day.After(last) {
		y, m, d := day.Date()
		for min := 0; min < 1440; min += step {
			t := time.Date(y, m, d, 0, min, 0, 0, zone)
			if t.Hour()*60+t.Minute() != min || t.Day() != d {
				continue // does not exist on this day
			}
			if t.Before(lo) || !t.Before(p.To) || (len(out) > 0 && !t.After(out[len(out)-1])) {
				continue
			}
			out = append(out, t)
		}
		day = time.Date(y, m, d+1, 0, 0, 0, 0, zone)
	}
	return out
}

// span is an interval of start times.
type span struct{ lo, hi time.Time }

// starts turns one schedule into the start times it allows (closed spans: inside one working
// range or one extra shift) and those it forbids (open spans: leave, assignments with travel,
// certificates expired by the visit's last day), for visits of p.Duration.
func (p Params) starts(s Schedule) (allowed, blocked []span) {
	d := p.Duration
	zone := s.Zone
	if zone == nil {
		zone = time.UTC
	}
	// Working ranges on every local day touching the range (plus a day each side, so that a
	// range crossing midnight in another zone is not missed).
	if len(s.Hours) > 0 {
		var byDay [7][]WeeklyHours
		for _, h := range s.Hours {
			if h.Weekday >= time.Sunday && h.Weekday <= time.Saturday {
				byDay[h.Weekday] = append(byDay[h.Weekday], h)
			}
		}
		y, m, dd := p.From.In(zone).Date()
		day := time.Date(y, m, dd-1, 0, 0, 0, 0, zone)
		end := p.To.Add(24 * time.Hour)
		for day.Before(end) {
			y, m, dd := day.Date()
			for _, h := range byDay[day.Weekday()] {
				a := time.Date(y, m, dd, 0, h.StartMin, 0, 0, zone)
				b := time.Date(y, m, dd, 0, h.EndMin, 0, 0, zone).Add(-d)
				if !b.Before(a) {
					allowed = append(allowed, span{a, b})
				}
			}
			day = time.Date(y, m, dd+1, 0, 0, 0, 0, zone)
		}
	}
	for _, x := range s.Extra {
		if b := x.End.Add(-d); !b.Before(x.Start) {
			allowed = append(allowed, span{x.Start, b})
		}
	}
	for _, l := range s.Leave {
		blocked = append(blocked, span{l.Start.Add(-d), l.End})
	}
	for _, j := range s.Jobs {
		t := p.Travel(j.DistanceM)
		// Before the job: the new visit and the travel to the job's address end by the visit's
		// start, and the new hold ends by the job's hold. After it: the travel from the job's
		// address starts after both the visit and the hold.
		before := j.Visit.Start.Add(-t)
		if j.Hold.Start.Before(before) {
			before = j.Hold.Start
		}
		after := j.Visit.End
		if j.Hold.End.After(after) {
			after = j.Hold.End
		}
		blocked = append(blocked, span{before.Add(-d), after.Add(t)})
	}
	if s.CertsUntil > 0 {
		y, m, dd := s.CertsUntil/10000, time.Month(s.CertsUntil/100%100), s.CertsUntil%100
		// The visit must end before the next day begins.
		lastStart := time.Date(y, m, dd+1, 0, 0, 0, 0, zone).Add(-d)
		blocked = append(blocked, span{lastStart.Add(-time.Nanosecond), farFuture})
	}
	return allowed, blocked
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Compute returns the grid's starts at which some staff member is free once the holds are
// counted, with how many are (Slot.Staff: the free staff less those the overlapping holds
// need, see Remaining). Cost: O(staff × (spans × log(grid) + grid)), plus a small matching at
// each start that holds overlap.
func Compute(p Params, staff []Schedule, holds []Hold) []Slot {
	grid := p.Grid()
	if len(grid) == 0 {
		return []Slot{}
	}
	count := make([]int, len(grid))
	pref := make([]bool, len(grid))
	free := make([][]bool, len(staff)) // kept only when holds may need them
	hc := newCapacity(p, staff, holds)
	buf := make([]bool, len(grid))
	for si, s := range staff {
		ok := buf
		if len(hc.holds) > 0 {
			ok = make([]bool, len(grid))
		} else {
			clear(ok)
		}
		allowed, blocked := p.starts(s)
		for _, a := range allowed {
			i := sort.Search(len(grid), func(i int) bool { return !grid[i].Before(a.lo) })
			for ; i < len(grid) && !grid[i].After(a.hi); i++ {
				ok[i] = true
			}
		}
		for _, b := range blocked {
			i := sort.Search(len(grid), func(i int) bool { return grid[i].After(b.lo) })
			for ; i < len(grid) && grid[i].Before(b.hi); i++ {
				ok[i] = false
			}
		}
		isPref := p.Preferred != uuid.Nil && s.StaffID == p.Preferred
		for i, f := range ok {
			if f {
				count[i]++
				if isPref {
					pref[i] = true
				}
			}
		}
		if len(hc.holds) > 0 {
			free[si] = ok
		}
	}
	out := []Slot{}
	var ids []int
	for i, t := range grid {
		n := count[i]
		if n > 0 && len(hc.holds) > 0 {
			ids = ids[:0]
			prefIdx := -1
			for si := range staff {
				if free[si][i] {
					ids = append(ids, si)
					if p.Preferred != uuid.Nil && staff[si].StaffID == p.Preferred {
						prefIdx = si
					}
				}
			}
			n = hc.remaining(t, ids)
			if pref[i] && n > 0 && n < len(ids) {
				// Some free staff are needed by holds; the preferred one is still bookable if
				// the holds fit beside a visit of theirs.
				pref[i] = hc.remaining(t, []int{prefIdx}) > 0
			}
		}
		if n > 0 {
			out = append(out, Slot{Start: t, End: t.Add(p.Duration), Staff: n, Preferred: pref[i]})
		}
	}
	return out
}

// FreeAt reports whether s is free for a visit of p.Duration starting at start (grid and lead
// time are not checked here), and when its hold on the visit would begin: start less the
// travel from its previous job's address, if it has one.
func FreeAt(p Params, s Schedule, start time.Time) (free bool, holdStart time.Time) {
	allowed, blocked := p.starts(s)
	for _, a := range allowed {
		if !start.Before(a.lo) && !start.After(a.hi) {
			free = true
			break
		}
	}
	for _, b := range blocked {
		if start.After(b.lo) && start.Before(b.hi) {
			return false, time.Time{}
		}
	}
	if !free {
		return false, time.Time{}
	}
	holdStart = start
	var prevEnd time.Time
	for _, j := range s.Jobs {
		if !j.Visit.End.After(start) && j.Visit.End.After(prevEnd) {
			prevEnd = j.Visit.End
			holdStart = start.Add(-p.Travel(j.DistanceM))
		}
	}
	return true, holdStart
}
