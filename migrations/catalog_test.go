package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
)

// TestCatalogTenantTables checks the migrated schema (from pg_catalog, not a table list) against
// the tenancy rules in DESIGN.md: every table with tenant_id is a tenant table with forced RLS,
// the standard app.tenant_id policy and tenant_id first in every key; every other table is a
// known platform table; every view is security_invoker.
func TestCatalogTenantTables(t *testing.T) {
	d := newDB(t)
	owner := d.Owner

	tables := tenantRelations(t, owner, "r", "p")
	require.NotEmpty(t, tables, "no tenant tables found: catalog query broken?")
	tenantOIDs := map[uint32]string{}
	for _, r := range tables {
		tenantOIDs[r.OID] = r.Name
	}

	var allTables []relation
	require.NoError(t, owner.Raw(`
		select c.oid, c.relname as name, c.relkind::text as kind from pg_class c
		where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'f', 'm')
		order by c.relname`).Scan(&allTables).Error)

	t.Run("every table is a tenant table or a known platform table", func(t *testing.T) {
		for _, r := range allTables {
			if _, ok := tenantOIDs[r.OID]; ok {
				continue
			}
			_, known := platformTables[r.Name]
			require.True(t, known, "table %q has no tenant_id column and is not a known platform table; "+
				"add tenant_id (and doorstep_tenant_table) or list it in platformTables", r.Name)
		}
		for name := range tenantColumnExempt {
			_, known := platformTables[name]
			require.True(t, known, "exempt table %q must also be a known platform table", name)
		}
	})

	t.Run("no materialized or foreign tables with tenant data", func(t *testing.T) {
		// RLS cannot be enabled on a materialized view (nor enforced on a foreign table), so
		// such a relation would expose every tenant's rows to the runtime role.
		for _, r := range allTables {
			require.NotContains(t, []string{"m", "f"}, r.Kind, "%q: materialized views / foreign tables cannot carry RLS", r.Name)
		}
	})

	t.Run("platform tables hold no tenant-table foreign keys", func(t *testing.T) {
		// A platform (reference) table referencing a tenant (distributed) table breaks the Citus
		// layout and would let platform rows pin tenant rows.
		var bad []string
		require.NoError(t, owner.Raw(`
			select c.conname from pg_constraint c
			where c.contype = 'f' and c.connamespace = 'public'::regnamespace
			  and c.confrelid::regclass::text in ? and not (c.conrelid::regclass::text in ?)`,
			relationNames(tables), relationNames(tables)).Scan(&bad).Error)
		require.Empty(t, bad)
	})

	for _, r := range tables {
		t.Run(r.Name, func(t *testing.T) {
			var tbl struct {
				RowSecurity   bool
				ForceSecurity bool
				TenantAttnum  int
				TenantType    string
				TenantNotNull bool
			}
			require.NoError(t, owner.Raw(`
				select c.relrowsecurity as row_security, c.relforcerowsecurity as force_security,
				       a.attnum as tenant_attnum, format_type(a.atttypid, a.atttypmod) as tenant_type,
				       a.attnotnull as tenant_not_null
				from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
				where c.oid = ?`, r.OID).Scan(&tbl).Error)
			require.True(t, tbl.RowSecurity, "row level security not enabled")
			require.True(t, tbl.ForceSecurity, "row level security not forced")
			require.Equal(t, "uuid", tbl.TenantType, "tenant_id must be uuid")
			require.True(t, tbl.TenantNotNull, "tenant_id must be not null")

			// Policies: one for every command with the standard expression in USING and WITH
			// CHECK; any other permissive policy would be OR-ed in, so it must be just as strict.
			var pols []struct {
				Name       string
				Permissive bool
				Cmd        string
				Public     bool
				App        bool
				Qual       *string
				WithCheck  *string
			}
			require.NoError(t, owner.Raw(`
				select p.polname as name, p.polpermissive as permissive, p.polcmd::text as cmd,
				       0 = any(p.polroles) as public,
				       (select oid from pg_roles where rolname = 'doorstep_app') = any(p.polroles) as app,
				       pg_get_expr(p.polqual, p.polrelid) as qual,
				       pg_get_expr(p.polwithcheck, p.polrelid) as with_check
				from pg_policy p where p.polrelid = ? order by p.polname`, r.OID).Scan(&pols).Error)
			standard := false
			for _, p := range pols {
				q, wc := "", ""
				if p.Qual != nil {
					q = *p.Qual
					require.Contains(t, strings.ToLower(q), "nullif(current_setting('app.tenant_id'", "policy %s USING", p.Name)
				}
				if p.WithCheck != nil {
					wc = *p.WithCheck
					require.Contains(t, strings.ToLower(wc), "nullif(current_setting('app.tenant_id'", "policy %s WITH CHECK", p.Name)
				}
				if p.Permissive {
					if p.Qual != nil {
						require.Equal(t, tenantPolicyExpr, normalizeExpr(q), "permissive policy %s USING is not the tenant expression: %s", p.Name, q)
					}
					if p.WithCheck != nil {
						require.Equal(t, tenantPolicyExpr, normalizeExpr(wc), "permissive policy %s WITH CHECK is not the tenant expression: %s", p.Name, wc)
					}
				}
				if p.Permissive && p.Cmd == "*" && (p.Public || p.App) && p.Qual != nil && p.WithCheck != nil &&
					normalizeExpr(q) == tenantPolicyExpr && normalizeExpr(wc) == tenantPolicyExpr {
					standard = true
				}
			}
			require.True(t, standard, "no FOR ALL policy with USING and WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid); policies: %+v", pols)

			// Keys: tenant_id first in the primary key and every unique, exclusion and foreign key.
			var cons []struct {
				Name         string
				Type         string
				First        int
				NKeys        int
				RefTable     *string
				RefFirst     *int
				RefTenant    *int
				RefIsTenants bool
				RefOID       uint32 `gorm:"column:ref_oid"`
			}
			require.NoError(t, owner.Raw(`
				select c.conname as name, c.contype::text as type, c.conkey[1] as first,
				       cardinality(c.conkey) as n_keys,
				       nullif(c.confrelid, 0)::regclass::text as ref_table, c.confkey[1] as ref_first,
				       (select a.attnum from pg_attribute a where a.attrelid = c.confrelid and a.attname = 'tenant_id' and not a.attisdropped) as ref_tenant,
				       c.confrelid = 'tenants'::regclass as ref_is_tenants, c.confrelid as ref_oid
				from pg_constraint c
				where c.conrelid = ? and c.contype in ('p', 'u', 'x', 'f')
				order by c.conname`, r.OID).Scan(&cons).Error)
			hasPK := false
			for _, c := range cons {
				require.Equal(t, tbl.TenantAttnum, c.First, "constraint %s (%s): tenant_id is not its first column", c.Name, c.Type)
				switch c.Type {
				case "p":
					hasPK = true
					require.Greater(t, c.NKeys, 1, "primary key %s must be (tenant_id, …)", c.Name)
				case "f":
					require.NotNil(t, c.RefTable)
					if c.RefIsTenants {
						// The tenant_id → tenants(id) key: the only FK whose target is not keyed by
						// tenant_id; it must be exactly tenant_id → id.
						var idAttnum int
						require.NoError(t, owner.Raw(`select attnum from pg_attribute where attrelid = 'tenants'::regclass and attname = 'id'`).Scan(&idAttnum).Error)
						require.Equal(t, 1, c.NKeys, "FK %s to tenants must be on tenant_id alone", c.Name)
						require.Equal(t, idAttnum, *c.RefFirst, "FK %s must reference tenants(id)", c.Name)
					} else {
						require.NotNil(t, c.RefTenant, "FK %s references %s, which has no tenant_id", c.Name, *c.RefTable)
						_, refIsTenant := tenantOIDs[c.RefOID]
						require.True(t, refIsTenant, "FK %s references %s, which is not a tenant table", c.Name, *c.RefTable)
						require.Equal(t, *c.RefTenant, *c.RefFirst, "FK %s must reference %s(tenant_id, …)", c.Name, *c.RefTable)
					}
				}
			}
			require.True(t, hasPK, "no primary key")

			// Unique indexes, including ones not backing a constraint (e.g. users_email_key on an
			// expression).
			var idx []struct {
				Name  string
				First int
			}
			require.NoError(t, owner.Raw(`
				select i.indexrelid::regclass::text as name, i.indkey[0] as first
				from pg_index i where i.indrelid = ? and i.indisunique`, r.OID).Scan(&idx).Error)
			require.NotEmpty(t, idx)
			for _, i := range idx {
				require.Equal(t, tbl.TenantAttnum, i.First, "unique index %s: tenant_id is not its first column", i.Name)
			}
		})
	}

	t.Run("views are security_invoker", func(t *testing.T) {
		var rows []struct {
			Name    string
			Options string
		}
		require.NoError(t, owner.Raw(`
			select c.relname as name, coalesce(array_to_string(c.reloptions, ','), '') as options
			from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
			order by c.relname`).Scan(&rows).Error)
		require.NotEmpty(t, rows)
		for _, v := range rows {
			if postgisViews[v.Name] {
				continue
			}
			invoker := false
			for _, o := range strings.Split(v.Options, ",") {
				k, val, _ := strings.Cut(o, "=")
				if k == "security_invoker" {
					switch strings.ToLower(val) {
					case "true", "on", "yes", "1":
						invoker = true
					}
				}
			}
			require.True(t, invoker, "view %q lacks security_invoker=true (reloptions %q): it would read as its owner, bypassing RLS", v.Name, v.Options)
		}
	})
}

