package commissiondb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/commission"
	"doorstep/app/commission/commissiondb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
	"doorstep/app/org/orgdb"
	"doorstep/app/payment"
	"doorstep/jobs"
	"doorstep/tenant"
)

// world is one tenant with an HQ-run store, a franchised store, a service, a customer and
// services wired on the real database.
type world struct {
	t          testing.TB
	db         *dbtest.DB
	clk        *clock.Manual
	tn         *tenant.Tenant
	hqStore    uuid.UUID
	frStore    uuid.UUID
	franchisee uuid.UUID
	service    uuid.UUID
	category   uuid.UUID
	level      uuid.UUID
	customer   uuid.UUID
	ledger     *ledger.Service
	outbox     *jobs.Outbox
	svc        *commission.Service
	n          int
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

func newWorld(t testing.TB, db *dbtest.DB, slug string, clk *clock.Manual) *world {
	w := &world{t: t, db: db, clk: clk}
	tid := uuid.Must(uuid.NewV7())
	w.tn = &tenant.Tenant{ID: tid, Slug: slug, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	w.exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, tid, slug, slug)
	w.franchisee = uuid.Must(uuid.NewV7())
	w.exec(`insert into franchisees (tenant_id, id, name, legal_name) values (?, ?, 'Fr', 'Fr ltd')`, tid, w.franchisee)
	w.hqStore, w.frStore = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	for i, s := range []uuid.UUID{w.hqStore, w.frStore} {
		fr := &w.franchisee
		if i == 0 {
			fr = nil
		}
		w.exec(`insert into stores (tenant_id, id, code, name, time_zone, location, franchisee_id) values (?, ?, ?, 'Store', 'Asia/Shanghai',
			st_setsrid(st_makepoint(121.4737, 31.2304), 4326)::geography, ?)`, tid, s, fmt.Sprintf("S%d", i), fr)
	}
	w.category, w.service, w.level = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_categories (tenant_id, id, name_zh, name_en) values (?, ?, '保洁', 'cleaning')`, tid, w.category)
	w.exec(`insert into catalog_services (tenant_id, id, category_id, status) values (?, ?, ?, 'published')`, tid, w.service, w.category)
	w.exec(`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank) values (?, ?, 'senior', '高级', 'Senior', 2)`, tid, w.level)
	w.customer = uuid.Must(uuid.NewV7())
	w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, '+8613800000001')`, tid, w.customer)
	w.ledger = ledger.New(db.Tx, ledgerdb.New(db.Tx), clk.Now)
	w.outbox = jobs.NewOutbox(db.Tx, clk)
	w.svc = commission.NewService(commission.Deps{DB: db.Tx, Repo: commissiondb.New(db.Tx), StoresOf: orgdb.New(db.Tx).StoresOfFranchisee, Ledger: w.ledger, Outbox: w.outbox, Clock: clk})
	return w
}

func (w *world) ctx() context.Context {
	return auth.WithPrincipal(tenant.WithTenant(dbx.WithTenant(context.Background(), w.tn.ID), w.tn),
		&auth.Principal{Kind: auth.User, TenantID: w.tn.ID, SubjectID: uuid.New(), Scope: auth.ScopeTenant, Roles: []string{"finance"}})
}

// system is a job's context: the tenant, no principal.
func (w *world) system() context.Context { return dbx.WithTenant(context.Background(), w.tn.ID) }

