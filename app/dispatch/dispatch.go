// Package dispatch finds staff for orders: a ranked candidate list with reasons for the
// dispatcher (manual mode), an order pool where the first of the top N staff to take an offer
// wins (pool mode), and automatic assignment of the best candidate with reassignment to the
// next one when the staff member does not accept in time (auto mode).
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/staff"
	"doorstep/jobs"
	"doorstep/tenant"
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

// MaxCandidates is how many eligible staff ranking looks at.
const MaxCandidates = 50

// system drops the caller: booking then acts as the system (dispatch has checked reach).
func system(ctx context.Context) context.Context { return auth.WithPrincipal(ctx, nil) }

// Candidates ranks the staff who can serve the order, best first, with the reasons.
func (s *Service) Candidates(ctx context.Context, orderID uuid.UUID) ([]Candidate, error) {
	var out []Candidate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		d, err := s.orders.Get(ctx, orderID)
		if err != nil {
			return err
		}
		out, err = s.rank(ctx, d.Order, nil)
		return err
	})
	return out, err
}

// rank lists eligible staff for o who are free for its window, minus exclude, best first.
func (s *Service) rank(ctx context.Context, o booking.Order, exclude map[uuid.UUID]bool) ([]Candidate, error) {
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return nil, err
	}
	el, err := s.roster.Eligible(ctx, staff.EligibleQuery{ServiceID: o.ServiceID, At: o.Location, Start: o.Start, End: o.End, Limit: MaxCandidates})
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(el))
	for _, c := range el {
		if !exclude[c.StaffID] {
			ids = append(ids, c.StaffID)
		}
	}
	if len(ids) == 0 {
		return []Candidate{}, nil
	}
	busy, err := s.repo.Busy(ctx, ids, o.Start.Add(-time.Duration(set.BufferMinutes)*time.Minute), o.End, o.ID)
	if err != nil {
		return nil, err
	}
	loc, err := s.zone(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	ls := o.Start.In(loc)
	dayStart := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, loc)
	load, err := s.repo.Workload(ctx, ids, dayStart, dayStart.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	prev, err := s.repo.Previous(ctx, o.CustomerID, ids, o.ID)
	if err != nil {
		return nil, err
	}
	required, err := s.repo.RequiredRank(ctx, o.ServiceID)
	if err != nil {
		return nil, err
	}
	ratings := map[uuid.UUID]float64{}
	if s.ratings != nil {
		if ratings, err = s.ratings.Of(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]Candidate, 0, len(ids))
	for _, c := range el {
		if exclude[c.StaffID] || busy[c.StaffID] {
			continue
		}
		r, ok := ratings[c.StaffID]
		if !ok || r <= 0 {
			r = NeutralRating
		}
		cand := Candidate{StaffID: c.StaffID, UserID: c.UserID, StoreID: c.StoreID, DisplayName: c.DisplayName, BadgeNo: c.BadgeNo,
			DistanceM: c.DistanceM, LevelRank: c.LevelRank, Rating: r, Workload: load[c.StaffID],
			Preferred: o.PreferredStaffID != uuid.Nil && o.PreferredStaffID == c.StaffID, Previous: prev[c.StaffID]}
		cand.Score, cand.Reasons = Score(ScoreInput{DistanceM: c.DistanceM, LevelRank: c.LevelRank, RequiredRank: required, Rating: r,
			Workload: cand.Workload, Preferred: cand.Preferred, Previous: cand.Previous})
		out = append(out, cand)
	}
	Sort(out)
	return out, nil
}

// zone is the time zone "today's workload" counts in: the store's, else the tenant's (which
// requests and jobs alike carry in their context).
func (s *Service) zone(ctx context.Context, storeID uuid.UUID) (*time.Location, error) {
	name, err := s.repo.StoreZone(ctx, storeID)
	if err != nil {
		return nil, err
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, errors.New("dispatch: no tenant in the context")
	}
	return t.Location(), nil
}

