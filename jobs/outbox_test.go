package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/jobs"
)

func TestOutboxRollbackSendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	woken := 0
	ob.OnCommit(func() { woken++ })

	boom := errors.New("boom")
	err := e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		_, err := ob.Add(ctx, &pingPayload{N: 1})
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, e.count(t, "select count(*) from outbox"))
	require.Zero(t, woken, "a rolled-back transaction must not wake the relay")

	n, err := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
	queues, err := e.insp.Queues()
	require.NoError(t, err)
	require.Empty(t, queues, "asynq must hold no task at all")
}

func TestOutboxCommitIsRelayedWithOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	other := e.tenant(t, "other")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	woken := 0
	ob.OnCommit(func() { woken++ })

	var id uuid.UUID
	err := e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		var err error
		id, err = ob.Add(ctx, &pingPayload{N: 7}, jobs.Queue(jobs.QueueCritical), jobs.MaxRetry(3), jobs.ProcessIn(time.Hour))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, uuid.Version(7), id.Version())
	require.Equal(t, 1, woken)

	// The other tenant's transaction cannot see the row (row-level security).
	var seen int64
	require.NoError(t, e.db.Tx.InTx(inTenant(other), func(ctx context.Context) error {
		return e.db.Tx.Conn(ctx).Raw("select count(*) from outbox").Scan(&seen).Error
	}))
	require.Zero(t, seen)

	// Due in an hour: past the default horizon, the task stays in PostgreSQL only.
	n, err := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "a task due after the horizon is not handed to Redis yet")
	queues, err := e.insp.Queues()
	require.NoError(t, err)
	require.Empty(t, queues, "asynq holds nothing yet")

	relay := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Horizon: 2 * time.Hour})
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "a delivered row is not relayed again")

	info, err := e.insp.GetTaskInfo(jobs.QueueCritical, id.String())
	require.NoError(t, err)
	require.Equal(t, "test:ping", info.Type)
	require.Equal(t, asynq.TaskStateScheduled, info.State)
	require.Equal(t, 3, info.MaxRetry)
	require.Equal(t, 24*time.Hour, info.Retention)
	require.WithinDuration(t, time.Now().Add(time.Hour), info.NextProcessAt, time.Minute)
	var p pingPayload
	require.NoError(t, json.Unmarshal(info.Payload, &p))
	require.Equal(t, tenant, p.TenantID, "Add stamps the context's tenant on the payload")
	require.Equal(t, 7, p.N)
	require.Equal(t, 1, e.count(t, "select count(*) from outbox where id = ? and enqueued_at is not null and done_at is null", id),
		"handed over, and open until its handler finishes")
}

func TestOutboxAddRefusesWrongUse(t *testing.T) {
	t.Parallel()
	e := newDBEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})

	_, err := ob.Add(inTenant(tenant), &pingPayload{})
	require.ErrorIs(t, err, jobs.ErrNoTransaction)

	require.NoError(t, e.db.Tx.InTx(context.Background(), func(ctx context.Context) error {
		_, err := ob.Add(ctx, &pingPayload{})
		require.ErrorIs(t, err, jobs.ErrNoTenant)
		return nil
	}))

	require.NoError(t, e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		foreign := &pingPayload{}
		foreign.SetTenant(uuid.Must(uuid.NewV7()))
		_, err := ob.Add(ctx, foreign)
		require.ErrorContains(t, err, "is for tenant")
		_, err = ob.Add(ctx, &pingPayload{}, jobs.Queue("nope"))
		require.ErrorContains(t, err, "unknown queue")
		_, err = ob.Add(ctx, pingValue{})
		require.ErrorContains(t, err, "pointer embedding jobs.Meta")
		return nil
	}))
	require.Zero(t, e.count(t, "select count(*) from outbox"))
}

// pingValue is a payload passed by value, which Add cannot stamp with the tenant.
type pingValue struct{ jobs.Meta }

func (pingValue) TaskType() string { return "test:value" }
