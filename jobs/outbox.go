package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
)

// Errors from Outbox.Add that mean the caller is wired wrongly.
var (
	ErrNoTransaction = errors.New("jobs: Outbox.Add needs the transaction of dbx.InTx in its context")
	ErrNoTenant      = errors.New("jobs: Outbox.Add needs a tenant in its context")
)

// Outbox writes tasks into the outbox table inside the caller's transaction, so a task exists
// exactly when the business change that caused it commits. The Relay later hands it to asynq.
type Outbox struct {
	db       *dbx.DB
	clk      clock.Clock
	onCommit atomic.Pointer[func()]
}

// NewOutbox returns an outbox writing through db.
func NewOutbox(db *dbx.DB, clk clock.Clock) *Outbox {
	return &Outbox{db: db, clk: clk}
}

// OnCommit sets f to be called after every transaction that added a task commits; wiring
// passes Relay.Wake so an in-process relay delivers without waiting for its next tick.
// f must not block.
func (o *Outbox) OnCommit(f func()) { o.onCommit.Store(&f) }

// Add writes p to the outbox in the transaction carried by ctx, as the context's tenant. p must
// be a pointer to a struct embedding Meta; its tenant is set here. It returns the outbox row id,
// which becomes the asynq task ID, so handlers can use it as an idempotency key.
func (o *Outbox) Add(ctx context.Context, p Payload, opts ...Option) (uuid.UUID, error) {
	if !dbx.InTransaction(ctx) {
		return uuid.Nil, ErrNoTransaction
	}
	tenant, ok := dbx.TenantID(ctx)
	if !ok {
		return uuid.Nil, ErrNoTenant
	}
	if err := checkTaskType(p.TaskType()); err != nil {
		return uuid.Nil, err
	}
	setter, ok := p.(tenantSetter)
	if !ok {
		return uuid.Nil, fmt.Errorf("jobs: payload %T must be a pointer embedding jobs.Meta", p)
	}
	// A payload built for another tenant is a bug that would leak work across tenants.
	if g, ok := p.(tenantGetter); ok && g.Tenant() != uuid.Nil && g.Tenant() != tenant {
		return uuid.Nil, fmt.Errorf("jobs: %s payload is for tenant %s, transaction is for %s", p.TaskType(), g.Tenant(), tenant)
	}
	now := o.clk.Now()
	opt, err := buildOptions(now, opts)
	if err != nil {
		return uuid.Nil, err
	}
	setter.SetTenant(tenant)
	body, err := json.Marshal(p)
	if err != nil {
		return uuid.Nil, fmt.Errorf("jobs: encode %s payload: %w", p.TaskType(), err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	var processAt *time.Time
	if !opt.processAt.IsZero() {
		processAt = &opt.processAt
	}
	err = o.db.Conn(ctx).Exec(`insert into outbox (tenant_id, id, task_type, payload, queue, process_at, max_retry, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, id, p.TaskType(), string(body), opt.queue, processAt, opt.maxRetry, now).Error
	if err != nil {
		return uuid.Nil, fmt.Errorf("jobs: add %s to outbox: %w", p.TaskType(), dbx.Err(err))
	}
	if f := o.onCommit.Load(); f != nil {
		dbx.AfterCommit(ctx, func(context.Context) { (*f)() })
	}
	return id, nil
}
