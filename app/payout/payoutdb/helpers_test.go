package payoutdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
	"doorstep/app/payment/gateway"
	"doorstep/app/payout"
	"doorstep/app/payout/payoutdb"
	"doorstep/jobs"
)

const whsec = "whsec_payout_test"

func mockURL(t testing.TB) string {
	u := os.Getenv("STRIPE_MOCK_URL")
	if u == "" {
		t.Fatal("STRIPE_MOCK_URL is unset: run through make test, or eval \"$(deploy/dev/stripe-mock.sh)\"")
	}
	return u
}

// selfMap is payouts' Self: user → staff member.
type selfMap struct {
	mu sync.Mutex
	m  map[uuid.UUID]uuid.UUID
}

func (s *selfMap) MyStaffID(ctx context.Context) (uuid.UUID, error) {
	p, _ := auth.FromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.m[p.SubjectID]
	if !ok {
		return uuid.Nil, errs.New(errs.NotFound, "staff_profile_not_found", "no profile")
	}
	return id, nil
}

// world is one tenant with a franchisee, a store and staff members, payouts over the real
// ledger, and the gateway the test chose.
type world struct {
	t      testing.TB
	db     *dbtest.DB
	tid    uuid.UUID
	base   context.Context
	store  uuid.UUID
	fr     uuid.UUID
	frUser uuid.UUID
	self   *selfMap
	ledger *ledger.Service
	svc    *payout.Service
	outbox *jobs.Outbox
	clk    *clock.Manual
}

type member struct {
	user, staff uuid.UUID
	ctx         context.Context
}

func newWorld(t testing.TB, db *dbtest.DB, slug string, gw gateway.Gateway, retry payout.Retry) *world {
	w := &world{t: t, db: db, tid: uuid.Must(uuid.NewV7()), store: uuid.Must(uuid.NewV7()), fr: uuid.Must(uuid.NewV7()),
		frUser: uuid.Must(uuid.NewV7()), self: &selfMap{m: map[uuid.UUID]uuid.UUID{}}, clk: clock.NewManual(time.Now())}
	w.exec(`insert into tenants (id, slug, name, currency, time_zone, locale) values (?, ?, ?, 'CNY', 'Asia/Shanghai', 'zh-CN')`, w.tid, slug, slug+" 洁家")
	w.exec(`insert into franchisees (tenant_id, id, name) values (?, ?, 'Franchise')`, w.tid, w.fr)
	w.exec(`insert into stores (tenant_id, id, franchisee_id, code, name, time_zone) values (?, ?, ?, 'S1', 'Store', 'Asia/Shanghai')`, w.tid, w.store, w.fr)
	w.exec(`insert into users (tenant_id, id, email, password_hash, franchisee_id, locale) values (?, ?, ?, 'x', ?, 'en')`, w.tid, w.frUser, "fr@"+slug+".test", w.fr)
	w.base = dbx.WithTenant(context.Background(), w.tid)
	w.ledger = ledger.New(db.Tx, ledgerdb.New(db.Tx), nil)
	w.outbox = jobs.NewOutbox(db.Tx, clock.System{})
	w.svc = payout.NewService(payout.Deps{DB: db.Tx, Repo: payoutdb.New(db.Tx), Ledger: w.ledger, Gateway: gw, Outbox: w.outbox,
		Self: w.self, Clock: w.clk, Retry: retry})
	return w
}

