package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/jobs"
)

func TestOutboxCleanupDeletesOldFinishedRowsOfEveryTenant(t *testing.T) {
	t.Parallel()
	e := newDBEnv(t)
	now := time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
	old := now.Add(-jobs.OutboxKeep - time.Minute)
	recent := now.Add(-jobs.OutboxKeep + time.Minute)
	keep := map[uuid.UUID]bool{}
	for _, slug := range []string{"acme", "globex"} {
		tenant := e.tenant(t, slug)
		for _, r := range []struct {
			enqueued, done *time.Time
			keep           bool
		}{
			{&old, &old, false},   // finished long ago
			{&old, &recent, true}, // finished recently
			{&old, nil, true},     // handed to Redis long ago, never finished: still work to do
			{nil, nil, true},      // never handed over: kept however old
		} {
			id := uuid.Must(uuid.NewV7())
			keep[id] = r.keep
			require.NoError(t, e.db.Owner.Exec(`insert into outbox (tenant_id, id, task_type, payload, created_at, enqueued_at, done_at)
				values (?, ?, 'test:ping', '{}', ?, ?, ?)`, tenant, id, old.Add(-time.Hour), r.enqueued, r.done).Error)
		}
	}

	mux := jobs.NewServeMux(e.log, nil, e.resolver())
	jobs.NewOutboxCleanup(e.db.Tx, clock.NewManual(now), e.log).Register(mux)
	require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeOutboxCleanup, nil)))

	for id, want := range keep {
		require.Equal(t, want, e.count(t, "select count(*) from outbox where id = ?", id) == 1, "row %s", id)
	}
	// Running again finds nothing more to do.
	n, err := jobs.NewOutboxCleanup(e.db.Tx, clock.NewManual(now), e.log).Run(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestRegisterPeriodic(t *testing.T) {
	t.Parallel()
	redis := newRedis(t)
	s := jobs.NewScheduler(redis, testLog(), time.UTC)
	require.NoError(t, jobs.RegisterPeriodic(s))
	require.NoError(t, s.Start())
	t.Cleanup(s.Shutdown)

	insp := asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })
	// The scheduler publishes its entries with its first heartbeat, 10s after start.
	var entries []*asynq.SchedulerEntry
	require.Eventually(t, func() bool {
		var err error
		entries, err = insp.SchedulerEntries()
		return err == nil && len(entries) == 1
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, jobs.TypeOutboxCleanup, entries[0].Task.Type())
	require.True(t, entries[0].Next.After(time.Now()))
}
