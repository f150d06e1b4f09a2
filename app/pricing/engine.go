// Package pricing computes quotes: an itemised bill in minor units for a package, its add-ons,
// surcharges (staff level, time of day, weekend, holiday, region), a travel fee and, through
// extension points, membership discounts, coupons, points and stored value. Quotes are stored
// with an expiry so that a booking charges exactly what was quoted.
//
// Rounding, stated once: percentage rules are in basis points (1/100 of a percent) and every
// percentage line is rounded half away from zero to the currency's minor unit, line by line;
// the total is the exact sum of the lines. Percentages apply to the items subtotal (package +
// add-ons) and never compound on each other. Discounts can bring the total to zero, not below.
//
// Every sum and product is checked (money.Add, Mul, MulDiv): a bill whose arithmetic would leave
// int64, or whose total exceeds money.MaxInput, is ErrPriceOutOfRange, never a wrapped amount.
package pricing

import (
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
)

// ErrPriceOutOfRange: the bill cannot be computed within range (a setting so large that a line
// or the total overflows, or a total above money.MaxInput). The quote is refused, never stored.
var ErrPriceOutOfRange = errs.New(errs.Invalid, "price_out_of_range",
	"the price of this visit is out of range; check the package, add-on, surcharge and travel-fee settings")

// outOfRange names the line whose arithmetic failed; it matches ErrPriceOutOfRange by errors.Is.
func outOfRange(what string, cause error) error {
	return errs.Wrap(cause, ErrPriceOutOfRange.Kind, ErrPriceOutOfRange.Code,
		fmt.Sprintf("the price of this visit is out of range (%s); check the package, add-on, surcharge and travel-fee settings", what))
}

// LineKind classifies a quote line.
type LineKind string

const (
	LinePackage  LineKind = "package"
	LineAddOn    LineKind = "addon"
	LineLevel    LineKind = "level_surcharge"
	LineTime     LineKind = "time_surcharge"
	LineWeekend  LineKind = "weekend_surcharge"
	LineHoliday  LineKind = "holiday_surcharge"
	LineRegion   LineKind = "region_rule"
	LineTravel   LineKind = "travel_fee"
	LineDiscount LineKind = "discount"
)

// Line is one item of the bill. Amount is signed: discounts are negative.
type Line struct {
	Kind     LineKind  `json:"kind"`
	RefID    uuid.UUID `json:"ref_id,omitempty"` // package, add-on or rule
	LabelZh  string    `json:"label_zh"`
	LabelEn  string    `json:"label_en"`
	Quantity int       `json:"quantity"`
	Amount   int64     `json:"amount"`
	Detail   string    `json:"detail,omitempty"` // how it was computed, e.g. "15% of 20000"
}

// RuleKind is what a surcharge rule reacts to.
type RuleKind string

const (
	RuleLevel   RuleKind = "level"   // the assigned staff member's level
	RuleTime    RuleKind = "time"    // visit starts inside a local time window on given weekdays
	RuleWeekend RuleKind = "weekend" // visit on Saturday or Sunday (local)
	RuleHoliday RuleKind = "holiday" // visit on a date of the holiday calendar (local)
	RuleRegion  RuleKind = "region"  // the serving store is one of StoreIDs
)

// Rule is a tenant-defined surcharge: PercentBP basis points of the items subtotal plus Fixed
// minor units, both non-negative (reductions are discounts, which come through Adjusters).
type Rule struct {
	ID        uuid.UUID
	Kind      RuleKind
	NameZh    string
	NameEn    string
	PercentBP int64
	Fixed     int64
	LevelID   uuid.UUID      // RuleLevel
	Weekdays  []time.Weekday // RuleTime; empty means every day
	StartMin  int            // RuleTime: minutes after local midnight, inclusive
	EndMin    int            // RuleTime: exclusive; EndMin < StartMin wraps past midnight
	StoreIDs  []uuid.UUID    // RuleRegion
	Active    bool
}

