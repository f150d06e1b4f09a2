package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// staffSeeds cover the staff roster tables (migration 00007), in foreign-key order.
var staffSeeds = []tenantSeed{
	{"staff",
		`insert into staff (tenant_id, id, user_id, store_id, badge_no, display_name)
		 values (?, gen_random_uuid(), (select id from users where tenant_id = ? order by email offset ? limit 1),
		   (select id from stores where tenant_id = ? order by code limit 1), ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, (n - 1) % 3, tn, fmt.Sprintf("B%03d", n), fmt.Sprintf("%s staff %d", tag, n)}
		}},
	{"staff_skills",
		`insert into staff_skills (tenant_id, staff_id, id, service_id)
		 values (?, (select id from staff where tenant_id = ? order by badge_no offset ? limit 1), gen_random_uuid(),
		   (select id from catalog_services where tenant_id = ? order by id limit 1))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, (n - 1) % 3, tn}
		}},
	{"staff_hours",
		`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min)
		 values (?, (select id from staff where tenant_id = ? order by badge_no limit 1), ?, 480, 1080)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n % 7}
		}},
	{"staff_exceptions",
		`insert into staff_exceptions (tenant_id, id, staff_id, kind, during, note)
		 values (?, gen_random_uuid(), (select id from staff where tenant_id = ? order by badge_no limit 1), 'leave',
		   tstzrange(now() + make_interval(days => ?), now() + make_interval(days => ?) + interval '4 hours'), ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n, n, tag + " leave"}
		}},
	{"staff_certificates",
		`insert into staff_certificates (tenant_id, id, staff_id, type, number, expires_on)
		 values (?, gen_random_uuid(), (select id from staff where tenant_id = ? order by badge_no limit 1),
		   (select code from certificate_types where tenant_id = ? order by code limit 1), ?, current_date + 365)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn, fmt.Sprintf("%s-%d", tag, n)}
		}},
}
