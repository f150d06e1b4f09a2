package slots_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking/slots"
)

var (
	shanghai = mustZone("Asia/Shanghai")
	newYork  = mustZone("America/New_York")
	alice    = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	bob      = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
)

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// at is 2030-01-07 (a Monday) hh:mm in Shanghai.
func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2030-01-07 "+hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func win(a, b string) slots.Window { return slots.Window{Start: at(a), End: at(b)} }

func hours(wd time.Weekday, from, to string) slots.WeeklyHours {
	m := func(s string) int {
		var h, mm int
		_, _ = fmt.Sscanf(s, "%d:%d", &h, &mm)
		return h*60 + mm
	}
	return slots.WeeklyHours{Weekday: wd, StartMin: m(from), EndMin: m(to)}
}

// monday is one day of Shanghai slots for a two-hour visit with the default travel settings.
func monday() slots.Params {
	return slots.Params{From: at("00:00"), To: at("00:00").AddDate(0, 0, 1), Zone: shanghai, Step: 30, Duration: 2 * time.Hour,
		TravelKMH: 20, Buffer: 15 * time.Minute}
}

// starts renders slots as "hh:mm×count" (with "*" when the preferred staff member can serve).
func starts(ss []slots.Slot, zone *time.Location) []string {
	out := []string{}
	for _, s := range ss {
		v := s.Start.In(zone).Format("15:04")
		if s.Staff != 1 {
			v += fmt.Sprintf("×%d", s.Staff)
		}
		if s.Preferred {
			v += "*"
		}
		out = append(out, v)
	}
	return out
}

// every lists hh:mm from a to b inclusive in steps of step minutes.
func every(a, b string, step int) []string {
	out := []string{}
	for t := at(a); !t.After(at(b)); t = t.Add(time.Duration(step) * time.Minute) {
		out = append(out, t.Format("15:04"))
	}
	return out
}

