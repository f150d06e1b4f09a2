package booking

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/jobs"
	"doorstep/tenant"
)

// Errors with stable codes (docs/problems.md, "Booking").
var (
	ErrOrderNotFound     = errs.New(errs.NotFound, "order_not_found", "no such order")
	ErrStaffBusy         = errs.New(errs.Conflict, "staff_busy", "the staff member already has a visit overlapping this one")
	ErrKeyReused         = errs.New(errs.Invalid, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
	ErrKeyInFlight       = errs.New(errs.Conflict, "idempotency_key_in_flight", "a request with this Idempotency-Key is still being processed")
	ErrWrongCode         = errs.New(errs.Invalid, "acceptance_code_wrong", "the acceptance code is wrong")
	ErrReworkClosed      = errs.New(errs.Conflict, "rework_window_closed", "rework can no longer be requested for this order")
	ErrExtraNotFound     = errs.New(errs.NotFound, "extra_not_found", "no such extra item on this order")
	ErrExtraDecided      = errs.New(errs.Conflict, "extra_already_decided", "this extra item has already been approved or declined")
	ErrExtrasPending     = errs.New(errs.Conflict, "extras_pending", "the customer must approve or decline the extra items first")
	ErrQuoteNotYours     = errs.New(errs.Invalid, "quote_customer_mismatch", "the quote was made for another customer")
	ErrStaffNotAvailable = errs.New(errs.Invalid, "staff_not_available", "the staff member does not exist or is not active")
	ErrNoStaffProfile    = errs.New(errs.Forbidden, "no_staff_profile", "your account has no staff profile")
)

// Quotes is what booking needs from pricing: take a quote inside the booking's transaction.
type Quotes interface {
	UseQuote(ctx context.Context, id uuid.UUID) (pricing.Quote, error)
	Quote(ctx context.Context, req pricing.QuoteRequest) (pricing.Quote, error) // recurring occurrences
}

// Catalog tells how long a visit lasts: the package's duration plus its add-ons' (times
// their quantity), and the package's service.
type Catalog interface {
	VisitLength(ctx context.Context, packageID, storeID uuid.UUID, addOns []pricing.AddOnChoice) (serviceID uuid.UUID, minutes int, err error)
}

// Slots confirms a chosen start: someone eligible is free for the whole visit (travel from
// their previous job included), or, when staffID is set, that staff member is, and capacity
// remains once the orders not yet assigned are counted. Unavailable is a 409 slot_unavailable;
// a start off the tenant's grid or too soon is a 422. It locks the eligible staff to the end of
// the caller's transaction (docs/capacity.md), so the caller writes the order in it.
type Slots interface {
	Check(ctx context.Context, c SlotCheck) error
}

// SlotCheck is a chosen start to confirm, with what the quote already settled: the store that
// serves the address and prices the visit, the service and the visit's length.
type SlotCheck struct {
	PackageID          uuid.UUID
	AddOns             []pricing.AddOnChoice
	At                 geo.Point
	Start              time.Time
	StaffID            uuid.UUID // optional: only this staff member
	StoreID, ServiceID uuid.UUID
	Minutes            int
	// Moving is the order being rescheduled: its own hold or assignment at its old time is
	// not counted against the new start.
	Moving uuid.UUID
}

// Staff is the roster as booking needs it. Card ignores the caller's data scope (a customer
// sees who is coming); Mine is the caller's own profile.
type Staff interface {
	Card(ctx context.Context, staffID uuid.UUID) (StaffCard, error)
	Mine(ctx context.Context) (StaffCard, error)
}

// Stores tells which franchisee runs a store (franchisee data scope).
type Stores interface {
	FranchiseeOf(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error)
}

// Deps are the service's collaborators.
type Deps struct {
	DB      *dbx.DB
	Repo    Repo
	Quotes  Quotes
	Catalog Catalog
	Staff   Staff
	Stores  Stores
	Outbox  *jobs.Outbox
	Slots   Slots       // nil: starts are not checked against availability (store tests)
	Clock   clock.Clock // nil: the system clock
	Notify  Notifier    // nil: no order notifications (store tests)
	// Dispatch hears of orders waiting for staff (nil: nobody; see SetDispatcher).
	Dispatch Dispatcher
}

// Dispatcher hears, inside the transaction of the change, that an order now waits for a staff
// member: created or payment-confirmed without one, or declined by the one it had. Wiring hands
// in dispatch, which enqueues its own task in the same transaction (the outbox), so dispatching
// follows exactly the changes that commit, and booking never imports dispatch.
type Dispatcher interface {
	OrderWaiting(ctx context.Context, w Waiting) error
}

// Waiting is an order that waits for a staff member, and why.
type Waiting struct {
	OrderID uuid.UUID
	StoreID uuid.UUID
	Cause   string    // WaitingCreated, WaitingPaid, WaitingDeclined
	StaffID uuid.UUID // WaitingDeclined: who declined
}

// Causes of Waiting.
const (
	WaitingCreated  = "created"
	WaitingPaid     = "payment_confirmed"
	WaitingDeclined = "declined"
)

// Service runs bookings and the order lifecycle.
type Service struct {
	completed CompletionHook // commission hears of completed orders (nil: nobody)
	cancelled CancelHook     // payment hears of cancelled orders (nil: nobody)

	db       *dbx.DB
	repo     Repo
	quotes   Quotes
	catalog  Catalog
	staff    Staff
	stores   Stores
	outbox   *jobs.Outbox
	slots    Slots
	clock    clock.Clock
	notifier Notifier
	dispatch Dispatcher
}

// NewService wires the booking service.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	return &Service{db: d.DB, repo: d.Repo, quotes: d.Quotes, catalog: d.Catalog, staff: d.Staff, stores: d.Stores, outbox: d.Outbox, slots: d.Slots, clock: d.Clock, notifier: d.Notify, dispatch: d.Dispatch}
}

