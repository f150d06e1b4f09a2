// Package bookingdb stores orders, their events, assignments, reports, extras, idempotency keys
// and booking settings in PostgreSQL/PostGIS.
package bookingdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// Repo implements booking.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ booking.Repo = (*Repo)(nil)

func (r *Repo) conn(ctx context.Context) *gorm.DB { return r.db.Conn(ctx) }

// ---- settings ----

type settingsRow struct {
	SlotMinutes          int
	TravelKmh            int
	BufferMinutes        int
	PaymentMode          string
	FreeCancelHours      int
	CancelFeeBP          int `gorm:"column:cancel_fee_bp"`
	AutoAcceptHours      int
	AcceptTimeoutMinutes int
	AutoReviewDays       *int
	ReworkDays           int
	UpdatedAt            time.Time
}

// Settings returns the tenant's settings or the defaults.
func (r *Repo) Settings(ctx context.Context) (booking.Settings, error) {
	var rows []settingsRow
	if err := r.conn(ctx).Raw(`select slot_minutes, travel_kmh, buffer_minutes, payment_mode, free_cancel_hours, cancel_fee_bp,
		auto_accept_hours, accept_timeout_minutes, auto_review_days, rework_days, updated_at from booking_settings`).Scan(&rows).Error; err != nil {
		return booking.Settings{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.DefaultSettings(), nil
	}
	x := rows[0]
	return booking.Settings{SlotMinutes: x.SlotMinutes, TravelKmh: x.TravelKmh, BufferMinutes: x.BufferMinutes, PaymentMode: x.PaymentMode,
		FreeCancelHours: x.FreeCancelHours, CancelFeeBP: x.CancelFeeBP, AutoAcceptHours: x.AutoAcceptHours,
		AcceptTimeoutMinutes: x.AcceptTimeoutMinutes, AutoReviewDays: x.AutoReviewDays, ReworkDays: x.ReworkDays, UpdatedAt: x.UpdatedAt}, nil
}

// SaveSettings upserts the tenant's settings.
func (r *Repo) SaveSettings(ctx context.Context, s booking.Settings) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into booking_settings (tenant_id, slot_minutes, travel_kmh, buffer_minutes, payment_mode,
		free_cancel_hours, cancel_fee_bp, auto_accept_hours, accept_timeout_minutes, auto_review_days, rework_days, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		on conflict (tenant_id, singleton) do update set slot_minutes = excluded.slot_minutes, travel_kmh = excluded.travel_kmh,
		buffer_minutes = excluded.buffer_minutes, payment_mode = excluded.payment_mode, free_cancel_hours = excluded.free_cancel_hours,
		cancel_fee_bp = excluded.cancel_fee_bp, auto_accept_hours = excluded.auto_accept_hours,
		accept_timeout_minutes = excluded.accept_timeout_minutes, auto_review_days = excluded.auto_review_days,
		rework_days = excluded.rework_days, updated_at = excluded.updated_at`,
		tid, s.SlotMinutes, s.TravelKmh, s.BufferMinutes, s.PaymentMode, s.FreeCancelHours, s.CancelFeeBP, s.AutoAcceptHours,
		s.AcceptTimeoutMinutes, s.AutoReviewDays, s.ReworkDays, s.UpdatedAt).Error)
}

// DispatchSettings returns a store's settings, manual with pool size 5 when unset.
func (r *Repo) DispatchSettings(ctx context.Context, storeID uuid.UUID) (booking.DispatchSettings, error) {
	var rows []struct {
		Mode       string
		PoolSize   int
		PoolRounds int
		UpdatedAt  time.Time
	}
	if err := r.conn(ctx).Raw(`select mode, pool_size, pool_rounds, updated_at from store_dispatch_settings where store_id = ?`, storeID).Scan(&rows).Error; err != nil {
		return booking.DispatchSettings{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.DispatchSettings{StoreID: storeID, Mode: "manual", PoolSize: 5, PoolRounds: booking.DefaultPoolRounds}, nil
	}
	return booking.DispatchSettings{StoreID: storeID, Mode: rows[0].Mode, PoolSize: rows[0].PoolSize, PoolRounds: rows[0].PoolRounds,
		UpdatedAt: rows[0].UpdatedAt}, nil
}

// SaveDispatchSettings upserts a store's settings.
func (r *Repo) SaveDispatchSettings(ctx context.Context, d booking.DispatchSettings) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into store_dispatch_settings (tenant_id, store_id, mode, pool_size, pool_rounds, updated_at) values (?, ?, ?, ?, ?, ?)
		on conflict (tenant_id, store_id) do update set mode = excluded.mode, pool_size = excluded.pool_size,
		  pool_rounds = excluded.pool_rounds, updated_at = excluded.updated_at`,
		tid, d.StoreID, d.Mode, d.PoolSize, d.PoolRounds, d.UpdatedAt).Error)
}

