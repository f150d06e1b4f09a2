package dispatchdb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/booking/bookingdb"
	"doorstep/app/dispatch"
	"doorstep/app/dispatch/dispatchdb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/app/pricing/pricingdb"
	"doorstep/app/staff"
	"doorstep/jobs"
	"doorstep/tenant"
)

type catalogue struct{ store, service uuid.UUID }

func (c catalogue) ServingStore(context.Context, geo.Point) (uuid.UUID, error) { return c.store, nil }
func (c catalogue) QuotePackage(context.Context, uuid.UUID, uuid.UUID) (pricing.PackageInfo, error) {
	return pricing.PackageInfo{ServiceID: c.service, LabelZh: "两居室", LabelEn: "2 rooms", Price: 20000, DurationMinutes: 120}, nil
}
func (c catalogue) QuoteAddOns(context.Context, uuid.UUID, []uuid.UUID) ([]pricing.AddOnInfo, error) {
	return nil, nil
}
func (c catalogue) VisitLength(context.Context, uuid.UUID, uuid.UUID, []pricing.AddOnChoice) (uuid.UUID, int, error) {
	return c.service, 120, nil
}

// roster is booking's staff view, dispatch's Self and a stand-in for staff.Eligible: every
// member (real staff rows) is eligible, member i at i km.
type roster struct {
	mu     sync.Mutex
	byUser map[uuid.UUID]booking.StaffCard
	byID   map[uuid.UUID]booking.StaffCard
	order  []uuid.UUID
}

func (r *roster) Card(_ context.Context, id uuid.UUID) (booking.StaffCard, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.byID[id]
	if !ok {
		return c, errs.New(errs.NotFound, "staff_not_found", "no such staff member")
	}
	return c, nil
}

func (r *roster) Mine(ctx context.Context) (booking.StaffCard, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return booking.StaffCard{}, booking.ErrNoStaffProfile
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.byUser[p.SubjectID]
	if !ok {
		return c, booking.ErrNoStaffProfile
	}
	return c, nil
}

func (r *roster) MyStaffID(ctx context.Context) (uuid.UUID, error) {
	c, err := r.Mine(ctx)
	return c.ID, err
}

