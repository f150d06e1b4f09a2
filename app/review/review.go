// Package review owns reviews of finished orders: one per order, by its customer, once the
// work is accepted (completed or closed); three 1–5 scores, text and photo URLs; the store's
// reply; per-staff rating aggregates (dispatch ranks by them); and automatic positive reviews
// after the tenant's auto_review_days.
package review

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/jobs"
)

// Errors with stable codes (docs/problems.md, "Reviews").
var (
	ErrOrderNotFound     = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrNotReviewable     = errs.New(errs.Conflict, "order_not_reviewable", "the order can be reviewed once the work is accepted")
	ErrAlreadyReviewed   = errs.New(errs.Conflict, "already_reviewed", "this order has been reviewed already")
	ErrReviewNotFound    = errs.New(errs.NotFound, "review_not_found", "no such review")
	ErrCustomersOnly     = errs.New(errs.Forbidden, "customers_only", "only the order's customer may review it")
	errOutOfScopeReviews = ErrReviewNotFound
)

// Review is a customer's (or the automatic) review of one order.
type Review struct {
	ID          uuid.UUID
	OrderID     uuid.UUID
	CustomerID  uuid.UUID
	StaffID     uuid.UUID // uuid.Nil: nobody was assigned
	StoreID     uuid.UUID
	ServiceID   uuid.UUID // the order's service
	Attitude    int
	Quality     int
	Punctuality int
	Text        string
	Photos      []string
	Auto        bool
	Reply       string
	RepliedBy   string
	RepliedAt   *time.Time
	HiddenAt    *time.Time // hidden from the public storefront by the store
	CreatedAt   time.Time
}

// Rating is a staff member's aggregate.
type Rating struct {
	StaffID                                 uuid.UUID
	Count                                   int64
	Attitude, Quality, Punctuality, Overall float64 // averages; Overall is the mean of the three
}

// OrderFacts is what a review needs to know about its order.
type OrderFacts struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	StoreID    uuid.UUID
	ServiceID  uuid.UUID
	StaffID    uuid.UUID // the last staff member who held the visit
	Status     string
}

// Filter selects reviews for lists.
type Filter struct {
	StoreID    uuid.UUID
	StaffID    uuid.UUID
	CustomerID uuid.UUID
	StoreIDs   []uuid.UUID // data scope: nil is every store
}

// Repo stores reviews. Every method runs in the transaction of ctx.
type Repo interface {
	// Order locks the order row and returns its facts (errs.NotFound when absent).
	Order(ctx context.Context, id uuid.UUID) (OrderFacts, error)
	// Insert adds r and adds its scores to the staff member's aggregate; a second review of
	// the order is ErrAlreadyReviewed.
	Insert(ctx context.Context, r Review) error
	Get(ctx context.Context, id uuid.UUID, lock bool) (Review, error)
	SaveReply(ctx context.Context, r Review) error
	List(ctx context.Context, f Filter, p page.Request) (page.Result[Review], error)
	Ratings(ctx context.Context, staffIDs []uuid.UUID) ([]Rating, error)
	// AutoReview inserts 5-star automatic reviews (with aggregates) for orders completed more
	// than the tenant's auto_review_days ago without a review, returning how many.
	AutoReview(ctx context.Context, now time.Time) (int, error)
	// StaffStores maps staff members to their stores (unknown ones are absent).
	StaffStores(ctx context.Context, staffIDs []uuid.UUID) (map[uuid.UUID]uuid.UUID, error)
	// SetHidden hides (at) or shows (nil) a review on the storefront.
	SetHidden(ctx context.Context, id uuid.UUID, at *time.Time) error
	// Published lists the visible reviews of a service or staff member, newest first, with
	// the reviewer's name; Summary aggregates them. Subject tells whether the service or staff
	// member exists in the tenant.
	Published(ctx context.Context, f PublicFilter, p page.Request) (page.Result[PublicReview], error)
	Summary(ctx context.Context, f PublicFilter) (Summary, error)
	Subject(ctx context.Context, f PublicFilter) (bool, error)
}

// Service runs reviews.
type Service struct {
	db     *dbx.DB
	repo   Repo
	outbox *jobs.Outbox
	stores auth.StoresOf
	clock  clock.Clock
}

// NewService wires the review service; outbox queues the per-tenant automatic-review task
// (TypeAuto) from the daily sweep; storesOf lists a franchisee's stores (org's query), for
// the data scope (clk nil: the system clock).
func NewService(db *dbx.DB, repo Repo, outbox *jobs.Outbox, storesOf auth.StoresOf, clk clock.Clock) *Service {
	if storesOf == nil {
		panic("review: storesOf is required")
	}
	if clk == nil {
		clk = clock.System{}
	}
	return &Service{db: db, repo: repo, outbox: outbox, stores: storesOf, clock: clk}
}

// NewReview is a customer's review.
type NewReview struct {
	OrderID     uuid.UUID
	Attitude    int
	Quality     int
	Punctuality int
	Text        string
	Photos      []string
}