// ---- orders ----

// NextNumber takes the next number of the tenant's local day; concurrent callers queue on
// the counter row, so numbers are unique (gaps are possible when a booking rolls back).
func (r *Repo) NextNumber(ctx context.Context, day time.Time) (int, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = r.conn(ctx).Raw(`insert into order_number_counters (tenant_id, day, last) values (?, ?::date, 1)
		on conflict (tenant_id, day) do update set last = order_number_counters.last + 1 returning last`,
		tid, day.Format(time.DateOnly)).Scan(&n).Error
	return n, dbx.Err(err)
}

type orderRow struct {
	ID               uuid.UUID
	Number           string
	CustomerID       uuid.UUID
	StoreID          uuid.UUID
	ServiceID        uuid.UUID
	PackageID        uuid.UUID
	QuoteID          uuid.UUID
	Status           string
	StartsAt         time.Time
	EndsAt           time.Time
	Lng, Lat         float64
	Address          string
	ContactName      string
	ContactPhone     string
	Property         string
	SpecialNotes     string
	CustomerNotes    string
	PreferredStaffID *uuid.UUID
	BookedOnBehalfBy *string
	QuotedTotal      int64
	Total            int64
	CancelFee        int64
	Currency         string
	CreatedBy        string
	ArrivedAt        *time.Time
	ArrLng, ArrLat   *float64
	ArrivalDistanceM *float64
	CompletedAt      *time.Time
	AcceptanceCode   *string
	AcceptedVia      *string
	SignatureURL     *string
	AcceptedAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SeriesID         *uuid.UUID
}

const orderCols = `o.id, o.number, o.customer_id, o.store_id, o.service_id, o.package_id, o.quote_id, o.status, o.starts_at, o.ends_at,
	st_x(o.location::geometry) as lng, st_y(o.location::geometry) as lat, o.address, o.contact_name, o.contact_phone,
	o.property::text as property, o.special_notes::text as special_notes, o.customer_notes, o.preferred_staff_id, o.booked_on_behalf_by,
	o.quoted_total, o.total, o.cancel_fee, o.currency, o.created_by, o.arrived_at,
	st_x(o.arrival_location::geometry) as arr_lng, st_y(o.arrival_location::geometry) as arr_lat, o.arrival_distance_m,
	o.completed_at, o.acceptance_code, o.accepted_via, o.signature_url, o.accepted_at, o.created_at, o.updated_at, o.series_id`

