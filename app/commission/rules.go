package commission

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
)

// FullBP is 100% in basis points.
const FullBP = 10000

// maxFixed bounds a fixed staff commission (minor units) so sums never overflow.
const maxFixed = 1_000_000_000_00

// StaffKind is how a staff line pays.
type StaffKind string

const (
	// StaffPercent pays Value basis points of the order value.
	StaffPercent StaffKind = "percent"
	// StaffFixed pays Value minor units per order (capped at what is left after the platform
	// fee and the royalty).
	StaffFixed StaffKind = "fixed"
	// StaffMarketplace is a self-employed provider: they keep the order value minus the platform
	// fee, the royalty and the version's marketplace take rate (which goes to the store's
	// owner). Doorstep's roster has no "self-employed" attribute, so a rule line naming the
	// provider (staff_id) or their level marks them.
	StaffMarketplace StaffKind = "marketplace"
)

// StaffLine is one staff commission rule. The zero IDs match anything; the matching line
// naming the most (staff member, then service, then category, then level) wins.
type StaffLine struct {
	ServiceID      uuid.UUID
	CategoryID     uuid.UUID
	LevelID        uuid.UUID
	StaffID        uuid.UUID
	Kind           StaffKind
	Value          int64   // percent: basis points; fixed: minor units; marketplace: 0
	BonusBP        int     // extra basis points of the order value when the rating qualifies
	BonusMinRating float64 // the staff member's overall rating (1–5) the bonus needs; 0: no bonus
}

func (l StaffLine) specificity() int {
	n := 0
	for i, id := range []uuid.UUID{l.LevelID, l.CategoryID, l.ServiceID, l.StaffID} {
		if id != uuid.Nil {
			n |= 1 << i
		}
	}
	return n
}

func (l StaffLine) matches(o OrderFacts) bool {
	ok := func(want, have uuid.UUID) bool { return want == uuid.Nil || want == have }
	return ok(l.ServiceID, o.ServiceID) && ok(l.CategoryID, o.CategoryID) && ok(l.LevelID, o.LevelID) && ok(l.StaffID, o.StaffID)
}

// Rules is one published, immutable version of a tenant's commission rules.
type Rules struct {
	ID                uuid.UUID
	Version           int
	EffectiveFrom     time.Time
	PlatformFeeBP     int // the SaaS owner's cut of every order
	RoyaltyBP         int // HQ's royalty from franchisee stores' orders
	MarketplaceTakeBP int // the store owner's take from self-employed providers' orders
	StaffLines        []StaffLine
	Note              string
	CreatedBy         string
	CreatedAt         time.Time
}

// NewRules is a version to publish; a zero EffectiveFrom means now.
type NewRules struct {
	EffectiveFrom     time.Time
	PlatformFeeBP     int
	RoyaltyBP         int
	MarketplaceTakeBP int
	StaffLines        []StaffLine
	Note              string
}

