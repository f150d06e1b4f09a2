package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// cardSeeds cover prepaid cards (migration 00015): a product, a purchase, a card, a visit
// redemption on a seeded order and an adjustment referencing a seeded ledger transaction.
var cardSeeds = []tenantSeed{
	{"card_products",
		`insert into card_products (tenant_id, id, kind, name_zh, name_en, price, currency, visits, validity_days, status)
		 values (?, gen_random_uuid(), 'visits', ?, ?, ?, 'CNY', 10, 90, 'published')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tag + " 次卡", fmt.Sprintf("%s visits %d", tag, n), 10000 * n}
		}},
	{"card_purchases",
		`insert into card_purchases (tenant_id, id, customer_id, product_id, amount, currency, idempotency_key)
		 values (?, gen_random_uuid(), (select id from customers where tenant_id = ? order by phone limit 1),
		   (select id from card_products where tenant_id = ? order by name_en offset ? limit 1), 10000, 'CNY', ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn, n - 1, fmt.Sprintf("card_purchase:%s-%d", tag, n)}
		}},
	{"cards",
		`insert into cards (tenant_id, id, customer_id, product_id, kind, name_zh, name_en, price, currency, visits_total, visits_remaining,
		   funds_remaining, starts_at, expires_at)
		 values (?, gen_random_uuid(), (select id from customers where tenant_id = ? order by phone limit 1),
		   (select id from card_products where tenant_id = ? order by name_en offset ? limit 1), 'visits', ?, ?, 10000, 'CNY', 10, 10, 10000,
		   now(), now() + interval '90 days')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn, n - 1, tag + " 次卡", fmt.Sprintf("%s card %d", tag, n)}
		}},
	{"card_redemptions",
		`insert into card_redemptions (tenant_id, id, card_id, order_id, amount, created_by)
		 values (?, gen_random_uuid(), (select id from cards where tenant_id = ? order by name_en limit 1),
		   (select id from orders where tenant_id = ? order by number offset ? limit 1), 1000, ?)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, tn, n - 1, tag} }},
	{"card_adjustments",
		`insert into card_adjustments (tenant_id, id, card_id, delta, reason, ledger_tx_id, created_by)
		 values (?, gen_random_uuid(), (select id from cards where tenant_id = ? order by name_en limit 1), ?, ?,
		   (select id from ledger_transactions where tenant_id = ? order by idempotency_key offset ? limit 1), ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n, tag + " goodwill", tn, n - 1, tag}
		}},
}
