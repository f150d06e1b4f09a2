// Package dispatch finds staff for orders: a ranked candidate list with reasons for the
// dispatcher (manual mode), an order pool where the first of the top N staff to take an offer
// wins (pool mode), and automatic assignment of the best candidate with reassignment to the
// next one when the staff member does not accept in time (auto mode).
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/staff"
	"doorstep/jobs"
)

// Errors with stable codes (docs/problems.md, "Dispatch").
var (
	ErrOfferNotFound = errs.New(errs.NotFound, "offer_not_found", "no such offer")
	ErrOfferTaken    = errs.New(errs.Conflict, "offer_taken", "another staff member took this order first")
	ErrOfferExpired  = errs.New(errs.Conflict, "offer_expired", "the offer has expired")
	ErrOfferClosed   = errs.New(errs.Conflict, "offer_closed", "the offer was already declined")
	ErrOrderNotOpen  = errs.New(errs.Conflict, "order_not_open", "the order is not waiting for a staff member")
	ErrOffersOpen    = errs.New(errs.Conflict, "offers_open", "the order already has open pool offers")
	ErrNoCandidates  = errs.New(errs.Conflict, "no_candidates", "no eligible staff member is free for this order")
)

// Offer statuses.
const (
	OfferOffered  = "offered"
	OfferAccepted = "accepted"
	OfferDeclined = "declined"
	OfferExpired  = "expired"
	OfferTaken    = "taken"
)

// Offer kinds: a pool offer waits to be taken; an auto offer records an automatic assignment
// waiting for the staff member's accept.
const (
	KindPool = "pool"
	KindAuto = "auto"
)

// Offer is an order offered to a staff member.
type Offer struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	StaffID   uuid.UUID
	Kind      string
	Status    string
	Score     float64
	Rank      int
	Round     int // pool offers go out in rounds (1, 2, …); auto offers: 1
	ExpiresAt time.Time
	CreatedAt time.Time
	DecidedAt *time.Time
}

// Candidate is a ranked staff member for an order.
type Candidate struct {
	StaffID     uuid.UUID
	UserID      uuid.UUID
	StoreID     uuid.UUID
	DisplayName string
	BadgeNo     string
	DistanceM   float64
	LevelRank   int
	Rating      float64
	Workload    int
	Preferred   bool
	Previous    bool
	Score       float64
	Reasons     []Reason
}

// Orders is what dispatch needs from booking (*booking.Service).
type Orders interface {
	Get(ctx context.Context, id uuid.UUID) (booking.Detail, error)
	Assign(ctx context.Context, orderID, staffID uuid.UUID) (booking.Order, error)
	Unassign(ctx context.Context, id uuid.UUID, reason string) (booking.Order, error)
	Accept(ctx context.Context, id uuid.UUID) (booking.Order, error)
	Settings(ctx context.Context) (booking.Settings, error)
	DispatchSettings(ctx context.Context, storeID uuid.UUID) (booking.DispatchSettings, error)
	// TellOffer notifies a staff member of a pool offer, in the transaction (the outbox).
	TellOffer(ctx context.Context, o booking.Order, staffID uuid.UUID, minutes int) error
}

// Roster finds eligible staff (*staff.Service).
type Roster interface {
	Eligible(ctx context.Context, q staff.EligibleQuery) ([]staff.Candidate, error)
}

// Self tells the calling staff member's profile id.
type Self interface {
	MyStaffID(ctx context.Context) (uuid.UUID, error)
}

// Ratings gives staff members' average ratings (1–5); missing ones count as NeutralRating.
type Ratings interface {
	Of(ctx context.Context, staffIDs []uuid.UUID) (map[uuid.UUID]float64, error)
}

