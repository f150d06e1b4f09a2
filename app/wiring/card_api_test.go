package wiring_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/card"
	"doorstep/app/payment"
	"doorstep/tenant"
)

type cardProductView struct {
	ID     uuid.UUID
	Status string
	Value  int64
}

type cardHoldingsView struct {
	StoredValue int64 `json:"stored_value"`
	Visits      int64
	Cards       []struct {
		ID        uuid.UUID
		Kind      string
		Remaining int64
		Status    string
	}
}

// TestCardHTTP walks a card's life through the API: HQ defines and publishes products, the
// customer browses them on the storefront and buys one (Stripe through stripe-mock; the
// webhook's succeeded event is delivered to the card's IntentHandler), sees it, a store
// redeems a visit on an order, HQ adjusts with a reason, and bad input gets field problems.
func TestCardHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	owner, cust := f.Tokens["owner"], f.CustomerToken

	bad := e.do(http.MethodPost, "/api/v1/card-products", owner, "", map[string]any{"kind": "visits", "name_zh": "次卡", "name_en": "Visits",
		"price": 0, "bonus": 100, "validity_days": 0})
	bad.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	for _, field := range []string{"price", "bonus", "validity_days"} {
		require.Contains(t, string(bad.body), field)
	}
	e.do(http.MethodPost, "/api/v1/card-products", f.Tokens["store_manager"], "", map[string]any{}).wantProblem(http.StatusForbidden, "permission_denied")

	var p cardProductView
	e.do(http.MethodPost, "/api/v1/card-products", owner, "", map[string]any{"kind": "visits", "name_zh": "保洁5次卡", "name_en": "5 cleanings",
		"price": 50000, "visits": 5, "service_id": f.ServiceID, "validity_days": 90}).status(http.StatusCreated).ok(&p)
	require.Equal(t, "draft", p.Status)
	var list struct{ Items []cardProductView }
	e.do(http.MethodGet, "/api/v1/storefront/card-products", "", f.Host, nil).ok(&list)
	for _, x := range list.Items {
		require.NotEqual(t, p.ID, x.ID, "a draft is not on sale")
	}
	e.do(http.MethodPost, "/api/v1/storefront/card-purchases", cust, "", map[string]any{"product_id": p.ID}).wantProblem(http.StatusConflict, "card_product_not_on_sale")
	e.do(http.MethodPost, "/api/v1/card-products/"+p.ID.String()+"/publish", owner, "", nil).ok(&p)
	require.Equal(t, "published", p.Status)
	e.do(http.MethodGet, "/api/v1/storefront/card-products", "", f.Host, nil).ok(&list)
	found := false
	for _, x := range list.Items {
		found = found || x.ID == p.ID
	}
	require.True(t, found)

	var pu struct {
		ID           uuid.UUID
		Status       string
		ClientSecret string     `json:"client_secret"`
		CardID       *uuid.UUID `json:"card_id"`
	}
	e.do(http.MethodPost, "/api/v1/storefront/card-purchases", cust, "", map[string]any{"product_id": p.ID}).status(http.StatusCreated).ok(&pu)
	require.Equal(t, "pending", pu.Status)
	require.NotEmpty(t, pu.ClientSecret)
	// the payment area's webhook dispatch hands payment_intent.succeeded to the handler
	var row struct {
		IntentID string
		Amount   int64
	}
	require.NoError(t, e.db.Owner.Raw(`select intent_id, amount from card_purchases where id = ?`, pu.ID).Scan(&row).Error)
	var h payment.IntentHandler = e.app.Card
	ev := payment.IntentEvent{EventID: "evt_http", Type: "payment_intent.succeeded", IntentID: row.IntentID, Amount: row.Amount, Currency: "CNY", Method: "card", RefID: pu.ID}
	tctx := tenant.WithTenant(context.Background(), &f.Tenant)
	require.NoError(t, h.HandleIntent(tctx, ev))
	require.NoError(t, h.HandleIntent(tctx, ev))
	e.do(http.MethodGet, "/api/v1/storefront/card-purchases/"+pu.ID.String(), cust, "", nil).ok(&pu)
	require.Equal(t, "succeeded", pu.Status)
	require.NotNil(t, pu.CardID)
	cardID := *pu.CardID

	var mine cardHoldingsView
	e.do(http.MethodGet, "/api/v1/storefront/cards", cust, "", nil).ok(&mine)
	remaining := map[uuid.UUID]int64{}
	for _, c := range mine.Cards {
		remaining[c.ID] = c.Remaining
	}
	require.EqualValues(t, 5, remaining[cardID])

	// a store manager of the franchised store redeems a visit on the customer's order there
	order := probeOrder(e, f, booking.Completed, false)
	var red struct {
		Amount int64
	}
	e.do(http.MethodPost, "/api/v1/cards/"+cardID.String()+"/redemptions", f.Tokens["store_manager"], "", map[string]any{"order_id": order}).
		status(http.StatusCreated).ok(&red)
	require.EqualValues(t, 10000, red.Amount)
	e.do(http.MethodPost, "/api/v1/storefront/cards/"+cardID.String()+"/redemptions", cust, "", map[string]any{"order_id": order}).
		wantProblem(http.StatusConflict, "order_already_redeemed")
	other := probeOrder(e, f, booking.Completed, false)
	e.do(http.MethodPost, "/api/v1/storefront/cards/"+cardID.String()+"/redemptions", cust, "", map[string]any{"order_id": other}).status(http.StatusCreated)

	// HQ adjusts with a reason; finance may too; a store manager may not
	e.do(http.MethodPost, "/api/v1/cards/"+cardID.String()+"/adjustments", owner, "", map[string]any{"delta": 1, "reason": " "}).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	e.do(http.MethodPost, "/api/v1/cards/"+cardID.String()+"/adjustments", f.Tokens["finance"], "", map[string]any{"delta": 2, "reason": "补偿两次"}).status(http.StatusCreated)
	e.do(http.MethodPost, "/api/v1/cards/"+cardID.String()+"/adjustments", owner, "", map[string]any{"delta": -6, "reason": "too many"}).
		wantProblem(http.StatusConflict, "insufficient_balance")
	e.do(http.MethodPost, "/api/v1/cards/"+cardID.String()+"/adjustments", f.Tokens["store_manager"], "", map[string]any{"delta": 1, "reason": "x"}).
		wantProblem(http.StatusForbidden, "permission_denied")
	var staffView cardHoldingsView
	e.do(http.MethodGet, "/api/v1/customers/"+f.CustomerID.String()+"/cards", f.Tokens["support"], "", nil).ok(&staffView)
	for _, c := range staffView.Cards {
		if c.ID == cardID {
			require.EqualValues(t, 5, c.Remaining) // 5 − 2 redeemed + 2 adjusted
		}
	}
	var detail struct {
		Redemptions []struct {
			OrderID uuid.UUID `json:"order_id"`
		}
		Adjustments []struct{ Reason string }
	}
	e.do(http.MethodGet, "/api/v1/cards/"+cardID.String(), owner, "", nil).ok(&detail)
	require.Len(t, detail.Redemptions, 2)
	require.Len(t, detail.Adjustments, 1)
	require.Equal(t, "补偿两次", detail.Adjustments[0].Reason)

	// another customer sees none of it
	stranger := signInCustomer(e, f, "+8613800000091")
	e.do(http.MethodGet, "/api/v1/storefront/cards/"+cardID.String(), stranger, "", nil).wantProblem(http.StatusNotFound, "card_not_found")
	e.do(http.MethodGet, "/api/v1/storefront/card-purchases/"+pu.ID.String(), stranger, "", nil).wantProblem(http.StatusNotFound, "card_purchase_not_found")
	ms, err := e.app.Ledger.Check(tctx)
	require.NoError(t, err)
	require.Empty(t, ms)
}

