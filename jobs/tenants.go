package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
)

// tenantIDs lists every tenant from the platform table, which the runtime role may read
// without a tenant set. Suspended tenants are included: their queued work still has to drain
// (handlers decide what a suspended tenant may still do).
func tenantIDs(ctx context.Context, db *dbx.DB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := db.Gorm().WithContext(ctx).Raw("select id from tenants order by id").Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("jobs: list tenants: %w", err)
	}
	return ids, nil
}

// eachActiveTenant runs fn once for every active tenant, one after another, with the tenant in
// fn's context (fn opens its own transactions). It returns the sum of what fn counted and every
// tenant's error, joined and naming the tenant: one tenant's failure does not stop the others.
// Only FanOut uses it: a periodic sweep does no tenant's work itself, it queues one task per
// tenant (DESIGN.md, "Background jobs").
func eachActiveTenant(ctx context.Context, db *dbx.DB, fn func(ctx context.Context) (int, error)) (int, error) {
	var ids []uuid.UUID
	if err := db.Gorm().WithContext(ctx).Raw("select id from tenants where status = 'active' order by id").Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("jobs: list active tenants: %w", err)
	}
	total := 0
	var all []error
	for _, t := range ids {
		n, err := fn(dbx.WithTenant(ctx, t))
		if err != nil {
			all = append(all, fmt.Errorf("tenant %s: %w", t, err))
		}
		total += n
	}
	return total, errors.Join(all...)
}

// FanOut adds one task, made by newPayload, to the outbox of every active tenant, each in that
// tenant's own transaction, and returns how many it added: a periodic sweep hands each tenant
// its own job, so tenants are processed (and retried) apart.
func (o *Outbox) FanOut(ctx context.Context, newPayload func() Payload, opts ...Option) (int, error) {
	return eachActiveTenant(ctx, o.db, func(ctx context.Context) (int, error) {
		err := o.db.InTx(ctx, func(ctx context.Context) error {
			_, err := o.Add(ctx, newPayload(), opts...)
			return err
		})
		if err != nil {
			return 0, err
		}
		return 1, nil
	})
}