// validate checks ranges and that no combination of shares can exceed the order value.
func (n NewRules) validate(now time.Time) error {
	var v errs.Validation
	bp := func(x int) bool { return x >= 0 && x <= FullBP }
	v.Check(bp(n.PlatformFeeBP), "platform_fee_bp", "0 to 10000 basis points")
	v.Check(bp(n.RoyaltyBP), "royalty_bp", "0 to 10000 basis points")
	v.Check(bp(n.MarketplaceTakeBP), "marketplace_take_bp", "0 to 10000 basis points")
	v.Check(n.PlatformFeeBP+n.RoyaltyBP <= FullBP, "royalty_bp", "platform fee and royalty together exceed the order value")
	v.Check(n.PlatformFeeBP+n.RoyaltyBP+n.MarketplaceTakeBP <= FullBP, "marketplace_take_bp",
		"platform fee, royalty and marketplace take together exceed the order value")
	v.Check(n.EffectiveFrom.IsZero() || !n.EffectiveFrom.Before(now.Add(-time.Minute)), "effective_from", "now or later: published versions never change the past")
	v.Check(len([]rune(n.Note)) <= 500, "note", "at most 500 characters")
	v.Check(len(n.StaffLines) <= 200, "staff_lines", "at most 200 lines")
	seen := map[[4]uuid.UUID]int{}
	for i, l := range n.StaffLines {
		f := func(name string) string { return fmt.Sprintf("staff_lines[%d].%s", i, name) }
		switch l.Kind {
		case StaffPercent:
			v.Check(l.Value >= 0 && l.Value <= FullBP, f("value"), "0 to 10000 basis points")
			v.Check(int64(n.PlatformFeeBP+n.RoyaltyBP+l.BonusBP)+l.Value <= FullBP, f("value"),
				"platform fee, royalty, commission and bonus together exceed the order value")
		case StaffFixed:
			v.Check(l.Value >= 0 && l.Value <= maxFixed, f("value"), "0 to 100000000000 minor units")
			v.Check(n.PlatformFeeBP+n.RoyaltyBP+l.BonusBP <= FullBP, f("bonus_bp"), "platform fee, royalty and bonus together exceed the order value")
		case StaffMarketplace:
			v.Check(l.Value == 0, f("value"), "must be 0: a provider keeps what the fee, royalty and take rate leave")
			v.Check(l.BonusBP == 0, f("bonus_bp"), "must be 0 for marketplace providers")
		default:
			v.Add(f("kind"), "percent, fixed or marketplace")
		}
		v.Check(bp(l.BonusBP), f("bonus_bp"), "0 to 10000 basis points")
		v.Check(l.BonusMinRating == 0 || (l.BonusMinRating >= 1 && l.BonusMinRating <= 5), f("bonus_min_rating"), "0 (none) or 1 to 5")
		v.Check(l.BonusBP == 0 || l.BonusMinRating > 0, f("bonus_min_rating"), "a bonus needs a minimum rating")
		key := [4]uuid.UUID{l.ServiceID, l.CategoryID, l.LevelID, l.StaffID}
		if j, dup := seen[key]; dup {
			v.Add(fmt.Sprintf("staff_lines[%d]", i), fmt.Sprintf("matches the same orders as staff_lines[%d]", j))
		}
		seen[key] = i
	}
	return v.Err()
}

// Share names what a split line is.
type Share string

const (
	SharePlatformFee Share = "platform_fee"
	ShareRoyalty     Share = "royalty"
	ShareStaff       Share = "staff_commission"
	ShareProvider    Share = "marketplace_provider"
	ShareFranchisee  Share = "franchisee_share"
	ShareHQ          Share = "hq_share"
)

// Basis says how a line's amount was reached.
type Basis string

const (
	BasisPercent   Basis = "percent"
	BasisFixed     Basis = "fixed"
	BasisRemainder Basis = "remainder" // what the other shares (rounded down) leave
)

// Line is one share of a split, with its explanation.
type Line struct {
	No         int
	Party      ledger.OwnerKind // platform, hq, franchisee, staff
	OwnerID    uuid.UUID        // uuid.Nil for platform and HQ
	Share      Share
	Basis      Basis
	RateBP     int   // percent: the rate applied (bonus included)
	BonusBP    int   // the part of RateBP that is the rating bonus
	Fixed      int64 // fixed: the rule's amount before capping
	RuleLine   int   // index into the version's StaffLines; -1 for version-level shares
	Capped     bool  // a fixed commission was cut to what was left of the order value
	Amount     int64
	ClawedBack int64
}

// OrderFacts is what a split needs to know about an order.
type OrderFacts struct {
	ID           uuid.UUID
	Status       string
	CustomerID   uuid.UUID
	StoreID      uuid.UUID
	FranchiseeID uuid.UUID // uuid.Nil: an HQ-owned store
	StaffID      uuid.UUID // the staff member who served it; uuid.Nil: nobody
	ServiceID    uuid.UUID
	CategoryID   uuid.UUID
	LevelID      uuid.UUID
	Currency     string
	CompletedAt  time.Time // when the customer accepted (or it was auto-accepted)
	Rating       float64   // the staff member's overall rating; 0 with Rated false: none yet
	Rated        bool
	Paid         bool // the payment area recorded it as fully paid
}

