package carddb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/auth"
	"doorstep/app/card"
	"doorstep/app/card/carddb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
	"doorstep/app/org/orgdb"
	"doorstep/app/payment"
	"doorstep/app/payment/gateway"
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
	other     uuid.UUID // a second service
	customers [2]uuid.UUID
	ledger    *ledger.Service
	svc       *card.Service
	n         int
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

func newWorld(t testing.TB, db *dbtest.DB, slug string) *world {
	mock := os.Getenv("STRIPE_MOCK_URL")
	require.NotEmpty(t, mock, `STRIPE_MOCK_URL is unset: eval "$(deploy/dev/stripe-mock.sh)"`)
	w := &world{t: t, db: db, clk: clock.NewManual(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC))}
	tid := uuid.Must(uuid.NewV7())
	w.tn = &tenant.Tenant{ID: tid, Slug: slug, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	w.exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, tid, slug, slug)
	w.store = uuid.Must(uuid.NewV7())
	w.exec(`insert into stores (tenant_id, id, code, name, time_zone, location) values (?, ?, 'S1', 'Store', 'Asia/Shanghai',
		st_setsrid(st_makepoint(121.4737, 31.2304), 4326)::geography)`, tid, w.store)
	cat := uuid.Must(uuid.NewV7())
	w.service, w.other = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_categories (tenant_id, id, name_zh, name_en) values (?, ?, '保洁', 'cleaning')`, tid, cat)
	w.exec(`insert into catalog_services (tenant_id, id, category_id, status) values (?, ?, ?, 'published'), (?, ?, ?, 'published')`,
		tid, w.service, cat, tid, w.other, cat)
	for i := range w.customers {
		w.customers[i] = uuid.Must(uuid.NewV7())
		w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, ?)`, tid, w.customers[i], fmt.Sprintf("+861380000%04d", i))
	}
	w.ledger = ledger.New(db.Tx, ledgerdb.New(db.Tx), w.clk.Now)
	w.svc = card.NewService(card.Deps{DB: db.Tx, Repo: carddb.New(db.Tx), StoresOf: orgdb.New(db.Tx).StoresOfFranchisee, Ledger: w.ledger, Clock: w.clk,
		Gateway: gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_doorstep", APIURL: mock}),
		Audit:   audit.New(db.Tx, auditdb.New(db.Tx)), Outbox: jobs.NewOutbox(db.Tx, w.clk)})
	return w
}

func (w *world) customer(i int) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn),
		&auth.Principal{Kind: auth.Customer, TenantID: w.tn.ID, SubjectID: w.customers[i], Scope: auth.ScopeSelf})
}

func (w *world) hq() context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn),
		&auth.Principal{Kind: auth.User, TenantID: w.tn.ID, SubjectID: uuid.New(), Scope: auth.ScopeTenant, Roles: []string{"hq_admin"}})
}

func (w *world) system() context.Context { return tenant.WithTenant(context.Background(), w.tn) }

func pageAll() page.Request { return page.Request{Limit: 200} }