// Sort orders candidates best first: score, then distance, then id (deterministic).
func Sort(cs []Candidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.DistanceM != b.DistanceM {
			return a.DistanceM < b.DistanceM
		}
		return strings.Compare(a.StaffID.String(), b.StaffID.String()) < 0
	})
}

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

// Offer opens the order pool: offers to the top N candidates (the store's pool size), each
// expiring after the tenant's accept timeout.
func (s *Service) Offer(ctx context.Context, orderID uuid.UUID) ([]Offer, error) {
	var out []Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.openOrder(ctx, orderID)
		if err != nil {
			return err
		}
		out, err = s.offer(system(ctx), o)
		return err
	})
	return out, err
}

func (s *Service) offer(ctx context.Context, o booking.Order) ([]Offer, error) {
	now := s.clock.Now()
	if n, err := s.repo.OpenOffers(ctx, o.ID, now); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, ErrOffersOpen
	}
	ds, err := s.orders.DispatchSettings(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return nil, err
	}
	ex, err := s.repo.Excluded(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	offered, err := s.repo.Offered(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	for id := range offered {
		ex[id] = true // each round goes to staff not offered before
	}
	round, err := s.repo.LastRound(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	round++
	cands, err := s.rank(ctx, o, ex)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, ErrNoCandidates
	}
	size := max(ds.PoolSize, 1)
	if len(cands) > size {
		cands = cands[:size]
	}
	exp := now.Add(time.Duration(set.AcceptTimeoutMinutes) * time.Minute)
	out := make([]Offer, len(cands))
	for i, c := range cands {
		out[i] = Offer{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, StaffID: c.StaffID, Kind: KindPool, Status: OfferOffered,
			Score: c.Score, Rank: i + 1, Round: round, ExpiresAt: exp, CreatedAt: now}
	}
	if err := s.repo.InsertOffers(ctx, out); err != nil {
		return nil, err
	}
	for _, off := range out {
		if err := s.orders.TellOffer(ctx, o, off.StaffID, set.AcceptTimeoutMinutes); err != nil {
			return nil, err
		}
	}
	if err := s.repo.Unflag(ctx, o.ID); err != nil {
		return nil, err
	}
	if s.outbox != nil {
		if _, err := s.outbox.Add(ctx, &PoolRoundPayload{OrderID: o.ID, Round: round}, jobs.ProcessAt(exp)); err != nil {
			return nil, fmt.Errorf("dispatch: schedule pool round expiry: %w", err)
		}
	}
	return out, nil
}

// mine returns one of the calling staff member's pool offers; anyone else's is not found.
func (s *Service) mine(ctx context.Context, offerID uuid.UUID) (Offer, uuid.UUID, error) {
	me, err := s.self.MyStaffID(ctx)
	if err != nil {
		return Offer{}, uuid.Nil, err
	}
	off, err := s.repo.GetOffer(ctx, offerID)
	if errs.KindOf(err) == errs.NotFound || (err == nil && (off.StaffID != me || off.Kind != KindPool)) {
		return Offer{}, uuid.Nil, ErrOfferNotFound
	}
	return off, me, err
}

// TakeOffer is a staff member taking one of their pool offers: the first wins the order
// (assigned to them and accepted, in one transaction); everyone later gets 409 offer_taken.
// Takers queue on the order's row lock, and the unique index on accepted offers backs it up.
func (s *Service) TakeOffer(ctx context.Context, offerID uuid.UUID) (Offer, booking.Order, error) {
	var off Offer
	var o booking.Order
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		var me uuid.UUID
		if off, me, err = s.mine(ctx, offerID); err != nil {
			return err
		}
		if err := s.repo.LockOrder(ctx, off.OrderID); err != nil {
			return err
		}
		now := s.clock.Now()
		ok, err := s.repo.TakeOffer(ctx, off.ID, now)
		if dbx.IsConstraint(err, "dispatch_offers_one_accepted") {
			return ErrOfferTaken
		}
		if err != nil {
			return err
		}
		if !ok {
			if off, err = s.repo.GetOffer(ctx, offerID); err != nil {
				return err
			}
			return closedErr(off, now)
		}
		sys := system(ctx)
		if _, err := s.orders.Assign(sys, off.OrderID, me); err != nil {
			if booking.IsIllegal(err) {
				return ErrOfferTaken // assigned some other way meanwhile
			}
			return err
		}
		if o, err = s.orders.Accept(sys, off.OrderID); err != nil {
			return err
		}
		if err := s.repo.CloseOthers(ctx, off.OrderID, off.ID, now); err != nil {
			return err
		}
		off.Status, off.DecidedAt = OfferAccepted, &now
		return nil
	})
	return off, o, err
}

