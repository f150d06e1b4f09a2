package jobs

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// Retry backoff: base·2^n capped, minus up to half of it as jitter.
const (
	retryBase = time.Second
	retryCap  = 10 * time.Minute
)

// NewServer returns a worker server for the critical/default/low queues (weights 6/3/1) that
// retries with capped exponential backoff and logs through log.
//
// Finished tasks stay in Redis for the Retention the Relay gives each task, which keeps their
// TaskIDs (outbox ids) reserved so that a re-enqueue after a relay crash is rejected.
func NewServer(redis asynq.RedisConnOpt, log *slog.Logger, concurrency int) *asynq.Server {
	return asynq.NewServer(redis, asynq.Config{
		Concurrency:    concurrency,
		Queues:         queueWeights,
		RetryDelayFunc: retryDelay,
		ErrorHandler:   errorHandler(log),
		Logger:         asynqLogger{log.With("component", "asynq")},
		LogLevel:       asynq.InfoLevel,
	})
}

// retryDelay is exponential (about 1s, 2s, 4s … up to 10min) with jitter, so a burst of
// failures (say, a provider outage) does not come back as a burst, even at the cap.
func retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := retryCap
	if n < 20 { // beyond that the shift is past the cap anyway
		d = min(retryBase<<n, retryCap)
	}
	return d - rand.N(d/2+1)
}

// errorHandler logs failures that will not be retried: SkipRetry or retries exhausted. Each
// failed attempt is already logged by the mux's logging middleware.
func errorHandler(log *slog.Logger) asynq.ErrorHandler {
	return asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
		if !finalFailure(ctx, err) {
			return
		}
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		attrs := append(taskAttrs(ctx, t), slog.Int("max_retry", maxRetry), slog.Any("err", err))
		log.LogAttrs(ctx, slog.LevelError, "job gave up", attrs...)
	})
}
