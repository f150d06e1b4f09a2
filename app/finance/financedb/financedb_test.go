package financedb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/finance"
	"doorstep/app/finance/financedb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
	"doorstep/app/org/orgdb"
	"doorstep/tenant"
)

type world struct {
	t                testing.TB
	db               *dbtest.DB
	clk              *clock.Manual
	tn               *tenant.Tenant
	franchisee       uuid.UUID
	hqStore, frStore uuid.UUID
	cleaning, repair uuid.UUID
	customer         uuid.UUID
	staffA, staffB   uuid.UUID // staffA works in the HQ store, staffB in the franchised one
	ledger           *ledger.Service
	refunds          fakeRefunds
	svc              *finance.Service
	n                int
	sh               *time.Location
}

type fakeRefunds map[uuid.UUID]finance.RefundRef

func (f fakeRefunds) RefundOrders(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]finance.RefundRef, error) {
	out := map[uuid.UUID]finance.RefundRef{}
	for _, id := range ids {
		if r, ok := f[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

func newWorld(t testing.TB, db *dbtest.DB, slug string) *world {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	w := &world{t: t, db: db, clk: clock.NewManual(time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)), refunds: fakeRefunds{}, sh: sh}
	tid := uuid.Must(uuid.NewV7())
	w.tn = &tenant.Tenant{ID: tid, Slug: slug, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	w.exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, tid, slug, slug)
	w.franchisee = uuid.Must(uuid.NewV7())
	w.exec(`insert into franchisees (tenant_id, id, name) values (?, ?, '加盟商甲')`, tid, w.franchisee)
	w.hqStore, w.frStore = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into stores (tenant_id, id, code, name, time_zone) values (?, ?, 'S1', '总部店', 'Asia/Shanghai')`, tid, w.hqStore)
	w.exec(`insert into stores (tenant_id, id, franchisee_id, code, name, time_zone) values (?, ?, ?, 'S2', '加盟店', 'Asia/Shanghai')`, tid, w.frStore, w.franchisee)
	cat := uuid.Must(uuid.NewV7())
	w.cleaning, w.repair = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_categories (tenant_id, id, name_zh, name_en) values (?, ?, '家政', 'home')`, tid, cat)
	w.exec(`insert into catalog_services (tenant_id, id, category_id, status, name_zh, name_en) values (?, ?, ?, 'published', '保洁', 'Cleaning'),
		(?, ?, ?, 'published', '维修', 'Repair')`, tid, w.cleaning, cat, tid, w.repair, cat)
	w.customer = uuid.Must(uuid.NewV7())
	w.exec(`insert into customers (tenant_id, id, phone) values (?, ?, '+8613800001111')`, tid, w.customer)
	w.staffA, w.staffB = w.member(w.hqStore, "张三"), w.member(w.frStore, "李四")
	w.ledger = ledger.New(db.Tx, ledgerdb.New(db.Tx), w.clk.Now)
	w.svc = finance.NewService(db.Tx, financedb.New(db.Tx), w.refunds, orgdb.New(db.Tx).StoresOfFranchisee)
	return w
}

func (w *world) member(store uuid.UUID, name string) uuid.UUID {
	w.n++
	user, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`, w.tn.ID, user, fmt.Sprintf("s%d@x.test", w.n), store)
	w.exec(`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name, status) values (?, ?, ?, ?, ?, ?, 'active')`,
		w.tn.ID, id, user, store, fmt.Sprintf("B%d", w.n), name)
	return id
}

func (w *world) order(store, service uuid.UUID, total int64) uuid.UUID {
	w.n++
	q, id := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
		values (?, ?, ?, gen_random_uuid(), 'x', now(), st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, '{}', '[]', ?, ?, 'CNY', now())`,
		w.tn.ID, q, store, total, total)
	w.exec(`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		starts_at, ends_at, location, address, total, currency, created_by)
		values (?, ?, ?, ?, ?, ?, gen_random_uuid(), ?, 'completed', now(), now() + interval '1 hour', st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, 'a', ?, 'CNY', 'x')`,
		w.tn.ID, id, fmt.Sprintf("F-%04d", w.n), w.customer, store, service, q, total)
	return id
}

func (w *world) ctx() context.Context { return tenant.WithTenant(context.Background(), w.tn) }

func (w *world) as(p *auth.Principal) context.Context {
	p.Kind, p.TenantID, p.SubjectID = auth.User, w.tn.ID, uuid.New()
	return auth.WithPrincipal(w.ctx(), p)
}

