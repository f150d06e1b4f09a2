package pricing

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/money"
	"doorstep/tenant"
)

// DefaultQuoteTTL is how long a quote holds.
const DefaultQuoteTTL = 15 * time.Minute

// Errors with stable codes.
var (
	ErrQuoteNotFound = errs.New(errs.NotFound, "quote_not_found", "no such quote")
	ErrQuoteExpired  = errs.New(errs.Invalid, "quote_expired", "the quote has expired; ask for a new one")
	ErrQuoteUsed     = errs.New(errs.Conflict, "quote_used", "the quote has already been used")
	ErrRuleNotFound  = errs.New(errs.NotFound, "pricing_rule_not_found", "no such pricing rule")
)

// PackageInfo is what the catalogue says about a package at a store.
type PackageInfo struct {
	ServiceID       uuid.UUID
	LabelZh         string
	LabelEn         string
	Price           int64
	DurationMinutes int
}

// AddOnInfo is what the catalogue says about an add-on.
type AddOnInfo struct {
	ID      uuid.UUID
	LabelZh string
	LabelEn string
	Price   int64
}

// Catalog is what pricing needs from the catalogue. QuotePackage fails with a 4xx domain error
// for an unpublished or unavailable package; ServingStore with one for an address no store
// covers.
type Catalog interface {
	ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, error)
	QuotePackage(ctx context.Context, packageID, storeID uuid.UUID) (PackageInfo, error)
	QuoteAddOns(ctx context.Context, serviceID uuid.UUID, ids []uuid.UUID) ([]AddOnInfo, error)
}

// Staff tells the level of a preferred staff member.
type Staff interface {
	LevelOf(ctx context.Context, staffID uuid.UUID) (uuid.UUID, error)
}

// Adjuster is an extension point run after the surcharges: membership discounts, coupons,
// points and stored value plug in here. Lines it returns are appended; negative lines are
// capped so the total never goes below zero.
type Adjuster interface {
	Adjust(ctx context.Context, req QuoteRequest, b Breakdown) ([]Line, error)
}

// Repo persists rules, holidays, travel policies and quotes.
type Repo interface {
	Rules(ctx context.Context) ([]Rule, error)
	GetRule(ctx context.Context, id uuid.UUID) (Rule, error)
	SaveRule(ctx context.Context, r Rule, create bool) error
	DeleteRule(ctx context.Context, id uuid.UUID) error
	Holidays(ctx context.Context, from, to time.Time) (map[string]string, error)
	SetHoliday(ctx context.Context, day time.Time, name string) error
	DeleteHoliday(ctx context.Context, day time.Time) error
	Travel(ctx context.Context, storeID uuid.UUID) (Travel, error) // store override, else default
	SetTravel(ctx context.Context, storeID uuid.UUID, t Travel) error
	Distance(ctx context.Context, storeID uuid.UUID, at geo.Point) (float64, error)
	CreateQuote(ctx context.Context, q Quote) error
	GetQuote(ctx context.Context, id uuid.UUID, lock bool) (Quote, error)
	MarkQuoteUsed(ctx context.Context, id uuid.UUID, at time.Time) error
}

// Stores tells which franchisee runs a store, for the data scope of franchisee staff.
type Stores interface {
	FranchiseeOf(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error)
}

// Auditor records price changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

// AddOnChoice is an add-on and how many.
type AddOnChoice struct {
	ID       uuid.UUID `json:"id"`
	Quantity int       `json:"quantity"`
}

// QuoteRequest asks for a price.
type QuoteRequest struct {
	PackageID  uuid.UUID     `json:"package_id"`
	AddOns     []AddOnChoice `json:"add_ons,omitempty"`
	Location   geo.Point     `json:"location"`
	Start      time.Time     `json:"start"`
	StaffID    uuid.UUID     `json:"staff_id,omitempty"` // preferred staff member
	CustomerID uuid.UUID     `json:"customer_id,omitempty"`
}