func (n NewReview) validate() error {
	var v errs.Validation
	v.Check(n.OrderID != uuid.Nil, "order_id", "required")
	for f, x := range map[string]int{"attitude": n.Attitude, "quality": n.Quality, "punctuality": n.Punctuality} {
		v.Check(x >= 1 && x <= 5, f, "1 to 5")
	}
	v.Check(len([]rune(n.Text)) <= 2000, "text", "at most 2000 characters")
	v.Check(len(n.Photos) <= 9, "photos", "at most 9")
	for i, u := range n.Photos {
		v.Check(len(u) <= 1000 && len(u) > len("https://") && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")),
			"photos["+strconv.Itoa(i)+"]", "an http(s) URL of at most 1000 characters")
	}
	return v.Err()
}

// Create is the order's customer reviewing it, once: 409 order_not_reviewable before the work
// is accepted, 409 already_reviewed the second time; another's order is not found.
func (s *Service) Create(ctx context.Context, n NewReview) (Review, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.Customer {
		return Review{}, ErrCustomersOnly
	}
	n.Text = strings.TrimSpace(n.Text)
	if err := n.validate(); err != nil {
		return Review{}, err
	}
	var out Review
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, n.OrderID)
		if errs.KindOf(err) == errs.NotFound || (err == nil && o.CustomerID != p.SubjectID) {
			return ErrOrderNotFound
		}
		if err != nil {
			return err
		}
		if o.Status != "completed" && o.Status != "closed" {
			return ErrNotReviewable
		}
		photos := n.Photos
		if photos == nil {
			photos = []string{}
		}
		out = Review{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, CustomerID: o.CustomerID, StaffID: o.StaffID, StoreID: o.StoreID, ServiceID: o.ServiceID,
			Attitude: n.Attitude, Quality: n.Quality, Punctuality: n.Punctuality, Text: n.Text, Photos: photos, CreatedAt: s.clock.Now()}
		return s.repo.Insert(ctx, out)
	})
	return out, err
}

// Reply sets (or replaces) the store's reply; the review must be in the caller's data scope.
func (s *Service) Reply(ctx context.Context, id uuid.UUID, text string) (Review, error) {
	text = strings.TrimSpace(text)
	var v errs.Validation
	v.Check(len([]rune(text)) >= 1 && len([]rune(text)) <= 2000, "text", "1 to 2000 characters")
	if err := v.Err(); err != nil {
		return Review{}, err
	}
	var out Review
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		r, err := s.repo.Get(ctx, id, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrReviewNotFound
		}
		if err != nil {
			return err
		}
		if err := s.inScope(ctx, r.StoreID); err != nil {
			return err
		}
		now := s.clock.Now()
		r.Reply, r.RepliedBy, r.RepliedAt = text, auth.Subject(ctx), &now
		out = r
		return s.repo.SaveReply(ctx, r)
	})
	return out, err
}

// Get returns one review: the customer's own, or one in a staff-side caller's scope.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Review, error) {
	var out Review
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		r, err := s.repo.Get(ctx, id, false)
		if errs.KindOf(err) == errs.NotFound {
			return ErrReviewNotFound
		}
		if err != nil {
			return err
		}
		if p, ok := auth.FromContext(ctx); ok && p.Kind == auth.Customer {
			if r.CustomerID != p.SubjectID {
				return ErrReviewNotFound
			}
		} else if err := s.inScope(ctx, r.StoreID); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// List lists reviews: a customer's own, or (staff side) those of the caller's scope, by store
// or staff member.
func (s *Service) List(ctx context.Context, f Filter, p page.Request) (page.Result[Review], error) {
	var out page.Result[Review]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		pr, ok := auth.FromContext(ctx)
		if ok && pr.Kind == auth.Customer {
			f = Filter{CustomerID: pr.SubjectID}
		} else if ok && pr.Kind != auth.Operator {
			switch pr.Scope {
			case auth.ScopeTenant:
			case auth.ScopeFranchisee:
				ids, err := s.stores(ctx, pr.FranchiseeID)
				if err != nil {
					return err
				}
				f.StoreIDs = append(ids, uuid.Nil) // never empty: empty is "all"
			default:
				f.StoreIDs = []uuid.UUID{pr.StoreID, uuid.Nil}
			}
		}
		var err error
		out, err = s.repo.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

// SetHidden hides a review from the public storefront or shows it again (the store's
// moderation, in the caller's data scope). Ratings used by dispatch are not affected.
func (s *Service) SetHidden(ctx context.Context, id uuid.UUID, hidden bool) (Review, error) {
	var out Review
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		r, err := s.repo.Get(ctx, id, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrReviewNotFound
		}
		if err != nil {
			return err
		}
		if err := s.inScope(ctx, r.StoreID); err != nil {
			return err
		}
		switch {
		case hidden && r.HiddenAt == nil:
			now := s.clock.Now()
			r.HiddenAt = &now
		case !hidden:
			r.HiddenAt = nil
		}
		out = r
		return s.repo.SetHidden(ctx, id, r.HiddenAt)
	})
	return out, err
}

