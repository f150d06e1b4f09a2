package wiring_test

// commissionProbes covers commission and the ledger's read API. Attacks aim tenant B's
// callers at tenant A's real rule version, split and ledger transaction (env_commission_test.go).
func commissionProbes() map[string]probe {
	fixed := func(path string, body any) func(*env, *fixture) call {
		return func(*env, *fixture) call { return call{path: path, body: body} }
	}
	rules := map[string]any{"platform_fee_bp": 1000, "royalty_bp": 500}
	return map[string]probe{
		"list-commission-rules": {own: fixed("/api/v1/commission/rules", nil)},
		"get-commission-rules": {object: true,
			attack: func(e *env) call { return call{path: "/api/v1/commission/rules/" + commissionOf(e.A).RulesID.String()} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/commission/rules/" + commissionOf(f).RulesID.String()}
			}},
		"publish-commission-rules": {
			attack: func(*env) call { return call{path: "/api/v1/commission/rules", body: rules} },
			own:    fixed("/api/v1/commission/rules", rules)},
		"get-commission-settings": {own: fixed("/api/v1/commission/settings", nil)},
		"update-commission-settings": {
			attack: func(*env) call {
				return call{path: "/api/v1/commission/settings", body: map[string]any{"holding_days": 3}}
			},
			own: fixed("/api/v1/commission/settings", map[string]any{"holding_days": 7})},
		"get-order-split": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/orders/" + commissionOf(e.A).OrderID.String() + "/split"}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/orders/" + commissionOf(f).OrderID.String() + "/split"}
			}},
		"list-ledger-balances": {
			attack: func(e *env) call {
				return call{path: "/api/v1/ledger/balances?owner_kind=staff&owner_id=" + e.A.StaffID.String()}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/ledger/balances?owner_kind=staff&owner_id=" + f.StaffID.String()}
			}},
		"get-ledger-transaction": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/ledger/transactions/" + commissionOf(e.A).LedgerTxID.String()}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/ledger/transactions/" + commissionOf(f).LedgerTxID.String()}
			}},
		"check-ledger": {own: fixed("/api/v1/ledger/check", nil)},
	}
}
