package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
)

// TypeOutboxCleanup deletes finished outbox rows. It is a platform task: its payload carries
// no tenant, and it visits every tenant itself.
const TypeOutboxCleanup = "outbox:cleanup"

// OutboxKeep is how long finished outbox rows are kept for inspection.
const OutboxKeep = 7 * 24 * time.Hour

// outboxCleanupSpec runs the cleanup daily at 03:17 in the scheduler's location (off the hour,
// when other periodic work bunches up).
const outboxCleanupSpec = "17 3 * * *"

// OutboxCleanup handles TypeOutboxCleanup.
type OutboxCleanup struct {
	db  *dbx.DB
	clk clock.Clock
	log *slog.Logger
}

// NewOutboxCleanup returns the cleanup handler.
func NewOutboxCleanup(db *dbx.DB, clk clock.Clock, log *slog.Logger) *OutboxCleanup {
	return &OutboxCleanup{db: db, clk: clk, log: log}
}

// Register adds the handler to mux. It is a plain HandleFunc, not Handle: there is no tenant.
func (c *OutboxCleanup) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeOutboxCleanup, func(ctx context.Context, _ *asynq.Task) error {
		_, err := c.Run(ctx)
		return err
	})
}

// Run deletes, tenant by tenant, rows finished (done_at) more than OutboxKeep ago, and returns
// how many it deleted. Open rows are never deleted, however old: they are work still to do
// (the relay hands them to asynq until their handler finishes). Deleting is idempotent, so a
// duplicate or retried run is harmless.
func (c *OutboxCleanup) Run(ctx context.Context) (int64, error) {
	tenants, err := tenantIDs(ctx, c.db)
	if err != nil {
		return 0, err
	}
	cutoff := c.clk.Now().Add(-OutboxKeep)
	var total int64
	var errs []error
	for _, tenant := range tenants {
		var n int64
		err := c.db.InTx(dbx.WithTenant(ctx, tenant), func(ctx context.Context) error {
			res := c.db.Conn(ctx).Exec(`delete from outbox
				where tenant_id = ? and done_at is not null and done_at < ?`, tenant, cutoff)
			n = res.RowsAffected
			return res.Error
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tenant, err))
		} else {
			total += n
		}
		if ctx.Err() != nil {
			break
		}
	}
	c.log.InfoContext(ctx, "outbox cleanup", "deleted", total, "tenants", len(tenants))
	return total, errors.Join(errs...)
}
