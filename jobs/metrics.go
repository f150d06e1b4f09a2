package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics counts and times job runs.
type Metrics struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the job metrics with reg (nil registers nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		total: f.NewCounterVec(prometheus.CounterOpts{
			Name: "doorstep_jobs_total",
			Help: "Job runs by task type and result (ok, error, skip, panic).",
		}, []string{"type", "result"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "doorstep_job_duration_seconds",
			Help:    "Job run time by task type.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 8), // 5ms … ~82s
		}, []string{"type"}),
	}
}

func (m *Metrics) middleware(next asynq.Handler) asynq.Handler {
	if m == nil {
		return next
	}
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		m.duration.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
		m.total.WithLabelValues(t.Type(), result(err)).Inc()
		return err
	})
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errPanic):
		return "panic"
	case errors.Is(err, asynq.SkipRetry):
		return "skip"
	default:
		return "error"
	}
}