func closedErr(off Offer, now time.Time) error {
	switch {
	case off.Status == OfferOffered && !off.ExpiresAt.After(now), off.Status == OfferExpired:
		return ErrOfferExpired
	case off.Status == OfferDeclined:
		return ErrOfferClosed
	}
	return ErrOfferTaken
}

// DeclineOffer is a staff member turning down one of their open pool offers.
func (s *Service) DeclineOffer(ctx context.Context, offerID uuid.UUID) (Offer, error) {
	var off Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if off, _, err = s.mine(ctx, offerID); err != nil {
			return err
		}
		now := s.clock.Now()
		if off.Status == OfferOffered && off.ExpiresAt.After(now) {
			ok, err := s.repo.SetStatus(ctx, off.ID, OfferOffered, OfferDeclined, now)
			if err != nil {
				return err
			}
			if ok {
				off.Status, off.DecidedAt = OfferDeclined, &now
				return s.roundOverIfNoneOpen(ctx, off, now)
			}
			if off, err = s.repo.GetOffer(ctx, offerID); err != nil {
				return err
			}
		}
		return closedErr(off, now)
	})
	return off, err
}

// roundOverIfNoneOpen ends a pool round early when its last open offer was declined: the
// round's expiry task is enqueued now, so the next round goes out at once.
func (s *Service) roundOverIfNoneOpen(ctx context.Context, off Offer, now time.Time) error {
	n, err := s.repo.OpenOffers(ctx, off.OrderID, now)
	if err != nil || n > 0 || s.outbox == nil {
		return err
	}
	_, err = s.outbox.Add(ctx, &PoolRoundPayload{OrderID: off.OrderID, Round: max(off.Round, 1)})
	return err
}

// MyOffers lists the calling staff member's pool offers of the last day, newest first, with
// their status (taken: someone else won the order).
func (s *Service) MyOffers(ctx context.Context) ([]Offer, error) {
	var out []Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		me, err := s.self.MyStaffID(ctx)
		if err != nil {
			return err
		}
		out, err = s.repo.StaffOffers(ctx, me, s.clock.Now().Add(-24*time.Hour))
		return err
	})
	return out, err
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

// PoolRoundOver handles TypePoolRound: when a pool round ends (its offers expired, or the
// last open one was declined) and the order still waits, the round's open offers expire and
// the next pool_size staff not yet offered get it, until the store's pool_rounds have gone
// by; then, or when nobody is left, the order is flagged at risk. A stale task (a later
// round exists, the order was taken) does nothing.
func (s *Service) PoolRoundOver(ctx context.Context, p PoolRoundPayload) error {
	ctx = system(ctx)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		d, ok, err := s.taskOrder(ctx, p.OrderID, waitsForStaff)
		if !ok {
			return err
		}
		last, err := s.repo.LastRound(ctx, p.OrderID)
		if err != nil || last != p.Round {
			return err
		}
		now := s.clock.Now()
		if _, err := s.repo.ExpireRound(ctx, p.OrderID, p.Round, now); err != nil {
			return err
		}
		ds, err := s.orders.DispatchSettings(ctx, d.StoreID)
		if err != nil {
			return err
		}
		rounds := ds.PoolRounds
		if rounds <= 0 {
			rounds = booking.DefaultPoolRounds
		}
		if p.Round >= rounds {
			return s.repo.Flag(ctx, p.OrderID, FlagPoolExhausted, p.Round, now)
		}
		_, err = s.offer(ctx, d.Order)
		switch {
		case errors.Is(err, ErrOffersOpen):
			return nil
		case errors.Is(err, ErrNoCandidates):
			return s.repo.Flag(ctx, p.OrderID, FlagNoCandidates, p.Round, now)
		}
		return err
	})
}

