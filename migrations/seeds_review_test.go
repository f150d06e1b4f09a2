package migrations_test

import (
	"github.com/google/uuid"
)

// reviewSeeds cover reviews and staff ratings (migration 00011): one review per seeded order,
// by its customer, of a seeded staff member; one rating row per staff member.
var reviewSeeds = []tenantSeed{
	{"reviews",
		`insert into reviews (tenant_id, id, order_id, customer_id, staff_id, store_id, attitude, quality, punctuality, text, photos)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1),
		   (select id from customers where tenant_id = ? order by phone limit 1),
		   (select id from staff where tenant_id = ? order by badge_no offset ? limit 1),
		   (select id from stores where tenant_id = ? order by code limit 1), 5, 4, 3, ?, '["https://example.com/p.jpg"]')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tn, tn, n - 1, tn, tag + " review"}
		}},
	{"staff_ratings",
		`insert into staff_ratings (tenant_id, staff_id, count, attitude_sum, quality_sum, punctuality_sum)
		 values (?, (select id from staff where tenant_id = ? order by badge_no offset ? limit 1), 1, 5, 4, 3)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
}
