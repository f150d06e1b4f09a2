package pricing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	senior      = uuid.MustParse("00000000-0000-0000-0000-0000000000a2")
	storeX      = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")
	storeY      = uuid.MustParse("00000000-0000-0000-0000-0000000000b2")
	pkg         = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
	fridge      = uuid.MustParse("00000000-0000-0000-0000-0000000000d1")
	windows     = uuid.MustParse("00000000-0000-0000-0000-0000000000d2")
)

func rule(kind RuleKind, bp, fixed int64, mod func(*Rule)) Rule {
	r := Rule{ID: uuid.New(), Kind: kind, NameZh: string(kind), NameEn: string(kind), PercentBP: bp, Fixed: fixed, Active: true}
	if mod != nil {
		mod(&r)
	}
	return r
}

// base is a Tuesday 10:00 in Shanghai, 3 km from the store, 200.00 package.
func base() Inputs {
	return Inputs{Currency: "CNY", Location: shanghai, Start: time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai),
		PackageID: pkg, PackagePrice: 20000, StoreID: storeX, DistanceMeters: 3000,
		Holidays: map[string]string{"2026-10-01": "国庆节"}, Travel: Travel{FreeMeters: 5000, PerKm: 500, Max: 3000}}
}

func TestComputeRules(t *testing.T) {
	weekendDay := time.Date(2026, 11, 28, 10, 0, 0, 0, shanghai) // Saturday
	evening := time.Date(2026, 11, 24, 19, 30, 0, 0, shanghai)
	lateNight := time.Date(2026, 11, 24, 23, 30, 0, 0, shanghai)
	national := time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai) // Thursday, holiday
	eveningRule := rule(RuleTime, 2000, 0, func(r *Rule) { r.StartMin, r.EndMin = 18*60, 22*60 })
	nightRule := rule(RuleTime, 0, 3000, func(r *Rule) { r.StartMin, r.EndMin = 22*60, 6*60 }) // wraps midnight
	weekdayEvening := rule(RuleTime, 1000, 0, func(r *Rule) {
		r.StartMin, r.EndMin, r.Weekdays = 18*60, 22*60, []time.Weekday{time.Monday, time.Tuesday}
	})
	cases := []struct {
		name  string
		mod   func(*Inputs)
		want  []LineKind
		total int64
	}{
		{"package only", nil, []LineKind{LinePackage}, 20000},
		{"add-ons with quantity", func(in *Inputs) {
			in.AddOns = []AddOnInput{{ID: windows, Price: 1500, Quantity: 3}, {ID: fridge, Price: 8000, Quantity: 1}}
		}, []LineKind{LinePackage, LineAddOn, LineAddOn}, 20000 + 8000 + 4500},
		{"level surcharge applies to the matching level", func(in *Inputs) {
			in.LevelID = senior
			in.Rules = []Rule{rule(RuleLevel, 1500, 0, func(r *Rule) { r.LevelID = senior })}
		}, []LineKind{LinePackage, LineLevel}, 23000},
		{"level surcharge ignored for another level", func(in *Inputs) {
			in.LevelID = uuid.New()
			in.Rules = []Rule{rule(RuleLevel, 1500, 0, func(r *Rule) { r.LevelID = senior })}
		}, []LineKind{LinePackage}, 20000},
		{"time window inside", func(in *Inputs) { in.Start = evening; in.Rules = []Rule{eveningRule} }, []LineKind{LinePackage, LineTime}, 24000},
		{"time window outside", func(in *Inputs) { in.Rules = []Rule{eveningRule} }, []LineKind{LinePackage}, 20000},
		{"time window wrapping midnight", func(in *Inputs) { in.Start = lateNight; in.Rules = []Rule{nightRule} }, []LineKind{LinePackage, LineTime}, 23000},
		{"time window restricted to weekdays (Tuesday)", func(in *Inputs) { in.Start = evening; in.Rules = []Rule{weekdayEvening} }, []LineKind{LinePackage, LineTime}, 22000},
		{"time window on another weekday", func(in *Inputs) { in.Start = evening.AddDate(0, 0, 1); in.Rules = []Rule{weekdayEvening} }, []LineKind{LinePackage}, 20000},
		{"weekend", func(in *Inputs) { in.Start = weekendDay; in.Rules = []Rule{rule(RuleWeekend, 1000, 0, nil)} }, []LineKind{LinePackage, LineWeekend}, 22000},
		{"weekend rule on a weekday", func(in *Inputs) { in.Rules = []Rule{rule(RuleWeekend, 1000, 0, nil)} }, []LineKind{LinePackage}, 20000},
		{"weekend judged in the tenant's zone", func(in *Inputs) {
			in.Start = time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC) // Saturday 01:00 in Shanghai
			in.Rules = []Rule{rule(RuleWeekend, 1000, 0, nil)}
		}, []LineKind{LinePackage, LineWeekend}, 22000},
		{"holiday", func(in *Inputs) { in.Start = national; in.Rules = []Rule{rule(RuleHoliday, 5000, 0, nil)} }, []LineKind{LinePackage, LineHoliday}, 30000},
		{"region rule for the serving store", func(in *Inputs) {
			in.Rules = []Rule{rule(RuleRegion, 0, 2000, func(r *Rule) { r.StoreIDs = []uuid.UUID{storeX} })}
		}, []LineKind{LinePackage, LineRegion}, 22000},
		{"region rule for another store", func(in *Inputs) {
			in.Rules = []Rule{rule(RuleRegion, 0, 2000, func(r *Rule) { r.StoreIDs = []uuid.UUID{storeY} })}
		}, []LineKind{LinePackage}, 20000},
		{"inactive rule", func(in *Inputs) {
			in.Rules = []Rule{rule(RuleWeekend, 1000, 0, func(r *Rule) { r.Active = false })}
			in.Start = weekendDay
		}, []LineKind{LinePackage}, 20000},
		{"travel inside the free radius", func(in *Inputs) { in.DistanceMeters = 4999 }, []LineKind{LinePackage}, 20000},
		{"travel per started km", func(in *Inputs) { in.DistanceMeters = 6200 }, []LineKind{LinePackage, LineTravel}, 21000},
		{"travel capped", func(in *Inputs) { in.DistanceMeters = 40000 }, []LineKind{LinePackage, LineTravel}, 23000},
		{"everything at once: percentages on the items subtotal, not compounding", func(in *Inputs) {
			in.Start = time.Date(2026, 10, 3, 19, 0, 0, 0, shanghai) // Saturday evening, and a holiday below
			in.Holidays["2026-10-03"] = "国庆节"
			in.LevelID = senior
			in.AddOns = []AddOnInput{{ID: fridge, Price: 8000, Quantity: 1}}
			in.DistanceMeters = 7000
			in.Rules = []Rule{
				rule(RuleLevel, 1000, 0, func(r *Rule) { r.LevelID = senior }), // 2800
				eveningRule,                     // 5600
				rule(RuleWeekend, 500, 0, nil),  // 1400
				rule(RuleHoliday, 0, 5000, nil), // 5000
				rule(RuleRegion, 250, 100, func(r *Rule) { r.StoreIDs = []uuid.UUID{storeX} }), // 700 + 100
			}
		}, []LineKind{LinePackage, LineAddOn, LineLevel, LineTime, LineWeekend, LineHoliday, LineRegion, LineTravel},
			28000 + 2800 + 5600 + 1400 + 5000 + 800 + 1000},
		{"rounding half away from zero per line", func(in *Inputs) {
			in.PackagePrice = 333 // 15% = 49.95 → 50
			in.Rules = []Rule{rule(RuleWeekend, 1500, 0, nil)}
			in.Start = weekendDay
		}, []LineKind{LinePackage, LineWeekend}, 383},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			if c.mod != nil {
				c.mod(&in)
			}
			b, err := Compute(in)
			require.NoError(t, err)
			var kinds []LineKind
			for _, l := range b.Lines {
				kinds = append(kinds, l.Kind)
			}
			require.Equal(t, c.want, kinds)
			require.Equal(t, c.total, b.Total)
			require.Equal(t, "CNY", b.Currency)
		})
	}
}