// SetDispatcher plugs in dispatch (wiring, before serving; dispatch is built after booking).
func (s *Service) SetDispatcher(d Dispatcher) { s.dispatch = d }

// waiting tells the dispatcher, if any, that o waits for staff.
func (s *Service) waiting(ctx context.Context, o Order, cause string, staffID uuid.UUID) error {
	if s.dispatch == nil || o.Status != Confirmed {
		return nil
	}
	return s.dispatch.OrderWaiting(ctx, Waiting{OrderID: o.ID, StoreID: o.StoreID, Cause: cause, StaffID: staffID})
}

// NewOrder is a booking request. CustomerID is required for staff booking on a customer's
// behalf and ignored for customers (their own id is used). StaffID assigns directly (staff
// bookings only); PreferredStaffID is only remembered.
type NewOrder struct {
	QuoteID          uuid.UUID
	CustomerID       uuid.UUID
	Address          string
	Contact          Contact
	Property         Property
	Notes            SpecialNotes
	CustomerNotes    string
	PreferredStaffID uuid.UUID
	StaffID          uuid.UUID
}

func (n NewOrder) validate() error {
	var v errs.Validation
	v.Check(n.QuoteID != uuid.Nil, "quote_id", "required")
	addr := strings.TrimSpace(n.Address)
	v.Check(len([]rune(addr)) >= 1 && len([]rune(addr)) <= 500, "address", "1 to 500 characters")
	v.Check(len([]rune(n.Contact.Name)) <= 100, "contact.name", "at most 100 characters")
	v.Check(len(n.Contact.Phone) <= 32, "contact.phone", "at most 32 characters")
	v.Check(len([]rune(n.CustomerNotes)) <= 2000, "customer_notes", "at most 2000 characters")
	for f, s := range map[string]string{"notes.pets": n.Notes.Pets, "notes.allergies": n.Notes.Allergies, "notes.avoid_products": n.Notes.AvoidProducts, "property.layout": n.Property.Layout} {
		v.Check(len([]rune(s)) <= 500, f, "at most 500 characters")
	}
	v.Check(n.Property.AreaSqm >= 0 && n.Property.AreaSqm <= 100000, "property.area_sqm", "0 to 100000")
	v.Check(n.Property.Floor >= -10 && n.Property.Floor <= 200, "property.floor", "-10 to 200")
	return v.Err()
}

// Create books a visit from a valid quote, in one transaction: the quote is used (so the order
// charges exactly the quoted total), the visit's end follows from the package and add-on
// durations, the order number is taken, the first event is written and, when staff named a
// staff member, the assignment is made.
func (s *Service) Create(ctx context.Context, n NewOrder) (Order, error) {
	return s.create(ctx, n, uuid.Nil)
}

