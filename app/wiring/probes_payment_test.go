package wiring_test

// paymentProbes covers the area's operations. Attacks aim tenant B's callers at tenant A's
// real orders and payments (seeded in env_payment_test.go); own calls use the fixture's own.
func paymentProbes() map[string]probe {
	aOrder := func(suffix string, body any) func(e *env) call {
		return func(e *env) call {
			return call{path: "/api/v1/storefront/orders/" + paymentOf(e.A).PaidOrderID.String() + suffix, body: body}
		}
	}
	settings := map[string]any{"payment_mode": "pay_after", "deposit_percent": 30, "method_types": []string{"card", "alipay"}, "unpaid_timeout_minutes": 30}
	return map[string]probe{
		// customers
		"start-my-order-payment":      {object: true, attack: aOrder("/payment", nil)},
		"pay-my-order-stored-value":   {object: true, attack: aOrder("/stored-value-payment", nil)},
		"list-my-order-payments":      {object: true, attack: aOrder("/payments", nil)},
		"cancel-my-order-with-refund": {object: true, attack: aOrder("/cancel-with-refund", map[string]any{"reason": "x"})},
		"confirm-my-cash-payment": {object: true, attack: func(e *env) call {
			a := paymentOf(e.A)
			return call{path: "/api/v1/storefront/orders/" + a.CashOrderID.String() + "/payments/" + a.CashPaymentID.String() + "/confirm-cash"}
		}},
		// service staff
		"record-my-job-cash": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/me/jobs/" + paymentOf(e.A).CashOrderID.String() + "/cash", body: map[string]any{"amount": 100}}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/me/jobs/" + paymentOf(f).CashOrderID.String() + "/cash", body: map[string]any{"amount": 100}}
			}},
		// stores and finance
		"list-order-payments": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/orders/" + paymentOf(e.A).PaidOrderID.String() + "/payments"}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/orders/" + paymentOf(f).PaidOrderID.String() + "/payments"}
			}},
		"refund-order-payment": {object: true,
			attack: func(e *env) call {
				a := paymentOf(e.A)
				return call{path: "/api/v1/orders/" + a.PaidOrderID.String() + "/refunds", body: map[string]any{"payment_id": a.PaymentID, "amount": 1, "reason": "probe"}}
			},
			own: func(e *env, f *fixture) call {
				o := paymentOf(f)
				return call{path: "/api/v1/orders/" + o.PaidOrderID.String() + "/refunds", body: map[string]any{"payment_id": o.PaymentID, "amount": 1, "reason": "probe"}}
			}},
		"get-payment-settings": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/payment/settings"} }},
		"set-payment-settings": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/payment/settings", body: settings} }},
		// Stripe: an unsigned delivery naming A's payment is refused (400) and changes nothing.
		"stripe-webhook": {attack: func(e *env) call {
			a := paymentOf(e.A)
			return call{path: "/api/v1/webhooks/stripe", body: string(intentEvent("evt_forged", "payment_intent.succeeded", e.A.Tenant.ID, a.PaymentID, 1, "card"))}
		}},
	}
}