func (r *roster) Eligible(_ context.Context, q staff.EligibleQuery) ([]staff.Candidate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []staff.Candidate
	for i, id := range r.order {
		c := r.byID[id]
		out = append(out, staff.Candidate{StaffID: id, UserID: c.UserID, StoreID: c.StoreID, BadgeNo: c.BadgeNo, DisplayName: c.DisplayName,
			LevelRank: 1, DistanceM: float64(i+1) * 1000, DistanceFrom: "home"})
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

type stores struct{}

func (stores) FranchiseeOf(context.Context, uuid.UUID) (uuid.UUID, error) { return uuid.Nil, nil }

type world struct {
	t        testing.TB
	db       *dbtest.DB
	clk      *clock.Manual
	tn       *tenant.Tenant
	store    uuid.UUID
	service  uuid.UUID
	customer uuid.UUID
	staff    *roster
	pricing  *pricing.Service
	booking  *booking.Service
	svc      *dispatch.Service
	outbox   *jobs.Outbox
	base     context.Context
	n        int
}

var here = geo.Point{Lng: 121.4737, Lat: 31.2304}

func newWorld(t testing.TB, db *dbtest.DB, slug string, start time.Time) *world {
	t.Helper()
	w := &world{t: t, db: db, clk: clock.NewManual(start),
		staff: &roster{byUser: map[uuid.UUID]booking.StaffCard{}, byID: map[uuid.UUID]booking.StaffCard{}}}
	tid := uuid.Must(uuid.NewV7())
	w.tn = &tenant.Tenant{ID: tid, Slug: slug, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	w.exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, tid, slug, slug)
	w.store = uuid.Must(uuid.NewV7())
	w.exec(`insert into stores (tenant_id, id, code, name, time_zone, location) values (?, ?, 'S1', 'Store', 'Asia/Shanghai',
		st_setsrid(st_makepoint(121.4737, 31.2304), 4326)::geography)`, tid, w.store)
	cat := uuid.Must(uuid.NewV7())
	w.service = uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_categories (tenant_id, id, name_zh, name_en) values (?, ?, '保洁', 'cleaning')`, tid, cat)
	w.exec(`insert into catalog_services (tenant_id, id, category_id, status) values (?, ?, ?, 'published')`, tid, w.service, cat)
	w.customer = uuid.Must(uuid.NewV7())
	w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, '+8613800000001')`, tid, w.customer)
	w.base = tenant.WithTenant(context.Background(), w.tn)
	c := catalogue{store: w.store, service: w.service}
	w.pricing = pricing.NewService(db.Tx, pricingdb.New(db.Tx), c, nil, audit.New(db.Tx, auditdb.New(db.Tx)), w.clk)
	w.outbox = jobs.NewOutbox(db.Tx, w.clk)
	w.booking = booking.NewService(booking.Deps{DB: db.Tx, Repo: bookingdb.New(db.Tx), Quotes: w.pricing, Catalog: c, Staff: w.staff,
		Stores: stores{}, Outbox: w.outbox, Clock: w.clk})
	w.svc = dispatch.NewService(dispatch.Deps{DB: db.Tx, Repo: dispatchdb.New(db.Tx), Orders: w.booking, Roster: w.staff, Self: w.staff,
		Outbox: w.outbox, Clock: w.clk})
	return w
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

// member adds an active staff member (eligible, nearer than those added later).
func (w *world) member() (uuid.UUID, uuid.UUID) {
	w.t.Helper()
	w.n++
	user, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`, w.tn.ID, user,
		fmt.Sprintf("s%d@%s.test", w.n, w.tn.Slug), w.store)
	badge := fmt.Sprintf("B%04d", w.n)
	w.exec(`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name, status) values (?, ?, ?, ?, ?, ?, 'active')`,
		w.tn.ID, id, user, w.store, badge, "阿姨 "+badge)
	c := booking.StaffCard{ID: id, UserID: user, StoreID: w.store, DisplayName: "阿姨 " + badge, BadgeNo: badge, Active: true}
	w.staff.mu.Lock()
	w.staff.byUser[user], w.staff.byID[id] = c, c
	w.staff.order = append(w.staff.order, id)
	w.staff.mu.Unlock()
	return id, user
}

func (w *world) as(p *auth.Principal) context.Context {
	p.TenantID = w.tn.ID
	return auth.WithPrincipal(w.base, p)
}

func (w *world) manager() context.Context {
	return w.as(&auth.Principal{Kind: auth.User, SubjectID: uuid.New(), Scope: auth.ScopeTenant, Roles: []string{"store_manager"}})
}

func (w *world) staffCtx(user uuid.UUID) context.Context {
	return w.as(&auth.Principal{Kind: auth.User, SubjectID: user, Scope: auth.ScopeSelf, Roles: []string{"staff"}})
}

func (w *world) book(start time.Time) booking.Order {
	w.t.Helper()
	ctx := w.as(&auth.Principal{Kind: auth.Customer, SubjectID: w.customer, Scope: auth.ScopeSelf})
	q, err := w.pricing.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: here, Start: start})
	require.NoError(w.t, err)
	o, err := w.booking.Create(ctx, booking.NewOrder{QuoteID: q.ID, Address: "人民广场 1 号"})
	require.NoError(w.t, err)
	return o
}

func (w *world) setMode(mode string, pool int) {
	w.t.Helper()
	_, err := w.booking.SetDispatchSettings(w.manager(), booking.DispatchSettings{StoreID: w.store, Mode: mode, PoolSize: pool})
	require.NoError(w.t, err)
}

func code(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