// MaxAutoAttempts bounds reassignments after accept timeouts.
const MaxAutoAttempts = 10

// autoAssign gives the locked, confirmed order to the best candidate not yet tried and
// schedules the accept timeout.
func (s *Service) autoAssign(ctx context.Context, o booking.Order, attempt int) (booking.Order, error) {
	ex, err := s.repo.Excluded(ctx, o.ID)
	if err != nil {
		return o, err
	}
	cands, err := s.rank(ctx, o, ex)
	if err != nil {
		return o, err
	}
	if len(cands) == 0 {
		return o, ErrNoCandidates
	}
	best := cands[0]
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return o, err
	}
	a, err := s.orders.Assign(ctx, o.ID, best.StaffID)
	if err != nil {
		return o, err
	}
	now := s.clock.Now()
	at := now.Add(time.Duration(set.AcceptTimeoutMinutes) * time.Minute)
	if err := s.repo.InsertOffers(ctx, []Offer{{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, StaffID: best.StaffID, Kind: KindAuto,
		Status: OfferOffered, Score: best.Score, Rank: attempt, Round: 1, ExpiresAt: at, CreatedAt: now}}); err != nil {
		return o, err
	}
	if err := s.repo.Unflag(ctx, o.ID); err != nil {
		return o, err
	}
	if s.outbox != nil {
		if _, err := s.outbox.Add(ctx, &AcceptTimeoutPayload{OrderID: o.ID, StaffID: best.StaffID, Attempt: attempt}, jobs.ProcessAt(at)); err != nil {
			return o, fmt.Errorf("dispatch: schedule accept timeout: %w", err)
		}
	}
	return a, nil
}

// AcceptTimeout handles a dispatch:accept_timeout: if the order is still assigned (not
// accepted) to that staff member under the auto offer this task timed, it is released
// ("accept timeout"), the offer expires and the next candidate not yet tried gets it. Anything
// else means it was settled: nothing to do. The open offer is what makes a second run of the
// same task (the outbox hands an unfinished task over again) a no-op even when the order has
// come back to the same staff member by hand since.
func (s *Service) AcceptTimeout(ctx context.Context, p AcceptTimeoutPayload) error {
	ctx = system(ctx)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, ok, err := s.taskOrder(ctx, p.OrderID, func(d booking.Detail) bool {
			return d.Status == booking.Assigned && d.Assignment != nil && d.Assignment.StaffID == p.StaffID
		})
		if !ok {
			return err
		}
		if open, err := s.repo.ExpireAuto(ctx, p.OrderID, p.StaffID, s.clock.Now()); err != nil || !open {
			return err
		}
		o, err := s.orders.Unassign(ctx, p.OrderID, "accept timeout")
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if p.Attempt >= MaxAutoAttempts {
			return s.repo.Flag(ctx, p.OrderID, FlagAutoExhausted, 0, now)
		}
		_, err = s.autoAssign(ctx, o, p.Attempt+1)
		if errors.Is(err, ErrNoCandidates) {
			return s.repo.Flag(ctx, p.OrderID, FlagNoCandidates, 0, now) // left for the dispatcher, on the board
		}
		return err
	})
}

// lastStaff is who holds the order now (uuid.Nil if nobody or unknown).
func (s *Service) lastStaff(ctx context.Context, o booking.Order) uuid.UUID {
	d, err := s.orders.Get(system(ctx), o.ID)
	if err != nil || d.Assignment == nil {
		return uuid.Nil
	}
	return d.Assignment.StaffID
}
