package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// paymentSeeds cover payments (migration 00014): the settings row, one card payment per
// seeded order, one refund of each, and one recorded Stripe event per row.
var paymentSeeds = []tenantSeed{
	{"payment_settings",
		`insert into payment_settings (tenant_id, deposit_percent, method_types) values (?, 30, '{card,alipay}') on conflict do nothing`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn} }},
	{"payments",
		`insert into payments (tenant_id, id, order_id, customer_id, store_id, kind, channel, method, amount, currency, status, idempotency_key)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1),
		   (select id from customers where tenant_id = ? order by phone limit 1),
		   (select id from stores where tenant_id = ? order by code limit 1), 'full', 'stripe', 'card', ?, 'CNY', 'succeeded', ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tn, tn, 1000 * n, fmt.Sprintf("%s-pi-%d", tag, n)}
		}},
	{"refunds",
		`insert into refunds (tenant_id, id, payment_id, order_id, amount, currency, reason, source, status, idempotency_key)
		 values (?, gen_random_uuid(), (select id from payments where tenant_id = ? order by amount offset ? limit 1),
		   (select order_id from payments where tenant_id = ? order by amount offset ? limit 1), ?, 'CNY', ?, 'api', 'succeeded', ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tn, n - 1, 10 * n, tag + " refund", fmt.Sprintf("%s-re-%d", tag, n)}
		}},
	{"payment_webhook_events",
		`insert into payment_webhook_events (tenant_id, event_id, type, payload) values (?, ?, 'payment_intent.succeeded', '{}')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, fmt.Sprintf("evt_%s_%d", tag, n)} }},
}