func toCore(x orderRow) booking.Order {
	o := booking.Order{ID: x.ID, Number: x.Number, CustomerID: x.CustomerID, StoreID: x.StoreID, ServiceID: x.ServiceID,
		PackageID: x.PackageID, QuoteID: x.QuoteID, Status: booking.State(x.Status), Start: x.StartsAt, End: x.EndsAt,
		Location: geo.Point{Lng: x.Lng, Lat: x.Lat}, Address: x.Address, Contact: booking.Contact{Name: x.ContactName, Phone: x.ContactPhone},
		CustomerNotes: x.CustomerNotes, QuotedTotal: x.QuotedTotal, Total: x.Total, CancelFee: x.CancelFee, Currency: x.Currency,
		CreatedBy: x.CreatedBy, ArrivedAt: x.ArrivedAt, ArrivalDistanceM: x.ArrivalDistanceM, CompletedAt: x.CompletedAt,
		AcceptedAt: x.AcceptedAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
	_ = json.Unmarshal([]byte(x.Property), &o.Property)
	_ = json.Unmarshal([]byte(x.SpecialNotes), &o.Notes)
	if x.PreferredStaffID != nil {
		o.PreferredStaffID = *x.PreferredStaffID
	}
	if x.SeriesID != nil {
		o.SeriesID = *x.SeriesID
	}
	o.BookedOnBehalfBy = deref(x.BookedOnBehalfBy)
	o.AcceptanceCode, o.AcceptedVia, o.SignatureURL = deref(x.AcceptanceCode), deref(x.AcceptedVia), deref(x.SignatureURL)
	if x.ArrLng != nil && x.ArrLat != nil {
		o.ArrivalLocation = &geo.Point{Lng: *x.ArrLng, Lat: *x.ArrLat}
	}
	return o
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// Create inserts an order.
func (r *Repo) Create(ctx context.Context, o booking.Order) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return r.conn(ctx).Exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		starts_at, ends_at, location, address, preferred_staff_id, total, currency, created_by, created_at, updated_at,
		contact_name, contact_phone, property, special_notes, customer_notes, booked_on_behalf_by, quoted_total, series_id)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, st_setsrid(st_makepoint(?, ?), 4326)::geography, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?)`,
		tid, o.ID, o.Number, o.CustomerID, o.StoreID, o.ServiceID, o.PackageID, o.QuoteID, string(o.Status), o.Start, o.End,
		o.Location.Lng, o.Location.Lat, o.Address, nullID(o.PreferredStaffID), o.Total, o.Currency, o.CreatedBy, o.CreatedAt, o.UpdatedAt,
		o.Contact.Name, o.Contact.Phone, mustJSON(o.Property), mustJSON(o.Notes), o.CustomerNotes, null(o.BookedOnBehalfBy), o.QuotedTotal, nullID(o.SeriesID)).Error
}

// Get reads one order, locking it for update when lock.
func (r *Repo) Get(ctx context.Context, id uuid.UUID, lock bool) (booking.Order, error) {
	q := `select ` + orderCols + ` from orders o where o.id = ?`
	if lock {
		q += ` for update`
	}
	var rows []orderRow
	if err := r.conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return booking.Order{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.Order{}, booking.ErrOrderNotFound
	}
	return toCore(rows[0]), nil
}

// Save writes an order's mutable columns.
func (r *Repo) Save(ctx context.Context, o booking.Order) error {
	var arrLng, arrLat *float64
	if o.ArrivalLocation != nil {
		arrLng, arrLat = &o.ArrivalLocation.Lng, &o.ArrivalLocation.Lat
	}
	return dbx.Err(r.conn(ctx).Exec(`update orders set status = ?, starts_at = ?, ends_at = ?, total = ?, cancel_fee = ?,
		arrived_at = ?, arrival_location = case when ?::float8 is null then null else st_setsrid(st_makepoint(?::float8, ?::float8), 4326)::geography end,
		arrival_distance_m = ?, completed_at = ?, acceptance_code = ?, accepted_via = ?, signature_url = ?, accepted_at = ?, updated_at = ?
		where id = ?`,
		string(o.Status), o.Start, o.End, o.Total, o.CancelFee, o.ArrivedAt, arrLng, arrLng, arrLat, o.ArrivalDistanceM, o.CompletedAt,
		null(o.AcceptanceCode), null(o.AcceptedVia), null(o.SignatureURL), o.AcceptedAt, o.UpdatedAt, o.ID).Error)
}

// List pages through orders matching f.
func (r *Repo) List(ctx context.Context, f booking.Filter, p page.Request) (page.Result[booking.Order], error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ss[i] = string(s)
		}
		add("o.status in ?", ss)
	}
	if f.From != nil {
		add("o.starts_at >= ?", *f.From)
	}
	if f.To != nil {
		add("o.starts_at < ?", *f.To)
	}
	if f.StaffID != uuid.Nil {
		add("exists (select 1 from assignments a where a.tenant_id = o.tenant_id and a.order_id = o.id and a.staff_id = ? and a.status <> 'released')", f.StaffID)
	}
	if f.OnlyStaff != uuid.Nil {
		add("exists (select 1 from assignments a where a.tenant_id = o.tenant_id and a.order_id = o.id and a.staff_id = ? and a.status <> 'released')", f.OnlyStaff)
	}
	if f.ServiceID != uuid.Nil {
		add("o.service_id = ?", f.ServiceID)
	}
	if f.StoreID != uuid.Nil {
		add("o.store_id = ?", f.StoreID)
	}
	if f.CustomerID != uuid.Nil {
		add("o.customer_id = ?", f.CustomerID)
	}
	if f.OrderID != uuid.Nil {
		add("o.id = ?", f.OrderID)
	}
	if f.OnlyStore != uuid.Nil {
		add("o.store_id = ?", f.OnlyStore)
	}
	if f.OnlyFranchisee != uuid.Nil {
		add("o.store_id in (select s.id from stores s where s.tenant_id = o.tenant_id and s.franchisee_id = ?)", f.OnlyFranchisee)
	}
	cond := ""
	if len(where) > 0 {
		cond = " where " + strings.Join(where, " and ")
	}
	var total int64
	if err := r.conn(ctx).Raw(`select count(*) from orders o`+cond, args...).Scan(&total).Error; err != nil {
		return page.Result[booking.Order]{}, dbx.Err(err)
	}
	dir := "asc"
	if f.Desc {
		dir = "desc"
	}
	var rows []orderRow
	q := fmt.Sprintf(`select %s from orders o%s order by o.starts_at %s, o.id limit ? offset ?`, orderCols, cond, dir)
	if err := r.conn(ctx).Raw(q, append(args, p.Limit, p.Offset)...).Scan(&rows).Error; err != nil {
		return page.Result[booking.Order]{}, dbx.Err(err)
	}
	out := page.Result[booking.Order]{Items: make([]booking.Order, 0, len(rows)), Total: total}
	for _, x := range rows {
		out.Items = append(out.Items, toCore(x))
	}
	return out, nil
}

// ---- events ----

// AddEvent appends to an order's history.
func (r *Repo) AddEvent(ctx context.Context, e booking.Event) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	var from *string
	if e.From != "" {
		s := string(e.From)
		from = &s
	}
	var lng, lat *float64
	if e.Location != nil {
		lng, lat = &e.Location.Lng, &e.Location.Lat
	}
	if e.Data == nil {
		e.Data = map[string]any{}
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into order_events (tenant_id, id, order_id, action, from_status, to_status, actor, reason, location, data, at)
		values (?, ?, ?, ?, ?, ?, ?, ?, case when ?::float8 is null then null else st_setsrid(st_makepoint(?::float8, ?::float8), 4326)::geography end, ?::jsonb, ?)`,
		tid, e.ID, e.OrderID, e.Action, from, string(e.To), e.Actor, e.Reason, lng, lng, lat, mustJSON(e.Data), e.At).Error)
}