// at moves the ledger's clock to a Shanghai wall time on 2026-11-d.
func (w *world) at(d, hour int) {
	w.clk.Advance(time.Date(2026, 11, d, hour, 0, 0, 0, w.sh).Sub(w.clk.Now()))
}

func (w *world) post(kind string, ref ledger.Ref, entries ...ledger.Entry) {
	w.t.Helper()
	_, err := w.ledger.Post(w.ctx(), ledger.Transaction{Kind: kind, Ref: ref, Key: uuid.NewString(), Entries: entries})
	require.NoError(w.t, err)
}

var (
	clearing    = ledger.External().Account(ledger.Clearing, "CNY")
	orderFunds  = ledger.HQ().Account(ledger.OrderFunds, "CNY")
	cardFunds   = ledger.HQ().Account(ledger.CardFunds, "CNY")
	hqRevenue   = ledger.HQ().Account(ledger.Revenue, "CNY")
	platPending = ledger.Platform().Account(ledger.Pending, "CNY")
)

// pay posts docs/money.md's payment of an order by method.
func (w *world) pay(order uuid.UUID, method string, a int64) {
	ref := ledger.Ref{Kind: "order", ID: order}
	if method == "stored_value" {
		w.post("payment.stored_value", ref,
			ledger.Entry{Account: ledger.Customer(w.customer).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: -a},
			ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: a},
			ledger.Entry{Account: cardFunds, Amount: -a}, ledger.Entry{Account: orderFunds, Amount: a})
		return
	}
	w.post("payment."+method, ref, ledger.Entry{Account: clearing, Amount: -a}, ledger.Entry{Account: orderFunds, Amount: a})
}

func (w *world) refund(order uuid.UUID, method string, r int64) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	w.refunds[id] = finance.RefundRef{OrderID: order, Method: method}
	w.post("refund", ledger.Ref{Kind: "refund", ID: id}, ledger.Entry{Account: orderFunds, Amount: -r}, ledger.Entry{Account: clearing, Amount: r})
	return id
}

// split posts commission.split for an order of total t: platform fee, staff commission and
// (franchised stores) the franchisee's share, HQ's royalty.
func (w *world) split(order, staff uuid.UUID, franchised bool, t, fee, commission, share int64) {
	es := []ledger.Entry{{Account: orderFunds, Amount: -t}, {Account: platPending, Amount: fee},
		{Account: ledger.Staff(staff).Account(ledger.Pending, "CNY"), Amount: commission}}
	rest := t - fee - commission
	if franchised {
		es = append(es, ledger.Entry{Account: ledger.Franchisee(w.franchisee).Account(ledger.Pending, "CNY"), Amount: share})
		rest -= share
	}
	es = append(es, ledger.Entry{Account: hqRevenue, Amount: rest})
	w.post("commission.split", ledger.Ref{Kind: "order", ID: order}, es...)
}

func (w *world) settle(order uuid.UUID, owner ledger.Owner, s int64) {
	w.post("commission.settle", ledger.Ref{Kind: "order", ID: order},
		ledger.Entry{Account: owner.Account(ledger.Pending, "CNY"), Amount: -s}, ledger.Entry{Account: owner.Account(ledger.Available, "CNY"), Amount: s})
}

