package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// bookingSeeds cover the booking tables (migration 00008), in foreign-key order. Orders need
// a customer, a store, a service, a quote and a staff member from the earlier seeds.
var bookingSeeds = []tenantSeed{
	{"booking_settings",
		`insert into booking_settings (tenant_id, slot_minutes) values (?, 30) on conflict do nothing`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn} }},
	{"store_dispatch_settings",
		`insert into store_dispatch_settings (tenant_id, store_id, mode)
		 values (?, (select id from stores where tenant_id = ? order by code offset ? limit 1), 'pool')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
	{"orders",
		`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		   starts_at, ends_at, location, address, total, currency, created_by)
		 values (?, gen_random_uuid(), ?, (select id from customers where tenant_id = ? order by phone limit 1),
		   (select id from stores where tenant_id = ? order by code limit 1),
		   (select id from catalog_services where tenant_id = ? order by id limit 1), gen_random_uuid(),
		   (select id from quotes where tenant_id = ? order by total offset ? limit 1), 'confirmed',
		   now() + make_interval(days => ?), now() + make_interval(days => ?, hours => 2),
		   st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, ?, 10000, 'CNY', 'system')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s-%04d", tag, n), tn, tn, tn, tn, n - 1, n, n, tag + " address"}
		}},
	{"order_events",
		`insert into order_events (tenant_id, id, order_id, action, to_status, actor)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1), 'confirm', 'confirmed', 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1} }},
	{"assignments",
		`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1),
		   (select id from staff where tenant_id = ? order by badge_no limit 1),
		   tstzrange(now() + make_interval(days => ?), now() + make_interval(days => ?, hours => 2)), 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, tn, n, n} }},
	{"idempotency_keys",
		`insert into idempotency_keys (tenant_id, subject, key, request_hash, status, body) values (?, 'user:x', ?, 'h', 201, '{}')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, fmt.Sprintf("%s-%d", tag, n)} }},
	{"order_number_counters",
		`insert into order_number_counters (tenant_id, day, last) values (?, current_date + ?::int, 1)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, n} }},
	{"order_reports",
		`insert into order_reports (tenant_id, id, order_id, notes, submitted_by)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1), ?, 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, tag + " report"} }},
	{"order_extras",
		`insert into order_extras (tenant_id, id, order_id, name, price, created_by)
		 values (?, gen_random_uuid(), (select id from orders where tenant_id = ? order by number offset ? limit 1), ?, 500, 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, n - 1, tag + " extra"} }},
	{"recurring_series",
		`insert into recurring_series (tenant_id, id, customer_id, package_id, location, address, frequency, local_time, first_date, next_date, created_by)
		 values (?, gen_random_uuid(), (select id from customers where tenant_id = ? order by phone limit 1), gen_random_uuid(),
		   st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, ?, 'weekly', '09:00', current_date + ?::int, current_date + ?::int, 'system')`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, tn, tag + " series", n, n} }},
}