// orders inserts n orders of customer i for service (as the owner), starting an hour ago.
func (w *world) orders(n, i int, service uuid.UUID, total int64) []uuid.UUID {
	w.t.Helper()
	ids := make([]uuid.UUID, n)
	start := w.clk.Now().Add(-time.Hour)
	for k := range ids {
		w.n++
		q, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		ids[k] = id
		w.exec(`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
			values (?, ?, ?, gen_random_uuid(), 'x', ?, st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, '{}', '[]', ?, ?, 'CNY', ?)`,
			w.tn.ID, q, w.store, start, total, total, start)
		w.exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
			starts_at, ends_at, location, address, total, currency, created_by)
			values (?, ?, ?, ?, ?, ?, gen_random_uuid(), ?, 'in_service', ?, ?, st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, 'a', ?, 'CNY', 'x')`,
			w.tn.ID, id, fmt.Sprintf("N-%05d", w.n), w.customers[i], w.store, service, q, start, start.Add(2*time.Hour), total)
	}
	return ids
}

func code(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

// product creates and publishes a product.
func (w *world) product(n card.NewProduct) card.Product {
	w.t.Helper()
	p, err := w.svc.CreateProduct(w.hq(), n)
	require.NoError(w.t, err)
	p, err = w.svc.Publish(w.hq(), p.ID)
	require.NoError(w.t, err)
	return p
}

// buy purchases p as customer i through stripe-mock and settles it with a succeeded event.
func (w *world) buy(i int, p card.Product) card.Card {
	w.t.Helper()
	st, err := w.svc.Purchase(w.customer(i), p.ID, "")
	require.NoError(w.t, err)
	require.NoError(w.t, w.svc.HandleIntent(w.system(), w.event(st.Purchase, "payment_intent.succeeded")))
	c, _, _, err := w.svc.GetCard(w.customer(i), w.purchase(st.Purchase.ID).CardID)
	require.NoError(w.t, err)
	return c
}

var events atomic.Int64

func (w *world) event(pu card.Purchase, typ string) payment.IntentEvent {
	return payment.IntentEvent{EventID: fmt.Sprintf("evt_%d", events.Add(1)), Type: typ, IntentID: pu.IntentID, Amount: pu.Amount,
		Currency: pu.Currency, Method: "card", RefID: pu.ID}
}

func (w *world) purchase(id uuid.UUID) card.Purchase {
	w.t.Helper()
	var row struct {
		Status       string
		CardID       *uuid.UUID
		LedgerTxID   *uuid.UUID
		IntentID     *string
		Idempotency  string `gorm:"column:idempotency_key"`
		LastEventID  *string
		CustomerID   uuid.UUID
		Amount       int64
		Currency     string
		ProductID    uuid.UUID
		ID           uuid.UUID
		UpdatedAtRaw time.Time `gorm:"column:updated_at"`
	}
	require.NoError(w.t, w.db.Owner.Raw(`select * from card_purchases where id = ?`, id).Scan(&row).Error)
	p := card.Purchase{ID: row.ID, Status: card.PurchaseStatus(row.Status), Key: row.Idempotency, Amount: row.Amount, Currency: row.Currency,
		CustomerID: row.CustomerID, ProductID: row.ProductID}
	if row.CardID != nil {
		p.CardID = *row.CardID
	}
	if row.LedgerTxID != nil {
		p.LedgerTxID = *row.LedgerTxID
	}
	if row.IntentID != nil {
		p.IntentID = *row.IntentID
	}
	return p
}

func (w *world) balance(o ledger.Owner, p ledger.Purpose, asset string) int64 {
	w.t.Helper()
	b, err := w.ledger.Balance(w.system(), o.Account(p, asset))
	require.NoError(w.t, err)
	return b
}

func (w *world) requireBooksConsistent() {
	w.t.Helper()
	ms, err := w.ledger.Check(w.system())
	require.NoError(w.t, err)
	require.Empty(w.t, ms)
}

func TestProducts(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpa")
	_, err := w.svc.CreateProduct(w.hq(), card.NewProduct{Kind: card.StoredValue, NameZh: "", NameEn: "x", Price: 0, ValidityDays: 0, Visits: ptr(3)})
	require.Equal(t, "validation_failed", code(err))
	fields := map[string]bool{}
	for _, f := range err.(*errs.Error).Fields {
		fields[f.Field] = true
	}
	require.Equal(t, map[string]bool{"name_zh": true, "price": true, "validity_days": true, "visits": true}, fields)
	_, err = w.svc.CreateProduct(w.hq(), card.NewProduct{Kind: card.Visits, NameZh: "次卡", NameEn: "Visits", Price: 100, ValidityDays: 30, ServiceID: uuid.New()})
	require.Equal(t, "validation_failed", code(err))

	p, err := w.svc.CreateProduct(w.hq(), card.NewProduct{Kind: card.StoredValue, NameZh: "充1000送200", NameEn: "Pay 1000 get 1200",
		Price: 100000, Bonus: 20000, ValidityDays: 365})
	require.NoError(t, err)
	require.Equal(t, card.Draft, p.Status)
	require.Equal(t, "CNY", p.Currency)
	// customers neither see nor buy a draft
	_, err = w.svc.Product(w.customer(0), p.ID)
	require.ErrorIs(t, err, card.ErrProductNotFound)
	_, err = w.svc.Purchase(w.customer(0), p.ID, "")
	require.ErrorIs(t, err, card.ErrProductNotOnSale)
	p.NameEn = "Pay 1000 get 1200!"
	p, err = w.svc.UpdateProduct(w.hq(), p.ID, card.NewProduct{Kind: p.Kind, NameZh: p.NameZh, NameEn: p.NameEn, Price: p.Price, Bonus: p.Bonus, ValidityDays: 366})
	require.NoError(t, err)
	require.Equal(t, 366, p.ValidityDays)
	p, err = w.svc.Publish(w.hq(), p.ID)
	require.NoError(t, err)
	require.Equal(t, card.Published, p.Status)
	_, err = w.svc.UpdateProduct(w.hq(), p.ID, card.NewProduct{Kind: p.Kind, NameZh: p.NameZh, NameEn: p.NameEn, Price: 1, ValidityDays: 1})
	require.ErrorIs(t, err, card.ErrProductNotDraft)
	list, err := w.svc.Products(w.customer(0), card.ProductFilter{}, pageAll())
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	p, err = w.svc.Retire(w.hq(), p.ID)
	require.NoError(t, err)
	require.Equal(t, card.Retired, p.Status)
	_, err = w.svc.Publish(w.hq(), p.ID)
	require.ErrorIs(t, err, card.ErrProductRetired)
	list, err = w.svc.Products(w.customer(0), card.ProductFilter{}, pageAll())
	require.NoError(t, err)
	require.Empty(t, list.Items)

	// another tenant sees nothing
	w2 := newWorld(t, w.db, "cpb")
	_, err = w2.svc.Product(w2.hq(), p.ID)
	require.ErrorIs(t, err, card.ErrProductNotFound)
}

func TestPurchaseStoredValue(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpc")
	p := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充1000送200", NameEn: "Pay 1000 get 1200", Price: 100000, Bonus: 20000, ValidityDays: 30})
	st, err := w.svc.Purchase(w.customer(0), p.ID, "")
	require.NoError(t, err)
	require.NotEmpty(t, st.ClientSecret)
	pu := w.purchase(st.Purchase.ID)
	require.Equal(t, card.PurchasePending, pu.Status)
	require.Equal(t, "card_purchase:"+pu.ID.String(), pu.Key)
	require.NotEmpty(t, pu.IntentID)
	// reading it while pending asks Stripe again with the saved key
	again, err := w.svc.MyPurchase(w.customer(0), pu.ID)
	require.NoError(t, err)
	require.NotEmpty(t, again.ClientSecret)
	_, err = w.svc.MyPurchase(w.customer(1), pu.ID)
	require.ErrorIs(t, err, card.ErrPurchaseNotFound)

	// a failure first, then the success (a second attempt), then duplicates and a late failure
	require.NoError(t, w.svc.HandleIntent(w.system(), w.event(pu, "payment_intent.payment_failed")))
	require.Equal(t, card.PurchaseFailed, w.purchase(pu.ID).Status)
	succeeded := w.event(pu, "payment_intent.succeeded")
	require.NoError(t, w.svc.HandleIntent(w.system(), succeeded))
	pu = w.purchase(pu.ID)
	require.Equal(t, card.PurchaseSucceeded, pu.Status)
	for _, typ := range []string{"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"} {
		require.NoError(t, w.svc.HandleIntent(w.system(), w.event(pu, typ)))
	}
	require.NoError(t, w.svc.HandleIntent(w.system(), succeeded))
	after := w.purchase(pu.ID)
	require.Equal(t, card.PurchaseSucceeded, after.Status)
	require.Equal(t, pu.CardID, after.CardID)
	var cards int64
	require.NoError(t, w.db.Owner.Raw(`select count(*) from cards where tenant_id = ?`, w.tn.ID).Scan(&cards).Error)
	require.EqualValues(t, 1, cards)

	// the posting is docs/money.md's card.purchase, once
	tx, err := w.ledger.Get(w.system(), pu.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "card.purchase", tx.Kind)
	require.Equal(t, ledger.Ref{Kind: "card", ID: pu.CardID}, tx.Ref)
	require.EqualValues(t, -100000, w.balance(ledger.External(), ledger.Clearing, "CNY"))
	require.EqualValues(t, 100000, w.balance(ledger.HQ(), ledger.CardFunds, "CNY"))
	require.EqualValues(t, -120000, w.balance(ledger.HQ(), ledger.StoredValueIssued, ledger.AssetStoredValue))
	require.EqualValues(t, 120000, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue))

	h, err := w.svc.MyCards(w.customer(0))
	require.NoError(t, err)
	require.EqualValues(t, 120000, h.StoredValue)
	require.Len(t, h.Cards, 1)
	c := h.Cards[0]
	require.EqualValues(t, 120000, c.Remaining)
	// valid for 30 days counting the day of purchase (2026-11-23 Shanghai), to midnight Shanghai
	sh, _ := time.LoadLocation("Asia/Shanghai")
	require.True(t, time.Date(2026, 12, 23, 0, 0, 0, 0, sh).Equal(c.ExpiresAt), c.ExpiresAt)
	h1, err := w.svc.MyCards(w.customer(1))
	require.NoError(t, err)
	require.Empty(t, h1.Cards)
	_, _, _, err = w.svc.GetCard(w.customer(1), c.ID)
	require.ErrorIs(t, err, card.ErrCardNotFound)
	staff, err := w.svc.CustomerCards(w.hq(), w.customers[0])
	require.NoError(t, err)
	require.Len(t, staff.Cards, 1)

	// an event with another amount is refused and changes nothing
	p2 := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30})
	st2, err := w.svc.Purchase(w.customer(0), p2.ID, "")
	require.NoError(t, err)
	bad := w.event(w.purchase(st2.Purchase.ID), "payment_intent.succeeded")
	bad.Amount = 1
	require.Error(t, w.svc.HandleIntent(w.system(), bad))
	require.Equal(t, card.PurchasePending, w.purchase(st2.Purchase.ID).Status)
	// an unknown purchase is not ours: nothing happens
	require.NoError(t, w.svc.HandleIntent(w.system(), payment.IntentEvent{Type: "payment_intent.succeeded", RefID: uuid.New(), Amount: 1, Currency: "CNY"}))
	w.requireBooksConsistent()
}

func TestRedeemVisits(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpd")
	// 3 visits for 100.00: 33.33, 33.33, then the last takes 33.34
	p := w.product(card.NewProduct{Kind: card.Visits, NameZh: "保洁3次卡", NameEn: "3 cleanings", Price: 10000, Visits: ptr(3), ServiceID: w.service, ValidityDays: 90})
	c := w.buy(0, p)
	require.EqualValues(t, 3, c.Remaining)
	require.EqualValues(t, 3, w.balance(ledger.Customer(w.customers[0]), ledger.Visits, ledger.AssetVisits))
	orders := w.orders(4, 0, w.service, 5000)
	wrong := w.orders(1, 0, w.other, 5000)[0]
	theirs := w.orders(1, 1, w.service, 5000)[0]

	_, err := w.svc.Redeem(w.customer(0), c.ID, wrong)
	require.ErrorIs(t, err, card.ErrServiceMismatch)
	_, err = w.svc.Redeem(w.customer(1), c.ID, theirs)
	require.ErrorIs(t, err, card.ErrCardNotFound)
	_, err = w.svc.Redeem(w.hq(), c.ID, theirs)
	require.ErrorIs(t, err, card.ErrOtherCustomer)

	var amounts []int64
	for _, o := range orders[:3] {
		r, err := w.svc.Redeem(w.customer(0), c.ID, o)
		require.NoError(t, err)
		amounts = append(amounts, r.Amount)
		tx, err := w.ledger.Get(w.system(), r.LedgerTxID)
		require.NoError(t, err)
		require.Equal(t, "card.redeem", tx.Kind)
		require.Equal(t, ledger.Ref{Kind: "order", ID: o}, tx.Ref)
		_, err = w.svc.Redeem(w.customer(0), c.ID, orders[0])
		require.ErrorIs(t, err, card.ErrAlreadyRedeemed)
	}
	require.Equal(t, []int64{3333, 3333, 3334}, amounts)
	_, err = w.svc.Redeem(w.customer(0), c.ID, orders[3])
	require.Equal(t, "insufficient_balance", code(err))
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.Visits, ledger.AssetVisits))
	require.EqualValues(t, 0, w.balance(ledger.HQ(), ledger.CardFunds, "CNY"))
	require.EqualValues(t, 10000, w.balance(ledger.HQ(), ledger.OrderFunds, "CNY"))

	// a stored-value card cannot be redeemed on an order
	sv := w.buy(0, w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30}))
	_, err = w.svc.Redeem(w.customer(0), sv.ID, orders[3])
	require.ErrorIs(t, err, card.ErrNotVisitCard)

	// an unlimited month card: any service, the order's total as far as the funds reach, until it expires
	month := w.buy(0, w.product(card.NewProduct{Kind: card.Visits, NameZh: "月卡", NameEn: "Month pass", Price: 12000, ValidityDays: 30}))
	require.Nil(t, month.VisitsRemaining)
	r, err := w.svc.Redeem(w.customer(0), month.ID, orders[3])
	require.NoError(t, err)
	require.EqualValues(t, 5000, r.Amount)
	r, err = w.svc.Redeem(w.customer(0), month.ID, wrong)
	require.NoError(t, err)
	require.EqualValues(t, 5000, r.Amount)
	more := w.orders(2, 0, w.service, 5000)
	r, err = w.svc.Redeem(w.customer(0), month.ID, more[0])
	require.NoError(t, err)
	require.EqualValues(t, 2000, r.Amount)
	r, err = w.svc.Redeem(w.customer(0), month.ID, more[1])
	require.NoError(t, err)
	require.EqualValues(t, 0, r.Amount)
	require.Equal(t, uuid.Nil, r.LedgerTxID)
	w.clk.Advance(31 * 24 * time.Hour)
	late := w.orders(1, 0, w.service, 5000)[0]
	_, err = w.svc.Redeem(w.customer(0), month.ID, late)
	require.ErrorIs(t, err, card.ErrCardExpired)
	w.requireBooksConsistent()
}

func TestAdjust(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpe")
	c := w.buy(0, w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30}))
	_, err := w.svc.Adjust(w.hq(), c.ID, 0, " ", "")
	require.Equal(t, "validation_failed", code(err))
	a, err := w.svc.Adjust(w.hq(), c.ID, 500, "goodwill for a late visit", "")
	require.NoError(t, err)
	tx, err := w.ledger.Get(w.system(), a.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "card.adjust", tx.Kind)
	require.EqualValues(t, 10500, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue))
	_, err = w.svc.Adjust(w.hq(), c.ID, -10501, "too much", "")
	require.Equal(t, "insufficient_balance", code(err))
	_, err = w.svc.Adjust(w.hq(), c.ID, -10500, "closing the card", "")
	require.NoError(t, err)
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue))
	var n int64
	require.NoError(t, w.db.Owner.Raw(`select count(*) from audit_log where tenant_id = ? and action = 'card.adjust' and object_id = ?`,
		w.tn.ID, c.ID.String()).Scan(&n).Error)
	require.EqualValues(t, 2, n)
	_, as, _, err := func() (card.Card, []card.Adjustment, []card.Redemption, error) {
		c, rs, as, err := w.svc.GetCard(w.hq(), c.ID)
		return c, as, rs, err
	}()
	require.NoError(t, err)
	require.Len(t, as, 2)
	// store staff cannot adjust even with the permission in a custom role
	store := auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn),
		&auth.Principal{Kind: auth.User, TenantID: w.tn.ID, SubjectID: uuid.New(), Scope: auth.ScopeStore, StoreID: w.store})
	_, err = w.svc.Adjust(store, c.ID, 1, "x", "")
	require.Equal(t, errs.Forbidden, errs.KindOf(err))
	w.requireBooksConsistent()
}

// TestConcurrentSpendsThroughCards is the must-show through this area's own path: a
// stored-value card of 10,000 bought through HandleIntent takes 300 concurrent adjustments of
// −100 and exactly 100 succeed; a card of 100 visits takes 300 concurrent redemptions on 300
// orders and exactly 100 succeed. Balances end at zero and the books stay consistent.
func TestConcurrentSpendsThroughCards(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpf")
	sv := w.buy(0, w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30}))
	visits := w.buy(0, w.product(card.NewProduct{Kind: card.Visits, NameZh: "100次卡", NameEn: "100 visits", Price: 100000, Visits: ptr(100), ValidityDays: 365}))
	orders := w.orders(300, 0, w.service, 5000)

	run := func(f func(i int) error) (ok, refused int64) {
		var wg sync.WaitGroup
		var okN, refusedN atomic.Int64
		errCh := make(chan error, 300)
		for i := range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := f(i)
				switch {
				case err == nil:
					okN.Add(1)
				case code(err) == "insufficient_balance":
					refusedN.Add(1)
				default:
					errCh <- err
				}
			}()
		}
		wg.Wait()
		close(errCh)
		for err := range errCh {
			require.NoError(t, err)
		}
		return okN.Load(), refusedN.Load()
	}
	ok, refused := run(func(i int) error {
		_, err := w.svc.Adjust(w.hq(), sv.ID, -100, fmt.Sprintf("spend %d", i), "")
		return err
	})
	require.EqualValues(t, 100, ok)
	require.EqualValues(t, 200, refused)
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue))

	ok, refused = run(func(i int) error {
		_, err := w.svc.Redeem(w.customer(0), visits.ID, orders[i])
		return err
	})
	require.EqualValues(t, 100, ok)
	require.EqualValues(t, 200, refused)
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.Visits, ledger.AssetVisits))
	c, rs, _, err := w.svc.GetCard(w.customer(0), visits.ID)
	require.NoError(t, err)
	require.EqualValues(t, 0, *c.VisitsRemaining)
	require.EqualValues(t, 0, c.FundsRemaining)
	require.Len(t, rs, 100)
	var redeemed int64
	for _, r := range rs {
		redeemed += r.Amount
	}
	require.EqualValues(t, 100000, redeemed)
	w.requireBooksConsistent()
}

func TestExpiry(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpg")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	short := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100送20", NameEn: "Pay 100 get 120", Price: 10000, Bonus: 2000, ValidityDays: 1})
	long := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充50", NameEn: "Pay 50", Price: 5000, ValidityDays: 30})
	five := w.product(card.NewProduct{Kind: card.Visits, NameZh: "5次卡", NameEn: "5 visits", Price: 10000, Visits: ptr(5), ValidityDays: 1})
	a := w.buy(0, short)
	b := w.buy(0, long)
	v := w.buy(0, five)
	o := w.orders(1, 0, w.service, 1)[0]
	_, err := w.svc.Redeem(w.customer(0), v.ID, o)
	require.NoError(t, err)
	// the customer spends 13,000 of 17,000 (as payment.stored_value would), so 4,000 is left:
	// the later card keeps its 5,000 first — capped by the balance — and the early card has nothing
	_, err = w.ledger.Post(w.system(), ledger.Transaction{Kind: "payment.stored_value", Ref: ledger.Ref{Kind: "order", ID: o}, Key: "spend-1",
		Entries: []ledger.Entry{
			{Account: ledger.Customer(w.customers[0]).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -13000},
			{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: 13000},
			{Account: ledger.HQ().Account(ledger.CardFunds, "CNY"), Amount: -13000},
			{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: 13000}}})
	require.NoError(t, err)
	h, err := w.svc.MyCards(w.customer(0))
	require.NoError(t, err)
	rem := map[uuid.UUID]int64{}
	for _, c := range h.Cards {
		rem[c.ID] = c.Remaining
	}
	require.EqualValues(t, 0, rem[a.ID])
	require.EqualValues(t, 4000, rem[b.ID])
	require.EqualValues(t, 4, rem[v.ID])

	// Shanghai midnight ending 2026-11-23: nothing due a minute before
	w.clk.Advance(time.Date(2026, 11, 24, 0, 0, 0, 0, sh).Sub(w.clk.Now()) - time.Minute)
	n, err := w.svc.ExpireDue(w.system())
	require.NoError(t, err)
	require.Zero(t, n)
	w.clk.Advance(time.Minute)
	revenueBefore := w.balance(ledger.HQ(), ledger.Revenue, "CNY")
	n, err = w.svc.ExpireDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 2, n)
	// the early stored-value card had nothing left: no posting, just expired
	ca, _, _, err := w.svc.GetCard(w.hq(), a.ID)
	require.NoError(t, err)
	require.Equal(t, card.Expired, ca.Status)
	require.Equal(t, uuid.Nil, ca.ExpireTxID)
	// the visit card: 4 visits back to HQ, 8,000 unearned to revenue
	cv, _, _, err := w.svc.GetCard(w.hq(), v.ID)
	require.NoError(t, err)
	require.Equal(t, card.Expired, cv.Status)
	tx, err := w.ledger.Get(w.system(), cv.ExpireTxID)
	require.NoError(t, err)
	require.Equal(t, "card.expire", tx.Kind)
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.Visits, ledger.AssetVisits))
	require.EqualValues(t, 8000, w.balance(ledger.HQ(), ledger.Revenue, "CNY")-revenueBefore)
	// idempotent
	n, err = w.svc.ExpireDue(w.system())
	require.NoError(t, err)
	require.Zero(t, n)
	done, err := w.svc.Expire(w.system(), v.ID)
	require.NoError(t, err)
	require.False(t, done)

	// the long card expires with its 4,000 left
	w.clk.Advance(40 * 24 * time.Hour)
	n, err = w.svc.ExpireDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.EqualValues(t, 0, w.balance(ledger.Customer(w.customers[0]), ledger.StoredValue, ledger.AssetStoredValue))
	require.EqualValues(t, 12000, w.balance(ledger.HQ(), ledger.Revenue, "CNY")-revenueBefore)
	w.requireBooksConsistent()
}

func TestSweepQueuesEveryTenant(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cph")
	_ = newWorld(t, db, "cpi")
	n, err := w.svc.SweepExpiry(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, n)
	var rows int64
	require.NoError(t, db.Owner.Raw(`select count(*) from outbox where task_type = ?`, card.TypeExpire).Scan(&rows).Error)
	require.EqualValues(t, 2, rows)
}

func TestProcessorDown(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "cpj")
	p := w.product(card.NewProduct{Kind: card.StoredValue, NameZh: "充100", NameEn: "Pay 100", Price: 10000, ValidityDays: 30})
	down := card.NewService(card.Deps{DB: w.db.Tx, Repo: carddb.New(w.db.Tx), StoresOf: orgdb.New(w.db.Tx).StoresOfFranchisee, Ledger: w.ledger, Clock: w.clk,
		Gateway: gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_x", APIURL: "http://127.0.0.1:1", Timeout: 200 * time.Millisecond}),
		Audit:   audit.New(w.db.Tx, auditdb.New(w.db.Tx))})
	_, err := down.Purchase(w.customer(0), p.ID, "")
	require.True(t, errors.Is(err, card.ErrProcessorDown), "%v", err)
	// the pending row with its key was saved before the call; reading it later repairs it
	var ids []uuid.UUID
	require.NoError(t, w.db.Owner.Raw(`select id from card_purchases where tenant_id = ? and status = 'pending' and intent_id is null`, w.tn.ID).Scan(&ids).Error)
	require.Len(t, ids, 1)
	st, err := w.svc.MyPurchase(w.customer(0), ids[0])
	require.NoError(t, err)
	require.NotEmpty(t, st.ClientSecret)
	require.NotEmpty(t, w.purchase(ids[0]).IntentID)
}

func ptr[T any](v T) *T { return &v }