// TestCardExpiryThroughAsynq runs the expiry sweep through the outbox, the relay and the real
// asynq worker: a card past its validity is expired once with a card.expire posting.
func TestCardExpiryThroughAsynq(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	id := cardOf(f).StoredCardID
	require.NoError(t, e.db.Owner.Exec(`update cards set starts_at = now() - interval '2 days', expires_at = now() - interval '1 minute' where id = ?`, id).Error)
	n, err := e.app.Card.SweepExpiry(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 2)
	deadline := time.Now().Add(15 * time.Second)
	var st struct {
		Status     string
		ExpireTxID *uuid.UUID
	}
	for time.Now().Before(deadline) {
		require.NoError(t, e.db.Owner.Raw(`select status, expire_tx_id from cards where id = ?`, id).Scan(&st).Error)
		if st.Status == string(card.Expired) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, "expired", st.Status)
	require.NotNil(t, st.ExpireTxID)
	var kind string
	require.NoError(t, e.db.Owner.Raw(`select kind from ledger_transactions where id = ?`, *st.ExpireTxID).Scan(&kind).Error)
	require.Equal(t, "card.expire", kind)
	// the customer's stored value (600.00 from the fixture card) went back to HQ
	var h cardHoldingsView
	e.do(http.MethodGet, "/api/v1/storefront/cards", f.CustomerToken, "", nil).ok(&h)
	require.EqualValues(t, 0, h.StoredValue)
}

// TestFinanceCSV checks the CSV exports: text/csv with a UTF-8 byte order mark and Chinese
// headers, and a problem for a bad period.
func TestFinanceCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	r := e.do(http.MethodGet, "/api/v1/finance/revenue/export?by=method&"+financePeriod(), f.Tokens["finance"], "", nil).status(http.StatusOK)
	require.Contains(t, r.header.Get("Content-Type"), "text/csv")
	require.True(t, strings.HasPrefix(string(r.body), "\ufeff日期 Date,"), "%q", r.body)
	r = e.do(http.MethodGet, "/api/v1/finance/statements/staff/"+f.StaffID.String()+"/export?"+financePeriod(), f.Tokens["owner"], "", nil).status(http.StatusOK)
	require.True(t, strings.HasPrefix(string(r.body), "\ufeff对账单 Statement,staff,"), "%q", r.body)
	e.do(http.MethodGet, "/api/v1/finance/revenue?by=store&from=2026-02-30&to=2026-03-01", f.Tokens["owner"], "", nil).
		wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	e.do(http.MethodGet, "/api/v1/finance/revenue?"+financePeriod(), f.Tokens["staff"], "", nil).wantProblem(http.StatusForbidden, "permission_denied")
}