// Events lists an order's history, oldest first.
func (r *Repo) Events(ctx context.Context, orderID uuid.UUID) ([]booking.Event, error) {
	var rows []struct {
		ID         uuid.UUID
		Action     string
		FromStatus *string
		ToStatus   string
		Actor      string
		Reason     string
		Lng, Lat   *float64
		Data       string
		At         time.Time
	}
	if err := r.conn(ctx).Raw(`select id, action, from_status, to_status, actor, reason, st_x(location::geometry) as lng,
		st_y(location::geometry) as lat, data::text as data, at from order_events where order_id = ? order by at, id`, orderID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]booking.Event, 0, len(rows))
	for _, x := range rows {
		e := booking.Event{ID: x.ID, OrderID: orderID, Action: x.Action, From: booking.State(deref(x.FromStatus)), To: booking.State(x.ToStatus),
			Actor: x.Actor, Reason: x.Reason, At: x.At}
		if x.Lng != nil && x.Lat != nil {
			e.Location = &geo.Point{Lng: *x.Lng, Lat: *x.Lat}
		}
		_ = json.Unmarshal([]byte(x.Data), &e.Data)
		out = append(out, e)
	}
	return out, nil
}

// ---- assignments ----

type assignmentRow struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	StaffID   uuid.UUID
	FromAt    time.Time
	ToAt      time.Time
	Status    string
	CreatedBy string
	CreatedAt time.Time
}

