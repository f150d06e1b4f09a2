package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/jobs"
)

// outcomePayload's handler does what Outcome says: "ok", "skip" (SkipRetry), "fail" (an
// ordinary error), or "slow" (returns nil after a while).
type outcomePayload struct {
	jobs.Meta
	Outcome string `json:"outcome"`
}

func (*outcomePayload) TaskType() string { return "test:outcome" }

// outcomeMux is a mux that closes outbox rows, with outcomePayload's handler counting runs
// per task id.
type outcomeMux struct {
	*asynq.ServeMux
	mu   sync.Mutex
	runs map[string]int
}

func newOutcomeMux(e *env, slow time.Duration) *outcomeMux {
	m := &outcomeMux{ServeMux: jobs.NewServeMux(e.log, nil, e.resolver(), jobs.CloseOutboxRows(e.db.Tx)), runs: map[string]int{}}
	jobs.Handle(m.ServeMux, func(ctx context.Context, p *outcomePayload) error {
		id, _ := asynq.GetTaskID(ctx)
		m.mu.Lock()
		m.runs[id]++
		m.mu.Unlock()
		switch p.Outcome {
		case "skip":
			return fmt.Errorf("cannot be done: %w", asynq.SkipRetry)
		case "fail":
			return errors.New("provider down")
		case "slow":
			time.Sleep(slow)
		}
		return nil
	})
	return m
}

func (m *outcomeMux) runsOf(id uuid.UUID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runs[id.String()]
}

// addOutcome commits one outcomePayload task for tenant.
func (e *env) addOutcome(t *testing.T, ob *jobs.Outbox, tenant uuid.UUID, outcome string, opts ...jobs.Option) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		var err error
		id, err = ob.Add(ctx, &outcomePayload{Outcome: outcome}, opts...)
		return err
	}))
	return id
}

type outboxRow struct {
	EnqueuedAt *time.Time
	DoneAt     *time.Time
	LastError  string
}

func (e *env) outboxRow(t *testing.T, id uuid.UUID) outboxRow {
	t.Helper()
	var r outboxRow
	require.NoError(t, e.db.Owner.Raw("select enqueued_at, done_at, last_error from outbox where id = ?", id).Scan(&r).Error)
	return r
}

func (e *env) doneNow(id uuid.UUID) bool {
	return e.countNow("select count(*) from outbox where id = ? and done_at is not null", id) == 1
}

// inRedis reports whether asynq holds the task in queue, in any state. It reads the task's
// key rather than asking the Inspector: after FLUSHDB a long-lived asynq.Client no longer
// lists the queue in asynq:queues (it remembers having done so), which hides the queue from
// the Inspector though workers still process it.
// Safe inside require.Eventually: a Redis error reads as false.
func (e *env) inRedis(queue string, id uuid.UUID) bool {
	n, err := e.rdb.Exists(context.Background(), "asynq:{"+queue+"}:t:"+id.String()).Result()
	return err == nil && n == 1
}

// TestMuxClosesOutboxRows: a task's outbox row is closed when its handler returns nil (no
// error recorded) and when it fails for good, SkipRetry or its last retry, with the error; a
// failure asynq will retry leaves it open. A task from outside the outbox (a periodic one,
// whose id is no row's) runs as before and closes nothing.
func TestMuxClosesOutboxRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	ok := e.addOutcome(t, ob, tenant, "ok")
	skip := e.addOutcome(t, ob, tenant, "skip")
	last := e.addOutcome(t, ob, tenant, "fail", jobs.MaxRetry(0))
	retried := e.addOutcome(t, ob, tenant, "fail", jobs.MaxRetry(1))
	n, err := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 4, n)

	foreign, err := json.Marshal(&outcomePayload{Meta: jobs.Meta{TenantID: tenant}, Outcome: "ok"})
	require.NoError(t, err)
	info, err := e.client.Enqueue(asynq.NewTask("test:outcome", foreign), asynq.Retention(time.Hour))
	require.NoError(t, err)

	mux := newOutcomeMux(e, 0)
	startServer(t, e.redis, mux.ServeMux)
	for _, id := range []uuid.UUID{ok, skip, last} {
		require.Eventually(t, func() bool { return e.doneNow(id) }, 20*time.Second, 20*time.Millisecond, "row %s", id)
		require.Equal(t, 1, mux.runsOf(id))
	}
	require.Empty(t, e.outboxRow(t, ok).LastError)
	require.Contains(t, e.outboxRow(t, skip).LastError, "cannot be done")
	require.Contains(t, e.outboxRow(t, last).LastError, "provider down")

	// The first failure of a task with a retry left: asynq will run it again, the row stays open.
	require.Eventually(t, func() bool {
		ti, err := e.insp.GetTaskInfo(jobs.QueueDefault, retried.String())
		return err == nil && ti.State == asynq.TaskStateRetry
	}, 20*time.Second, 20*time.Millisecond)
	require.Nil(t, e.outboxRow(t, retried).DoneAt)
	// The retry (about a second later, then up to 5 s until asynq's forwarder moves it) fails
	// for good and closes the row.
	require.Eventually(t, func() bool { return e.doneNow(retried) }, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, 2, mux.runsOf(retried))
	require.Contains(t, e.outboxRow(t, retried).LastError, "provider down")

	require.Eventually(t, func() bool {
		ti, err := e.insp.GetTaskInfo(jobs.QueueDefault, info.ID)
		return err == nil && ti.State == asynq.TaskStateCompleted
	}, 20*time.Second, 20*time.Millisecond, "a task from outside the outbox completes")
	require.Equal(t, 4, e.count(t, "select count(*) from outbox"))
}

