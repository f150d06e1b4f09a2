package jobs

import (
	"fmt"
	"time"
)

// Queues the server processes, weighted 6/3/1. A task in any other queue would never run.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

var queueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// defaultMaxRetry matches the outbox table's column default.
const defaultMaxRetry = 10

// Option adjusts how a task is enqueued.
type Option func(*options)

type options struct {
	queue     string
	maxRetry  int
	processAt time.Time
	processIn time.Duration
}

// ProcessIn delays the task by d from the moment it is added (not from when it is relayed).
func ProcessIn(d time.Duration) Option {
	return func(o *options) { o.processIn = d; o.processAt = time.Time{} }
}

// ProcessAt runs the task no earlier than t.
func ProcessAt(t time.Time) Option { return func(o *options) { o.processAt = t; o.processIn = 0 } }

// Queue puts the task in one of QueueCritical, QueueDefault or QueueLow.
func Queue(name string) Option { return func(o *options) { o.queue = name } }

// MaxRetry bounds how often a failing task is retried before it is archived.
func MaxRetry(n int) Option { return func(o *options) { o.maxRetry = n } }

func buildOptions(now time.Time, opts []Option) (options, error) {
	o := options{queue: QueueDefault, maxRetry: defaultMaxRetry}
	for _, opt := range opts {
		opt(&o)
	}
	if _, ok := queueWeights[o.queue]; !ok {
		return o, fmt.Errorf("jobs: unknown queue %q", o.queue)
	}
	if o.maxRetry < 0 {
		return o, fmt.Errorf("jobs: negative MaxRetry %d", o.maxRetry)
	}
	if o.processIn > 0 {
		o.processAt = now.Add(o.processIn)
	}
	return o, nil
}
