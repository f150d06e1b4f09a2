// Package booking owns orders: creating them from quotes (with idempotency keys and per-tenant
// order numbers), their lifecycle as an explicit state machine with an event row for every
// transition, staff assignments that can never overlap (the database's exclusion constraint
// decides), completion reports with extra items the customer approves, acceptance by code or
// signature (or automatically after a tenant-set delay), cancellation and rescheduling rules,
// the tenant's booking settings and the lists customers, staff and stores read.
package booking

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// FarFromAddressMeters is how far from the address a check-in may be before it is flagged.
const FarFromAddressMeters = 500

// Contact is who to call about the visit.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Property describes the place to be served.
type Property struct {
	AreaSqm  float64 `json:"area_sqm,omitempty"`
	Layout   string  `json:"layout,omitempty"` // e.g. "2室1厅"
	Floor    int     `json:"floor,omitempty"`
	Elevator bool    `json:"elevator,omitempty"`
}

// SpecialNotes are what staff must know before they arrive.
type SpecialNotes struct {
	Pets          string `json:"pets,omitempty"`
	Allergies     string `json:"allergies,omitempty"`
	AvoidProducts string `json:"avoid_products,omitempty"`
}

// Order is a booked visit.
type Order struct {
	ID               uuid.UUID
	Number           string
	CustomerID       uuid.UUID
	StoreID          uuid.UUID
	ServiceID        uuid.UUID
	PackageID        uuid.UUID
	QuoteID          uuid.UUID
	SeriesID         uuid.UUID // the recurring series that booked it, if any
	Status           State
	Start, End       time.Time
	Location         geo.Point
	Address          string
	Contact          Contact
	Property         Property
	Notes            SpecialNotes
	CustomerNotes    string
	PreferredStaffID uuid.UUID
	BookedOnBehalfBy string // staff subject, "" for the customer's own booking
	QuotedTotal      int64  // what the quote charged
	Total            int64  // quoted total plus approved extras
	CancelFee        int64
	Currency         string
	CreatedBy        string
	ArrivedAt        *time.Time
	ArrivalLocation  *geo.Point
	ArrivalDistanceM *float64
	CompletedAt      *time.Time
	AcceptanceCode   string // shown to the customer only
	AcceptedVia      string // code, signature or auto
	SignatureURL     string
	AcceptedAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Assignment statuses.
const (
	AssignmentActive   = "active"
	AssignmentReleased = "released"
	AssignmentDone     = "done"
)

// Assignment is a staff member's hold on an order's visit, from the travel buffer before the
// start to the end.
type Assignment struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	StaffID   uuid.UUID
	From, To  time.Time
	Status    string
	CreatedBy string
	CreatedAt time.Time
}

// Event is one row of an order's history.
type Event struct {
	ID       uuid.UUID
	OrderID  uuid.UUID
	Action   string
	From     State
	To       State
	Actor    string
	Reason   string
	Location *geo.Point
	Data     map[string]any
	At       time.Time
}

// Extra item statuses.
const (
	ExtraProposed = "proposed"
	ExtraApproved = "approved"
	ExtraDeclined = "declined"
)

// Extra is an item found on site, charged only once the customer approves it.
type Extra struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	Name      string
	Price     int64
	Status    string
	CreatedBy string
	CreatedAt time.Time
	DecidedAt *time.Time
}

// CheckItem is one checklist line of a report.
type CheckItem struct {
	Item string `json:"item"`
	Done bool   `json:"done"`
}

// Report is a completion report.
type Report struct {
	ID          uuid.UUID
	OrderID     uuid.UUID
	Checklist   []CheckItem
	Photos      []string
	Notes       string
	SubmittedBy string
	SubmittedAt time.Time
}

// StaffCard is what a customer sees of the staff member coming to the door (F4.3).
type StaffCard struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	StoreID     uuid.UUID
	DisplayName string
	PhotoURL    string
	BadgeNo     string
	Active      bool
}

// Detail is an order with what its views show.
type Detail struct {
	Order
	Assignment *Assignment
	Staff      *StaffCard
	Extras     []Extra
	Reports    []Report
	// On the way only (F4.4): the staff member's last reported position and the minutes from
	// there to the address at the tenant's travel speed; nil while no position is known.
	StaffLocation *geo.Point
	StaffSeenAt   *time.Time
	ETAMinutes    *int
}

// Filter narrows store order lists. The Only* fields are the data scope, set by the service.
type Filter struct {
	Statuses   []State
	From, To   *time.Time // starts_at window
	StaffID    uuid.UUID
	ServiceID  uuid.UUID
	StoreID    uuid.UUID
	CustomerID uuid.UUID
	OrderID    uuid.UUID

	OnlyStore      uuid.UUID
	OnlyFranchisee uuid.UUID
	OnlyStaff      uuid.UUID // orders with an active or done assignment of this staff member
	Desc           bool
}

// Settings are a tenant's booking rules.
type Settings struct {
	SlotMinutes          int
	TravelKmh            int
	BufferMinutes        int
	PaymentMode          string // prepay, deposit, pay_after
	FreeCancelHours      int
	CancelFeeBP          int
	AutoAcceptHours      int
	AcceptTimeoutMinutes int
	AutoReviewDays       *int
	ReworkDays           int
	UpdatedAt            time.Time
}