// Repo persists offers and answers the assignment questions ranking asks.
type Repo interface {
	LockOrder(ctx context.Context, orderID uuid.UUID) error
	RequiredRank(ctx context.Context, serviceID uuid.UUID) (int, error)
	Busy(ctx context.Context, staffIDs []uuid.UUID, from, to time.Time, exceptOrder uuid.UUID) (map[uuid.UUID]bool, error)
	Workload(ctx context.Context, staffIDs []uuid.UUID, from, to time.Time) (map[uuid.UUID]int, error)
	Previous(ctx context.Context, customerID uuid.UUID, staffIDs []uuid.UUID, exceptOrder uuid.UUID) (map[uuid.UUID]bool, error)
	Excluded(ctx context.Context, orderID uuid.UUID) (map[uuid.UUID]bool, error)
	OpenOffers(ctx context.Context, orderID uuid.UUID, now time.Time) (int, error)
	InsertOffers(ctx context.Context, offers []Offer) error
	GetOffer(ctx context.Context, id uuid.UUID) (Offer, error)
	TakeOffer(ctx context.Context, id uuid.UUID, now time.Time) (bool, error)
	CloseOthers(ctx context.Context, orderID, except uuid.UUID, now time.Time) error
	SetStatus(ctx context.Context, id uuid.UUID, from, to string, now time.Time) (bool, error)
	// ExpireAuto expires the staff member's open auto offer for the order; false: there was none.
	ExpireAuto(ctx context.Context, orderID, staffID uuid.UUID, now time.Time) (bool, error)
	StaffOffers(ctx context.Context, staffID uuid.UUID, since time.Time) ([]Offer, error)
	// Offered lists every staff member offered the order in the pool, whatever came of it.
	Offered(ctx context.Context, orderID uuid.UUID) (map[uuid.UUID]bool, error)
	// LastRound is the order's latest pool round (0: none yet).
	LastRound(ctx context.Context, orderID uuid.UUID) (int, error)
	// ExpireRound expires the round's offers still open; it returns how many.
	ExpireRound(ctx context.Context, orderID uuid.UUID, round int, now time.Time) (int, error)
	// AutoAttempts counts the order's auto offers (assignments tried).
	AutoAttempts(ctx context.Context, orderID uuid.UUID) (int, error)
	// CloseAuto moves the staff member's open auto offer for the order to status.
	CloseAuto(ctx context.Context, orderID, staffID uuid.UUID, status string, now time.Time) error
	// Flag marks the order at risk (replacing an earlier flag); Unflag clears it.
	Flag(ctx context.Context, orderID uuid.UUID, reason string, rounds int, now time.Time) error
	Unflag(ctx context.Context, orderID uuid.UUID) error
	// StoreZone is the store's time zone name ("" when unknown).
	StoreZone(ctx context.Context, storeID uuid.UUID) (string, error)
	BoardRepo
}

// Deps are the service's collaborators.
type Deps struct {
	DB      *dbx.DB
	Repo    Repo
	Orders  Orders
	Roster  Roster
	Self    Self
	Ratings Ratings // nil: everyone is NeutralRating
	Outbox  *jobs.Outbox
	Clock   clock.Clock // nil: the system clock
}

// Service dispatches orders.
type Service struct {
	db      *dbx.DB
	repo    Repo
	orders  Orders
	roster  Roster
	self    Self
	ratings Ratings
	outbox  *jobs.Outbox
	clock   clock.Clock
}

// NewService wires dispatch.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	return &Service{db: d.DB, repo: d.Repo, orders: d.Orders, roster: d.Roster, self: d.Self, ratings: d.Ratings, outbox: d.Outbox, clock: d.Clock}
}

// system drops the caller: booking then acts as the system (dispatch has checked reach).
func system(ctx context.Context) context.Context { return auth.WithPrincipal(ctx, nil) }

// taskOrder locks and reads the order a task names, in the task's transaction. ok is false
// (with a nil error) when the order is gone or current says the task is stale — it was settled
// by something else meanwhile — and the handler has nothing to do.
func (s *Service) taskOrder(ctx context.Context, id uuid.UUID, current func(booking.Detail) bool) (booking.Detail, bool, error) {
	if err := s.repo.LockOrder(ctx, id); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return booking.Detail{}, false, nil
		}
		return booking.Detail{}, false, err
	}
	d, err := s.orders.Get(ctx, id)
	if err != nil || !current(d) {
		return d, false, err
	}
	return d, true, nil
}

// waitsForStaff: a confirmed order nobody holds.
func waitsForStaff(d booking.Detail) bool {
	return d.Status == booking.Confirmed && d.Assignment == nil
}

