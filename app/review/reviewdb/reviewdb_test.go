package reviewdb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/org/orgdb"
	"doorstep/app/review"
	"doorstep/app/review/reviewdb"
	"doorstep/jobs"
	"doorstep/tenant"
)

type world struct {
	t         testing.TB
	db        *dbtest.DB
	clk       *clock.Manual
	tn        *tenant.Tenant
	store     uuid.UUID
	service   uuid.UUID
	customers [2]uuid.UUID
	svc       *review.Service
	n         int
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

func newWorld(t testing.TB, db *dbtest.DB, slug string) *world {
	w := &world{t: t, db: db, clk: clock.NewManual(time.Now().UTC().Truncate(time.Second))}
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
	for i := range w.customers {
		w.customers[i] = uuid.Must(uuid.NewV7())
		w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, ?)`, tid, w.customers[i], fmt.Sprintf("+861380000%04d", i))
	}
	w.svc = review.NewService(db.Tx, reviewdb.New(db.Tx), jobs.NewOutbox(db.Tx, w.clk), orgdb.New(db.Tx).StoresOfFranchisee, w.clk)
	return w
}

func (w *world) member() uuid.UUID {
	w.n++
	user, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`, w.tn.ID, user,
		fmt.Sprintf("s%d@%s.test", w.n, w.tn.Slug), w.store)
	w.exec(`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name, status) values (?, ?, ?, ?, ?, ?, 'active')`,
		w.tn.ID, id, user, w.store, fmt.Sprintf("B%04d", w.n), "staff")
	return id
}