// mulBP is floor(x × bp / 10000) without overflow for any non-negative x.
func mulBP(x int64, bp int) int64 { return mulDiv(x, int64(bp), FullBP) }

// mulDiv is floor(x × n / d) for non-negative operands, in 128 bits.
func mulDiv(x, n, d int64) int64 {
	hi, lo := bits.Mul64(uint64(x), uint64(n))
	q, _ := bits.Div64(hi, lo, uint64(d))
	return int64(q)
}

// Compute splits an order value total by rules r (nil: no rules published — everything goes
// to the store's owner). Every share is rounded down; the store's owner (franchisee, or HQ
// for HQ-owned stores) takes the remainder, so the lines always sum exactly to total.
// Lines with nothing to pay are left out.
func Compute(r *Rules, o OrderFacts, total int64) []Line {
	var lines []Line
	add := func(l Line) {
		if l.Amount > 0 {
			l.No = len(lines)
			lines = append(lines, l)
		}
	}
	if r == nil {
		r = &Rules{}
	}
	left := total
	fee := mulBP(total, r.PlatformFeeBP)
	add(Line{Party: ledger.OwnerPlatform, Share: SharePlatformFee, Basis: BasisPercent, RateBP: r.PlatformFeeBP, RuleLine: -1, Amount: fee})
	left -= fee
	royaltyBP := 0
	if o.FranchiseeID != uuid.Nil {
		royaltyBP = r.RoyaltyBP
		royalty := min(mulBP(total, royaltyBP), left)
		add(Line{Party: ledger.OwnerHQ, Share: ShareRoyalty, Basis: BasisPercent, RateBP: royaltyBP, RuleLine: -1, Amount: royalty})
		left -= royalty
	}
	if o.StaffID != uuid.Nil {
		if i, ok := matchLine(r.StaffLines, o); ok {
			l := staffShare(r, r.StaffLines[i], o, total, left, royaltyBP)
			l.RuleLine = i
			add(l)
			left -= l.Amount
		}
	}
	if o.FranchiseeID != uuid.Nil {
		add(Line{Party: ledger.OwnerFranchisee, OwnerID: o.FranchiseeID, Share: ShareFranchisee, Basis: BasisRemainder, RuleLine: -1, Amount: left})
	} else {
		add(Line{Party: ledger.OwnerHQ, Share: ShareHQ, Basis: BasisRemainder, RuleLine: -1, Amount: left})
	}
	return lines
}

// matchLine picks the most specific staff line matching o (the first on ties).
func matchLine(ls []StaffLine, o OrderFacts) (int, bool) {
	best, bestSpec := -1, -1
	for i, l := range ls {
		if l.matches(o) && l.specificity() > bestSpec {
			best, bestSpec = i, l.specificity()
		}
	}
	return best, best >= 0
}

func staffShare(r *Rules, l StaffLine, o OrderFacts, total, left int64, royaltyBP int) Line {
	out := Line{Party: ledger.OwnerStaff, OwnerID: o.StaffID, Share: ShareStaff}
	bonus := 0
	if l.BonusBP > 0 && l.BonusMinRating > 0 && o.Rated && o.Rating >= l.BonusMinRating {
		bonus = l.BonusBP
	}
	switch l.Kind {
	case StaffPercent:
		out.Basis, out.RateBP, out.BonusBP = BasisPercent, int(l.Value)+bonus, bonus
		out.Amount = mulBP(total, out.RateBP)
	case StaffFixed:
		out.Basis, out.Fixed, out.BonusBP, out.RateBP = BasisFixed, l.Value, bonus, bonus
		out.Amount = l.Value + mulBP(total, bonus)
	case StaffMarketplace:
		out.Share, out.Basis = ShareProvider, BasisPercent
		out.RateBP = max(0, FullBP-r.PlatformFeeBP-royaltyBP-r.MarketplaceTakeBP)
		out.Amount = mulBP(total, out.RateBP)
	}
	if out.Amount > left {
		out.Amount, out.Capped = left, true
	}
	return out
}
