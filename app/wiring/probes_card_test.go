package wiring_test

import (
	"doorstep/app/booking"
)

// cardProbes covers the area's operations. Attacks aim tenant B's callers at tenant A's real
// products, purchase, cards and orders (seeded in env_card_test.go); own calls use the
// fixture's own, or fresh ones where the call changes them.
func cardProbes() map[string]probe {
	aPath := func(path func(o *cardObjects) string, body func(e *env) any) func(e *env) call {
		return func(e *env) call {
			c := call{path: path(cardOf(e.A))}
			if body != nil {
				c.body = body(e)
			}
			return c
		}
	}
	own := func(path func(o *cardObjects) string, body any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call { return call{path: path(cardOf(f)), body: body} }
	}
	product := func(o *cardObjects) string { return "/api/v1/card-products/" + o.VisitProductID.String() }
	freshProduct := func(suffix string, body any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/card-products/" + probeCardProduct(e, f, visitProduct(), false).String() + suffix, body: body}
		}
	}
	productBody := map[string]any{"kind": "stored_value", "name_zh": "充200送20", "name_en": "Pay 200 get 220", "price": 20000, "bonus": 2000, "validity_days": 180}
	adjust := map[string]any{"delta": 1, "reason": "probe goodwill"}
	redeemA := func(e *env) any { return map[string]any{"order_id": bookingOf(e.A).OrderID} }
	return map[string]probe{
		"list-card-products":  {own: own(func(*cardObjects) string { return "/api/v1/card-products?status=published" }, nil)},
		"create-card-product": {own: own(func(*cardObjects) string { return "/api/v1/card-products" }, productBody)},
		"get-card-product":    {object: true, attack: aPath(product, nil), own: own(product, nil)},
		"update-card-product": {object: true, attack: aPath(product, func(*env) any { return productBody }), own: freshProduct("", productBody)},
		"publish-card-product": {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/card-products/" + o.StoredProductID.String() + "/publish" }, nil),
			own: freshProduct("/publish", nil)},
		"retire-card-product": {object: true, attack: aPath(func(o *cardObjects) string { return product(o) + "/retire" }, nil), own: freshProduct("/retire", nil)},
		"list-customer-cards": {object: true,
			attack: func(e *env) call { return call{path: "/api/v1/customers/" + e.A.CustomerID.String() + "/cards"} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/customers/" + f.CustomerID.String() + "/cards"}
			}},
		"get-card": {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/cards/" + o.VisitCardID.String() }, nil),
			own: own(func(o *cardObjects) string { return "/api/v1/cards/" + o.StoredCardID.String() }, nil)},
		"adjust-card": {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/cards/" + o.StoredCardID.String() + "/adjustments" }, func(*env) any { return adjust }),
			own: own(func(o *cardObjects) string { return "/api/v1/cards/" + o.VisitCardID.String() + "/adjustments" }, adjust)},
		"redeem-card-visit": {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/cards/" + o.VisitCardID.String() + "/redemptions" }, redeemA),
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/cards/" + cardOf(f).VisitCardID.String() + "/redemptions",
					body: map[string]any{"order_id": probeOrder(e, f, booking.Completed, false)}}
			}},

		// storefront
		"list-storefront-card-products": {attack: p("/api/v1/storefront/card-products")},
		"buy-card": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/storefront/card-purchases", body: map[string]any{"product_id": cardOf(e.A).VisitProductID}}
		}},
		"get-my-card-purchase": {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/storefront/card-purchases/" + o.PurchaseID.String() }, nil)},
		"list-my-cards":        {attack: p("/api/v1/storefront/cards")},
		"get-my-card":          {object: true, attack: aPath(func(o *cardObjects) string { return "/api/v1/storefront/cards/" + o.VisitCardID.String() }, nil)},
		"redeem-my-card": {object: true, attack: aPath(func(o *cardObjects) string {
			return "/api/v1/storefront/cards/" + o.VisitCardID.String() + "/redemptions"
		}, redeemA)},
	}
}