// DefaultSettings are the schema's defaults, used while a tenant has no row.
func DefaultSettings() Settings {
	return Settings{SlotMinutes: 30, TravelKmh: 20, BufferMinutes: 15, PaymentMode: "pay_after", FreeCancelHours: 24,
		CancelFeeBP: 2000, AutoAcceptHours: 48, AcceptTimeoutMinutes: 10, ReworkDays: 7}
}

func (s Settings) validate() error {
	var v errs.Validation
	v.Check(map[int]bool{5: true, 10: true, 15: true, 20: true, 30: true, 60: true}[s.SlotMinutes], "slot_minutes", "5, 10, 15, 20, 30 or 60")
	v.Check(s.TravelKmh >= 1 && s.TravelKmh <= 200, "travel_kmh", "1 to 200")
	v.Check(s.BufferMinutes >= 0 && s.BufferMinutes <= 240, "buffer_minutes", "0 to 240")
	v.Check(s.PaymentMode == "prepay" || s.PaymentMode == "deposit" || s.PaymentMode == "pay_after", "payment_mode", "prepay, deposit or pay_after")
	v.Check(s.FreeCancelHours >= 0 && s.FreeCancelHours <= 720, "free_cancel_hours", "0 to 720")
	v.Check(s.CancelFeeBP >= 0 && s.CancelFeeBP <= 10000, "cancel_fee_bp", "0 to 10000")
	v.Check(s.AutoAcceptHours >= 1 && s.AutoAcceptHours <= 720, "auto_accept_hours", "1 to 720")
	v.Check(s.AcceptTimeoutMinutes >= 1 && s.AcceptTimeoutMinutes <= 1440, "accept_timeout_minutes", "1 to 1440")
	v.Check(s.AutoReviewDays == nil || (*s.AutoReviewDays >= 1 && *s.AutoReviewDays <= 90), "auto_review_days", "1 to 90")
	v.Check(s.ReworkDays >= 0 && s.ReworkDays <= 90, "rework_days", "0 to 90")
	return v.Err()
}

// DispatchSettings are a store's dispatch mode.
type DispatchSettings struct {
	StoreID    uuid.UUID
	Mode       string // manual, pool, auto
	PoolSize   int
	PoolRounds int // pool mode: offer rounds before the order is flagged at risk (0: DefaultPoolRounds)
	UpdatedAt  time.Time
}

// DefaultPoolRounds is the schema's default of store_dispatch_settings.pool_rounds.
const DefaultPoolRounds = 3

// Repo persists orders and everything hanging off them. Get with lock takes the row lock
// (select … for update) that every transition holds.
type Repo interface {
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, s Settings) error
	DispatchSettings(ctx context.Context, storeID uuid.UUID) (DispatchSettings, error)
	SaveDispatchSettings(ctx context.Context, d DispatchSettings) error

	NextNumber(ctx context.Context, day time.Time) (int, error)
	Create(ctx context.Context, o Order) error
	Get(ctx context.Context, id uuid.UUID, lock bool) (Order, error)
	Save(ctx context.Context, o Order) error
	List(ctx context.Context, f Filter, p page.Request) (page.Result[Order], error)

	AddEvent(ctx context.Context, e Event) error
	Events(ctx context.Context, orderID uuid.UUID) ([]Event, error)

	ActiveAssignment(ctx context.Context, orderID uuid.UUID) (*Assignment, error)
	// InsertAssignment and MoveAssignment fail with ErrStaffBusy when the window overlaps
	// another active assignment of the staff member.
	InsertAssignment(ctx context.Context, a Assignment) error
	MoveAssignment(ctx context.Context, id uuid.UUID, from, to time.Time) error
	EndAssignment(ctx context.Context, id uuid.UUID, status string, at time.Time) error

	AddReport(ctx context.Context, r Report) error
	Reports(ctx context.Context, orderID uuid.UUID) ([]Report, error)
	AddExtra(ctx context.Context, x Extra) error
	Extras(ctx context.Context, orderID uuid.UUID) ([]Extra, error)
	SaveExtra(ctx context.Context, x Extra) error

	// ClaimKey records an idempotency key for subject, or returns the stored one (found) when
	// it exists; a concurrent claim waits for the first transaction to end.
	ClaimKey(ctx context.Context, subject, key, hash string) (stored StoredResponse, found bool, err error)
	SaveKey(ctx context.Context, subject, key string, status int, body []byte) error

	CreateSeries(ctx context.Context, sr Series) error
	GetSeries(ctx context.Context, id uuid.UUID, lock bool) (Series, error)
	SaveSeries(ctx context.Context, sr Series) error
	ListSeries(ctx context.Context, customerID uuid.UUID) ([]Series, error)
	DueSeries(ctx context.Context, until time.Time) ([]uuid.UUID, error)
	// Savepoint runs fn so that its failure undoes only fn's writes.
	Savepoint(ctx context.Context, fn func(ctx context.Context) error) error
}

// StoredResponse is what an idempotency key remembers.
type StoredResponse struct {
	RequestHash string
	Status      int
	Body        []byte
}

// distanceMeters is the great-circle distance between two points.
func distanceMeters(a, b geo.Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}