// Travel is the travel-fee policy: free within FreeMeters of the serving store, then PerKm for
// each started kilometre beyond, capped at Max (0 = no cap).
type Travel struct {
	FreeMeters int64
	PerKm      int64
	Max        int64
}

// Inputs is everything a quote depends on, gathered by the service.
type Inputs struct {
	Currency       string
	Location       *time.Location
	Start          time.Time
	PackageID      uuid.UUID
	PackageLabelZh string
	PackageLabelEn string
	PackagePrice   int64
	AddOns         []AddOnInput
	StoreID        uuid.UUID
	LevelID        uuid.UUID // preferred staff member's level, if any
	DistanceMeters float64
	Holidays       map[string]string // "2006-01-02" (local) → name
	Rules          []Rule
	Travel         Travel
}

// AddOnInput is a chosen add-on with its quantity.
type AddOnInput struct {
	ID       uuid.UUID
	LabelZh  string
	LabelEn  string
	Price    int64
	Quantity int
}

// Breakdown is a computed bill.
type Breakdown struct {
	Currency string `json:"currency"`
	Lines    []Line `json:"lines"`
	Subtotal int64  `json:"subtotal"` // items: package and add-ons
	Total    int64  `json:"total"`
}

func sum(lines []Line) (int64, error) {
	var t int64
	for _, l := range lines {
		var err error
		if t, err = money.Add(t, l.Amount); err != nil {
			return 0, err
		}
	}
	return t, nil
}

// percent returns bp basis points of base, rounded half away from zero.
func percent(base, bp int64) (int64, error) { return money.MulDiv(base, bp, 10000) }

// Compute builds the bill. It is a pure function of its inputs: the same inputs give the same
// bill, whatever the order of rules or holidays. It fails with ErrPriceOutOfRange when a
// line, the subtotal or the total leaves range; no partial bill is returned then.
func Compute(in Inputs) (Breakdown, error) {
	b := Breakdown{Currency: in.Currency}
	if in.PackagePrice < 0 || in.PackagePrice > money.MaxInput {
		return Breakdown{}, outOfRange("package price", money.ErrOverflow)
	}
	b.Lines = append(b.Lines, Line{Kind: LinePackage, RefID: in.PackageID, LabelZh: in.PackageLabelZh, LabelEn: in.PackageLabelEn,
		Quantity: 1, Amount: in.PackagePrice})
	b.Subtotal = in.PackagePrice
	addons := append([]AddOnInput(nil), in.AddOns...)
	sort.Slice(addons, func(i, j int) bool { return addons[i].ID.String() < addons[j].ID.String() })
	for _, a := range addons {
		q := max(a.Quantity, 1)
		amt, err := money.Mul(a.Price, int64(q))
		if err == nil && a.Price < 0 {
			err = money.ErrOverflow
		}
		if err == nil {
			b.Subtotal, err = money.Add(b.Subtotal, amt)
		}
		if err != nil {
			return Breakdown{}, outOfRange("add-on "+a.LabelEn, err)
		}
		b.Lines = append(b.Lines, Line{Kind: LineAddOn, RefID: a.ID, LabelZh: a.LabelZh, LabelEn: a.LabelEn, Quantity: q, Amount: amt})
	}

	local := in.Start
	if in.Location != nil {
		local = in.Start.In(in.Location)
	}
	rules := append([]Rule(nil), in.Rules...)
	sort.Slice(rules, func(i, j int) bool {
		if rules[i].Kind != rules[j].Kind {
			return kindOrder(rules[i].Kind) < kindOrder(rules[j].Kind)
		}
		return rules[i].ID.String() < rules[j].ID.String()
	})
	for _, r := range rules {
		if !r.Active || !applies(r, in, local) {
			continue
		}
		amt, err := percent(b.Subtotal, r.PercentBP)
		if err == nil {
			amt, err = money.Add(amt, r.Fixed)
		}
		if err != nil {
			return Breakdown{}, outOfRange("surcharge "+r.NameEn, err)
		}
		if amt == 0 {
			continue
		}
		b.Lines = append(b.Lines, Line{Kind: lineKind(r.Kind), RefID: r.ID, LabelZh: r.NameZh, LabelEn: r.NameEn, Quantity: 1,
			Amount: amt, Detail: ruleDetail(r, b.Subtotal)})
	}
	fee, err := travelFee(in.Travel, in.DistanceMeters)
	if err != nil {
		return Breakdown{}, outOfRange("travel fee", err)
	}
	if fee > 0 {
		b.Lines = append(b.Lines, Line{Kind: LineTravel, LabelZh: "远程服务费", LabelEn: "Travel fee", Quantity: 1, Amount: fee,
			Detail: travelDetail(in.Travel, in.DistanceMeters)})
	}
	if b.Total, err = sum(b.Lines); err != nil {
		return Breakdown{}, outOfRange("total", err)
	}
	if err := checkTotal(b.Total); err != nil {
		return Breakdown{}, err
	}
	return b, nil
}