func join(parts ...[]string) []string {
	out := []string{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCompute(t *testing.T) {
	workday := []slots.WeeklyHours{hours(time.Monday, "08:00", "18:00")}
	cases := []struct {
		name  string
		tune  func(*slots.Params)
		staff []slots.Schedule
		want  []string
	}{
		{"inside working hours; the visit ends by the range's end",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday}},
			every("08:00", "16:00", 30)},
		{"no hours that weekday",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Tuesday, "08:00", "18:00")}}},
			[]string{}},
		{"a range ending at midnight",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "20:00", "24:00")}}},
			every("20:00", "22:00", 30)},
		{"two ranges a day: a visit may not span the gap",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:00", "12:00"), hours(time.Monday, "13:00", "18:00")}}},
			join(every("08:00", "10:00", 30), every("13:00", "16:00", 30))},
		{"hours read in the staff member's zone (New York 19:00–23:00 Sunday is Shanghai 08:00–12:00 Monday)",
			nil, []slots.Schedule{{StaffID: alice, Zone: newYork, Hours: []slots.WeeklyHours{hours(time.Sunday, "19:00", "23:00")}}},
			every("08:00", "10:00", 30)},
		{"leave: visits may touch it but not overlap",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday, Leave: []slots.Window{win("12:00", "13:00")}}},
			join(every("08:00", "10:00", 30), every("13:00", "16:00", 30))},
		{"leave all day",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday, Leave: []slots.Window{{Start: at("00:00"), End: at("00:00").AddDate(0, 0, 1)}}}},
			[]string{}},
		{"an extra shift without hours",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Extra: []slots.Window{win("19:00", "22:00")}}},
			every("19:00", "20:00", 30)},
		{"an extra shift next to the hours: a visit fits in one or the other (as in eligibility)",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:00", "12:00")}, Extra: []slots.Window{win("12:00", "15:00")}}},
			join(every("08:00", "10:00", 30), every("12:00", "13:00", 30))},
		{"leave inside an extra shift",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Extra: []slots.Window{win("08:00", "14:00")}, Leave: []slots.Window{win("10:00", "10:30")}}},
			[]string{"08:00", "10:30", "11:00", "11:30", "12:00"}},
		{"an assignment at the same address: 15 minutes' buffer each side",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday,
				Jobs: []slots.Job{{Hold: win("11:45", "14:00"), Visit: win("12:00", "14:00"), DistanceM: 0}}}},
			// before: 9:45 + 2h + 15 min = 12:00; after: 14:00 + 15 min.
			join(every("08:00", "09:30", 30), every("14:30", "16:00", 30))},
		{"an assignment 10 km away: 30 minutes at 20 km/h plus 15 minutes' buffer each side",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday,
				Jobs: []slots.Job{{Hold: win("11:15", "14:00"), Visit: win("12:00", "14:00"), DistanceM: 10000}}}},
			// before: start + 2h + 45 min ≤ 12:00 → 09:15; after: 14:00 + 45 min = 14:45 → 15:00.
			join(every("08:00", "09:00", 30), every("15:00", "16:00", 30))},
		{"an assignment whose hold reaches further back than our travel: the holds may not overlap",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday,
				Jobs: []slots.Job{{Hold: win("10:00", "14:00"), Visit: win("12:00", "14:00"), DistanceM: 0}}}},
			join(every("08:00", "08:00", 30), every("14:30", "16:00", 30))},
		{"travel speed and buffer come from the settings",
			func(p *slots.Params) { p.TravelKMH, p.Buffer = 60, 0 },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday,
				Jobs: []slots.Job{{Hold: win("11:30", "14:00"), Visit: win("12:00", "14:00"), DistanceM: 30000}}}},
			join(every("08:00", "09:30", 30), every("14:30", "16:00", 30))},
		{"two jobs: only the gap that fits the visit and both legs remains",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday,
				Jobs: []slots.Job{
					{Hold: win("07:45", "09:00"), Visit: win("08:00", "09:00")},
					{Hold: win("13:15", "15:00"), Visit: win("13:30", "15:00")}}}},
			// after the first: ≥ 09:15; before the second: ≤ 13:15 - 2h = 11:15; after the second: ≥ 15:15.
			join(every("09:30", "11:00", 30), []string{"15:30", "16:00"})},
		{"certificates valid through the day",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday, CertsUntil: 20300107}},
			every("08:00", "16:00", 30)},
		{"certificates expired the day before",
			nil, []slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday, CertsUntil: 20300106}},
			[]string{}},
		{"certificates: the visit must end by the last valid day's end",
			func(p *slots.Params) { p.To = at("00:00").AddDate(0, 0, 2) },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, CertsUntil: 20300107, Extra: []slots.Window{win("21:00", "23:59")}}},
			[]string{"21:00", "21:30"}},
		{"counts and the preferred staff member",
			func(p *slots.Params) { p.Preferred = bob },
			[]slots.Schedule{
				{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:00", "12:00")}},
				{StaffID: bob, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "09:00", "13:00")}}},
			[]string{"08:00", "08:30", "09:00×2*", "09:30×2*", "10:00×2*", "10:30*", "11:00*"}},
		{"the preferred staff member busy: counted slots stay, the flag goes",
			func(p *slots.Params) { p.Preferred = alice },
			[]slots.Schedule{
				{StaffID: alice, Zone: shanghai, Hours: workday, Leave: []slots.Window{win("00:00", "12:00")}},
				{StaffID: bob, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "14:00", "17:00")}}},
			[]string{"12:00*", "12:30*", "13:00*", "13:30*", "14:00×2*", "14:30×2*", "15:00×2*", "15:30*", "16:00*"}},
		{"lead time: nothing before the earliest start, then the grid",
			func(p *slots.Params) { p.Earliest = at("10:10") },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday}},
			every("10:30", "16:00", 30)},
		{"granularity 15",
			func(p *slots.Params) { p.Step = 15 },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:00", "11:00")}}},
			[]string{"08:00", "08:15", "08:30", "08:45", "09:00"}},
		{"granularity 60 with hours starting off the hour",
			func(p *slots.Params) { p.Step = 60 },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:30", "13:00")}}},
			[]string{"09:00", "10:00", "11:00"}},
		{"nobody eligible",
			nil, nil, []string{}},
		{"a range outside the grid's day",
			func(p *slots.Params) { p.From, p.To = at("09:10"), at("09:20") },
			[]slots.Schedule{{StaffID: alice, Zone: shanghai, Hours: workday}},
			[]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := monday()
			if c.tune != nil {
				c.tune(&p)
			}
			require.Equal(t, c.want, starts(slots.Compute(p, c.staff, nil), shanghai))
		})
	}
}

