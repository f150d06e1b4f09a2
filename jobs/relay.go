package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/dbx"
)

// RelayOptions tunes a Relay; zero values take the defaults.
type RelayOptions struct {
	Interval  time.Duration // between polls when nothing wakes the relay; default 1s
	Batch     int           // rows per tenant per transaction; default 100
	Retention time.Duration // how long asynq keeps a finished task, and so reserves its ID; default 24h
	// Lease is how long a row handed to asynq may stay open (its handler not finished) before
	// the relay hands it over again; it counts from the row's due time for delayed work.
	// Default 5m. A re-enqueue of a task asynq still holds is a no-op, so a short lease costs
	// only Redis round trips; a long one delays recovery after Redis lost its data.
	Lease time.Duration
	// Horizon is how long before its due time a delayed row is handed to asynq; default 1m.
	// Anything later stays in PostgreSQL only, so Redis holds little that it can lose.
	Horizon time.Duration
}

// Relay moves committed outbox rows to asynq, and keeps handing them over until they are done.
//
// PostgreSQL, not Redis, is the source of truth for work to do. A row is open until the mux's
// outbox middleware (CloseOutboxRows) closes it after its handler returned nil or failed for
// good; handing it to asynq (enqueued_at) only starts a lease. The relay
//   - hands a row to asynq when it is written, or a delayed row (process_at) once it falls due
//     within Horizon, so Redis holds at most Horizon of delayed work;
//   - hands an open row to asynq again when its lease ran out: Lease after it was last handed
//     over or after it fell due, whichever is later. If asynq still holds the task (queued,
//     scheduled, running, waiting to retry, or kept after finishing) the task ID is taken,
//     asynq refuses it (ErrTaskIDConflict) and the relay just renews the lease; if Redis lost
//     it, it is enqueued again. A Redis restart without persistence so costs up to a lease of
//     delay, never the work. Handlers must be idempotent: a task can run twice (a success whose
//     close was lost, a worker killed mid-run).
//
// Delivery is exactly-once between relays and at-least-once across crashes: rows are claimed
// with FOR UPDATE SKIP LOCKED, so concurrent relays never pick the same row, and every task is
// enqueued with TaskID(outbox id) and a Retention, so if a relay dies after enqueueing but
// before its commit, the next attempt gets ErrTaskIDConflict and just marks the row.
//
// The outbox is a tenant table under forced row-level security and the runtime role cannot
// bypass it, so there is no "all pending rows" query: the relay lists tenants from the
// platform table and claims each tenant's rows in a transaction running as that tenant. That
// costs one small transaction per tenant per poll, which is fine for hundreds of tenants. To
// scale further, the insert could NOTIFY a channel with its tenant id (LISTEN/NOTIFY) so the
// relay visits only tenants with new rows and polls the rest rarely.
type Relay struct {
	db     *dbx.DB
	client *asynq.Client
	log    *slog.Logger
	opts   RelayOptions
	wake   chan struct{}
}

// Relay defaults.
const (
	DefaultRelayLease   = 5 * time.Minute
	DefaultRelayHorizon = time.Minute
)

// NewRelay returns a relay enqueueing through client.
func NewRelay(db *dbx.DB, client *asynq.Client, log *slog.Logger, opts RelayOptions) *Relay {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultRelayLease
	}
	if opts.Horizon <= 0 {
		opts.Horizon = DefaultRelayHorizon
	}
	return &Relay{db: db, client: client, log: log, opts: opts, wake: make(chan struct{}, 1)}
}

// Wake makes a running Run poll now. It never blocks; wake-ups coalesce.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run polls until ctx is done, every Interval or sooner when woken, and at once again while a
// tenant had more pending rows than one poll takes.
func (r *Relay) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-r.wake:
		}
		_, more, err := r.poll(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "outbox relay", "err", err)
		}
		if more && err == nil {
			timer.Reset(0)
		} else {
			timer.Reset(r.opts.Interval)
		}
	}
}

// RunOnce hands every tenant's due rows and lapsed rows (open past their lease) to asynq, and
// returns how many it marked handed over (including rows asynq already held, whose lease it
// renewed). Rows whose enqueue fails keep their state with attempts and last_error updated;
// those errors are logged, not returned. A tenant with a large backlog is visited for a bounded
// number of batches, so it cannot starve the others; Run comes back for the rest at once.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	n, _, err := r.poll(ctx)
	return n, err
}

// maxBatchesPerTenant bounds one tenant's share of a poll.
const maxBatchesPerTenant = 10

