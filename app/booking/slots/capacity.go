package slots

import (
	"time"

	"github.com/google/uuid"
)

// This file is the pure part of capacity: how orders booked but not yet assigned (holds) take
// staff away from a new visit. No I/O; table-tested in capacity_test.go.

// Hold is a live order nobody is assigned to yet (pending_payment, confirmed or rework without
// an active assignment): a demand for one staff member of its pool for its visit.
type Hold struct {
	OrderID   uuid.UUID
	Visit     Window
	DistanceM float64     // from the order's address to the requested address
	Pool      []uuid.UUID // staff eligible for its service at its address (time ignored), among the request's eligible staff
}

// Remaining is how many more visits, each of which any staff member in free could serve, fit
// beside demands, each of which needs a staff member of its own from its list (staff are
// small integers, free and demands name them). It is a maximum bipartite matching by
// augmenting paths: first the demands alone, then new visits one at a time until one no longer
// fits. An augmenting path never unmatches a demand, so the count is
// maxMatching(demands + new visits) − maxMatching(demands): demands that cannot be served by
// anyone take nothing from the new visits, and a demand that could use a staff member outside
// free leaves free alone. Cost O(len(demands+free) × edges); demands and free are a slot's few.
func Remaining(free []int, demands [][]int) int {
	if len(free) == 0 {
		return 0
	}
	if len(demands) == 0 {
		return len(free)
	}
	owner := map[int]int{} // staff → the left node holding it
	var seen map[int]bool
	// Left nodes: demands 0..len(demands)-1, then new visits (adjacent to free).
	adj := func(l int) []int {
		if l < len(demands) {
			return demands[l]
		}
		return free
	}
	var try func(l int) bool
	try = func(l int) bool {
		for _, st := range adj(l) {
			if seen[st] {
				continue
			}
			seen[st] = true
			if o, taken := owner[st]; !taken || try(o) {
				owner[st] = l
				return true
			}
		}
		return false
	}
	for l := range demands {
		seen = map[int]bool{}
		try(l)
	}
	n := 0
	for n < len(free) {
		seen = map[int]bool{}
		if !try(len(demands) + n) {
			break // every further new visit is alike: none fits either
		}
		n++
	}
	return n
}

// capacity answers, for one request, how many staff are left at a start once holds are counted.
type capacity struct {
	p     Params
	index map[uuid.UUID]int // staff id → index in the schedules
	holds []Hold
	block []span  // per hold: the starts of the new visit its hold overlaps (open interval)
	serve [][]int // per hold: the pool members free for the hold's own visit
}

// newCapacity prepares the holds against the request's schedules: which starts each hold
// overlaps (its visit with travel to and from the requested address either side, as a job
// does) and which of its pool could serve it at its own time (working, not on leave, no
// assignment in the way). Holds that nobody among the schedules could serve are dropped: they
// take nothing from this request.
func newCapacity(p Params, staff []Schedule, holds []Hold) *capacity {
	c := &capacity{p: p, index: make(map[uuid.UUID]int, len(staff))}
	if len(holds) == 0 {
		return c
	}
	for i, s := range staff {
		c.index[s.StaffID] = i
	}
	// Each staff member's spans for a zero-length visit, computed once; a visit of any length
	// is then checked against them (fits).
	p0 := p
	p0.Duration = 0
	type spans struct{ allowed, blocked []span }
	zero := map[int]spans{}
	for _, h := range holds {
		var serve []int
		for _, id := range h.Pool {
			i, ok := c.index[id]
			if !ok {
				continue
			}
			sp, ok := zero[i]
			if !ok {
				sp.allowed, sp.blocked = p0.starts(staff[i])
				zero[i] = sp
			}
			if fits(sp.allowed, sp.blocked, h.Visit) {
				serve = append(serve, i)
			}
		}
		if len(serve) == 0 {
			continue
		}
		t := p.Travel(h.DistanceM)
		c.holds = append(c.holds, h)
		c.block = append(c.block, span{h.Visit.Start.Add(-t - p.Duration), h.Visit.End.Add(t)})
		c.serve = append(c.serve, serve)
	}
	return c
}

// fits reports whether visit fits the spans a schedule yields for a zero-length visit: inside
// one allowed span and overlapping no blocked one.
func fits(allowed, blocked []span, visit Window) bool {
	in := false
	for _, a := range allowed {
		if !visit.Start.Before(a.lo) && !visit.End.After(a.hi) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, b := range blocked {
		if visit.End.After(b.lo) && visit.Start.Before(b.hi) {
			return false
		}
	}
	return true
}

// remaining is how many of free (schedule indexes, free at start) are left once the holds
// overlapping a visit at start have each had one staff member.
func (c *capacity) remaining(start time.Time, free []int) int {
	var demands [][]int
	for k, b := range c.block {
		if start.After(b.lo) && start.Before(b.hi) {
			demands = append(demands, c.serve[k])
		}
	}
	return Remaining(free, demands)
}