func stripeMock(t testing.TB, rt http.RoundTripper) *gateway.Stripe {
	c := &http.Client{}
	if rt != nil {
		c.Transport = rt
	}
	return gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_123", APIURL: mockURL(t), HTTPClient: c})
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

// member adds a staff member with their user account and returns their principal context.
func (w *world) member() member {
	m := member{user: uuid.Must(uuid.NewV7()), staff: uuid.Must(uuid.NewV7())}
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`, w.tid, m.user, m.user.String()+"@s.test", w.store)
	w.exec(`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name, status) values (?, ?, ?, ?, ?, 'Staff', 'active')`,
		w.tid, m.staff, m.user, w.store, "B"+m.staff.String()[24:])
	w.self.mu.Lock()
	w.self.m[m.user] = m.staff
	w.self.mu.Unlock()
	m.ctx = auth.WithPrincipal(w.base, &auth.Principal{Kind: auth.User, TenantID: w.tid, SubjectID: m.user, Scope: auth.ScopeSelf,
		StoreID: w.store, FranchiseeID: w.fr, Roles: []string{"staff"}})
	return m
}

func (w *world) franchiseeOwner() context.Context {
	return auth.WithPrincipal(w.base, &auth.Principal{Kind: auth.User, TenantID: w.tid, SubjectID: w.frUser, Scope: auth.ScopeFranchisee,
		FranchiseeID: w.fr, Roles: []string{"franchisee_owner"}})
}

func (w *world) finance() context.Context {
	return auth.WithPrincipal(w.base, &auth.Principal{Kind: auth.User, TenantID: w.tid, SubjectID: uuid.Must(uuid.NewV7()), Scope: auth.ScopeTenant,
		Roles: []string{"finance"}})
}

// fund gives owner amount of available money the way the book does: an order paid by card,
// split on completion (commission.split) and settled after the holding period
// (commission.settle), per docs/money.md.
func (w *world) fund(owner payout.Owner, amount int64) {
	w.t.Helper()
	order := uuid.Must(uuid.NewV7())
	total := amount * 2
	o := owner.Ledger()
	ref := ledger.Ref{Kind: "order", ID: order}
	post := func(kind, key string, es ...ledger.Entry) ledger.Transaction {
		tx, err := w.ledger.Post(w.base, ledger.Transaction{Kind: kind, Ref: ref, Key: key, Entries: es})
		require.NoError(w.t, err)
		return tx
	}
	post("payment.card", "payment:"+order.String()+":succeeded",
		ledger.Entry{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: -total},
		ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: total})
	split := post("commission.split", "split:"+order.String(),
		ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: -total},
		ledger.Entry{Account: ledger.Platform().Account(ledger.Pending, "CNY"), Amount: total / 10},
		ledger.Entry{Account: o.Account(ledger.Pending, "CNY"), Amount: amount},
		ledger.Entry{Account: ledger.HQ().Account(ledger.Revenue, "CNY"), Amount: total - amount - total/10})
	post("commission.settle", "settle:"+split.ID.String(),
		ledger.Entry{Account: o.Account(ledger.Pending, "CNY"), Amount: -amount},
		ledger.Entry{Account: o.Account(ledger.Available, "CNY"), Amount: amount},
		ledger.Entry{Account: ledger.Platform().Account(ledger.Pending, "CNY"), Amount: -total / 10},
		ledger.Entry{Account: ledger.Platform().Account(ledger.Revenue, "CNY"), Amount: total / 10})
}

// event builds a signed Stripe event and verifies it, as the webhook endpoint does.
func event(t testing.TB, id, typ string, created time.Time, object any) gateway.Event {
	obj, err := json.Marshal(object)
	require.NoError(t, err)
	body := fmt.Appendf(nil, `{"id":%q,"object":"event","type":%q,"created":%d,"data":{"object":%s}}`, id, typ, created.Unix(), obj)
	ev, err := gateway.VerifyEvent(body, gateway.SignTestPayload(body, whsec, time.Now()), whsec)
	require.NoError(t, err)
	return ev
}

// enable onboards ctx's owner and delivers the account.updated event that enables payouts.
func (w *world) enable(ctx context.Context) payout.Account {
	w.t.Helper()
	o, err := w.svc.Onboard(ctx, "https://app.test/wallet", "https://app.test/wallet/refresh")
	require.NoError(w.t, err)
	require.NotEmpty(w.t, o.URL)
	ev := event(w.t, "evt_"+uuid.NewString(), "account.updated", time.Now(), map[string]any{"id": o.Account.StripeID, "object": "account",
		"payouts_enabled": true, "charges_enabled": true, "details_submitted": true})
	require.NoError(w.t, w.svc.HandleEvent(w.base, ev))
	a, _, err := w.svc.MyAccount(ctx)
	require.NoError(w.t, err)
	require.Equal(w.t, payout.AccountEnabled, a.State)
	return a
}

func (w *world) wallet(owner payout.Owner) payout.Wallet {
	w.t.Helper()
	wl, err := w.svc.Wallet(w.base, owner)
	require.NoError(w.t, err)
	return wl
}

func (w *world) balance(a ledger.Account) int64 {
	w.t.Helper()
	b, err := w.ledger.Balance(w.base, a)
	require.NoError(w.t, err)
	return b
}

// count counts rows of the tenant (as the owner, no RLS).
func (w *world) count(sql string, args ...any) int64 {
	w.t.Helper()
	var n int64
	require.NoError(w.t, w.db.Owner.Raw(sql, args...).Scan(&n).Error)
	return n
}

func (w *world) checkBooks() {
	w.t.Helper()
	ms, err := w.ledger.Check(w.base)
	require.NoError(w.t, err)
	require.Empty(w.t, ms, "the books are consistent")
}

func problem(t testing.TB, err error) *errs.Error {
	t.Helper()
	e, ok := errs.As(err)
	require.True(t, ok, "a domain error: %v", err)
	return e
}