// member adds an active staff member of store (with level when level is true).
func (w *world) member(store uuid.UUID, level bool) uuid.UUID {
	w.n++
	user, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`, w.tn.ID, user,
		fmt.Sprintf("s%d@%s.test", w.n, w.tn.Slug), store)
	var lv *uuid.UUID
	if level {
		lv = &w.level
	}
	w.exec(`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name, status, level_id) values (?, ?, ?, ?, ?, ?, 'active', ?)`,
		w.tn.ID, id, user, store, fmt.Sprintf("B%04d", w.n), "staff", lv)
	return id
}

// order makes an order of total in store with status, served by staffID, accepted at the clock's now.
func (w *world) order(store uuid.UUID, status string, staffID uuid.UUID, total int64) uuid.UUID {
	w.n++
	q, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
		values (?, ?, ?, gen_random_uuid(), 'x', now(), st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, '{}', '[]', ?, ?, 'CNY', now())`,
		w.tn.ID, q, store, total, total)
	done := w.clk.Now()
	w.exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		starts_at, ends_at, location, address, total, currency, created_by, completed_at, accepted_at)
		values (?, ?, ?, ?, ?, ?, gen_random_uuid(), ?, ?, ?, ?, st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, 'a', ?, 'CNY', 'x', ?, ?)`,
		w.tn.ID, id, fmt.Sprintf("N-%04d", w.n), w.customer, store, w.service, q, status, done.Add(-3*time.Hour), done.Add(-time.Hour), total, done, done)
	if staffID != uuid.Nil {
		w.exec(`insert into assignments (tenant_id, id, order_id, staff_id, during, status, created_by)
			values (?, gen_random_uuid(), ?, ?, tstzrange(?, ?), 'done', 'x')`, w.tn.ID, id, staffID, done.Add(-3*time.Hour), done.Add(-time.Hour))
	}
	return id
}

func (w *world) rate(staffID uuid.UUID, score int) {
	w.exec(`insert into staff_ratings (tenant_id, staff_id, count, attitude_sum, quality_sum, punctuality_sum) values (?, ?, 1, ?, ?, ?)`,
		w.tn.ID, staffID, score, score, score)
}

// pay posts a card payment of amount for the order (docs/money.md) and tells commission it is paid.
func (w *world) pay(orderID uuid.UUID, amount int64) {
	w.t.Helper()
	ctx := w.system()
	require.NoError(w.t, w.db.Tx.InTx(ctx, func(ctx context.Context) error {
		_, err := w.ledger.Post(ctx, ledger.Transaction{Kind: "payment.card", Ref: ledger.Ref{Kind: "order", ID: orderID},
			Key: "payment:" + orderID.String() + ":succeeded", Entries: []ledger.Entry{
				{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: -amount},
				{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: amount}}})
		if err != nil {
			return err
		}
		return w.svc.OrderPaid(ctx, orderID)
	}))
}

// refund runs the refund hook and posts the refund (docs/money.md) in one transaction, as the
// payment area will.
func (w *world) refund(orderID uuid.UUID, amount, paid int64) uuid.UUID {
	w.t.Helper()
	id := uuid.Must(uuid.NewV7())
	require.NoError(w.t, w.refundWith(id, orderID, amount, paid))
	return id
}

func (w *world) refundWith(id, orderID uuid.UUID, amount, paid int64) error {
	return w.db.Tx.InTx(w.system(), func(ctx context.Context) error {
		if err := w.svc.BeforeRefund(ctx, payment.RefundFacts{RefundID: id, OrderID: orderID, Amount: amount, Paid: paid}); err != nil {
			return err
		}
		_, err := w.ledger.Post(ctx, refundPosting(id, amount))
		return err
	})
}

func refundPosting(id uuid.UUID, amount int64) ledger.Transaction {
	return ledger.Transaction{Kind: "refund", Ref: ledger.Ref{Kind: "refund", ID: id}, Key: "refund:" + id.String(),
		Entries: []ledger.Entry{
			{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: -amount},
			{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: amount}}}
}

// failRefund fails a refund as the payment area does: the hook, then the refund's posting
// reversed, in one transaction.
func (w *world) failRefund(id, orderID uuid.UUID, amount int64) {
	w.t.Helper()
	require.NoError(w.t, w.db.Tx.InTx(w.system(), func(ctx context.Context) error {
		if err := w.svc.RefundFailed(ctx, payment.RefundFacts{RefundID: id, OrderID: orderID, Amount: amount}); err != nil {
			return err
		}
		orig, err := w.ledger.Post(ctx, refundPosting(id, amount)) // posted before: returns it
		if err != nil {
			return err
		}
		_, err = w.ledger.Reverse(ctx, orig.ID, "refund:"+id.String()+":failed", "refund failed", "payment")
		if errors.Is(err, ledger.ErrAlreadyReversed) {
			return nil
		}
		return err
	}))
}

func (w *world) balance(a ledger.Account) int64 {
	w.t.Helper()
	b, err := w.ledger.Balance(w.system(), a)
	require.NoError(w.t, err)
	return b
}

func (w *world) checkBooks() {
	w.t.Helper()
	ms, err := w.ledger.Check(w.system())
	require.NoError(w.t, err)
	require.Empty(w.t, ms)
}

func (w *world) publish(n commission.NewRules) commission.Rules {
	w.t.Helper()
	r, err := w.svc.Publish(w.ctx(), n)
	require.NoError(w.t, err)
	return r
}