// RatingsOf returns each rated staff member's overall average (the mean of the three scores'
// averages); staff without reviews are absent.
func (s *Service) RatingsOf(ctx context.Context, staffIDs []uuid.UUID) (map[uuid.UUID]float64, error) {
	rs, err := s.Ratings(ctx, staffIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]float64, len(rs))
	for _, r := range rs {
		out[r.StaffID] = r.Overall
	}
	return out, nil
}

// Ratings returns the aggregates of the given staff members (absent: no reviews).
func (s *Service) Ratings(ctx context.Context, staffIDs []uuid.UUID) ([]Rating, error) {
	if len(staffIDs) == 0 {
		return nil, nil
	}
	var out []Rating
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Ratings(ctx, staffIDs)
		return err
	})
	return out, err
}

// VisibleRatings is Ratings for staff-side callers: staff members of stores outside a
// store- or franchisee-scoped caller's data scope are left out, as if never rated.
func (s *Service) VisibleRatings(ctx context.Context, staffIDs []uuid.UUID) ([]Rating, error) {
	if len(staffIDs) == 0 {
		return nil, nil
	}
	var out []Rating
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		stores, err := s.repo.StaffStores(ctx, staffIDs)
		if err != nil {
			return err
		}
		mine := make([]uuid.UUID, 0, len(staffIDs))
		for _, id := range staffIDs {
			if st, ok := stores[id]; ok && s.inScope(ctx, st) == nil {
				mine = append(mine, id)
			}
		}
		if len(mine) == 0 {
			out = []Rating{}
			return nil
		}
		out, err = s.repo.Ratings(ctx, mine)
		return err
	})
	return out, err
}

// AutoReview writes the tenant's automatic positive reviews (the review:auto job).
func (s *Service) AutoReview(ctx context.Context) (int, error) {
	var n int
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.repo.AutoReview(ctx, s.clock.Now())
		return err
	})
	return n, err
}

func (s *Service) inScope(ctx context.Context, storeID uuid.UUID) error {
	ok, err := auth.ReachesStore(ctx, storeID, s.stores)
	if err != nil || ok {
		return err
	}
	return errOutOfScopeReviews
}

// PublicFilter names whose reviews the storefront shows: a service's or a staff member's.
type PublicFilter struct {
	ServiceID uuid.UUID
	StaffID   uuid.UUID
}

// PublicReview is a review as any visitor of the storefront sees it: no customer or order
// ids, the reviewer's name masked.
type PublicReview struct {
	ID                             uuid.UUID
	Reviewer                       string // masked: 张*
	StaffName                      string
	Attitude, Quality, Punctuality int
	Text                           string
	Photos                         []string
	Auto                           bool
	Reply                          string
	RepliedAt                      *time.Time
	CreatedAt                      time.Time
}

// Summary aggregates visible reviews: their count and average scores (0 when none).
type Summary struct {
	Count                                   int64
	Attitude, Quality, Punctuality, Overall float64
}

// PublicPage is a page of public reviews with the aggregate of all of them.
type PublicPage struct {
	page.Result[PublicReview]
	Summary Summary
}

// Errors of the public list.
var (
	ErrServiceNotFound = errs.New(errs.NotFound, "service_not_found", "no such service")
	ErrStaffNotFound   = errs.New(errs.NotFound, "staff_not_found", "no such staff member")
)

// Published lists the storefront's reviews of a service or a staff member (exactly one of
// them): visible ones only (not hidden by the store), newest first, reviewer names masked,
// with their aggregate. Anyone may read it; an id of another tenant is not found.
func (s *Service) Published(ctx context.Context, f PublicFilter, p page.Request) (PublicPage, error) {
	var v errs.Validation
	v.Check((f.ServiceID == uuid.Nil) != (f.StaffID == uuid.Nil), "service_id", "name a service or a staff member")
	if err := v.Err(); err != nil {
		return PublicPage{}, err
	}
	var out PublicPage
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.repo.Subject(ctx, f)
		if err != nil {
			return err
		}
		if !ok {
			if f.ServiceID != uuid.Nil {
				return ErrServiceNotFound
			}
			return ErrStaffNotFound
		}
		if out.Result, err = s.repo.Published(ctx, f, p.Normalize()); err != nil {
			return err
		}
		for i := range out.Items {
			out.Items[i].Reviewer = MaskName(out.Items[i].Reviewer)
		}
		out.Summary, err = s.repo.Summary(ctx, f)
		return err
	})
	return out, err
}

// MaskName keeps a name's first character and hides the rest behind one star (张三丰 → 张*,
// Alice → A*), so neither the name nor its length shows; no name is "**".
func MaskName(name string) string {
	for _, r := range strings.TrimSpace(name) {
		return string(r) + "*"
	}
	return "**"
}