func TestRevenue(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "fia")
	o1 := w.order(w.hqStore, w.cleaning, 10000)
	o2 := w.order(w.frStore, w.repair, 20000)
	o3 := w.order(w.frStore, w.cleaning, 5000)
	// the customer's stored value comes from a card (not revenue)
	w.post("card.purchase", ledger.Ref{Kind: "card", ID: uuid.New()}, ledger.Entry{Account: clearing, Amount: -5000},
		ledger.Entry{Account: cardFunds, Amount: 5000},
		ledger.Entry{Account: ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue), Amount: -5000},
		ledger.Entry{Account: ledger.Customer(w.customer).Account(ledger.StoredValue, ledger.AssetStoredValue), Amount: 5000},
		ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: -1},
		ledger.Entry{Account: ledger.Customer(w.customer).Account(ledger.Visits, ledger.AssetVisits), Amount: 1})
	// Nov 2 (Shanghai): card 100 at the HQ store, alipay 200 at the franchise; 01:00 Shanghai is still Nov 2
	w.at(2, 1)
	w.pay(o1, "card", 10000)
	w.at(2, 23)
	w.pay(o2, "alipay", 20000)
	// Nov 3: stored value 50 at the franchise (cleaning), a 30 refund of o2 to alipay, a visit of a card
	w.at(3, 9)
	w.pay(o3, "stored_value", 5000)
	w.refund(o2, "alipay", 3000)
	o4 := w.order(w.hqStore, w.cleaning, 8000)
	w.post("card.redeem", ledger.Ref{Kind: "order", ID: o4},
		ledger.Entry{Account: ledger.Customer(w.customer).Account(ledger.Visits, ledger.AssetVisits), Amount: -1},
		ledger.Entry{Account: ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits), Amount: 1},
		ledger.Entry{Account: cardFunds, Amount: -2500}, ledger.Entry{Account: orderFunds, Amount: 2500})
	// noise that is not revenue: a split, and a payment outside the period
	w.split(o1, w.staffA, false, 10000, 1000, 3000, 0)
	w.at(5, 9)
	w.pay(w.order(w.hqStore, w.repair, 999), "cash", 999)

	period := finance.Period{From: "2026-11-02", To: "2026-11-03"}
	r, err := w.svc.Revenue(w.ctx(), period, finance.ByMethod)
	require.NoError(t, err)
	type cell struct {
		day, key         string
		pay, refund, net int64
	}
	cells := func(r finance.Revenue) []cell {
		var out []cell
		for _, x := range r.Rows {
			out = append(out, cell{x.Day, x.Label, x.Payments, x.Refunds, x.Net})
		}
		return out
	}
	require.Equal(t, []cell{{"2026-11-02", "alipay", 20000, 0, 20000}, {"2026-11-02", "card", 10000, 0, 10000},
		{"2026-11-03", "alipay", 0, 3000, -3000}, {"2026-11-03", "stored_value", 5000, 0, 5000}, {"2026-11-03", "visit_card", 2500, 0, 2500}}, cells(r))
	require.EqualValues(t, 37500-3000, r.Total.Net)
	require.Equal(t, "Asia/Shanghai", r.TimeZone)

	r, err = w.svc.Revenue(w.ctx(), period, finance.ByStore)
	require.NoError(t, err)
	require.Equal(t, []cell{{"2026-11-02", "加盟店", 20000, 0, 20000}, {"2026-11-02", "总部店", 10000, 0, 10000},
		{"2026-11-03", "加盟店", 5000, 3000, 2000}, {"2026-11-03", "总部店", 2500, 0, 2500}}, cells(r))

	r, err = w.svc.Revenue(w.ctx(), period, finance.ByService)
	require.NoError(t, err)
	require.Equal(t, []cell{{"2026-11-02", "Cleaning", 10000, 0, 10000}, {"2026-11-02", "Repair", 20000, 0, 20000},
		{"2026-11-03", "Cleaning", 7500, 0, 7500}, {"2026-11-03", "Repair", 0, 3000, -3000}}, cells(r))
	require.Equal(t, "保洁", r.Rows[0].LabelZh)

	// scope: the franchisee sees its store only; a store manager of the HQ store sees that one
	r, err = w.svc.Revenue(w.as(&auth.Principal{Scope: auth.ScopeFranchisee, FranchiseeID: w.franchisee}), period, finance.ByStore)
	require.NoError(t, err)
	require.Equal(t, []cell{{"2026-11-02", "加盟店", 20000, 0, 20000}, {"2026-11-03", "加盟店", 5000, 3000, 2000}}, cells(r))
	r, err = w.svc.Revenue(w.as(&auth.Principal{Scope: auth.ScopeStore, StoreID: w.hqStore}), period, finance.ByMethod)
	require.NoError(t, err)
	require.Equal(t, []cell{{"2026-11-02", "card", 10000, 0, 10000}, {"2026-11-03", "visit_card", 2500, 0, 2500}}, cells(r))

	// bad input
	_, err = w.svc.Revenue(w.ctx(), finance.Period{From: "2026-11-05", To: "2026-11-01"}, finance.ByStore)
	require.Equal(t, errs.Invalid, errs.KindOf(err))
	_, err = w.svc.Revenue(w.ctx(), finance.Period{From: "2025-01-01", To: "2026-11-01"}, finance.ByStore)
	require.Equal(t, errs.Invalid, errs.KindOf(err))
	_, err = w.svc.Revenue(w.ctx(), period, "day")
	require.Equal(t, errs.Invalid, errs.KindOf(err))

	// another tenant's books are empty
	w2 := newWorld(t, db, "fib")
	r, err = w2.svc.Revenue(w2.ctx(), period, finance.ByStore)
	require.NoError(t, err)
	require.Empty(t, r.Rows)
}