// checkTotal refuses a total outside 0..money.MaxInput: the inputs are bounded, so only an
// absurd combination of them gets here, and no such bill is ever stored or charged.
func checkTotal(total int64) error {
	if total < 0 || total > money.MaxInput {
		return outOfRange("total", fmt.Errorf("total %d outside 0..%d", total, money.MaxInput))
	}
	return nil
}

func kindOrder(k RuleKind) int {
	switch k {
	case RuleLevel:
		return 0
	case RuleTime:
		return 1
	case RuleWeekend:
		return 2
	case RuleHoliday:
		return 3
	default:
		return 4
	}
}

func lineKind(k RuleKind) LineKind {
	switch k {
	case RuleLevel:
		return LineLevel
	case RuleTime:
		return LineTime
	case RuleWeekend:
		return LineWeekend
	case RuleHoliday:
		return LineHoliday
	default:
		return LineRegion
	}
}

func applies(r Rule, in Inputs, local time.Time) bool {
	switch r.Kind {
	case RuleLevel:
		return in.LevelID != uuid.Nil && r.LevelID == in.LevelID
	case RuleTime:
		if len(r.Weekdays) > 0 {
			ok := false
			for _, d := range r.Weekdays {
				ok = ok || d == local.Weekday()
			}
			if !ok {
				return false
			}
		}
		m := local.Hour()*60 + local.Minute()
		if r.StartMin <= r.EndMin {
			return m >= r.StartMin && m < r.EndMin
		}
		return m >= r.StartMin || m < r.EndMin
	case RuleWeekend:
		return local.Weekday() == time.Saturday || local.Weekday() == time.Sunday
	case RuleHoliday:
		_, ok := in.Holidays[local.Format(time.DateOnly)]
		return ok
	case RuleRegion:
		for _, s := range r.StoreIDs {
			if s == in.StoreID {
				return true
			}
		}
	}
	return false
}

// maxMeters bounds the distances travelFee accepts: more than any two points on Earth.
const maxMeters = 40_000_000

// travelFee charges each started kilometre beyond the free radius, or fails with
// money.ErrOverflow rather than return a wrapped (negative) fee.
func travelFee(t Travel, meters float64) (int64, error) {
	if t.PerKm < 0 || t.FreeMeters < 0 || t.Max < 0 || meters != meters || meters > maxMeters {
		return 0, money.ErrOverflow
	}
	if t.PerKm == 0 || meters <= float64(t.FreeMeters) {
		return 0, nil
	}
	beyond := int64(meters) - t.FreeMeters
	if float64(int64(meters)) < meters {
		beyond++
	}
	km := (beyond + 999) / 1000
	fee, err := money.Mul(km, t.PerKm)
	if err != nil {
		if t.Max > 0 {
			return t.Max, nil // the true fee is above any int64, so above the cap: the cap is exact
		}
		return 0, err
	}
	if t.Max > 0 && fee > t.Max {
		fee = t.Max
	}
	return fee, nil
}
