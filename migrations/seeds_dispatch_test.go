package migrations_test

import (
	"github.com/google/uuid"
)

// dispatchSeeds cover dispatch offers (migration 00010): one offer per seeded order to the
// first staff member, both foreign keys exercised.
var dispatchSeeds = []tenantSeed{
	{"dispatch_offers",
		`insert into dispatch_offers (tenant_id, id, order_id, staff_id, score, rank, expires_at)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1),
		   (select id from staff where tenant_id = ? order by badge_no limit 1), 1, ?, now() + interval '10 minutes')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, tn, n} }},
}

// dispatchFlagSeeds cover at-risk flags (migration 00013): one per seeded order.
var dispatchFlagSeeds = []tenantSeed{
	{"dispatch_flags",
		`insert into dispatch_flags (tenant_id, order_id, reason, rounds)
		 values (?, (select id from orders where tenant_id = ? order by number offset ? limit 1), 'pool_exhausted', ?)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, n} }},
}
