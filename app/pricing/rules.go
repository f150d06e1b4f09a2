package pricing

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
)

// maxPercentBP caps a single surcharge at 500%: anything above is a typo, not a price.
const maxPercentBP = 50_000

// Validate checks a rule before it is stored.
func (r Rule) Validate() error {
	var v errs.Validation
	v.Check(strings.TrimSpace(r.NameZh) != "" && len(r.NameZh) <= 100, "name_zh", "1 to 100 characters")
	v.Check(strings.TrimSpace(r.NameEn) != "" && len(r.NameEn) <= 100, "name_en", "1 to 100 characters")
	v.Check(r.PercentBP >= 0 && r.PercentBP <= maxPercentBP, "percent_bp", fmt.Sprintf("0 to %d basis points", maxPercentBP))
	v.Check(r.Fixed >= 0 && r.Fixed <= money.MaxInput, "fixed", fmt.Sprintf("0 to %d minor units", money.MaxInput))
	v.Check(r.PercentBP > 0 || r.Fixed > 0, "percent_bp", "a rule must add something")
	switch r.Kind {
	case RuleLevel:
		v.Check(r.LevelID != uuid.Nil, "level_id", "required for a level rule")
	case RuleTime:
		v.Check(r.StartMin >= 0 && r.StartMin < 1440, "start", "a time of day")
		v.Check(r.EndMin >= 0 && r.EndMin <= 1440, "end", "a time of day")
		v.Check(r.StartMin != r.EndMin, "end", "must differ from start")
		for i, d := range r.Weekdays {
			v.Check(d >= 0 && d <= 6, fmt.Sprintf("weekdays[%d]", i), "0 (Sunday) to 6")
		}
	case RuleRegion:
		v.Check(len(r.StoreIDs) > 0, "store_ids", "at least one store")
	case RuleWeekend, RuleHoliday:
	default:
		v.Add("kind", "one of level, time, weekend, holiday, region")
	}
	return v.Err()
}

// MaxFreeMeters bounds the free radius of a travel policy (1,000 km).
const MaxFreeMeters = 1_000_000

// Validate checks the travel policy.
func (t Travel) Validate() error {
	var v errs.Validation
	v.Check(t.FreeMeters >= 0 && t.FreeMeters <= MaxFreeMeters, "free_meters", fmt.Sprintf("0 to %d metres", MaxFreeMeters))
	v.Check(t.PerKm >= 0 && t.PerKm <= money.MaxInput, "per_km", fmt.Sprintf("0 to %d minor units", money.MaxInput))
	v.Check(t.Max >= 0 && t.Max <= money.MaxInput, "max", fmt.Sprintf("0 to %d minor units", money.MaxInput))
	return v.Err()
}
