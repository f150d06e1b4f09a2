package migrations_test

import (
	"github.com/google/uuid"
)

// commissionSeeds cover commission (migration 00016): settings, a rule version per row, paid
// orders, a split per seeded order (posted as one of the seeded ledger transactions) with a
// line, and a refund.
var commissionSeeds = []tenantSeed{
	{"commission_settings",
		`insert into commission_settings (tenant_id, holding_days) values (?, 3) on conflict do nothing`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn} }},
	{"commission_rule_versions",
		`insert into commission_rule_versions (tenant_id, id, version, effective_from, platform_fee_bp, royalty_bp, marketplace_take_bp,
		   staff_lines, note, created_by) values (?, gen_random_uuid(), ?, now(), 1000, 500, 0, '[{"kind":"percent","value":2000}]', ?, 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, n, tag + " rules"} }},
	{"commission_paid_orders",
		`insert into commission_paid_orders (tenant_id, order_id) values (?, (select id from orders where tenant_id = ? order by number offset ? limit 1))`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
	{"commission_splits",
		`insert into commission_splits (tenant_id, id, order_id, rule_version_id, store_id, total, currency, ledger_tx_id)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1),
		   (select id from commission_rule_versions where tenant_id = ? order by version offset ? limit 1),
		   (select store_id from orders where tenant_id = ? order by number offset ? limit 1), 10000, 'CNY',
		   (select id from ledger_transactions where tenant_id = ? order by idempotency_key offset ? limit 1))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tn, n - 1, tn, n - 1, tn, n - 1}
		}},
	{"commission_split_lines",
		`insert into commission_split_lines (tenant_id, split_id, line, party, share, basis, rate_bp, amount)
		 values (?, (select id from commission_splits where tenant_id = ? order by order_id offset ? limit 1), 0, 'platform', 'platform_fee', 'percent', 1000, 1000)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
	{"commission_refunds",
		`insert into commission_refunds (tenant_id, refund_id, order_id, amount)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1), 100)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
}