// ActiveAssignment returns an order's active assignment, or nil.
func (r *Repo) ActiveAssignment(ctx context.Context, orderID uuid.UUID) (*booking.Assignment, error) {
	var rows []assignmentRow
	if err := r.conn(ctx).Raw(`select id, order_id, staff_id, lower(during) as from_at, upper(during) as to_at, status, created_by, created_at
		from assignments where order_id = ? and status = 'active'`, orderID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	x := rows[0]
	return &booking.Assignment{ID: x.ID, OrderID: x.OrderID, StaffID: x.StaffID, From: x.FromAt, To: x.ToAt, Status: x.Status,
		CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}, nil
}

// LockStaff takes the capacity lock of each staff member, to the end of the transaction:
// a transaction-scoped advisory lock per staff id, taken in key order so that two callers
// locking overlapping sets cannot deadlock. Booking takes it on a request's whole eligible
// pool before counting capacity (slotsdb), and every write of an active assignment takes it
// on its staff member, so a hold turning into an assignment is never seen half done
// (docs/capacity.md).
func LockStaff(db *gorm.DB, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	// Volatile functions in the select list run after ORDER BY (PostgreSQL 9.6+), so the locks
	// are taken in key order.
	return dbx.Err(db.Exec(`select pg_advisory_xact_lock(k) from (
		select distinct hashtextextended('doorstep:staff:' || id, 0) as k from unnest(cast(? as text[])) id) keys
		order by k`, "{"+strings.Join(s, ",")+"}").Error)
}

// InsertAssignment holds the staff member's window. A savepoint lets the transaction go on
// after the exclusion constraint fires, to name the conflicting order.
func (r *Repo) InsertAssignment(ctx context.Context, a booking.Assignment) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	if err := LockStaff(r.conn(ctx), []uuid.UUID{a.StaffID}); err != nil {
		return err
	}
	return r.guarded(ctx, a.StaffID, a.From, a.To, func(tx *gorm.DB) error {
		return tx.Exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, status, created_by, created_at)
			values (?, ?, ?, ?, tstzrange(?, ?, '[)'), 'active', ?, ?)`, tid, a.ID, a.OrderID, a.StaffID, a.From, a.To, a.CreatedBy, a.CreatedAt).Error
	})
}

// MoveAssignment changes an active assignment's window.
func (r *Repo) MoveAssignment(ctx context.Context, id uuid.UUID, from, to time.Time) error {
	var rows []struct{ StaffID uuid.UUID }
	if err := r.conn(ctx).Raw(`select staff_id from assignments where id = ?`, id).Scan(&rows).Error; err != nil {
		return dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.ErrOrderNotFound
	}
	if err := LockStaff(r.conn(ctx), []uuid.UUID{rows[0].StaffID}); err != nil {
		return err
	}
	return r.guarded(ctx, rows[0].StaffID, from, to, func(tx *gorm.DB) error {
		return tx.Exec(`update assignments set during = tstzrange(?, ?, '[)') where id = ?`, from, to, id).Error
	})
}

func (r *Repo) guarded(ctx context.Context, staffID uuid.UUID, from, to time.Time, write func(tx *gorm.DB) error) error {
	tx := r.conn(ctx)
	if err := tx.SavePoint("assignment").Error; err != nil {
		return dbx.Err(err)
	}
	err := write(tx)
	if err == nil {
		return nil
	}
	if !dbx.IsConstraint(err, "assignments_no_overlap") {
		if dbx.IsConstraint(err, "assignments_staff_fk") {
			return booking.ErrStaffNotAvailable
		}
		if dbx.IsConstraint(err, "assignments_one_active_per_order") {
			return errs.Wrap(err, errs.Conflict, "already_assigned", "the order already has a staff member")
		}
		return dbx.Err(err)
	}
	if rb := tx.RollbackTo("assignment").Error; rb != nil {
		return errors.Join(booking.ErrStaffBusy, rb)
	}
	var other []struct {
		ID     uuid.UUID
		Number string
	}
	_ = tx.Raw(`select o.id, o.number from assignments a join orders o on o.tenant_id = a.tenant_id and o.id = a.order_id
		where a.staff_id = ? and a.status = 'active' and a.during && tstzrange(?, ?, '[)') order by lower(a.during) limit 1`,
		staffID, from, to).Scan(&other).Error
	e := *booking.ErrStaffBusy
	e.Err = err
	if len(other) > 0 {
		e.Detail = fmt.Sprintf("the staff member already has order %s (%s) in this window", other[0].Number, other[0].ID)
	}
	return &e
}

// EndAssignment releases or finishes an assignment.
func (r *Repo) EndAssignment(ctx context.Context, id uuid.UUID, status string, at time.Time) error {
	return dbx.Err(r.conn(ctx).Exec(`update assignments set status = ?, released_at = ? where id = ?`, status, at, id).Error)
}

// ---- reports and extras ----

// AddReport stores a completion report.
func (r *Repo) AddReport(ctx context.Context, rp booking.Report) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into order_reports (tenant_id, id, order_id, checklist, photos, notes, submitted_by, submitted_at)
		values (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)`, tid, rp.ID, rp.OrderID, mustJSON(rp.Checklist), mustJSON(rp.Photos), rp.Notes,
		rp.SubmittedBy, rp.SubmittedAt).Error)
}