func (s *Service) create(ctx context.Context, n NewOrder, seriesID uuid.UUID) (Order, error) {
	p, ok := auth.FromContext(ctx)
	t, tok := tenant.FromContext(ctx)
	if !tok {
		return Order{}, tenant.ErrNotFound
	}
	isCustomer := ok && p.Kind == auth.Customer
	if isCustomer {
		n.CustomerID = p.SubjectID
		n.StaffID = uuid.Nil
	}
	if err := n.validate(); err != nil {
		return Order{}, err
	}
	if !isCustomer && n.CustomerID == uuid.Nil {
		return Order{}, errs.InvalidFields(errs.Field("customer_id", "required when booking on a customer's behalf"))
	}
	var o Order
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		q, err := s.quotes.UseQuote(ctx, n.QuoteID)
		if err != nil {
			return err
		}
		if q.CustomerID != uuid.Nil && q.CustomerID != n.CustomerID {
			return ErrQuoteNotYours
		}
		serviceID, minutes, err := s.catalog.VisitLength(ctx, q.PackageID, q.StoreID, q.Request.AddOns)
		if err != nil {
			return err
		}
		if !isCustomer {
			if err := s.checkStoreScope(ctx, q.StoreID); err != nil {
				return err
			}
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if !q.Start.After(now) {
			return errs.InvalidFields(errs.Field("quote_id", "the quoted start has passed"))
		}
		if s.slots != nil {
			if err := s.slots.Check(ctx, SlotCheck{PackageID: q.PackageID, AddOns: q.Request.AddOns, At: q.Location, Start: q.Start, StaffID: n.StaffID,
				StoreID: q.StoreID, ServiceID: serviceID, Minutes: minutes}); err != nil {
				return err
			}
		}
		num, err := s.repo.NextNumber(ctx, now.In(t.Location()))
		if err != nil {
			return err
		}
		o = Order{ID: uuid.Must(uuid.NewV7()), Number: orderNumber(t, now, num), CustomerID: n.CustomerID, StoreID: q.StoreID,
			ServiceID: serviceID, PackageID: q.PackageID, QuoteID: q.ID, Status: Confirmed, Start: q.Start,
			End: q.Start.Add(time.Duration(max(minutes, 1)) * time.Minute), Location: q.Location, Address: strings.TrimSpace(n.Address),
			Contact: n.Contact, Property: n.Property, Notes: n.Notes, CustomerNotes: n.CustomerNotes, PreferredStaffID: n.PreferredStaffID,
			SeriesID: seriesID, QuotedTotal: q.Breakdown.Total, Total: q.Breakdown.Total, Currency: q.Breakdown.Currency, CreatedBy: auth.Subject(ctx),
			CreatedAt: now, UpdatedAt: now}
		if o.Currency == "" {
			o.Currency = t.Currency
		}
		if o.PreferredStaffID == uuid.Nil {
			// The staff member priced in the quote, or the one named for direct assignment.
			o.PreferredStaffID = q.Request.StaffID
			if o.PreferredStaffID == uuid.Nil {
				o.PreferredStaffID = n.StaffID
			}
		}
		if !isCustomer {
			o.BookedOnBehalfBy = auth.Subject(ctx)
		}
		if set.PaymentMode != "pay_after" {
			o.Status = PendingPayment
		}
		if err := s.repo.Create(ctx, o); err != nil {
			return mapCreateErr(err)
		}
		if err := s.repo.AddEvent(ctx, Event{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, Action: "create", To: o.Status, Actor: auth.Subject(ctx),
			Data: map[string]any{"total": o.Total, "payment_mode": set.PaymentMode}, At: now}); err != nil {
			return err
		}
		if n.StaffID != uuid.Nil && o.Status == Confirmed {
			if o, err = s.assignLocked(ctx, o, n.StaffID, set, ""); err != nil {
				return err
			}
		}
		if err := s.waiting(ctx, o, WaitingCreated, uuid.Nil); err != nil {
			return err
		}
		return s.announceCreate(ctx, o, n.StaffID, now)
	})
	return o, err
}

func mapCreateErr(err error) error {
	switch {
	case dbx.IsConstraint(err, "orders_customer_fk"):
		return errs.InvalidFields(errs.Field("customer_id", "no such customer"))
	case dbx.IsConstraint(err, "orders_quote_key"):
		return pricing.ErrQuoteUsed
	}
	return dbx.Err(err)
}

