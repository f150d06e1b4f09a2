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
		`insert into catalog_services (tenant_id, id, category_id, min_level_id, name_zh, name_en, checklist)
		 values (?, gen_random_uuid(), (select id from catalog_categories where tenant_id = ? order by position limit 1),
		   (select id from staff_levels where tenant_id = ? order by rank limit 1), ?, ?, '[{"zh": "擦拭", "en": "wipe"}]')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn, tag + " 服务", fmt.Sprintf("%s service %d", tag, n)}
		}},
	{"catalog_service_certificates",
		`insert into catalog_service_certificates (tenant_id, service_id, certificate_type)
		 values (?, (select id from catalog_services where tenant_id = ? order by id offset ? limit 1), 'cert_1')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1}
		}},
	{"catalog_packages",
		`insert into catalog_packages (tenant_id, id, service_id, name_zh, name_en, duration_minutes, list_price, floor_price, ceiling_price, position)
		 values (?, gen_random_uuid(), (select id from catalog_services where tenant_id = ? order by id offset ? limit 1), ?, ?, 120, ?, ?, ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tag + " 套餐", fmt.Sprintf("%s package %d", tag, n), 10000 * n, 8000 * n, 12000 * n, n}
		}},
	{"catalog_add_ons",
		`insert into catalog_add_ons (tenant_id, id, service_id, name_zh, name_en, price, duration_minutes)
		 values (?, gen_random_uuid(), (select id from catalog_services where tenant_id = ? order by id offset ? limit 1), ?, ?, ?, 30)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, tag + " 加项", fmt.Sprintf("%s add-on %d", tag, n), 2000 * n}
		}},
	{"catalog_store_prices",
		`insert into catalog_store_prices (tenant_id, store_id, package_id, price, updated_by)
		 values (?, (select id from stores where tenant_id = ? order by code limit 1),
		   (select id from catalog_packages where tenant_id = ? order by position offset ? limit 1), ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tn, n - 1, 9000 * n, tag}
		}},
}