// Reports lists an order's reports, oldest first.
func (r *Repo) Reports(ctx context.Context, orderID uuid.UUID) ([]booking.Report, error) {
	var rows []struct {
		ID          uuid.UUID
		Checklist   string
		Photos      string
		Notes       string
		SubmittedBy string
		SubmittedAt time.Time
	}
	if err := r.conn(ctx).Raw(`select id, checklist::text as checklist, photos::text as photos, notes, submitted_by, submitted_at
		from order_reports where order_id = ? order by submitted_at, id`, orderID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]booking.Report, 0, len(rows))
	for _, x := range rows {
		rp := booking.Report{ID: x.ID, OrderID: orderID, Notes: x.Notes, SubmittedBy: x.SubmittedBy, SubmittedAt: x.SubmittedAt}
		_ = json.Unmarshal([]byte(x.Checklist), &rp.Checklist)
		_ = json.Unmarshal([]byte(x.Photos), &rp.Photos)
		out = append(out, rp)
	}
	return out, nil
}

// AddExtra stores a proposed extra item.
func (r *Repo) AddExtra(ctx context.Context, x booking.Extra) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into order_extras (tenant_id, id, order_id, name, price, status, created_by, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`, tid, x.ID, x.OrderID, x.Name, x.Price, x.Status, x.CreatedBy, x.CreatedAt).Error)
}

// Extras lists an order's extra items in the order proposed.
func (r *Repo) Extras(ctx context.Context, orderID uuid.UUID) ([]booking.Extra, error) {
	var rows []booking.Extra
	var raw []struct {
		ID        uuid.UUID
		Name      string
		Price     int64
		Status    string
		CreatedBy string
		CreatedAt time.Time
		DecidedAt *time.Time
	}
	if err := r.conn(ctx).Raw(`select id, name, price, status, created_by, created_at, decided_at from order_extras
		where order_id = ? order by created_at, id`, orderID).Scan(&raw).Error; err != nil {
		return nil, dbx.Err(err)
	}
	rows = make([]booking.Extra, 0, len(raw))
	for _, x := range raw {
		rows = append(rows, booking.Extra{ID: x.ID, OrderID: orderID, Name: x.Name, Price: x.Price, Status: x.Status,
			CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt, DecidedAt: x.DecidedAt})
	}
	return rows, nil
}

// SaveExtra writes an extra item's decision.
func (r *Repo) SaveExtra(ctx context.Context, x booking.Extra) error {
	return dbx.Err(r.conn(ctx).Exec(`update order_extras set status = ?, decided_at = ? where id = ?`, x.Status, x.DecidedAt, x.ID).Error)
}

// ---- idempotency keys ----

// ClaimKey inserts the key (status 0: in flight) or returns the stored row. The insert waits
// on a concurrent transaction holding the same key, then sees its committed row.
func (r *Repo) ClaimKey(ctx context.Context, subject, key, hash string) (booking.StoredResponse, bool, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return booking.StoredResponse{}, false, err
	}
	res := r.conn(ctx).Exec(`insert into idempotency_keys (tenant_id, subject, key, request_hash) values (?, ?, ?, ?)
		on conflict (tenant_id, subject, key) do nothing`, tid, subject, key, hash)
	if res.Error != nil {
		return booking.StoredResponse{}, false, dbx.Err(res.Error)
	}
	if res.RowsAffected == 1 {
		return booking.StoredResponse{}, false, nil
	}
	var rows []struct {
		RequestHash string
		Status      int
		Body        *string
	}
	if err := r.conn(ctx).Raw(`select request_hash, status, body from idempotency_keys where subject = ? and key = ?`,
		subject, key).Scan(&rows).Error; err != nil {
		return booking.StoredResponse{}, false, dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.StoredResponse{}, false, errs.New(errs.Conflict, "retry", "a concurrent change interfered; retry the request")
	}
	return booking.StoredResponse{RequestHash: rows[0].RequestHash, Status: rows[0].Status, Body: []byte(deref(rows[0].Body))}, true, nil
}

// SaveKey stores the response of a claimed key.
func (r *Repo) SaveKey(ctx context.Context, subject, key string, status int, body []byte) error {
	return dbx.Err(r.conn(ctx).Exec(`update idempotency_keys set status = ?, body = ? where subject = ? and key = ?`,
		status, string(body), subject, key).Error)
}
