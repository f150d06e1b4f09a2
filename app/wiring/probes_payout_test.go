package wiring_test

// payoutProbes covers the area's operations. Attacks aim tenant B's owner at tenant A's real
// withdrawal (seeded in env_payout_test.go); own calls use the fixture's own wallets, and
// decisions a fresh withdrawal each.
func payoutProbes() map[string]probe {
	fixed := func(path string, body any) func(*env, *fixture) call {
		return func(*env, *fixture) call { return call{path: path, body: body} }
	}
	aWithdrawal := func(prefix, suffix string, body any) func(e *env) call {
		return func(e *env) call {
			return call{path: prefix + payoutOf(e.A).WithdrawalID.String() + suffix, body: body}
		}
	}
	ownWithdrawal := func(prefix string) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call { return call{path: prefix + payoutOf(f).WithdrawalID.String()} }
	}
	fresh := func(suffix string, body any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/withdrawals/" + probeWithdrawal(e, f).String() + suffix, body: body}
		}
	}
	links := map[string]any{"return_url": "https://console.test/wallet", "refresh_url": "https://console.test/wallet/refresh"}
	reject := map[string]any{"reason": "probe"}
	return map[string]probe{
		"onboard-my-payout-account": {own: fixed("/api/v1/me/payout-account", links)},
		"get-my-payout-account":     {own: fixed("/api/v1/me/payout-account", nil)},
		"get-my-wallet":             {own: fixed("/api/v1/me/wallet", nil)},
		"get-my-wallet-statement":   {own: fixed("/api/v1/me/wallet/statement?limit=5", nil)},
		"request-my-withdrawal":     {own: fixed("/api/v1/me/withdrawals", map[string]any{"amount": 500})},
		"list-my-withdrawals":       {own: fixed("/api/v1/me/withdrawals", nil)},
		"get-my-withdrawal":         {object: true, attack: aWithdrawal("/api/v1/me/withdrawals/", "", nil), own: ownWithdrawal("/api/v1/me/withdrawals/")},
		"list-withdrawals":          {own: fixed("/api/v1/withdrawals?status=requested", nil)},
		"get-withdrawal":            {object: true, attack: aWithdrawal("/api/v1/withdrawals/", "", nil), own: ownWithdrawal("/api/v1/withdrawals/")},
		"approve-withdrawal":        {object: true, attack: aWithdrawal("/api/v1/withdrawals/", "/approve", nil), own: fresh("/approve", nil)},
		"reject-withdrawal":         {object: true, attack: aWithdrawal("/api/v1/withdrawals/", "/reject", reject), own: fresh("/reject", reject)},
		"get-payout-settings":       {own: fixed("/api/v1/payout-settings", nil)},
		"update-payout-settings": {own: fixed("/api/v1/payout-settings",
			map[string]any{"min_amount": 100, "fee_fixed": 0, "fee_bp": 0, "daily_limit": 100_000_000})},
	}
}