// order makes an order of customer i in status, served by staffID (done assignment), completed
// completedAgo ago.
func (w *world) order(i int, status string, staffID uuid.UUID, completedAgo time.Duration) uuid.UUID {
	w.n++
	q, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
		values (?, ?, ?, gen_random_uuid(), 'x', now(), st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, '{}', '[]', 100, 100, 'CNY', now())`,
		w.tn.ID, q, w.store)
	done := w.clk.Now().Add(-completedAgo)
	w.exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		starts_at, ends_at, location, address, total, currency, created_by, completed_at, accepted_at)
		values (?, ?, ?, ?, ?, ?, gen_random_uuid(), ?, ?, ?, ?, st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, 'a', 100, 'CNY', 'x', ?, ?)`,
		w.tn.ID, id, fmt.Sprintf("N-%04d", w.n), w.customers[i], w.store, w.service, q, status, done.Add(-3*time.Hour), done.Add(-time.Hour), done, done)
	if staffID != uuid.Nil {
		w.exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, status, created_by)
			values (?, gen_random_uuid(), ?, ?, tstzrange(?, ?), 'done', 'x')`, w.tn.ID, id, staffID, done.Add(-3*time.Hour), done.Add(-time.Hour))
	}
	return id
}

func (w *world) customer(i int) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn),
		&auth.Principal{Kind: auth.Customer, TenantID: w.tn.ID, SubjectID: w.customers[i], Scope: auth.ScopeSelf})
}

func (w *world) manager() context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn),
		&auth.Principal{Kind: auth.User, TenantID: w.tn.ID, SubjectID: uuid.New(), Scope: auth.ScopeTenant, Roles: []string{"store_manager"}})
}

func code(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

func TestReviewRules(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "rva")
	staffID := w.member()
	done := w.order(0, "completed", staffID, time.Hour)
	busy := w.order(0, "in_service", staffID, 0)

	_, err := w.svc.Create(w.customer(0), review.NewReview{OrderID: busy, Attitude: 5, Quality: 5, Punctuality: 5})
	require.Equal(t, "order_not_reviewable", code(err))
	_, err = w.svc.Create(w.customer(1), review.NewReview{OrderID: done, Attitude: 5, Quality: 5, Punctuality: 5})
	require.Equal(t, "order_not_found", code(err), "another customer's order")
	_, err = w.svc.Create(w.manager(), review.NewReview{OrderID: done, Attitude: 5, Quality: 5, Punctuality: 5})
	require.Equal(t, "customers_only", code(err))
	_, err = w.svc.Create(w.customer(0), review.NewReview{OrderID: done, Attitude: 6, Quality: 0, Punctuality: 5, Photos: []string{"ftp://x"}})
	require.Equal(t, errs.Invalid, errs.KindOf(err))

	r, err := w.svc.Create(w.customer(0), review.NewReview{OrderID: done, Attitude: 5, Quality: 4, Punctuality: 3, Text: " great ",
		Photos: []string{"https://example.com/1.jpg"}})
	require.NoError(t, err)
	require.Equal(t, staffID, r.StaffID)
	require.Equal(t, "great", r.Text)
	_, err = w.svc.Create(w.customer(0), review.NewReview{OrderID: done, Attitude: 1, Quality: 1, Punctuality: 1})
	require.Equal(t, "already_reviewed", code(err))

	rep, err := w.svc.Reply(w.manager(), r.ID, "thank you")
	require.NoError(t, err)
	require.Equal(t, "thank you", rep.Reply)
	_, err = w.svc.Reply(w.customer(0), r.ID, "me too")
	require.Equal(t, "review_not_found", code(err))
	got, err := w.svc.Get(w.customer(0), r.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"https://example.com/1.jpg"}, got.Photos)
	require.NotNil(t, got.RepliedAt)
	_, err = w.svc.Get(w.customer(1), r.ID)
	require.Equal(t, "review_not_found", code(err))

	mine, err := w.svc.List(w.customer(1), review.Filter{}, page.Request{})
	require.NoError(t, err)
	require.Empty(t, mine.Items)
	byStaff, err := w.svc.List(w.manager(), review.Filter{StaffID: staffID}, page.Request{})
	require.NoError(t, err)
	require.Len(t, byStaff.Items, 1)

	avg, err := w.svc.RatingsOf(w.manager(), []uuid.UUID{staffID, uuid.New()})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]float64{staffID: 4}, avg)

	// Tenant isolation: another tenant sees and reviews nothing of this one.
	other := newWorld(t, db, "rvb")
	_, err = other.svc.Get(other.manager(), r.ID)
	require.Equal(t, "review_not_found", code(err))
	_, err = other.svc.Reply(other.manager(), r.ID, "hijack")
	require.Equal(t, "review_not_found", code(err))
	_, err = other.svc.Create(other.customer(0), review.NewReview{OrderID: done, Attitude: 1, Quality: 1, Punctuality: 1})
	require.Equal(t, "order_not_found", code(err))
	theirs, err := other.svc.List(other.manager(), review.Filter{}, page.Request{})
	require.NoError(t, err)
	require.Empty(t, theirs.Items)
	none, err := other.svc.RatingsOf(other.manager(), []uuid.UUID{staffID})
	require.NoError(t, err)
	require.Empty(t, none)
}

// Concurrent reviews of different orders of one staff member: the aggregate counts every one.
func TestRatingsConcurrent(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "rvc")
	staffID := w.member()
	const n = 12
	var ids []uuid.UUID
	for range n {
		ids = append(ids, w.order(0, "completed", staffID, time.Hour))
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Create(w.customer(0), review.NewReview{OrderID: id, Attitude: 1 + i%5, Quality: 5, Punctuality: 3})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	rs, err := w.svc.Ratings(w.manager(), []uuid.UUID{staffID})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.EqualValues(t, n, rs[0].Count)
	sum := 0
	for i := range n {
		sum += 1 + i%5
	}
	require.InDelta(t, float64(sum)/n, rs[0].Attitude, 1e-9)
	require.InDelta(t, 5, rs[0].Quality, 1e-9)
	require.InDelta(t, (float64(sum)/n+5+3)/3, rs[0].Overall, 1e-9)
}

func TestAutoReview(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "rvd")
	staffID := w.member()
	old := w.order(0, "completed", staffID, 10*24*time.Hour)
	reviewed := w.order(0, "closed", staffID, 10*24*time.Hour)
	recent := w.order(0, "completed", staffID, 24*time.Hour)
	w.order(0, "cancelled", staffID, 10*24*time.Hour)
	ctx := tenant.WithTenant(context.Background(), w.tn)

	n, err := w.svc.AutoReview(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "no auto_review_days: nothing")

	_, err = w.svc.Create(w.customer(0), review.NewReview{OrderID: reviewed, Attitude: 1, Quality: 1, Punctuality: 1})
	require.NoError(t, err)
	w.exec(`insert into booking_settings (tenant_id, auto_review_days) values (?, 7)`, w.tn.ID)
	n, err = w.svc.AutoReview(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = w.svc.AutoReview(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "idempotent")

	all, err := w.svc.List(w.manager(), review.Filter{}, page.Request{})
	require.NoError(t, err)
	require.Len(t, all.Items, 2)
	for _, r := range all.Items {
		require.NotEqual(t, recent, r.OrderID)
		require.Equal(t, w.service, r.ServiceID, "the order's service is copied (storefront lists by service)")
		if r.OrderID == old {
			require.True(t, r.Auto)
			require.Equal(t, 5, r.Attitude)
			require.Empty(t, r.Text)
		}
	}
	rs, err := w.svc.Ratings(w.manager(), []uuid.UUID{staffID})
	require.NoError(t, err)
	require.EqualValues(t, 2, rs[0].Count)
	require.InDelta(t, 3, rs[0].Overall, 1e-9)
}
