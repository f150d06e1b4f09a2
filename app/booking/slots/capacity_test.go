package slots_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking/slots"
)

// TestRemaining: the matching of holds (demands, each a list of staff able to serve it) and
// new visits (any of free).
func TestRemaining(t *testing.T) {
	const a, b, c, d = 0, 1, 2, 3
	all := []int{a, b, c, d}
	cases := []struct {
		name    string
		free    []int
		demands [][]int
		want    int
	}{
		{"nobody free", nil, nil, 0},
		{"nobody free, holds around", nil, [][]int{{a}}, 0},
		{"no holds: everyone free", all, nil, 4},
		{"3 holds on the same pool of 4: 1 left", all, [][]int{all, all, all}, 1},
		{"4 holds on the same pool of 4: full", all, [][]int{all, all, all, all}, 0},
		{"more holds than staff: still full, never negative", all, [][]int{all, all, all, all, all, all}, 0},
		{"2 cleaning holds on {A,B}, a request for {B,C}: A and B serve the holds, C is left",
			[]int{b, c}, [][]int{{a, b}, {a, b}}, 1},
		{"1 cleaning hold on {A,B}, a request for {B,C}: the hold can use A, both are left",
			[]int{b, c}, [][]int{{a, b}}, 2},
		{"holds only A can serve: A is needed once, however many (the rest are at risk already)",
			[]int{a, b}, [][]int{{a}, {a}, {a}}, 1},
		{"a hold nobody can serve takes nothing", []int{a}, [][]int{{}}, 1},
		{"a hold on staff outside the request's pool takes nothing", []int{a, b}, [][]int{{c}, {d}}, 2},
		{"an augmenting path: {A,B} and {A} holds, free {B,C}: B and A serve them, C is left",
			[]int{b, c}, [][]int{{a, b}, {a}}, 1},
		{"a named staff member: A is free and 2 holds fit on B and C", []int{a}, [][]int{{a, b, c}, {a, b, c}}, 1},
		{"a named staff member: 3 holds need A, B and C", []int{a}, [][]int{{a, b, c}, {a, b, c}, {a, b, c}}, 0},
		{"chains: holds {A}, {A,B}, {B,C}, free {A,B,C,D}: D is left", all, [][]int{{a}, {a, b}, {b, c}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, slots.Remaining(tc.free, tc.demands))
		})
	}
}

// TestComputeWithHolds: holds take staff from the starts their visits (with travel) overlap.
func TestComputeWithHolds(t *testing.T) {
	workday := []slots.WeeklyHours{hours(time.Monday, "08:00", "20:00")}
	carol := uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	two := []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday}, {StaffID: bob, Zone: shanghai, Hours: workday}}
	hold := func(from, to string, dist float64, pool ...uuid.UUID) slots.Hold {
		return slots.Hold{OrderID: uuid.New(), Visit: win(from, to), DistanceM: dist, Pool: pool}
	}
	cases := []struct {
		name      string
		staff     []slots.Schedule
		holds     []slots.Hold
		preferred uuid.UUID
		want      []string
	}{
		{"no holds", two, nil, uuid.Nil, times(2, every("08:00", "18:00", 30))},
		{"a hold 10:00–12:00 at the same address takes one of two from the starts whose visit overlaps it with 15 minutes' travel",
			two, []slots.Hold{hold("10:00", "12:00", 0, alice, bob)}, uuid.Nil,
			// overlapping starts: after 07:45 (2 h and 15 min before 10:00) and before 12:15.
			join(times(1, every("08:00", "12:00", 30)), times(2, every("12:30", "18:00", 30)))},
		{"a hold 5 km away: 15 minutes' travel plus the buffer either side",
			two, []slots.Hold{hold("10:00", "12:00", 5000, alice, bob)}, uuid.Nil,
			// after 07:30, before 12:30.
			join(times(1, every("08:00", "12:00", 30)), times(2, every("12:30", "18:00", 30)))},
		{"two holds at 10:00 fill the slot: the overlapping starts are gone",
			two, []slots.Hold{hold("10:00", "12:00", 0, alice, bob), hold("10:00", "12:00", 0, bob, alice)}, uuid.Nil,
			times(2, every("12:30", "18:00", 30))},
		{"two holds that do not overlap each other but both overlap a visit between them count as two (conservative)",
			two, []slots.Hold{hold("08:00", "10:00", 0, alice, bob), hold("12:00", "14:00", 0, alice, bob)}, uuid.Nil,
			join(times(1, every("08:00", "09:30", 30)), times(1, every("10:30", "14:00", 30)), times(2, every("14:30", "18:00", 30)))},
		{"a hold whose only pool member is on leave at its time takes nothing",
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday, Leave: []slots.Window{win("08:00", "10:00")}},
				{StaffID: bob, Zone: shanghai, Hours: workday}},
			[]slots.Hold{hold("09:00", "11:00", 0, alice)}, uuid.Nil,
			join(times(1, every("08:00", "09:30", 30)), times(2, every("10:00", "18:00", 30)))},
		{"a hold on staff outside the request's eligible staff takes nothing",
			two, []slots.Hold{hold("10:00", "12:00", 0, carol)}, uuid.Nil, times(2, every("08:00", "18:00", 30))},
		{"the preferred staff member is needed by a hold only they can serve",
			two, []slots.Hold{hold("10:00", "12:00", 0, alice)}, alice,
			join(times(1, every("08:00", "12:00", 30)), preferred(times(2, every("12:30", "18:00", 30))))},
		{"the preferred staff member is free while the other serves the hold",
			two, []slots.Hold{hold("10:00", "12:00", 0, bob)}, alice,
			preferred(join(times(1, every("08:00", "12:00", 30)), times(2, every("12:30", "18:00", 30))))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := monday()
			p.Preferred = tc.preferred
			require.Equal(t, tc.want, starts(slots.Compute(p, tc.staff, tc.holds), shanghai))
		})
	}
}

// times renders starts as starts() does for n staff.
func times(n int, hhmm []string) []string {
	out := make([]string, len(hhmm))
	for i, s := range hhmm {
		out[i] = s
		if n != 1 {
			out[i] += fmt.Sprintf("×%d", n)
		}
	}
	return out
}

func preferred(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + "*"
	}
	return out
}
