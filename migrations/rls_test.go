package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
)

// TestRLSNoTenantNoRows seeds two tenants with rows in every tenant table (discovered from the
// catalog; the test fails when a tenant table has no seed) and proves, as the runtime role:
// no tenant set reads nothing, tenant A reads exactly A's rows, and A cannot insert, change,
// move or delete B's rows.
func TestRLSNoTenantNoRows(t *testing.T) {
	d := newDB(t)
	owner := d.Owner
	requireRuntimeRole(t, d.App)

	tables := tenantRelations(t, owner, "r", "p")
	requireSeedsCoverCatalog(t, tables)
	// Views over tenant tables must obey the caller's RLS too (security_invoker).
	readable := append(append([]relation(nil), tables...), tenantRelations(t, owner, "v")...)

	a := createTenant(t, owner, "alpha")
	b := createTenant(t, owner, "bravo")
	seedTenant(t, owner, a, "alpha", 2)
	seedTenant(t, owner, b, "bravo", 3)

	ownerCount := map[string]map[uuid.UUID]int64{}
	for _, r := range readable {
		ownerCount[r.Name] = map[uuid.UUID]int64{}
		for _, tn := range []uuid.UUID{a, b} {
			n, err := countRows(context.Background(), owner, r.Name, "tenant_id = ?", tn)
			require.NoError(t, err)
			require.Positive(t, n, "%s: seed left no rows for %s", r.Name, tn)
			ownerCount[r.Name][tn] = n
		}
	}
	checksums := func(tn uuid.UUID) map[string]string {
		m := map[string]string{}
		for _, r := range tables {
			m[r.Name] = tenantChecksum(t, owner, r.Name, tn)
		}
		return m
	}
	bBefore, aBefore := checksums(b), checksums(a)

	t.Run("no tenant, plain pool query: no rows", func(t *testing.T) {
		for _, r := range readable {
			n, err := countRows(context.Background(), d.App, r.Name, "")
			require.NoError(t, err, r.Name)
			require.Zero(t, n, "%s readable without a tenant", r.Name)
		}
	})

	t.Run("no tenant, InTx: no rows", func(t *testing.T) {
		require.NoError(t, d.Tx.InTx(context.Background(), func(ctx context.Context) error {
			var setting *string
			require.NoError(t, d.Tx.Conn(ctx).Raw(`select current_setting('app.tenant_id', true)`).Scan(&setting).Error)
			require.True(t, setting == nil || *setting == "", "app.tenant_id set without a tenant: %v", setting)
			for _, r := range readable {
				n, err := countRows(ctx, d.Tx.Conn(ctx), r.Name, "")
				require.NoError(t, err, r.Name)
				require.Zero(t, n, "%s readable without a tenant", r.Name)
			}
			return nil
		}))
	})

	t.Run("tenant A reads exactly A's rows", func(t *testing.T) {
		ctx := dbx.WithTenant(context.Background(), a)
		require.NoError(t, d.Tx.InTx(ctx, func(ctx context.Context) error {
			for _, r := range readable {
				all, err := countRows(ctx, d.Tx.Conn(ctx), r.Name, "")
				require.NoError(t, err, r.Name)
				require.Equal(t, ownerCount[r.Name][a], all, "%s: A must see all and only its rows", r.Name)
				foreign, err := countRows(ctx, d.Tx.Conn(ctx), r.Name, "tenant_id <> ?", a)
				require.NoError(t, err, r.Name)
				require.Zero(t, foreign, "%s: A sees another tenant's rows", r.Name)
				explicit, err := countRows(ctx, d.Tx.Conn(ctx), r.Name, "tenant_id = ?", b)
				require.NoError(t, err, r.Name)
				require.Zero(t, explicit, "%s: A can select B's rows by naming B", r.Name)
			}
			return nil
		}))
	})

	t.Run("writes across tenants are refused", func(t *testing.T) {
		ctxA := dbx.WithTenant(context.Background(), a)
		for _, r := range tables {
			t.Run(r.Name, func(t *testing.T) {
				seed, _ := seedFor(r.Name)
				var can struct{ Update, Delete bool }
				require.NoError(t, owner.Raw(`select has_table_privilege('doorstep_app', ?::regclass, 'UPDATE') as update,
					has_table_privilege('doorstep_app', ?::regclass, 'DELETE') as delete`, r.Name, r.Name).Scan(&can).Error)

				// INSERT of a B row as A, and with no tenant at all: WITH CHECK refuses it.
				for _, ctx := range []context.Context{ctxA, context.Background()} {
					err := d.Tx.InTx(ctx, func(ctx context.Context) error {
						return d.Tx.Conn(ctx).Exec(seed.sql, seed.args(b, "intruder", 900)...).Error
					})
					require.Error(t, err, "inserted a B row")
					require.Equal(t, "42501", pgCode(err), "%v", err)
					require.Contains(t, err.Error(), "row-level security")
				}

				// UPDATE of B's rows: affects nothing (or is not granted at all).
				for _, stmt := range []string{
					fmt.Sprintf(`update %s set tenant_id = tenant_id where tenant_id = ?`, ident(r.Name)),
					fmt.Sprintf(`update %s set tenant_id = tenant_id where tenant_id <> ?`, ident(r.Name)),
				} {
					arg := b
					if strings.Contains(stmt, "<>") {
						arg = a
					}
					affected, err := execIn(d.Tx, ctxA, stmt, arg)
					if !can.Update {
						require.Equal(t, "42501", pgCode(err), "%s: %v", stmt, err)
						continue
					}
					require.NoError(t, err, stmt)
					require.Zero(t, affected, stmt)
				}
				if can.Update {
					// An unqualified UPDATE touches A's rows only…
					affected, err := execIn(d.Tx, ctxA, fmt.Sprintf(`update %s set tenant_id = tenant_id`, ident(r.Name)))
					require.NoError(t, err)
					require.Equal(t, ownerCount[r.Name][a], affected)
					// …and A cannot move its rows to B.
					_, err = execIn(d.Tx, ctxA, fmt.Sprintf(`update %s set tenant_id = ?`, ident(r.Name)), b)
					require.Equal(t, "42501", pgCode(err), "moved A's rows to B: %v", err)
				}

				// DELETE of B's rows: deletes nothing (or is not granted at all).
				for _, stmt := range []string{
					fmt.Sprintf(`delete from %s where tenant_id = ?`, ident(r.Name)),
					fmt.Sprintf(`delete from %s where tenant_id <> ?`, ident(r.Name)),
				} {
					arg := b
					if strings.Contains(stmt, "<>") {
						arg = a
					}
					affected, err := execIn(d.Tx, ctxA, stmt, arg)
					if !can.Delete {
						require.Equal(t, "42501", pgCode(err), "%s: %v", stmt, err)
						continue
					}
					require.NoError(t, err, stmt)
					require.Zero(t, affected, stmt)
				}
				// With no tenant, even an unqualified DELETE finds nothing.
				affected, err := execIn(d.Tx, context.Background(), fmt.Sprintf(`delete from %s`, ident(r.Name)))
				if can.Delete {
					require.NoError(t, err)
					require.Zero(t, affected)
				} else {
					require.Equal(t, "42501", pgCode(err), "%v", err)
				}
			})
		}
	})

	t.Run("B's rows are unchanged", func(t *testing.T) {
		require.Equal(t, bBefore, checksums(b))
		require.Equal(t, aBefore, checksums(a))
	})
}

// execIn runs stmt in its own transaction for ctx's tenant and rolls it back, returning the
// number of rows it affected.
func execIn(db *dbx.DB, ctx context.Context, stmt string, args ...any) (int64, error) {
	var affected int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		res := db.Conn(ctx).Exec(stmt, args...)
		if res.Error != nil {
			return res.Error
		}
		affected = res.RowsAffected
		return errRollback
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return affected, err
}