func TestTravelFee(t *testing.T) {
	p := Travel{FreeMeters: 5000, PerKm: 500}
	for _, c := range []struct {
		m    float64
		want int64
	}{{0, 0}, {5000, 0}, {5000.4, 500}, {5001, 500}, {6000, 500}, {6001, 1000}, {15000, 5000}} {
		got, err := travelFee(p, c.m)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%v m", c.m)
	}
	got, err := travelFee(Travel{FreeMeters: 0, PerKm: 0}, 10000)
	require.NoError(t, err)
	require.Zero(t, got, "no per-km price, no fee")
}

// TestComputeOverflow: settings large enough to overflow int64 make the bill fail with
// price_out_of_range; no line wraps negative and nothing is silently dropped.
func TestComputeOverflow(t *testing.T) {
	const near = math.MaxInt64 - 10
	weekendDay := time.Date(2026, 11, 28, 10, 0, 0, 0, shanghai) // Saturday
	cases := []struct {
		name string
		mod  func(in *Inputs)
	}{
		{"travel per_km near int64 max at 1.5 km", func(in *Inputs) {
			in.Travel, in.DistanceMeters = Travel{FreeMeters: 0, PerKm: near}, 1500
		}},
		{"add-on price times quantity", func(in *Inputs) {
			in.AddOns = []AddOnInput{{ID: uuid.New(), Price: near / 2, Quantity: 3}}
		}},
		{"subtotal of add-ons", func(in *Inputs) {
			in.AddOns = []AddOnInput{{ID: uuid.New(), Price: near / 2, Quantity: 1}, {ID: uuid.New(), Price: near / 2, Quantity: 1}}
		}},
		{"percentage of a huge subtotal", func(in *Inputs) {
			in.AddOns = []AddOnInput{{ID: uuid.New(), Price: near / 4, Quantity: 1}}
			in.Rules, in.Start = []Rule{rule(RuleWeekend, maxPercentBP, 0, nil)}, weekendDay
		}},
		{"fixed surcharge near int64 max", func(in *Inputs) {
			in.Rules, in.Start = []Rule{rule(RuleWeekend, 0, near, nil)}, weekendDay
		}},
		{"package price above the input bound", func(in *Inputs) { in.PackagePrice = money.MaxInput + 1 }},
		{"total above the input bound", func(in *Inputs) {
			in.PackagePrice = money.MaxInput
			in.Rules, in.Start = []Rule{rule(RuleWeekend, 0, 1, nil)}, weekendDay
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.mod(&in)
			b, err := Compute(in)
			require.ErrorIs(t, err, ErrPriceOutOfRange)
			e, ok := errs.As(err)
			require.True(t, ok)
			require.Equal(t, errs.Invalid, e.Kind, "a 422, not a 500")
			require.Equal(t, "price_out_of_range", e.Code)
			require.Empty(t, b.Lines, "no partial bill")
		})
	}

	// A cap makes even an overflowing per-km price exact: the fee is the cap.
	in := base()
	in.Travel, in.DistanceMeters = Travel{PerKm: near, Max: 3000}, 1500
	b, err := Compute(in)
	require.NoError(t, err)
	require.Equal(t, int64(3000), b.Lines[len(b.Lines)-1].Amount)
	require.Equal(t, in.PackagePrice+3000, b.Total)
}