// TestRuntimeRole checks that doorstep_app is an ordinary role RLS applies to: no superuser,
// BYPASSRLS, CREATEROLE or CREATEDB (directly or through a role it belongs to), owns nothing in
// the database, cannot create objects or truncate, and cannot change the append-only audit log.
func TestRuntimeRole(t *testing.T) {
	d := newDB(t)
	owner := d.Owner
	requireRuntimeRole(t, d.App)

	var role struct {
		Super, BypassRLS, CreateRole, CreateDB, Replication bool
	}
	require.NoError(t, owner.Raw(`
		select rolsuper as super, rolbypassrls as bypass_rls, rolcreaterole as create_role,
		       rolcreatedb as create_db, rolreplication as replication
		from pg_roles where rolname = 'doorstep_app'`).Scan(&role).Error)
	require.False(t, role.Super, "superuser")
	require.False(t, role.BypassRLS, "bypassrls")
	require.False(t, role.CreateRole, "createrole")
	require.False(t, role.CreateDB, "createdb")
	require.False(t, role.Replication, "replication")

	var powerful []string
	require.NoError(t, owner.Raw(`
		select rolname from pg_roles
		where pg_has_role('doorstep_app', oid, 'MEMBER') and rolname <> 'doorstep_app'
		  and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)`).Scan(&powerful).Error)
	require.Empty(t, powerful, "doorstep_app is a member of privileged roles")

	// Owns nothing: ownership (directly or through membership) means RLS is not forced on it
	// by default, and that it can ALTER/DROP the object or its policies.
	for what, q := range map[string]string{
		"relations": `select relname::text from pg_class where pg_has_role('doorstep_app', relowner, 'MEMBER')`,
		"functions": `select proname::text from pg_proc where pg_has_role('doorstep_app', proowner, 'MEMBER')`,
		"schemas":   `select nspname::text from pg_namespace where pg_has_role('doorstep_app', nspowner, 'MEMBER')`,
		"types":     `select typname::text from pg_type where pg_has_role('doorstep_app', typowner, 'MEMBER')`,
		"database":  `select datname::text from pg_database where datname = current_database() and pg_has_role('doorstep_app', datdba, 'MEMBER')`,
	} {
		var owned []string
		require.NoError(t, owner.Raw(q).Scan(&owned).Error)
		require.Empty(t, owned, "doorstep_app owns %s", what)
	}
	// The literal check as well, in case pg_has_role semantics ever change.
	var n int64
	require.NoError(t, owner.Raw(`select (select count(*) from pg_class where relowner = 'doorstep_app'::regrole)
		+ (select count(*) from pg_proc where proowner = 'doorstep_app'::regrole)`).Scan(&n).Error)
	require.Zero(t, n)

	var priv struct {
		SchemaCreate, DBCreate bool
	}
	require.NoError(t, owner.Raw(`select has_schema_privilege('doorstep_app', 'public', 'CREATE') as schema_create,
		has_database_privilege('doorstep_app', current_database(), 'CREATE') as db_create`).Scan(&priv).Error)
	require.False(t, priv.SchemaCreate, "doorstep_app may create objects in public")
	require.False(t, priv.DBCreate, "doorstep_app may create schemas")

	// TRUNCATE ignores row level security; TRIGGER would let the role attach code to a table.
	var risky []string
	require.NoError(t, owner.Raw(`
		select c.relname || ':' || p.priv from pg_class c
		cross join (values ('TRUNCATE'), ('TRIGGER')) p(priv)
		where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
		  and has_table_privilege('doorstep_app', c.oid, p.priv)`).Scan(&risky).Error)
	require.Empty(t, risky)

	t.Run("audit_log is append-only for the runtime role", func(t *testing.T) {
		tenant := createTenant(t, owner, "audit")
		ctx := dbx.WithTenant(context.Background(), tenant)
		id := uuid.New()
		require.NoError(t, d.Tx.InTx(ctx, func(ctx context.Context) error {
			return d.Tx.Conn(ctx).Exec(`insert into audit_log (tenant_id, id, actor_kind, action, object_type)
				values (?, ?, 'user', 'test', 'thing')`, tenant, id).Error
		}))
		before := tenantChecksum(t, owner, "audit_log", tenant)
		require.True(t, strings.HasPrefix(before, "1:"), before)

		for _, stmt := range []string{
			`update audit_log set action = 'tampered' where id = ?`,
			`delete from audit_log where id = ?`,
			`truncate audit_log`,
		} {
			err := d.Tx.InTx(ctx, func(ctx context.Context) error {
				var n int64
				// The row is visible to its tenant…
				if err := d.Tx.Conn(ctx).Raw(`select count(*) from audit_log where id = ?`, id).Scan(&n).Error; err != nil || n != 1 {
					t.Errorf("audit row not visible: n=%d err=%v", n, err)
				}
				// …but cannot be changed.
				if strings.HasPrefix(stmt, "truncate") {
					return d.Tx.Conn(ctx).Exec(stmt).Error
				}
				return d.Tx.Conn(ctx).Exec(stmt, id).Error
			})
			require.Error(t, err, stmt)
			require.Equal(t, "42501", pgCode(err), "%s: %v", stmt, err)
		}
		require.Equal(t, before, tenantChecksum(t, owner, "audit_log", tenant))
	})
}