func TestStatements(t *testing.T) {
	w := newWorld(t, dbtest.New(t), "fic")
	o1 := w.order(w.frStore, w.repair, 20000)
	o2 := w.order(w.frStore, w.cleaning, 10000)
	// before the period: a split of o1 (staff 3,000, franchisee 12,000), settled
	w.at(1, 12)
	w.pay(o1, "card", 20000)
	w.split(o1, w.staffB, true, 20000, 2000, 3000, 12000)
	w.settle(o1, ledger.Staff(w.staffB), 3000)
	w.settle(o1, ledger.Franchisee(w.franchisee), 12000)
	// in the period: o2's split, then a refund of half of o2 clawing back half the commission
	w.at(10, 10)
	w.pay(o2, "wechat_pay", 10000)
	w.split(o2, w.staffB, true, 10000, 1000, 1500, 6000)
	w.at(11, 10)
	rf := w.refund(o2, "wechat_pay", 5000)
	w.post("commission.clawback", ledger.Ref{Kind: "refund", ID: rf},
		ledger.Entry{Account: orderFunds, Amount: 5000}, ledger.Entry{Account: platPending, Amount: -500},
		ledger.Entry{Account: ledger.Staff(w.staffB).Account(ledger.Pending, "CNY"), Amount: -750},
		ledger.Entry{Account: ledger.Franchisee(w.franchisee).Account(ledger.Pending, "CNY"), Amount: -3000},
		ledger.Entry{Account: hqRevenue, Amount: -750})

	period := finance.Period{From: "2026-11-05", To: "2026-11-30"}
	s, err := w.svc.StaffStatement(w.ctx(), w.staffB, period)
	require.NoError(t, err)
	require.Equal(t, "李四", s.OwnerName)
	require.EqualValues(t, 0, s.OpeningPending)
	require.EqualValues(t, 3000, s.OpeningAvail)
	require.Len(t, s.Lines, 2)
	require.Equal(t, "commission.split", s.Lines[0].Kind)
	require.Equal(t, o2, s.Lines[0].OrderID)
	require.EqualValues(t, 1500, s.Lines[0].Pending)
	require.EqualValues(t, 4500, s.Lines[0].Total)
	require.Equal(t, "commission.clawback", s.Lines[1].Kind)
	require.Equal(t, o2, s.Lines[1].OrderID, "the clawback's order is found through its refund")
	require.EqualValues(t, 750, s.Lines[1].Pending)
	require.EqualValues(t, 3750, s.Lines[1].Total)
	require.EqualValues(t, 1500, s.Earned)
	require.EqualValues(t, -750, s.ClawedBack)
	require.EqualValues(t, 750, s.ClosingPending)
	require.EqualValues(t, 3000, s.ClosingAvail)

	f, err := w.svc.FranchiseeStatement(w.ctx(), w.franchisee, period)
	require.NoError(t, err)
	require.EqualValues(t, 12000, f.OpeningAvail)
	require.EqualValues(t, 3000, f.ClosingPending)
	require.Equal(t, "2026-11-10", f.Lines[0].Day)

	// the whole month includes the settlement lines
	all, err := w.svc.StaffStatement(w.ctx(), w.staffB, finance.Period{From: "2026-11-01", To: "2026-11-30"})
	require.NoError(t, err)
	require.Len(t, all.Lines, 5) // split, settle (pending −, available +), split, clawback
	require.EqualValues(t, 3750, all.Lines[4].Total)

	// scope: the HQ store's manager cannot read the franchised store's staff; the franchisee
	// owner can read its own statement and its staff's, not another franchisee's
	_, err = w.svc.StaffStatement(w.as(&auth.Principal{Scope: auth.ScopeStore, StoreID: w.hqStore}), w.staffB, period)
	require.ErrorIs(t, err, finance.ErrStaffNotFound)
	fr := w.as(&auth.Principal{Scope: auth.ScopeFranchisee, FranchiseeID: w.franchisee})
	_, err = w.svc.StaffStatement(fr, w.staffB, period)
	require.NoError(t, err)
	_, err = w.svc.StaffStatement(fr, w.staffA, period)
	require.ErrorIs(t, err, finance.ErrStaffNotFound)
	_, err = w.svc.FranchiseeStatement(fr, w.franchisee, period)
	require.NoError(t, err)
	_, err = w.svc.FranchiseeStatement(w.as(&auth.Principal{Scope: auth.ScopeFranchisee, FranchiseeID: uuid.New()}), w.franchisee, period)
	require.ErrorIs(t, err, finance.ErrFranchiseeNotFound)
	_, err = w.svc.FranchiseeStatement(w.as(&auth.Principal{Scope: auth.ScopeStore, StoreID: w.frStore}), w.franchisee, period)
	require.ErrorIs(t, err, finance.ErrFranchiseeNotFound)
	_, err = w.svc.StaffStatement(w.ctx(), uuid.New(), period)
	require.ErrorIs(t, err, finance.ErrStaffNotFound)
}