// TestComputeProperties draws random rules and requests: the total is the sum of the lines,
// no line and no total is negative, and the same request gives the same bill whatever the
// order of its rules.
func TestComputeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	levels := []uuid.UUID{senior, uuid.New(), uuid.Nil}
	stores := []uuid.UUID{storeX, storeY}
	for i := 0; i < 5000; i++ {
		in := base()
		in.PackagePrice = rng.Int64N(1_000_000)
		in.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai).Add(time.Duration(rng.Int64N(365*24*60)) * time.Minute)
		in.LevelID = levels[rng.IntN(len(levels))]
		in.StoreID = stores[rng.IntN(len(stores))]
		in.DistanceMeters = rng.Float64() * 50_000
		in.Travel = Travel{FreeMeters: rng.Int64N(10_000), PerKm: rng.Int64N(2_000), Max: rng.Int64N(20_000)}
		in.Holidays = map[string]string{in.Start.In(shanghai).Format(time.DateOnly): "x"}
		if rng.IntN(2) == 0 {
			in.Holidays = nil
		}
		for n := rng.IntN(4); n > 0; n-- {
			in.AddOns = append(in.AddOns, AddOnInput{ID: uuid.New(), Price: rng.Int64N(50_000), Quantity: rng.IntN(4)})
		}
		kinds := []RuleKind{RuleLevel, RuleTime, RuleWeekend, RuleHoliday, RuleRegion}
		for n := rng.IntN(8); n > 0; n-- {
			r := rule(kinds[rng.IntN(len(kinds))], rng.Int64N(maxPercentBP), rng.Int64N(10_000), nil)
			r.LevelID = levels[rng.IntN(2)]
			r.StartMin, r.EndMin = rng.IntN(1440), rng.IntN(1440)
			r.StoreIDs = stores[:1+rng.IntN(2)]
			r.Active = rng.IntN(5) > 0
			in.Rules = append(in.Rules, r)
		}
		b, err := Compute(in)
		require.NoError(t, err)
		var sum int64
		for _, l := range b.Lines {
			require.GreaterOrEqual(t, l.Amount, int64(0), "line %+v", l)
			sum += l.Amount
		}
		require.Equal(t, sum, b.Total)
		require.GreaterOrEqual(t, b.Total, int64(0))
		require.GreaterOrEqual(t, b.Total, b.Subtotal, "surcharges only add")

		shuffled := in
		shuffled.Rules = append([]Rule(nil), in.Rules...)
		shuffled.AddOns = append([]AddOnInput(nil), in.AddOns...)
		rng.Shuffle(len(shuffled.Rules), func(i, j int) { shuffled.Rules[i], shuffled.Rules[j] = shuffled.Rules[j], shuffled.Rules[i] })
		rng.Shuffle(len(shuffled.AddOns), func(i, j int) { shuffled.AddOns[i], shuffled.AddOns[j] = shuffled.AddOns[j], shuffled.AddOns[i] })
		again, err := Compute(shuffled)
		require.NoError(t, err)
		require.Equal(t, b, again, "same request, same bill")
	}
}