// orderNumber is the tenant's prefix (two letters of its slug), the local date and a daily
// sequence: JJ20261123-0007.
func orderNumber(t *tenant.Tenant, now time.Time, n int) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(t.Slug) {
		if b.Len() == 2 {
			break
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	for b.Len() < 2 {
		b.WriteByte('X')
	}
	return fmt.Sprintf("%s%s-%04d", b.String(), now.In(t.Location()).Format("20060102"), n)
}

// Idempotent runs fn once per (caller, key): the response fn renders is stored in the same
// transaction, so a retry gets the same status and body, a concurrent duplicate waits for the
// first and then gets its response, and a reuse with a different request hash is a 422. A
// failed fn stores nothing (the client may retry the key).
func (s *Service) Idempotent(ctx context.Context, key, requestHash string, fn func(ctx context.Context) (int, []byte, error)) (int, []byte, bool, error) {
	if key == "" {
		st, body, err := fn(ctx)
		return st, body, false, err
	}
	var status int
	var body []byte
	replay := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		sub := auth.Subject(ctx)
		stored, found, err := s.repo.ClaimKey(ctx, sub, key, requestHash)
		if err != nil {
			return err
		}
		if found {
			if stored.RequestHash != requestHash {
				return ErrKeyReused
			}
			if stored.Status == 0 {
				return ErrKeyInFlight
			}
			status, body, replay = stored.Status, stored.Body, true
			return nil
		}
		if status, body, err = fn(ctx); err != nil {
			return err
		}
		return s.repo.SaveKey(ctx, sub, key, status, body)
	})
	return status, body, replay, err
}

// Settings returns the tenant's booking settings (defaults while none are saved).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Settings(ctx)
		return err
	})
	return out, err
}

// SetSettings replaces the tenant's booking settings (HQ only).
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	if err := in.validate(); err != nil {
		return Settings{}, err
	}
	if sc, _, _ := scopeOf(ctx); sc != auth.ScopeTenant {
		return Settings{}, errs.New(errs.Forbidden, "out_of_scope", "only head office may change booking settings")
	}
	in.UpdatedAt = s.clock.Now()
	return in, s.db.InTx(ctx, func(ctx context.Context) error { return s.repo.SaveSettings(ctx, in) })
}

// DispatchSettings returns a store's dispatch settings (manual until set).
func (s *Service) DispatchSettings(ctx context.Context, storeID uuid.UUID) (DispatchSettings, error) {
	var out DispatchSettings
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkStoreScope(ctx, storeID); err != nil {
			return err
		}
		var err error
		out, err = s.repo.DispatchSettings(ctx, storeID)
		return err
	})
	return out, err
}

// SetDispatchSettings sets a store's dispatch mode.
func (s *Service) SetDispatchSettings(ctx context.Context, d DispatchSettings) (DispatchSettings, error) {
	var v errs.Validation
	v.Check(d.Mode == "manual" || d.Mode == "pool" || d.Mode == "auto", "mode", "manual, pool or auto")
	v.Check(d.PoolSize >= 1 && d.PoolSize <= 100, "pool_size", "1 to 100")
	if d.PoolRounds == 0 {
		d.PoolRounds = DefaultPoolRounds
	}
	v.Check(d.PoolRounds >= 1 && d.PoolRounds <= 20, "pool_rounds", "1 to 20")
	if err := v.Err(); err != nil {
		return DispatchSettings{}, err
	}
	d.UpdatedAt = s.clock.Now()
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkStoreScope(ctx, d.StoreID); err != nil {
			return err
		}
		return s.repo.SaveDispatchSettings(ctx, d)
	})
	return d, err
}

// ErrStoreNotFound is a store outside the caller's reach.
var ErrStoreNotFound = errs.New(errs.NotFound, "store_not_found", "no such store")

func scopeOf(ctx context.Context) (auth.Scope, uuid.UUID, uuid.UUID) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator {
		return auth.ScopeTenant, uuid.Nil, uuid.Nil
	}
	return p.Scope, p.FranchiseeID, p.StoreID
}

// checkStoreScope refuses a store outside a staff-side caller's data scope.
func (s *Service) checkStoreScope(ctx context.Context, storeID uuid.UUID) error {
	sc, fr, st := scopeOf(ctx)
	switch sc {
	case auth.ScopeTenant:
		if s.stores != nil {
			if _, err := s.stores.FranchiseeOf(ctx, storeID); err != nil {
				return ErrStoreNotFound
			}
		}
		return nil
	case auth.ScopeStore:
		if st != uuid.Nil && st == storeID {
			return nil
		}
	case auth.ScopeFranchisee:
		if fr != uuid.Nil && s.stores != nil {
			if f, err := s.stores.FranchiseeOf(ctx, storeID); err == nil && f == fr {
				return nil
			}
		}
	}
	return ErrStoreNotFound
}

// newCode is a six-digit one-time acceptance code.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}