// Quote is a stored, priced request.
type Quote struct {
	ID         uuid.UUID
	StoreID    uuid.UUID
	PackageID  uuid.UUID
	CustomerID uuid.UUID
	CreatedBy  string
	Start      time.Time
	Location   geo.Point
	Request    QuoteRequest
	Breakdown  Breakdown
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
}

// Service prices requests and manages the rules.
type Service struct {
	db        *dbx.DB
	repo      Repo
	catalog   Catalog
	staff     Staff
	adjusters []Adjuster
	audit     Auditor
	stores    Stores
	clock     clock.Clock
	ttl       time.Duration
}

// NewService wires the pricing service; adjusters run in the given order.
func NewService(db *dbx.DB, repo Repo, cat Catalog, staff Staff, a Auditor, clk clock.Clock, adjusters ...Adjuster) *Service {
	if clk == nil {
		clk = clock.System{}
	}
	return &Service{db: db, repo: repo, catalog: cat, staff: staff, adjusters: adjusters, audit: a, clock: clk, ttl: DefaultQuoteTTL}
}

// WithStores lets franchisee-scoped staff read the quotes of their franchisee's stores;
// without it they read only the quotes they made.
func (s *Service) WithStores(st Stores) *Service {
	s.stores = st
	return s
}

// Quote prices a request at the store serving its address and stores the quote.
func (s *Service) Quote(ctx context.Context, req QuoteRequest) (Quote, error) {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return Quote{}, tenant.ErrNotFound
	}
	var v errs.Validation
	v.Check(req.PackageID != uuid.Nil, "package_id", "required")
	v.Check(req.Location.Lng >= -180 && req.Location.Lng <= 180 && req.Location.Lat >= -90 && req.Location.Lat <= 90, "location", "longitude and latitude out of range")
	now := s.clock.Now()
	v.Check(!req.Start.IsZero() && req.Start.After(now), "start", "must be in the future")
	v.Check(req.Start.Before(now.AddDate(1, 0, 0)), "start", "at most a year ahead")
	seen := map[uuid.UUID]bool{}
	for i, a := range req.AddOns {
		v.Check(a.Quantity >= 1 && a.Quantity <= 99, fmt.Sprintf("add_ons[%d].quantity", i), "1 to 99")
		v.Check(!seen[a.ID], fmt.Sprintf("add_ons[%d].id", i), "listed twice")
		seen[a.ID] = true
	}
	if err := v.Err(); err != nil {
		return Quote{}, err
	}
	var q Quote
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		storeID, err := s.catalog.ServingStore(ctx, req.Location)
		if err != nil {
			return err
		}
		pkg, err := s.catalog.QuotePackage(ctx, req.PackageID, storeID)
		if err != nil {
			return err
		}
		in := Inputs{Currency: t.Currency, Location: t.Location(), Start: req.Start, PackageID: req.PackageID,
			PackageLabelZh: pkg.LabelZh, PackageLabelEn: pkg.LabelEn, PackagePrice: pkg.Price, StoreID: storeID}
		if len(req.AddOns) > 0 {
			ids := make([]uuid.UUID, len(req.AddOns))
			for i, a := range req.AddOns {
				ids[i] = a.ID
			}
			infos, err := s.catalog.QuoteAddOns(ctx, pkg.ServiceID, ids)
			if err != nil {
				return err
			}
			qty := map[uuid.UUID]int{}
			for _, a := range req.AddOns {
				qty[a.ID] = a.Quantity
			}
			for _, a := range infos {
				in.AddOns = append(in.AddOns, AddOnInput{ID: a.ID, LabelZh: a.LabelZh, LabelEn: a.LabelEn, Price: a.Price, Quantity: qty[a.ID]})
			}
		}
		if req.StaffID != uuid.Nil && s.staff != nil {
			if in.LevelID, err = s.staff.LevelOf(ctx, req.StaffID); err != nil {
				return err
			}
		}
		if in.Rules, err = s.repo.Rules(ctx); err != nil {
			return err
		}
		day := req.Start.In(in.Location)
		if in.Holidays, err = s.repo.Holidays(ctx, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1)); err != nil {
			return err
		}
		if in.Travel, err = s.repo.Travel(ctx, storeID); err != nil {
			return err
		}
		if in.DistanceMeters, err = s.repo.Distance(ctx, storeID, req.Location); err != nil {
			return err
		}
		b, err := Compute(in)
		if err != nil {
			return err
		}
		for _, a := range s.adjusters {
			lines, err := a.Adjust(ctx, req, b)
			if err != nil {
				return err
			}
			if b, err = applyAdjustments(b, lines); err != nil {
				return err
			}
		}
		q = Quote{ID: uuid.Must(uuid.NewV7()), StoreID: storeID, PackageID: req.PackageID, CustomerID: req.CustomerID,
			CreatedBy: createdBy(ctx), Start: req.Start, Location: req.Location, Request: req, Breakdown: b,
			CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
		return s.repo.CreateQuote(ctx, q)
	})
	return q, err
}

