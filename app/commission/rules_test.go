package commission

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
)

// want is one expected line: share, amount and how it was reached.
type want struct {
	share  Share
	amount int64
	rate   int
	capped bool
	rule   int
}

func TestComputeCombinations(t *testing.T) {
	fr, staff, svc, cat, junior, senior, provider := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	hqStore := OrderFacts{StaffID: staff, ServiceID: svc, CategoryID: cat, LevelID: junior}
	frStore := hqStore
	frStore.FranchiseeID = fr
	levels := []StaffLine{
		{LevelID: junior, Kind: StaffPercent, Value: 2000},
		{LevelID: senior, Kind: StaffFixed, Value: 3000},
	}
	rated := func(o OrderFacts, r float64) OrderFacts { o.Rated, o.Rating = true, r; return o }
	level := func(o OrderFacts, l uuid.UUID) OrderFacts { o.LevelID = l; return o }
	cases := []struct {
		name  string
		rules *Rules
		order OrderFacts
		total int64
		want  []want
	}{
		{"no rules: all to HQ", nil, hqStore, 10000, []want{{ShareHQ, 10000, 0, false, -1}}},
		{"fee only, HQ store", &Rules{PlatformFeeBP: 1500}, hqStore, 10000,
			[]want{{SharePlatformFee, 1500, 1500, false, -1}, {ShareHQ, 8500, 0, false, -1}}},
		{"fee only, franchisee store: rest to the franchisee", &Rules{PlatformFeeBP: 1500}, frStore, 10000,
			[]want{{SharePlatformFee, 1500, 1500, false, -1}, {ShareFranchisee, 8500, 0, false, -1}}},
		{"fee + royalty, franchisee store", &Rules{PlatformFeeBP: 1000, RoyaltyBP: 800}, frStore, 10000,
			[]want{{SharePlatformFee, 1000, 1000, false, -1}, {ShareRoyalty, 800, 800, false, -1}, {ShareFranchisee, 8200, 0, false, -1}}},
		{"royalty ignored in HQ-owned store", &Rules{PlatformFeeBP: 1000, RoyaltyBP: 800}, hqStore, 10000,
			[]want{{SharePlatformFee, 1000, 1000, false, -1}, {ShareHQ, 9000, 0, false, -1}}},
		{"staff percent by level (junior)", &Rules{PlatformFeeBP: 1000, StaffLines: levels}, hqStore, 10000,
			[]want{{SharePlatformFee, 1000, 1000, false, -1}, {ShareStaff, 2000, 2000, false, 0}, {ShareHQ, 7000, 0, false, -1}}},
		{"staff fixed by level (senior)", &Rules{PlatformFeeBP: 1000, StaffLines: levels}, level(hqStore, senior), 10000,
			[]want{{SharePlatformFee, 1000, 1000, false, -1}, {ShareStaff, 3000, 0, false, 1}, {ShareHQ, 6000, 0, false, -1}}},
		{"fixed larger than the order is capped at what is left", &Rules{PlatformFeeBP: 1000, RoyaltyBP: 500, StaffLines: levels},
			level(frStore, senior), 2000,
			[]want{{SharePlatformFee, 200, 1000, false, -1}, {ShareRoyalty, 100, 500, false, -1}, {ShareStaff, 1700, 0, true, 1}}},
		{"service line beats level line", &Rules{StaffLines: append([]StaffLine{{ServiceID: svc, Kind: StaffPercent, Value: 3000}}, levels...)}, hqStore, 10000,
			[]want{{ShareStaff, 3000, 3000, false, 0}, {ShareHQ, 7000, 0, false, -1}}},
		{"category line when no service line", &Rules{StaffLines: []StaffLine{{CategoryID: cat, Kind: StaffPercent, Value: 2500}, {ServiceID: uuid.New(), Kind: StaffPercent, Value: 9000}}}, hqStore, 10000,
			[]want{{ShareStaff, 2500, 2500, false, 0}, {ShareHQ, 7500, 0, false, -1}}},
		{"rating bonus applies at the threshold", &Rules{StaffLines: []StaffLine{{Kind: StaffPercent, Value: 2000, BonusBP: 500, BonusMinRating: 4.5}}},
			rated(hqStore, 4.5), 10000, []want{{ShareStaff, 2500, 2500, false, 0}, {ShareHQ, 7500, 0, false, -1}}},
		{"rating bonus withheld below the threshold", &Rules{StaffLines: []StaffLine{{Kind: StaffPercent, Value: 2000, BonusBP: 500, BonusMinRating: 4.5}}},
			rated(hqStore, 4.4), 10000, []want{{ShareStaff, 2000, 2000, false, 0}, {ShareHQ, 8000, 0, false, -1}}},
		{"rating bonus withheld without reviews", &Rules{StaffLines: []StaffLine{{Kind: StaffPercent, Value: 2000, BonusBP: 500, BonusMinRating: 1}}},
			hqStore, 10000, []want{{ShareStaff, 2000, 2000, false, 0}, {ShareHQ, 8000, 0, false, -1}}},
		{"rounding: shares down, remainder to the franchisee", &Rules{PlatformFeeBP: 1234, RoyaltyBP: 333, StaffLines: []StaffLine{{Kind: StaffPercent, Value: 1777}}}, frStore, 9999,
			[]want{{SharePlatformFee, 1233, 1234, false, -1}, {ShareRoyalty, 332, 333, false, -1}, {ShareStaff, 1776, 1777, false, 0}, {ShareFranchisee, 6658, 0, false, -1}}},
		{"rounding: remainder to HQ", &Rules{PlatformFeeBP: 3333}, hqStore, 1,
			[]want{{ShareHQ, 1, 0, false, -1}}},
		{"marketplace provider keeps the rest after fee, royalty and take", &Rules{PlatformFeeBP: 1000, RoyaltyBP: 500, MarketplaceTakeBP: 2000,
			StaffLines: []StaffLine{{StaffID: provider, Kind: StaffMarketplace}, {Kind: StaffPercent, Value: 1000}}},
			OrderFacts{StaffID: provider, FranchiseeID: fr, ServiceID: svc}, 10001,
			[]want{{SharePlatformFee, 1000, 1000, false, -1}, {ShareRoyalty, 500, 500, false, -1}, {ShareProvider, 6500, 6500, false, 0}, {ShareFranchisee, 2001, 0, false, -1}}},
		{"no staff served: no staff line", &Rules{PlatformFeeBP: 1000, StaffLines: levels}, OrderFacts{}, 500,
			[]want{{SharePlatformFee, 50, 1000, false, -1}, {ShareHQ, 450, 0, false, -1}}},
		{"huge order value does not overflow", &Rules{PlatformFeeBP: 9999}, hqStore, 1 << 62,
			[]want{{SharePlatformFee, mulDiv(1<<62, 9999, 10000), 9999, false, -1}, {ShareHQ, 1<<62 - mulDiv(1<<62, 9999, 10000), 0, false, -1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := Compute(c.rules, c.order, c.total)
			var sum int64
			got := make([]want, len(lines))
			for i, l := range lines {
				require.Equal(t, i, l.No)
				got[i] = want{l.Share, l.Amount, l.RateBP, l.Capped, l.RuleLine}
				sum += l.Amount
				switch l.Share {
				case ShareStaff, ShareProvider:
					require.Equal(t, ledger.OwnerStaff, l.Party)
					require.Equal(t, c.order.StaffID, l.OwnerID)
				case ShareFranchisee:
					require.Equal(t, c.order.FranchiseeID, l.OwnerID)
				}
			}
			require.Equal(t, c.want, got)
			require.Equal(t, c.total, sum, "the split sums exactly to the order value")
		})
	}
}

func TestRulesValidation(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		rules  NewRules
		fields []string
	}{
		{"valid", NewRules{PlatformFeeBP: 1000, RoyaltyBP: 500, StaffLines: []StaffLine{{Kind: StaffPercent, Value: 8500}}}, nil},
		{"percent out of range", NewRules{PlatformFeeBP: 10001, RoyaltyBP: -1}, []string{"platform_fee_bp", "royalty_bp"}},
		{"fee + royalty > 100%", NewRules{PlatformFeeBP: 6000, RoyaltyBP: 5000}, []string{"royalty_bp", "marketplace_take_bp"}},
		{"staff share exceeds the order", NewRules{PlatformFeeBP: 3000, StaffLines: []StaffLine{{Kind: StaffPercent, Value: 7000, BonusBP: 1, BonusMinRating: 4}}},
			[]string{"staff_lines[0].value"}},
		{"fixed negative, bonus without rating, bad kind", NewRules{StaffLines: []StaffLine{{Kind: StaffFixed, Value: -1, BonusBP: 10}, {Kind: "tip", LevelID: uuid.New()}}},
			[]string{"staff_lines[0].value", "staff_lines[0].bonus_min_rating", "staff_lines[1].kind"}},
		{"duplicate match", NewRules{StaffLines: []StaffLine{{Kind: StaffPercent}, {Kind: StaffFixed}}}, []string{"staff_lines[1]"}},
		{"in the past", NewRules{EffectiveFrom: now.Add(-time.Hour)}, []string{"effective_from"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rules.validate(now)
			if c.fields == nil {
				require.NoError(t, err)
				return
			}
			e, ok := errs.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, errs.Invalid, e.Kind)
			var names []string
			for _, f := range e.Fields {
				names = append(names, f.Field)
			}
			require.Equal(t, c.fields, names)
		})
	}
}
