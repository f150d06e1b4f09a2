package wiring_test

import (
	"context"
	"sync"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/card"
	"doorstep/app/payment"
	"doorstep/tenant"
)

// cardObjects are a fixture's real card products, purchase and cards, for the route walk and
// the probes.
type cardObjects struct {
	VisitProductID  uuid.UUID // published: 1000 visits of any service for a year
	StoredProductID uuid.UUID // published: pay 500.00, get 600.00
	PurchaseID      uuid.UUID // the visit card's purchase (succeeded)
	VisitCardID     uuid.UUID // the customer's visit card
	StoredCardID    uuid.UUID // the customer's stored-value card
}

var cardFixtures sync.Map // *fixture → *cardObjects

func cardOf(f *fixture) *cardObjects {
	v, _ := cardFixtures.Load(f)
	return v.(*cardObjects)
}

// probeCardProduct makes a draft product of f (published when publish is set).
func probeCardProduct(e *env, f *fixture, n card.NewProduct, publish bool) uuid.UUID {
	p, err := e.app.Card.CreateProduct(hqContext(f), n)
	require.NoError(e.t, err)
	if publish {
		_, err = e.app.Card.Publish(hqContext(f), p.ID)
		require.NoError(e.t, err)
	}
	return p.ID
}

func visitProduct() card.NewProduct {
	v := 1000
	return card.NewProduct{Kind: card.Visits, NameZh: "年卡（千次）", NameEn: "Year pass (1000 visits)", Price: 100000, Visits: &v, ValidityDays: 365}
}

// buyCard buys product as f's customer through Stripe (stripe-mock) and settles the purchase
// the way the payment area's webhook dispatch does, by calling the card's IntentHandler.
func buyCard(e *env, f *fixture, productID uuid.UUID) card.Purchase {
	st, err := e.app.Card.Purchase(customerContext(f), productID, "")
	require.NoError(e.t, err)
	var h payment.IntentHandler = e.app.Card
	pu := st.Purchase
	require.NoError(e.t, h.HandleIntent(tenant.WithTenant(context.Background(), &f.Tenant), payment.IntentEvent{EventID: "evt_" + pu.ID.String(),
		Type: "payment_intent.succeeded", IntentID: pu.IntentID, Amount: pu.Amount, Currency: pu.Currency, Method: "card", RefID: pu.ID}))
	got, err := e.app.Card.MyPurchase(customerContext(f), pu.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, card.PurchaseSucceeded, got.Purchase.Status)
	return got.Purchase
}

// seedCard gives f card products and a visit card and a stored-value card of its customer
// (called from seedObjects).
func (e *env) seedCard(f *fixture) {
	o := &cardObjects{
		VisitProductID: probeCardProduct(e, f, visitProduct(), true),
		StoredProductID: probeCardProduct(e, f, card.NewProduct{Kind: card.StoredValue, NameZh: "充500送100", NameEn: "Pay 500 get 600",
			Price: 50000, Bonus: 10000, ValidityDays: 365}, true),
	}
	pu := buyCard(e, f, o.VisitProductID)
	o.PurchaseID, o.VisitCardID = pu.ID, pu.CardID
	o.StoredCardID = buyCard(e, f, o.StoredProductID).CardID
	cardFixtures.Store(f, o)
	f.Secrets = append(f.Secrets, o.VisitProductID.String(), o.StoredProductID.String(), o.PurchaseID.String(), o.VisitCardID.String(),
		o.StoredCardID.String())
}
