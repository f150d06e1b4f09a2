package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// inboxSeeds cover the in-app inbox (migration 00009): messages for a user, a customer and a
// store in turn, so every recipient foreign key is exercised.
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
}