func (r *Relay) poll(ctx context.Context) (total int, more bool, err error) {
	tenants, err := tenantIDs(ctx, r.db)
	if err != nil {
		return 0, false, err
	}
	var errs []error
	for _, tenant := range tenants {
		n, tenantMore, err := r.drainTenant(ctx, tenant)
		total += n
		more = more || tenantMore
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tenant, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return total, more, errors.Join(errs...)
}

// drainTenant relays batches until one is short or failed, or it has done its share; more
// reports that the tenant may have rows left.
func (r *Relay) drainTenant(ctx context.Context, tenant uuid.UUID) (total int, more bool, err error) {
	for range maxBatchesPerTenant {
		n, full, err := r.relayBatch(dbx.WithTenant(ctx, tenant))
		total += n
		if err != nil || !full || ctx.Err() != nil {
			return total, false, err
		}
	}
	return total, true, nil
}

type pendingRow struct {
	ID        uuid.UUID
	TaskType  string
	Payload   []byte
	Queue     string
	ProcessAt *time.Time
	MaxRetry  int
	Lapsed    bool // handed to asynq before, still open past its lease
}

// outboxCols are the columns relayBatch reads into a pendingRow.
const outboxCols = `id, task_type, payload, queue, process_at, max_retry, enqueued_at is not null as lapsed`

// relayBatch claims up to Batch rows of the context's tenant, lapsed ones first, then due ones,
// enqueues them and marks the handed-over ones, all in one transaction. full reports whether
// every claimed row went out and the batch was full, i.e. there may be more.
func (r *Relay) relayBatch(ctx context.Context) (delivered int, full bool, err error) {
	tenant, _ := dbx.TenantID(ctx)
	err = r.db.InTx(ctx, func(ctx context.Context) error {
		delivered, full = 0, false // InTx may retry fn
		tx := r.db.Conn(ctx)
		// The predicates repeat the partial indexes' (outbox_open_idx, outbox_due_idx) so the
		// planner can use them.
		var rows []pendingRow
		err := tx.Raw(`select `+outboxCols+` from outbox
			where tenant_id = ? and enqueued_at is not null and done_at is null
			  and greatest(enqueued_at, process_at) <= now() - make_interval(secs => ?)
			order by greatest(enqueued_at, process_at)
			limit ?
			for update skip locked`, tenant, r.opts.Lease.Seconds(), r.opts.Batch).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("claim lapsed outbox rows: %w", err)
		}
		if len(rows) < r.opts.Batch {
			var due []pendingRow
			err := tx.Raw(`select `+outboxCols+` from outbox
				where tenant_id = ? and enqueued_at is null and done_at is null
				  and coalesce(process_at, '-infinity') <= now() + make_interval(secs => ?)
				order by coalesce(process_at, '-infinity'), created_at
				limit ?
				for update skip locked`, tenant, r.opts.Horizon.Seconds(), r.opts.Batch-len(rows)).Scan(&due).Error
			if err != nil {
				return fmt.Errorf("claim due outbox rows: %w", err)
			}
			rows = append(rows, due...)
		}
		var done []uuid.UUID
		for _, row := range rows {
			if err := r.enqueue(ctx, row); err != nil {
				r.log.WarnContext(ctx, "outbox relay: enqueue failed", "tenant_id", tenant,
					"outbox_id", row.ID, "type", row.TaskType, "err", err)
				if err := tx.Exec(`update outbox set attempts = attempts + 1, last_error = ?
					where tenant_id = ? and id = ?`, truncate(err.Error(), 1000), tenant, row.ID).Error; err != nil {
					return fmt.Errorf("record enqueue failure: %w", err)
				}
				continue
			}
			done = append(done, row.ID)
		}
		if len(done) > 0 {
			if err := tx.Exec(`update outbox set enqueued_at = now()
				where tenant_id = ? and id in ?`, tenant, done).Error; err != nil {
				return fmt.Errorf("mark outbox rows enqueued: %w", err)
			}
		}
		delivered = len(done)
		full = len(rows) == r.opts.Batch && len(done) == len(rows)
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return delivered, full, nil
}

// enqueue hands row to asynq under its outbox id. A taken id means asynq holds the task
// already, which is the row's goal either way.
func (r *Relay) enqueue(ctx context.Context, row pendingRow) error {
	opts := []asynq.Option{
		asynq.TaskID(row.ID.String()),
		asynq.Queue(row.Queue),
		asynq.MaxRetry(row.MaxRetry),
		asynq.Retention(r.opts.Retention),
	}
	if row.ProcessAt != nil {
		opts = append(opts, asynq.ProcessAt(*row.ProcessAt))
	}
	_, err := r.client.EnqueueContext(ctx, asynq.NewTask(row.TaskType, row.Payload), opts...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict) && row.Lapsed:
		// Still queued, running, retrying or kept after finishing: the lease is renewed.
		r.log.DebugContext(ctx, "outbox relay: lease renewed, asynq holds the task", "outbox_id", row.ID, "type", row.TaskType)
		return nil
	case errors.Is(err, asynq.ErrTaskIDConflict):
		// Enqueued before, by a relay that crashed before committing: already delivered.
		r.log.InfoContext(ctx, "outbox relay: task already in asynq", "outbox_id", row.ID, "type", row.TaskType)
		return nil
	case err == nil && row.Lapsed:
		r.log.WarnContext(ctx, "outbox relay: re-enqueued an open task asynq no longer held", "outbox_id", row.ID, "type", row.TaskType)
	}
	return err
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence (PostgreSQL
// rejects invalid UTF-8 in text).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
