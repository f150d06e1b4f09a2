package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
)

// platformTables lists every table in schema public that is deliberately NOT a tenant-owned
// (RLS-protected) table. A table that is neither listed here nor carries tenant_id fails
// TestCatalogTenantTables, so a new table cannot slip in without tenant isolation.
var platformTables = map[string]string{
	"tenants":                   "the tenant registry itself",
	"tenant_domains":            "maps request hosts to tenants; read before any tenant is known",
	"stripe_connected_accounts": "maps Stripe connected accounts to tenants; the webhook reads it before any tenant is known",
	"platform_operators":        "platform staff, outside every tenant",
	"platform_tokens":           "platform operators' bearer tokens",
	"casbin_rule":               "casbin policies of every tenant; the enforcer loads them all (v1 = tenant)",
	"goose_db_version":          "goose's migration bookkeeping",
	"spatial_ref_sys":           "PostGIS reference data",
}

// tenantColumnExempt lists platform tables that DO have a tenant_id column but are exempt from
// the tenant-table rules (RLS, tenant_id-first keys). Keep this list as short as possible.
var tenantColumnExempt = map[string]string{
	// Resolving the request's host to a tenant happens before any tenant is known, so this
	// table cannot be behind the app.tenant_id policy.
	"tenant_domains": "host → tenant lookup, read before a tenant is set",
	// payout.* events of a connected account carry no tenant metadata: the webhook finds the
	// tenant from the account before any tenant is set (migration 00022).
	"stripe_connected_accounts": "connected account → tenant lookup, read before a tenant is set",
}

// postgisViews are PostGIS's own catalogue views in public; they hold no tenant data.
var postgisViews = map[string]bool{"geography_columns": true, "geometry_columns": true}

// tenantPolicyExpr is the normalised form (see normalizeExpr) of
// tenant_id = nullif(current_setting('app.tenant_id', true), ”)::uuid.
const tenantPolicyExpr = `tenant_id=nullifcurrent_setting'app.tenant_id',true,''::uuid`

// normalizeExpr reduces pg_get_expr output to a comparable form: lower case, no ::text casts,
// no whitespace and no parentheses.
func normalizeExpr(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "::text", "")
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '(', ')':
			return -1
		}
		return r
	}, s)
}