// TestRelayReenqueuesWhatRedisLost: Redis loses everything (FLUSHDB) after the relay handed it
// a task due now and a delayed one. Neither is handed over again before its lease is up; the
// one due now is re-enqueued a lease after it was handed over, the delayed one a lease after
// its due time (not after it was handed over). A worker then runs each once and closes it.
func TestRelayReenqueuesWhatRedisLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	const lease = time.Second
	relay := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Lease: lease})
	now := e.addOutcome(t, ob, tenant, "ok")
	later := e.addOutcome(t, ob, tenant, "ok", jobs.ProcessIn(3*time.Second))
	start := time.Now()
	n, err := relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, n, "the delayed task is within the horizon")
	require.True(t, e.inRedis(jobs.QueueDefault, now))
	require.True(t, e.inRedis(jobs.QueueDefault, later))

	require.NoError(t, e.rdb.FlushDB(context.Background()).Err())
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "within the lease the relay trusts Redis")

	time.Sleep(time.Until(start.Add(lease + 300*time.Millisecond)))
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, e.inRedis(jobs.QueueDefault, now), "re-enqueued under the same id")
	require.False(t, e.inRedis(jobs.QueueDefault, later), "a delayed task's lease counts from its due time")

	// Meanwhile the relay renews the first task's lease (asynq holds it now) once a second.
	require.Eventually(t, func() bool {
		_, err := relay.RunOnce(context.Background())
		return err == nil && e.inRedis(jobs.QueueDefault, later)
	}, 10*time.Second, 100*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(start), 3*time.Second+lease-200*time.Millisecond, "not before due time + lease")

	mux := newOutcomeMux(e, 0)
	startServer(t, e.redis, mux.ServeMux)
	for _, id := range []uuid.UUID{now, later} {
		require.Eventually(t, func() bool { return e.doneNow(id) }, 20*time.Second, 20*time.Millisecond)
		require.Equal(t, 1, mux.runsOf(id))
	}
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "closed rows are not handed over again")
}

// TestRelayRenewsLeaseWhileAsynqHoldsTask: with a one-second lease and the relay polling
// every 50 ms, a task that runs for three seconds (active in asynq) and one waiting in a
// paused queue (pending) are handed over again and again; asynq refuses each (the task id is
// taken), the relay renews the lease, and each task runs exactly once.
func TestRelayRenewsLeaseWhileAsynqHoldsTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	relay := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Interval: 50 * time.Millisecond, Lease: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	slow := e.addOutcome(t, ob, tenant, "slow")
	waiting := e.addOutcome(t, ob, tenant, "ok", jobs.Queue(jobs.QueueLow))
	require.NoError(t, e.insp.PauseQueue(jobs.QueueLow))
	// In Redis before the relay's transaction marks the rows handed over: wait for both.
	require.Eventually(t, func() bool {
		return e.inRedis(jobs.QueueDefault, slow) && e.inRedis(jobs.QueueLow, waiting) &&
			e.outboxRow(t, waiting).EnqueuedAt != nil
	}, 10*time.Second, 20*time.Millisecond)
	first := *e.outboxRow(t, waiting).EnqueuedAt

	mux := newOutcomeMux(e, 3*time.Second)
	startServer(t, e.redis, mux.ServeMux)
	require.Eventually(t, func() bool { return e.doneNow(slow) }, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, mux.runsOf(slow), "renewed, not re-run, while it ran")
	renewed := e.outboxRow(t, waiting)
	require.Nil(t, renewed.DoneAt)
	require.True(t, renewed.EnqueuedAt.After(first.Add(time.Second)), "lease renewed: %s then %s", first, renewed.EnqueuedAt)
	require.Zero(t, mux.runsOf(waiting))
	q, err := e.insp.GetQueueInfo(jobs.QueueLow)
	require.NoError(t, err)
	require.Equal(t, 1, q.Pending, "one task, however often the relay handed it over")

	require.NoError(t, e.insp.UnpauseQueue(jobs.QueueLow))
	require.Eventually(t, func() bool { return e.doneNow(waiting) }, 20*time.Second, 20*time.Millisecond)
	time.Sleep(1500 * time.Millisecond) // past another lease: nothing runs again
	require.Equal(t, 1, mux.runsOf(slow))
	require.Equal(t, 1, mux.runsOf(waiting))
}

// TestRelayHandsOverUndelayedRowsWhateverTheClock: created_at comes from the application's
// clock (tests run some services on a manual clock years ahead); a row without process_at is
// due at once all the same, while a delayed one waits for its due time by the database's clock.
func TestRelayHandsOverUndelayedRowsWhateverTheClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.NewManual(time.Now().AddDate(5, 0, 0)))
	now := e.addOutcome(t, ob, tenant, "ok")
	later := e.addOutcome(t, ob, tenant, "ok", jobs.ProcessIn(time.Second))
	n, err := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, e.inRedis(jobs.QueueDefault, now))
	require.False(t, e.inRedis(jobs.QueueDefault, later))
}
