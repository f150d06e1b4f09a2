package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// payoutSeeds cover payouts (migration 00017): settings, one connected account per seeded
// staff member, and one withdrawal per account with its first history row. A withdrawal
// references its request's ledger transaction and its requester (a seeded user).
var payoutSeeds = []tenantSeed{
	{"payout_settings",
		`insert into payout_settings (tenant_id, min_amount, fee_fixed, fee_bp, daily_limit)
		 select ?, 100 * ?::bigint, 50, 100, 1000000 where not exists (select 1 from payout_settings where tenant_id = ?)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, n, tn} }},
	{"payout_accounts",
		`insert into payout_accounts (tenant_id, id, owner_kind, owner_id, idempotency_key, stripe_account_id, state, payouts_enabled)
		 values (?, gen_random_uuid(), 'staff', (select id from staff where tenant_id = ? order by badge_no offset ? limit 1), ?, ?, 'enabled', true)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, fmt.Sprintf("%s-acct-%d", tag, n), fmt.Sprintf("acct_%s%d%s", tag, n, tn.String()[:8])}
		}},
	{"withdrawals",
		`insert into withdrawals (tenant_id, id, owner_kind, owner_id, account_id, amount, fee, currency, status, local_day,
		   requested_by, request_tx_id, reason)
		 values (?, gen_random_uuid(), 'staff',
		   (select owner_id from payout_accounts where tenant_id = ? order by idempotency_key offset ? limit 1),
		   (select id from payout_accounts where tenant_id = ? order by idempotency_key offset ? limit 1),
		   1000 * ?::bigint, 10, 'CNY', 'requested', current_date,
		   (select id from users where tenant_id = ? order by email limit 1),
		   (select id from ledger_transactions where tenant_id = ? order by idempotency_key limit 1), ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tn, n - 1, n, tn, tn, tag + " withdrawal"}
		}},
	{"withdrawal_events",
		`insert into withdrawal_events (tenant_id, withdrawal_id, seq, status, reason, actor)
		 values (?, (select id from withdrawals where tenant_id = ? order by amount offset ? limit 1), 1, 'requested', ?, 'seed')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, tag + " event"} }},
	{"bank_payouts",
		`insert into bank_payouts (tenant_id, id, stripe_payout_id, account_id, amount, currency, status, arrival_date, stripe_updated_at)
		 values (?, gen_random_uuid(), ?, (select id from payout_accounts where tenant_id = ? order by idempotency_key offset ? limit 1),
		   500 * ?::bigint, 'CNY', 'in_transit', current_date + 2, now())`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("po_%s%d%s", tag, n, tn.String()[:8]), tn, n - 1, n}
		}},
}