// applyAdjustments appends extension lines; negative ones are capped at the running total. A
// total that would leave range is ErrPriceOutOfRange.
func applyAdjustments(b Breakdown, lines []Line) (Breakdown, error) {
	for _, l := range lines {
		if l.Amount < 0 && (l.Amount == math.MinInt64 || -l.Amount > b.Total) {
			l.Amount = -b.Total
		}
		if l.Amount == 0 {
			continue
		}
		total, err := money.Add(b.Total, l.Amount)
		if err != nil {
			return Breakdown{}, outOfRange("adjustment "+l.LabelEn, err)
		}
		if err := checkTotal(total); err != nil {
			return Breakdown{}, err
		}
		b.Lines = append(b.Lines, l)
		b.Total = total
	}
	return b, nil
}

func createdBy(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject()
	}
	return "anonymous"
}

// GetQuote returns a quote within the caller's reach: customers their own; staff the quotes
// they made, plus those of their store (store scope), their franchisee's stores (franchisee
// scope) or the whole tenant (tenant scope). Anything else is not found.
func (s *Service) GetQuote(ctx context.Context, id uuid.UUID) (Quote, error) {
	var q Quote
	visible := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if q, err = s.repo.GetQuote(ctx, id, false); err != nil {
			return err
		}
		visible, err = s.canSee(ctx, q)
		return err
	})
	if err != nil {
		return Quote{}, err
	}
	if !visible {
		return Quote{}, ErrQuoteNotFound
	}
	return q, nil
}

func (s *Service) canSee(ctx context.Context, q Quote) (bool, error) {
	p, ok := auth.FromContext(ctx)
	switch {
	case !ok || p.Kind == auth.Operator:
		return true, nil
	case p.Kind == auth.Customer:
		return q.CustomerID == p.SubjectID, nil
	case q.CreatedBy == p.Subject():
		return true, nil
	}
	switch p.Scope {
	case auth.ScopeTenant:
		return true, nil
	case auth.ScopeStore:
		return p.StoreID != uuid.Nil && q.StoreID == p.StoreID, nil
	case auth.ScopeFranchisee:
		if p.FranchiseeID == uuid.Nil || s.stores == nil {
			return false, nil
		}
		fr, err := s.stores.FranchiseeOf(ctx, q.StoreID)
		return fr == p.FranchiseeID, err
	}
	return false, nil
}

// UseQuote is how a booking takes a quote: it must exist, not be expired or used, and is
// marked used in the caller's transaction, so the booking charges exactly the quoted total.
func (s *Service) UseQuote(ctx context.Context, id uuid.UUID) (Quote, error) {
	var q Quote
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if q, err = s.repo.GetQuote(ctx, id, true); err != nil {
			return err
		}
		now := s.clock.Now()
		switch {
		case q.UsedAt != nil:
			return ErrQuoteUsed
		case !now.Before(q.ExpiresAt):
			return ErrQuoteExpired
		}
		q.UsedAt = &now
		return s.repo.MarkQuoteUsed(ctx, id, now)
	})
	return q, err
}