// TestComputeDST: slots stay on local wall-clock times across New York's change to summer
// time (Sunday 2026-03-08, 02:00 → 03:00), while Shanghai (no DST) keeps fixed UTC offsets.
func TestComputeDST(t *testing.T) {
	daily := []slots.WeeklyHours{}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		daily = append(daily, hours(wd, "09:00", "12:00"))
	}
	for _, z := range []*time.Location{newYork, shanghai} {
		t.Run(z.String(), func(t *testing.T) {
			p := slots.Params{From: time.Date(2026, 3, 7, 0, 0, 0, 0, z), To: time.Date(2026, 3, 10, 0, 0, 0, 0, z), Zone: z, Step: 60,
				Duration: time.Hour}
			got := slots.Compute(p, []slots.Schedule{{StaffID: alice, Zone: z, Hours: daily}}, nil)
			local, utc := []string{}, []string{}
			for _, s := range got {
				local = append(local, s.Start.In(z).Format("01-02 15:04"))
				utc = append(utc, s.Start.UTC().Format("15:04"))
				require.Equal(t, time.Hour, s.End.Sub(s.Start))
			}
			require.Equal(t, []string{"03-07 09:00", "03-07 10:00", "03-07 11:00", "03-08 09:00", "03-08 10:00", "03-08 11:00",
				"03-09 09:00", "03-09 10:00", "03-09 11:00"}, local)
			if z == newYork {
				require.Equal(t, []string{"14:00", "15:00", "16:00", "13:00", "14:00", "15:00", "13:00", "14:00", "15:00"}, utc)
			} else {
				require.Equal(t, []string{"01:00", "02:00", "03:00", "01:00", "02:00", "03:00", "01:00", "02:00", "03:00"}, utc)
			}
		})
	}
	t.Run("the grid skips local times that do not exist", func(t *testing.T) {
		day := time.Date(2026, 3, 8, 0, 0, 0, 0, newYork)
		g := slots.Params{From: day, To: day.AddDate(0, 0, 1), Zone: newYork, Step: 30}.Grid()
		require.Len(t, g, 46) // 23 hours
		for _, s := range g {
			require.NotEqual(t, 2, s.Hour())
		}
	})
	t.Run("the grid takes a repeated local hour once", func(t *testing.T) {
		day := time.Date(2026, 11, 1, 0, 0, 0, 0, newYork)
		g := slots.Params{From: day, To: day.AddDate(0, 0, 1), Zone: newYork, Step: 60}.Grid()
		require.Len(t, g, 24)
		for i := 1; i < len(g); i++ {
			require.True(t, g[i].After(g[i-1]))
		}
	})
}

func TestTravel(t *testing.T) {
	p := slots.Params{TravelKMH: 20, Buffer: 15 * time.Minute}
	require.Equal(t, 15*time.Minute, p.Travel(0))
	require.Equal(t, 16*time.Minute, p.Travel(1), "a started minute counts")
	require.Equal(t, 45*time.Minute, p.Travel(10000))
	require.Equal(t, 15*time.Minute, slots.Params{Buffer: 15 * time.Minute}.Travel(-5))
}

func TestFreeAt(t *testing.T) {
	p := monday()
	s := slots.Schedule{StaffID: alice, Zone: shanghai, Hours: []slots.WeeklyHours{hours(time.Monday, "08:00", "18:00")},
		Jobs: []slots.Job{
			{Hold: win("07:15", "09:00"), Visit: win("08:00", "09:00"), DistanceM: 10000},
			{Hold: win("15:45", "17:00"), Visit: win("16:00", "17:00")}}}
	ok, hold := slots.FreeAt(p, s, at("10:00"))
	require.True(t, ok)
	require.Equal(t, at("09:15"), hold, "the hold starts when the travel from the previous job does")
	ok, _ = slots.FreeAt(p, s, at("09:30"))
	require.False(t, ok, "too soon after the first job")
	ok, _ = slots.FreeAt(p, s, at("13:45"))
	require.True(t, ok, "visit, travel and buffer end as the second job's hold begins")
	ok, _ = slots.FreeAt(p, s, at("13:46"))
	require.False(t, ok, "too close to the second job")
	ok, _ = slots.FreeAt(p, s, at("19:00"))
	require.False(t, ok, "after hours")
	// FreeAt and Compute agree on every start of the grid.
	free := map[time.Time]bool{}
	for _, sl := range slots.Compute(p, []slots.Schedule{s}, nil) {
		free[sl.Start] = true
	}
	for _, g := range p.Grid() {
		ok, _ := slots.FreeAt(p, s, g)
		require.Equal(t, free[g], ok, g.In(shanghai).Format("15:04"))
	}
}

func TestParseBound(t *testing.T) {
	b, ok := slots.ParseBound("2030-01-07")
	require.True(t, ok)
	require.True(t, b.IsDate)
	require.Equal(t, slots.Date{Year: 2030, Month: time.January, Day: 7}, b.Date)
	b, ok = slots.ParseBound("2030-01-07T10:00:00+08:00")
	require.True(t, ok)
	require.True(t, b.Time.Equal(at("10:00")))
	_, ok = slots.ParseBound("tomorrow")
	require.False(t, ok)
	b, ok = slots.ParseBound("")
	require.True(t, ok)
	require.True(t, b.IsZero())
}
