// Package dbx owns database transactions. A transaction travels in the context so that nested
// service calls join it, and every transaction first sets app.tenant_id (local to the
// transaction) from the context's tenant, which is what the row-level security policies read.
package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/errs"
)

// DB is the runtime database handle handed to stores and services.
type DB struct {
	gorm *gorm.DB
}

// New wraps a gorm handle connected as the runtime (non-owner) role.
func New(g *gorm.DB) *DB { return &DB{gorm: g} }

// Gorm returns the pool handle; only wiring and platform code should need it.
func (d *DB) Gorm() *gorm.DB { return d.gorm }

type tenantKey struct{}
type txKey struct{}

// WithTenant returns a context whose transactions run as tenant id.
func WithTenant(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

// TenantID returns the context's tenant, if any.
func TenantID(ctx context.Context) (uuid.UUID, bool) {
	id, ok := ctx.Value(tenantKey{}).(uuid.UUID)
	return id, ok && id != uuid.Nil
}

type txState struct {
	db          *gorm.DB
	tenant      uuid.UUID
	afterCommit []func(context.Context)
}

// ErrTenantSwitch is returned when a nested InTx asks for a different tenant than the
// transaction it would join: that would silently read through the outer tenant's RLS setting.
var ErrTenantSwitch = errors.New("dbx: nested transaction for a different tenant")

const maxAttempts = 3

// InTx runs fn in a transaction. It joins the transaction already in ctx; otherwise it begins
// one, sets app.tenant_id from the context (empty when there is none, which makes every tenant
// table read as empty) and commits when fn returns nil. Serialization failures and deadlocks are
// retried a few times at the outermost level.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tenant, _ := TenantID(ctx)
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		if st.tenant != tenant {
			return ErrTenantSwitch
		}
		return fn(ctx)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		st := &txState{tenant: tenant}
		started := false
		err = d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			started = true
			setting := ""
			if tenant != uuid.Nil {
				setting = tenant.String()
			}
			if err := tx.Exec("select set_config('app.tenant_id', ?, true)", setting).Error; err != nil {
				return fmt.Errorf("set tenant: %w", err)
			}
			st.db = tx
			return fn(context.WithValue(ctx, txKey{}, st))
		})
		if err == nil {
			for _, f := range st.afterCommit {
				f(context.WithoutCancel(ctx))
			}
			return nil
		}
		// A connection that died under a cancelled request can come back from the pool (the
		// pgx stdlib driver does not validate connections); BEGIN then fails before fn ran,
		// so trying again on another connection is safe.
		badConn := !started && errors.Is(err, driver.ErrBadConn)
		if (!retryable(err) && !badConn) || ctx.Err() != nil {
			return unavailable(err)
		}
	}
	return unavailable(err)
}

// unavailable gives a lost or refused database connection its domain error (503 unavailable)
// wherever in fn it happened, so no caller mistakes it for a failed business rule or a bug.
func unavailable(err error) error {
	if _, ok := errs.As(err); !ok && Unavailable(err) {
		return Err(err)
	}
	return err
}

// Conn returns the transaction in ctx, or the pool when there is none. Outside a transaction
// no tenant is set, so only platform tables are visible.
func (d *DB) Conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.db
	}
	return d.gorm.WithContext(ctx)
}

// InTransaction reports whether ctx carries a transaction.
func InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// AfterCommit registers f to run once the outermost transaction in ctx commits. Outside a
// transaction f runs at once. f gets a context that is not cancelled with the request.
func AfterCommit(ctx context.Context, f func(context.Context)) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.afterCommit = append(st.afterCommit, f)
		return
	}
	f(context.WithoutCancel(ctx))
}

// RequireTenant returns the context's tenant, or an internal error for code that writes tenant
// rows without one (a wiring bug, never a client's fault).
func RequireTenant(ctx context.Context) (uuid.UUID, error) {
	id, ok := TenantID(ctx)
	if !ok {
		return uuid.Nil, errors.New("dbx: no tenant in context")
	}
	return id, nil
}