// openOrder locks the order and checks the caller reaches it and that it waits for staff.
func (s *Service) openOrder(ctx context.Context, orderID uuid.UUID) (booking.Order, error) {
	d, err := s.orders.Get(ctx, orderID)
	if err != nil {
		return booking.Order{}, err
	}
	if err := s.repo.LockOrder(ctx, orderID); err != nil {
		return booking.Order{}, err
	}
	if d, err = s.orders.Get(system(ctx), orderID); err != nil {
		return booking.Order{}, err
	}
	if d.Status != booking.Confirmed {
		return booking.Order{}, ErrOrderNotOpen
	}
	return d.Order, nil
}

// Result is what Dispatch did.
type Result struct {
	Mode   string
	Offers []Offer
	Order  *booking.Order // auto: the order, assigned
	Staff  uuid.UUID      // auto: who was assigned
}

// Dispatch runs the store's mode for an order waiting for staff: manual does nothing, pool
// opens offers, auto assigns the best candidate and schedules the accept timeout.
func (s *Service) Dispatch(ctx context.Context, orderID uuid.UUID) (Result, error) {
	var res Result
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.openOrder(ctx, orderID)
		if err != nil {
			return err
		}
		res, err = s.dispatchLocked(system(ctx), o)
		return err
	})
	return res, err
}

// dispatchLocked runs the store's mode for the locked, confirmed order (ctx acts as the system).
func (s *Service) dispatchLocked(ctx context.Context, o booking.Order) (Result, error) {
	var res Result
	ds, err := s.orders.DispatchSettings(ctx, o.StoreID)
	if err != nil {
		return res, err
	}
	res.Mode = ds.Mode
	switch ds.Mode {
	case "pool":
		res.Offers, err = s.offer(ctx, o)
	case "auto":
		var n int
		if n, err = s.repo.AutoAttempts(ctx, o.ID); err != nil {
			return res, err
		}
		if n >= MaxAutoAttempts {
			return res, ErrNoCandidates
		}
		var a booking.Order
		a, err = s.autoAssign(ctx, o, n+1)
		res.Order = &a
		if err == nil {
			res.Staff = s.lastStaff(ctx, a)
		}
	}
	return res, err
}

// Waiting is an order booking says waits for staff (TypeWaiting's handler): created or paid
// confirmed, or declined by its staff member. It runs the store's mode as the system: manual
// leaves it on the board, pool offers it, auto assigns the best candidate not yet tried (a
// decliner is excluded: their assignment was released). Anything already settled — the order
// moved on, offers are open — is a duplicate and does nothing; nobody to give it to flags the
// order at risk on the board.
func (s *Service) Waiting(ctx context.Context, p WaitingPayload) error {
	ctx = system(ctx)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		d, ok, err := s.taskOrder(ctx, p.OrderID, waitsForStaff)
		if !ok {
			return err
		}
		now := s.clock.Now()
		if p.Cause == booking.WaitingDeclined && p.StaffID != uuid.Nil {
			if err := s.repo.CloseAuto(ctx, p.OrderID, p.StaffID, OfferDeclined, now); err != nil {
				return err
			}
		}
		res, err := s.dispatchLocked(ctx, d.Order)
		switch {
		case errors.Is(err, ErrOffersOpen):
			return nil
		case errors.Is(err, ErrNoCandidates):
			reason := FlagNoCandidates
			if res.Mode == "auto" {
				if n, _ := s.repo.AutoAttempts(ctx, p.OrderID); n >= MaxAutoAttempts {
					reason = FlagAutoExhausted
				}
			}
			return s.repo.Flag(ctx, p.OrderID, reason, 0, now)
		}
		return err
	})
}

// OrderWaiting implements booking.Dispatcher: it enqueues TypeWaiting in the transaction of
// the booking change (the outbox), so dispatch runs after that change commits, never inline.
func (s *Service) OrderWaiting(ctx context.Context, w booking.Waiting) error {
	if s.outbox == nil {
		return nil
	}
	if _, err := s.outbox.Add(ctx, &WaitingPayload{OrderID: w.OrderID, Cause: w.Cause, StaffID: w.StaffID}); err != nil {
		return fmt.Errorf("dispatch: enqueue waiting order: %w", err)
	}
	return nil
}

// At-risk reasons (dispatch_flags.reason).
const (
	FlagPoolExhausted = "pool_exhausted" // the store's pool rounds went by without a taker
	FlagNoCandidates  = "no_candidates"  // nobody eligible and free is left to offer or assign
	FlagAutoExhausted = "auto_exhausted" // auto mode tried MaxAutoAttempts staff
)
