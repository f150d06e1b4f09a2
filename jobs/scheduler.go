package jobs

import (
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// NewScheduler returns a scheduler for periodic tasks, reading cron specs in loc. Each running
// scheduler enqueues every entry, so workers run it only while they hold the Leader lease;
// periodic handlers are idempotent and their tasks Unique all the same.
func NewScheduler(redis asynq.RedisConnOpt, log *slog.Logger, loc *time.Location) *asynq.Scheduler {
	log = log.With("component", "asynq-scheduler")
	return asynq.NewScheduler(redis, &asynq.SchedulerOpts{
		Location: loc,
		Logger:   asynqLogger{log},
		LogLevel: asynq.InfoLevel,
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			switch {
			case errors.Is(err, asynq.ErrDuplicateTask):
				log.Info("periodic task already enqueued by another scheduler")
			case err != nil:
				log.Error("scheduler could not enqueue a periodic task", "err", err)
			}
		},
	})
}

// RegisterPeriodic registers the project's periodic tasks on s.
func RegisterPeriodic(s *asynq.Scheduler) error {
	_, err := s.Register(outboxCleanupSpec, asynq.NewTask(TypeOutboxCleanup, nil),
		asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Unique(time.Hour), asynq.Timeout(10*time.Minute))
	return err
}
