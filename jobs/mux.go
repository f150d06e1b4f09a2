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
// logging, metrics (when m is not nil), panic recovery and tenant restore (the whole tenant,
// loaded through tenants; see restoreTenant).
func NewServeMux(log *slog.Logger, m *Metrics, tenants TenantResolver) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(logging(log), m.middleware, recovering(log), restoreTenant(tenants))
	return mux
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
