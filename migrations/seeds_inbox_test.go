package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// inboxSeeds cover the in-app inbox (migration 00009): messages for a user, a customer and a
// store in turn, so every recipient foreign key is exercised; and the delivery records of
// outgoing messages (migration 00025), one per status in turn.
var inboxSeeds = []tenantSeed{
	{"inbox_messages",
		`insert into inbox_messages (tenant_id, id, user_id, customer_id, store_id, template, title, body, data, dedupe_key)
		 values (?, gen_random_uuid(),
		   case when ? = 0 then (select id from users where tenant_id = ? order by email limit 1) end,
		   case when ? = 1 then (select id from customers where tenant_id = ? order by phone limit 1) end,
		   case when ? = 2 then (select id from stores where tenant_id = ? order by code limit 1) end,
		   'order_confirmed', ?, ?, jsonb_build_object('order_no', ?::text), ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			k := n % 3
			no := fmt.Sprintf("%s-%04d", tag, n)
			return []any{tn, k, tn, k, tn, k, tn, tag + " title", tag + " body " + no, no, "seed-" + no}
		}},
	{"notify_deliveries",
		`insert into notify_deliveries (tenant_id, id, channel, status, claimed_at, lease_until, sent_at)
		 values (?, ?, 'sms', (array['sending', 'sent', 'failed'])[? % 3 + 1], now(),
		   case when ? % 3 = 0 then now() + interval '1 minute' end, case when ? % 3 = 1 then now() end)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s-delivery-%04d", tag, n), n, n, n}
		}},
}
