package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/dbx"
)

// NewServeMux returns a mux whose handlers run inside, from the outside in: structured
// logging, metrics (when m is not nil), closing the task's outbox row (with CloseOutboxRows),
// panic recovery and tenant restore (the whole tenant, loaded through tenants; see
// restoreTenant). The worker's mux must close outbox rows: a row left open is handed to asynq
// again after every lease. Tests of handlers alone may leave it out.
func NewServeMux(log *slog.Logger, m *Metrics, tenants TenantResolver, opts ...MuxOption) *asynq.ServeMux {
	var c muxConfig
	for _, o := range opts {
		o(&c)
	}
	mux := asynq.NewServeMux()
	mws := []asynq.MiddlewareFunc{logging(log), m.middleware}
	if c.db != nil {
		mws = append(mws, closeOutboxRow(c.db, log))
	}
	mux.Use(append(mws, recovering(log), restoreTenant(tenants))...)
	return mux
}

// MuxOption adds to what NewServeMux's middleware does.
type MuxOption func(*muxConfig)

type muxConfig struct{ db *dbx.DB }

// CloseOutboxRows makes the mux close a task's outbox row through db once its handler has
// finished: returned nil, or failed for good (SkipRetry, RevokeTask, or its last retry), then
// with the error in last_error. See Relay for why rows stay open until then.
func CloseOutboxRows(db *dbx.DB) MuxOption { return func(c *muxConfig) { c.db = db } }

// closeTimeout bounds closing a row, which runs even when the handler's context has ended.
const closeTimeout = 10 * time.Second

// closeOutboxRow closes the row whose id is the task's ID, as the payload's tenant. Tasks not
// from the outbox (periodic ones: no tenant, or an id no row has) update nothing. If a
// finished row cannot be closed the task fails, so asynq runs it (idempotently) again and
// the close is retried; after a final failure there is nothing left to retry and the error is
// logged (the row stays open, and the relay will hand it over again after its lease).
func closeOutboxRow(db *dbx.DB, log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if err != nil && !finalFailure(ctx, err) {
				return err
			}
			taskID, _ := asynq.GetTaskID(ctx)
			id, perr := uuid.Parse(taskID)
			var meta Meta
			if perr != nil || json.Unmarshal(t.Payload(), &meta) != nil || meta.TenantID == uuid.Nil {
				return err
			}
			msg := ""
			if err != nil {
				msg = truncate(err.Error(), 1000)
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(dbx.WithTenant(ctx, meta.TenantID)), closeTimeout)
			defer cancel()
			cerr := db.InTx(cctx, func(ctx context.Context) error {
				return db.Conn(ctx).Exec(`update outbox set done_at = now(), last_error = ?
					where tenant_id = ? and id = ? and done_at is null`, msg, meta.TenantID, id).Error
			})
			switch {
			case cerr == nil:
				return err
			case err == nil:
				return fmt.Errorf("jobs: %s done, but its outbox row %s was not closed: %w", t.Type(), id, cerr)
			default:
				log.ErrorContext(ctx, "job gave up and its outbox row was not closed", "type", t.Type(),
					"outbox_id", id, "tenant_id", meta.TenantID, "err", cerr)
				return err
			}
		})
	}
}

// finalFailure reports whether asynq will not run the task again after err.
func finalFailure(ctx context.Context, err error) bool {
	if errors.Is(err, asynq.SkipRetry) || errors.Is(err, asynq.RevokeTask) {
		return true
	}
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && retried >= maxRetry
}

// Handle registers h for PT's task type. It decodes the payload into a fresh T, refuses
// malformed payloads and payloads without a tenant with an error wrapping asynq.SkipRetry
// (retrying cannot fix them), and runs h with the payload's tenant in the context, so h can
// call the same services as an HTTP handler. T must embed Meta; Handle panics otherwise, at
// wiring time.
func Handle[T any, PT interface {
	*T
	Payload
}](mux *asynq.ServeMux, h func(ctx context.Context, p PT) error) {
	name := PT(new(T)).TaskType()
	if err := checkTaskType(name); err != nil {
		panic(err)
	}
	if _, ok := any(PT(new(T))).(tenantGetter); !ok {
		panic(fmt.Sprintf("jobs: payload %T does not embed jobs.Meta", new(T)))
	}
	mux.HandleFunc(name, func(ctx context.Context, t *asynq.Task) error {
		p := PT(new(T))
		if err := json.Unmarshal(t.Payload(), p); err != nil {
			return fmt.Errorf("jobs: decode %s payload: %v: %w", name, err, asynq.SkipRetry)
		}
		tenant := any(p).(tenantGetter).Tenant()
		if tenant == uuid.Nil {
			return fmt.Errorf("jobs: %s payload has no tenant: %w", name, asynq.SkipRetry)
		}
		return h(dbx.WithTenant(ctx, tenant), p)
	})
}

// errPanic marks an error made from a recovered panic, for the metrics' result label.
var errPanic = errors.New("panic")

func recovering(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			defer func() {
				if v := recover(); v != nil {
					log.ErrorContext(ctx, "job panicked", "type", t.Type(), "panic", v, "stack", string(debug.Stack()))
					err = fmt.Errorf("jobs: %s: %w: %v", t.Type(), errPanic, v)
				}
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

// logging logs every run once. Failures that will be retried are warnings; the server's
// ErrorHandler logs the final failure as an error.
func logging(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			attrs := taskAttrs(ctx, t)
			attrs = append(attrs, slog.Duration("duration", time.Since(start)))
			if err != nil {
				log.LogAttrs(ctx, slog.LevelWarn, "job failed", append(attrs, slog.Any("err", err))...)
			} else {
				log.LogAttrs(ctx, slog.LevelInfo, "job done", attrs...)
			}
			return err
		})
	}
}

func taskAttrs(ctx context.Context, t *asynq.Task) []slog.Attr {
	attrs := []slog.Attr{slog.String("type", t.Type())}
	if id, ok := asynq.GetTaskID(ctx); ok {
		attrs = append(attrs, slog.String("task_id", id))
	}
	if q, ok := asynq.GetQueueName(ctx); ok {
		attrs = append(attrs, slog.String("queue", q))
	}
	if n, ok := asynq.GetRetryCount(ctx); ok {
		attrs = append(attrs, slog.Int("retry", n))
	}
	var meta Meta
	if json.Unmarshal(t.Payload(), &meta) == nil && meta.TenantID != uuid.Nil {
		attrs = append(attrs, slog.String("tenant_id", meta.TenantID.String()))
	}
	return attrs
}