// newDB clones the migrated template for t.
func newDB(t *testing.T) *dbtest.DB {
	t.Helper()
	return dbtest.New(t)
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// relation is a table or view in schema public.
type relation struct {
	OID  uint32 `gorm:"column:oid"`
	Name string
	Kind string // pg_class.relkind
}

// tenantRelations returns the tables (kind r/p) and views (kind v) in public that have a
// tenant_id column, minus tenantColumnExempt, sorted by name. Discovered from the catalog.
func tenantRelations(t *testing.T, owner *gorm.DB, kinds ...string) []relation {
	t.Helper()
	var rels []relation
	require.NoError(t, owner.Raw(`
		select c.oid, c.relname as name, c.relkind::text as kind
		from pg_class c
		join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
		where c.relnamespace = 'public'::regnamespace and c.relkind::text in ?
		order by c.relname`, kinds).Scan(&rels).Error)
	out := rels[:0]
	for _, r := range rels {
		require.NotZero(t, r.OID, "relation %s scanned without its oid", r.Name)
		if _, exempt := tenantColumnExempt[r.Name]; !exempt {
			out = append(out, r)
		}
	}
	return out
}

func relationNames(rels []relation) []string {
	names := make([]string, len(rels))
	for i, r := range rels {
		names[i] = r.Name
	}
	return names
}

// requireRuntimeRole guards the tests that rely on RLS: g must be connected as doorstep_app,
// a role RLS actually applies to.
func requireRuntimeRole(t *testing.T, g *gorm.DB) {
	t.Helper()
	var row struct {
		User      string
		Super     bool
		BypassRLS bool
	}
	require.NoError(t, g.Raw(`select current_user as "user", r.rolsuper as super, r.rolbypassrls as bypass_rls
		from pg_roles r where r.rolname = current_user`).Scan(&row).Error)
	require.Equal(t, "doorstep_app", row.User)
	require.False(t, row.Super)
	require.False(t, row.BypassRLS)
}

// pgCode returns the SQLSTATE of err, or "" when err is not a PostgreSQL error.
func pgCode(err error) string {
	if pe, ok := dbx.PgError(err); ok {
		return pe.Code
	}
	return ""
}

var errRollback = errors.New("test: roll back")

// ---------------------------------------------------------------------------------------------
// Seeding every tenant table.

// tenantSeed inserts one row into table for tenant; n distinguishes rows of the same tenant and
// tag names them (franchisee and store names start with tag, so a reader can tell whose rows it
// sees). Every statement uses ? placeholders: tenant, tag, n in the order given by args.
type tenantSeed struct {
	table string
	sql   string
	args  func(tenant uuid.UUID, tag string, n int) []any
}

// tenantSeeds covers every tenant table, in foreign-key order. When a migration adds a tenant
// table, TestRLSNoTenantNoRows fails until a seed for it is added: core tables below, the
// catalogue's in seeds_catalog_test.go, the roster's in seeds_staff_test.go.
var tenantSeeds = slices.Concat(coreSeeds, catalogSeeds, staffSeeds, pricingSeeds, bookingSeeds, inboxSeeds, reviewSeeds, dispatchSeeds,
	dispatchFlagSeeds,
	ledgerSeeds,
	cardSeeds,
	commissionSeeds,
	payoutSeeds,
	paymentSeeds,
)

// coreSeeds cover the foundation tables and the shared staff reference data.
var coreSeeds = []tenantSeed{
	{"franchisees",
		`insert into franchisees (tenant_id, id, name, legal_name) values (?, gen_random_uuid(), ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s franchisee %d", tag, n), tag + " ltd"}
		}},
	{"stores",
		`insert into stores (tenant_id, id, franchisee_id, code, name, time_zone, location, territory)
		 values (?, gen_random_uuid(),
		   (select f.id from franchisees f where f.tenant_id = ? order by f.name limit 1),
		   ?, ?, 'Asia/Shanghai',
		   st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography,
		   st_makeenvelope(121, 31, 122, 32, 4326))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, fmt.Sprintf("S%03d", n), fmt.Sprintf("%s store %d", tag, n)}
		}},
	{"users",
		`insert into users (tenant_id, id, email, phone, password_hash, display_name, franchisee_id, store_id)
		 values (?, gen_random_uuid(), ?, ?, 'x', ?,
		   (select f.id from franchisees f where f.tenant_id = ? order by f.name limit 1),
		   (select s.id from stores s where s.tenant_id = ? order by s.code limit 1))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("user%d@%s.example", n, tag), fmt.Sprintf("+8613800000%03d", n),
				fmt.Sprintf("%s user %d", tag, n), tn, tn}
		}},
	{"roles",
		`insert into roles (tenant_id, name, display_name, scope) values (?, ?, ?, 'store')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("seed_role_%d", n), tag + " role"}
		}},
	{"customers",
		`insert into customers (tenant_id, id, phone, name) values (?, gen_random_uuid(), ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("+8613900000%03d", n), fmt.Sprintf("%s customer %d", tag, n)}
		}},
	{"api_tokens",
		`insert into api_tokens (tenant_id, id, subject_kind, subject_id, token_hash, name, expires_at)
		 values (?, gen_random_uuid(), 'customer', gen_random_uuid(), decode(md5(random()::text), 'hex'), ?, now() + interval '1 day')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s token %d", tag, n)}
		}},
	{"audit_log",
		`insert into audit_log (tenant_id, id, actor_kind, action, object_type, object_id)
		 values (?, gen_random_uuid(), 'system', 'seed', 'test', ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s-%d", tag, n)}
		}},
	{"outbox",
		`insert into outbox (tenant_id, id, task_type, payload)
		 values (?, gen_random_uuid(), 'test:seed', jsonb_build_object('TenantID', ?::text, 'n', ?::int))`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn.String(), n}
		}},
	{"staff_levels",
		`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank) values (?, gen_random_uuid(), ?, ?, ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("level_%d", n), tag + " 级别", fmt.Sprintf("%s level %d", tag, n), n}
		}},
	{"certificate_types",
		`insert into certificate_types (tenant_id, code, name_zh, name_en) values (?, ?, ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("cert_%d", n), tag + " 证书", fmt.Sprintf("%s certificate %d", tag, n)}
		}},
}

// pricingSeeds cover the pricing tables (rules, holidays, travel, quotes).
var pricingSeeds = []tenantSeed{
	{"pricing_rules",
		`insert into pricing_rules (tenant_id, id, kind, name_zh, name_en, percent_bp) values (?, gen_random_uuid(), 'weekend', ?, ?, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tag + " 周末", fmt.Sprintf("%s weekend %d", tag, n), 100 * n}
		}},
	{"pricing_holidays",
		`insert into pricing_holidays (tenant_id, day, name) values (?, date '2026-10-01' + ?::int, ?)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, n, fmt.Sprintf("%s holiday %d", tag, n)}
		}},
	{"pricing_travel",
		`insert into pricing_travel (tenant_id, id, store_id, free_meters, per_km)
		 values (?, gen_random_uuid(), (select id from stores where tenant_id = ? order by code offset ? limit 1), ?, 500)`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, n - 1, 1000 * n}
		}},
	{"quotes",
		`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
		 values (?, gen_random_uuid(), (select id from stores where tenant_id = ? order by code limit 1), gen_random_uuid(), ?,
		   now(), st_setsrid(st_makepoint(121.47, 31.23), 4326)::geography, '{}', '[]', ?, ?, 'CNY', now() + interval '15 minutes')`,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, tn, tag, 1000 * n, 1000 * n}
		}},
}

func seedFor(table string) (tenantSeed, bool) {
	for _, s := range tenantSeeds {
		if s.table == table {
			return s, true
		}
	}
	return tenantSeed{}, false
}

// createTenant inserts a tenants row as the owner.
func createTenant(t *testing.T, owner *gorm.DB, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	require.NoError(t, owner.Exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, id, slug, strings.ToUpper(slug)).Error)
	return id
}

// seedTenant inserts rowsPerTable rows into every table in tenantSeeds for tenant, through g
// (the owner, which as superuser is not subject to RLS).
func seedTenant(t *testing.T, g *gorm.DB, tenant uuid.UUID, tag string, rowsPerTable int) {
	t.Helper()
	for _, s := range tenantSeeds {
		for n := 1; n <= rowsPerTable; n++ {
			require.NoError(t, g.Exec(s.sql, s.args(tenant, tag, n)...).Error, "seed %s", s.table)
		}
	}
}

// requireSeedsCoverCatalog fails when the catalog has a tenant table without a seed (or a
// seed names a table that is no longer a tenant table).
func requireSeedsCoverCatalog(t *testing.T, tables []relation) {
	t.Helper()
	have := map[string]bool{}
	for _, s := range tenantSeeds {
		have[s.table] = true
	}
	var missing []string
	for _, r := range tables {
		if !have[r.Name] {
			missing = append(missing, r.Name)
		}
		delete(have, r.Name)
	}
	stale := make([]string, 0, len(have))
	for n := range have {
		stale = append(stale, n)
	}
	sort.Strings(stale)
	require.Empty(t, missing, "tenant tables without a seed: append them to tenantSeeds in migrations/helpers_test.go")
	require.Empty(t, stale, "tenantSeeds names tables that are not tenant tables")
}

// tenantChecksum returns, as the owner, the row count and an md5 over every row of table that
// belongs to tenant.
func tenantChecksum(t *testing.T, owner *gorm.DB, table string, tenant uuid.UUID) string {
	t.Helper()
	var row struct {
		N   int64
		Sum string
	}
	require.NoError(t, owner.Raw(fmt.Sprintf(
		`select count(*) as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as sum
		 from %s x where x.tenant_id = ?`, ident(table)), tenant).Scan(&row).Error)
	return fmt.Sprintf("%d:%s", row.N, row.Sum)
}

func countRows(ctx context.Context, g *gorm.DB, rel string, where string, args ...any) (int64, error) {
	var n int64
	q := "select count(*) from " + ident(rel)
	if where != "" {
		q += " where " + where
	}
	err := g.WithContext(ctx).Raw(q, args...).Scan(&n).Error
	return n, err
}