func TestRuleValidation(t *testing.T) {
	ok := rule(RuleWeekend, 1000, 0, nil)
	require.NoError(t, ok.Validate())
	for name, r := range map[string]Rule{
		"negative percent": rule(RuleWeekend, -1, 0, nil),
		"negative fixed":   rule(RuleWeekend, 0, -5, nil),
		"adds nothing":     rule(RuleWeekend, 0, 0, nil),
		"absurd percent":   rule(RuleWeekend, maxPercentBP+1, 0, nil),
		"level without id": rule(RuleLevel, 100, 0, nil),
		"empty window":     rule(RuleTime, 100, 0, func(r *Rule) { r.StartMin, r.EndMin = 60, 60 }),
		"region no stores": rule(RuleRegion, 100, 0, nil),
		"unknown kind":     rule("moon", 100, 0, nil),
	} {
		require.Error(t, r.Validate(), name)
	}
	require.Error(t, Travel{PerKm: -1}.Validate())
	require.Error(t, rule(RuleWeekend, 0, money.MaxInput+1, nil).Validate(), "fixed above the money bound")
	require.NoError(t, rule(RuleWeekend, 0, money.MaxInput, nil).Validate())
	for name, tr := range map[string]Travel{
		"per_km near int64 max": {PerKm: math.MaxInt64 - 10},
		"per_km above bound":    {PerKm: money.MaxInput + 1},
		"max above bound":       {PerKm: 1, Max: money.MaxInput + 1},
		"free radius absurd":    {FreeMeters: MaxFreeMeters + 1},
	} {
		err := tr.Validate()
		require.Error(t, err, name)
		require.Equal(t, errs.Invalid, errs.KindOf(err), name)
	}
	require.NoError(t, Travel{FreeMeters: MaxFreeMeters, PerKm: money.MaxInput, Max: money.MaxInput}.Validate())
}
