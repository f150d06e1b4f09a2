package migrations_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
)

// TestInTxNesting covers dbx.InTx against real PostgreSQL as the runtime role: nested calls for
// the same tenant join the outer transaction, nested calls for another tenant (or none) are
// refused, and AfterCommit hooks run only once the outermost transaction has committed.
func TestInTxNesting(t *testing.T) {
	d := newDB(t)
	owner := d.Owner
	requireRuntimeRole(t, d.App)
	db := d.Tx
	a := createTenant(t, owner, "nest-a")
	b := createTenant(t, owner, "nest-b")
	ctxA := dbx.WithTenant(context.Background(), a)
	errBoom := errors.New("boom")

	insertFranchisee := func(ctx context.Context, tn uuid.UUID, name string) (uuid.UUID, error) {
		id := uuid.New()
		return id, db.Conn(ctx).Exec(`insert into franchisees (tenant_id, id, name) values (?, ?, ?)`, tn, id, name).Error
	}
	ownerHas := func(id uuid.UUID) bool {
		n, err := countRows(context.Background(), owner, "franchisees", "id = ?", id)
		require.NoError(t, err)
		return n == 1
	}
	txid := func(ctx context.Context) int64 {
		var x int64
		require.NoError(t, db.Conn(ctx).Raw(`select txid_current()`).Scan(&x).Error)
		return x
	}

	t.Run("same tenant joins and rolls back with the outer", func(t *testing.T) {
		var outerID, innerID uuid.UUID
		err := db.InTx(ctxA, func(ctx context.Context) error {
			var err error
			outerID, err = insertFranchisee(ctx, a, "outer")
			require.NoError(t, err)
			outerTx := txid(ctx)
			require.NoError(t, db.InTx(dbx.WithTenant(ctx, a), func(ctx context.Context) error {
				require.True(t, dbx.InTransaction(ctx))
				require.Equal(t, outerTx, txid(ctx), "inner call did not join the outer transaction")
				innerID, err = insertFranchisee(ctx, a, "inner")
				return err
			}))
			n, err := countRows(ctx, db.Conn(ctx), "franchisees", "id = ?", innerID)
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "outer does not see the inner write")
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.False(t, ownerHas(outerID), "outer write survived the rollback")
		require.False(t, ownerHas(innerID), "inner write survived the outer rollback")
	})

	t.Run("inner error rolls back the whole transaction", func(t *testing.T) {
		var outerID, innerID uuid.UUID
		err := db.InTx(ctxA, func(ctx context.Context) error {
			outerID, _ = insertFranchisee(ctx, a, "outer2")
			return db.InTx(ctx, func(ctx context.Context) error {
				innerID, _ = insertFranchisee(ctx, a, "inner2")
				return errBoom
			})
		})
		require.ErrorIs(t, err, errBoom)
		require.False(t, ownerHas(outerID))
		require.False(t, ownerHas(innerID))
	})

	t.Run("same tenant commits together", func(t *testing.T) {
		var outerID, innerID uuid.UUID
		require.NoError(t, db.InTx(ctxA, func(ctx context.Context) error {
			var err error
			if outerID, err = insertFranchisee(ctx, a, "outer3"); err != nil {
				return err
			}
			return db.InTx(ctx, func(ctx context.Context) error {
				innerID, err = insertFranchisee(ctx, a, "inner3")
				return err
			})
		}))
		require.True(t, ownerHas(outerID))
		require.True(t, ownerHas(innerID))
	})

	t.Run("a different tenant is refused", func(t *testing.T) {
		for name, c := range map[string]struct {
			outer func() context.Context
			inner func(context.Context) context.Context
		}{
			"A then B":       {func() context.Context { return ctxA }, func(ctx context.Context) context.Context { return dbx.WithTenant(ctx, b) }},
			"A then none":    {func() context.Context { return ctxA }, func(ctx context.Context) context.Context { return dbx.WithTenant(ctx, uuid.Nil) }},
			"none then A":    {context.Background, func(ctx context.Context) context.Context { return dbx.WithTenant(ctx, a) }},
			"B then A (ctx)": {func() context.Context { return dbx.WithTenant(context.Background(), b) }, func(ctx context.Context) context.Context { return dbx.WithTenant(ctx, a) }},
		} {
			t.Run(name, func(t *testing.T) {
				called := false
				var wrote uuid.UUID
				err := db.InTx(c.outer(), func(ctx context.Context) error {
					err := db.InTx(c.inner(ctx), func(ctx context.Context) error {
						called = true
						var err error
						wrote, err = insertFranchisee(ctx, b, "switched")
						return err
					})
					require.ErrorIs(t, err, dbx.ErrTenantSwitch)
					return err
				})
				require.ErrorIs(t, err, dbx.ErrTenantSwitch)
				require.False(t, called, "the nested function ran under the outer tenant's setting")
				require.False(t, wrote != uuid.Nil && ownerHas(wrote))
			})
		}
	})

	t.Run("AfterCommit runs after commit only", func(t *testing.T) {
		var order []string
		var hookCtxInTx, hookTenantOK bool
		require.NoError(t, db.InTx(ctxA, func(ctx context.Context) error {
			dbx.AfterCommit(ctx, func(hctx context.Context) {
				order = append(order, "outer")
				hookCtxInTx = dbx.InTransaction(hctx)
				got, ok := dbx.TenantID(hctx)
				hookTenantOK = ok && got == a
			})
			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				dbx.AfterCommit(ctx, func(context.Context) { order = append(order, "inner") })
				return nil
			}))
			require.Empty(t, order, "a hook ran before the outer transaction committed")
			_, err := insertFranchisee(ctx, a, "hooked")
			return err
		}))
		require.Equal(t, []string{"outer", "inner"}, order)
		require.False(t, hookCtxInTx, "hook context still carries the finished transaction")
		require.True(t, hookTenantOK, "hook context lost the tenant")
	})

	t.Run("AfterCommit does not run after rollback", func(t *testing.T) {
		ran := false
		err := db.InTx(ctxA, func(ctx context.Context) error {
			dbx.AfterCommit(ctx, func(context.Context) { ran = true })
			return db.InTx(ctx, func(ctx context.Context) error {
				dbx.AfterCommit(ctx, func(context.Context) { ran = true })
				return errBoom
			})
		})
		require.ErrorIs(t, err, errBoom)
		require.False(t, ran)
	})

	t.Run("AfterCommit does not run when COMMIT turns into ROLLBACK", func(t *testing.T) {
		// The handler swallows an SQL error and returns nil: PostgreSQL answers COMMIT with
		// ROLLBACK, which InTx must report, and the hooks must not run.
		ran := false
		var id uuid.UUID
		err := db.InTx(ctxA, func(ctx context.Context) error {
			dbx.AfterCommit(ctx, func(context.Context) { ran = true })
			id, _ = insertFranchisee(ctx, a, "doomed")
			_ = db.Conn(ctx).Exec(`select 1 / 0`).Error
			return nil
		})
		require.Error(t, err)
		require.False(t, ran)
		require.False(t, ownerHas(id))
	})

	t.Run("hooks of a retried attempt do not run", func(t *testing.T) {
		var attempts, hookRuns atomic.Int32
		var hookAttempt int32
		require.NoError(t, db.InTx(ctxA, func(ctx context.Context) error {
			n := attempts.Add(1)
			dbx.AfterCommit(ctx, func(context.Context) { hookRuns.Add(1); hookAttempt = n })
			if n == 1 {
				return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
			}
			return nil
		}))
		require.EqualValues(t, 2, attempts.Load())
		require.EqualValues(t, 1, hookRuns.Load())
		require.EqualValues(t, 2, hookAttempt)
	})

	t.Run("AfterCommit outside a transaction runs at once", func(t *testing.T) {
		ran := false
		dbx.AfterCommit(ctxA, func(context.Context) { ran = true })
		require.True(t, ran)
	})

	t.Run("the tenant is set inside and cleared after", func(t *testing.T) {
		// A one-connection pool, so the plain queries after each transaction run on the very
		// connection the transaction used.
		g, err := dbx.Open(d.AppURL, dbx.PoolConfig{MaxOpen: 1, MaxIdle: 1})
		require.NoError(t, err)
		sqlDB, err := g.DB()
		require.NoError(t, err)
		defer sqlDB.Close()
		one := dbx.New(g)
		setting := func(ctx context.Context) string {
			var s *string
			require.NoError(t, one.Conn(ctx).Raw(`select current_setting('app.tenant_id', true)`).Scan(&s).Error)
			return deref(s)
		}
		bg := context.Background()
		for _, outcome := range []error{nil, errBoom} {
			err := one.InTx(ctxA, func(ctx context.Context) error {
				require.Equal(t, a.String(), setting(ctx))
				n, err := countRows(ctx, one.Conn(ctx), "franchisees", "")
				require.NoError(t, err)
				require.Positive(t, n)
				return outcome
			})
			require.ErrorIs(t, err, outcome)
			require.Empty(t, setting(bg), "app.tenant_id outlived the transaction")
			n, err := countRows(bg, one.Conn(bg), "franchisees", "")
			require.NoError(t, err)
			require.Zero(t, n, "rows visible on the pool after a tenant transaction")
			require.NoError(t, one.InTx(bg, func(ctx context.Context) error {
				require.Empty(t, setting(ctx))
				return nil
			}))
		}
		require.Equal(t, 1, sqlDB.Stats().OpenConnections)
	})
}
