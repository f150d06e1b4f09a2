package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// catalogSeeds cover the catalogue tables, in foreign-key order.
var catalogSeeds = []tenantSeed{
	{"catalog_categories",
		`insert into catalog_categories (tenant_id, id, position, name_zh, name_en) values (?, gen_random_uuid(), ?, ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, n, tag + " 分类", fmt.Sprintf("%s category %d", tag, n)}
		}},
	{"catalog_services",
		`insert into catalog_services (tenant_id, id, category_id, min_level_id)
		 values (?, gen_random_uuid(), (select id from catalog_categories where tenant_id = ? order by position limit 1),
		   (select id from staff_levels where tenant_id = ? order by rank limit 1))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn}
		}},
	{"catalog_service_certificates",
		`insert into catalog_service_certificates (tenant_id, service_id, certificate_type)
		 values (?, (select id from catalog_services where tenant_id = ? order by id offset ? limit 1), 'cert_1')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1}
		}},
}
