package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/tenant"
)

// TenantResolver loads a tenant by id: the resolver HTTP requests use (tenant.Resolver), so a
// job sees the tenant exactly as a request does. A suspended tenant comes back with
// tenant.ErrSuspended and the tenant itself; an unknown one is tenant.ErrNotFound.
type TenantResolver interface {
	ByID(ctx context.Context, id uuid.UUID) (*tenant.Tenant, error)
}

// restoreTenant puts the payload's whole tenant (time zone, locale, currency …) into the
// context through tenants, for any handler, including ones registered without Handle, so
// tenant.FromContext works in a job as in a request and no handler reloads it or falls back
// to UTC. Payloads without a tenant (platform tasks) pass through as they are.
//
// A tenant that does not exist never will, so its task is not retried. A suspended tenant's
// queued work still runs (handlers decide what a suspended tenant may still do), as the
// sweeps in tenants.go also include it. Any other failure (the database being down) is retried.
func restoreTenant(tenants TenantResolver) asynq.MiddlewareFunc {
	if tenants == nil {
		panic("jobs: NewServeMux needs a TenantResolver")
	}
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			var meta Meta
			if json.Unmarshal(t.Payload(), &meta) != nil || meta.TenantID == uuid.Nil {
				return next.ProcessTask(ctx, t)
			}
			tn, err := tenants.ByID(ctx, meta.TenantID)
			switch {
			case err == nil, errors.Is(err, tenant.ErrSuspended) && tn != nil:
			case errors.Is(err, tenant.ErrNotFound):
				return fmt.Errorf("jobs: %s for unknown tenant %s: %w", t.Type(), meta.TenantID, asynq.SkipRetry)
			default:
				return fmt.Errorf("jobs: %s: load tenant %s: %w", t.Type(), meta.TenantID, err)
			}
			return next.ProcessTask(tenant.WithTenant(ctx, tn), t)
		})
	}
}
