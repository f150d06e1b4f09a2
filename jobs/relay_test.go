package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/jobs"
)

// TestRelayDeliversEachRowOnce runs two relays (two goroutines each) against producers
// committing 200 tasks for two tenants, then a real worker, and checks every task is enqueued
// once and handled once. It then simulates a relay that crashed between enqueueing and
// committing, and checks the task ID reservation turns the re-enqueue into a no-op.
func TestRelayDeliversEachRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenants := []uuid.UUID{e.tenant(t, "acme"), e.tenant(t, "globex")}
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	const perTenant, perTx = 100, 5

	relays := []*jobs.Relay{
		jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Batch: 7}),
		jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Batch: 7}),
	}
	stop := make(chan struct{})
	var relayed atomic.Int64
	var relayWG sync.WaitGroup
	for _, r := range relays {
		for range 2 {
			relayWG.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					n, err := r.RunOnce(context.Background())
					assert.NoError(t, err)
					relayed.Add(int64(n))
				}
			})
		}
	}

	var ids sync.Map // outbox id string → struct{}
	var produceWG sync.WaitGroup
	for _, tenant := range tenants {
		produceWG.Go(func() {
			for i := 0; i < perTenant; i += perTx {
				err := e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
					for j := range perTx {
						id, err := ob.Add(ctx, &pingPayload{N: i + j})
						if err != nil {
							return err
						}
						ids.Store(id.String(), struct{}{})
					}
					return nil
				})
				assert.NoError(t, err)
			}
		})
	}
	produceWG.Wait()
	require.Eventually(t, func() bool {
		return e.countNow("select count(*) from outbox where enqueued_at is null") == 0
	}, 30*time.Second, 20*time.Millisecond)
	close(stop)
	relayWG.Wait()

	const total = 2 * perTenant
	require.Equal(t, total, e.count(t, "select count(*) from outbox where enqueued_at is not null"))
	require.EqualValues(t, total, relayed.Load(), "each row was marked delivered by exactly one relay")
	q, err := e.insp.GetQueueInfo(jobs.QueueDefault)
	require.NoError(t, err)
	require.Equal(t, total, q.Pending)

	var mu sync.Mutex
	handled := map[string]int{}
	mux := jobs.NewServeMux(e.log, nil, e.resolver(), jobs.CloseOutboxRows(e.db.Tx))
	jobs.Handle(mux, func(ctx context.Context, p *pingPayload) error {
		id, _ := asynq.GetTaskID(ctx)
		tenant, _ := dbx.TenantID(ctx)
		if tenant != p.TenantID {
			return errors.New("tenant not restored")
		}
		mu.Lock()
		handled[id]++
		mu.Unlock()
		return nil
	})
	startServer(t, e.redis, mux)
	require.Eventually(t, func() bool {
		q, err := e.insp.GetQueueInfo(jobs.QueueDefault)
		return err == nil && q.Completed == total
	}, 30*time.Second, 50*time.Millisecond)

	mu.Lock()
	require.Len(t, handled, total)
	for id, n := range handled {
		require.Equal(t, 1, n, "task %s", id)
		_, ok := ids.Load(id)
		require.True(t, ok, "task id %s is an outbox id", id)
	}
	mu.Unlock()
	require.Eventually(t, func() bool {
		return e.countNow("select count(*) from outbox where done_at is not null and last_error = ''") == total
	}, 10*time.Second, 20*time.Millisecond, "every row is closed once its handler returned")

	// A relay that enqueued and then died before committing leaves the row pending. The next
	// run hits the reserved task ID, marks the row and does not run the task again.
	var replay string
	ids.Range(func(k, _ any) bool { replay = k.(string); return false })
	require.NoError(t, e.db.Owner.Exec("update outbox set enqueued_at = null, done_at = null where id = ?", replay).Error)
	n, err := relays[0].RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	info, err := e.insp.GetTaskInfo(jobs.QueueDefault, replay)
	require.NoError(t, err)
	require.Equal(t, asynq.TaskStateCompleted, info.State)
	require.Zero(t, e.count(t, "select count(*) from outbox where enqueued_at is null"))
}

func TestRelayEnqueueFailureKeepsRowPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	var id uuid.UUID
	require.NoError(t, e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		var err error
		id, err = ob.Add(ctx, &pingPayload{})
		return err
	}))

	// Nothing listens on port 1: every enqueue fails.
	down := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	n, err := jobs.NewRelay(e.db.Tx, down, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err, "enqueue failures are recorded on the row, not returned")
	require.Zero(t, n)
	var row struct {
		Attempts  int
		LastError string
		Pending   bool
	}
	require.NoError(t, e.db.Owner.Raw("select attempts, last_error, enqueued_at is null as pending from outbox where id = ?", id).Scan(&row).Error)
	require.Equal(t, 1, row.Attempts)
	require.NotEmpty(t, row.LastError)
	require.True(t, row.Pending)

	n, err = jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{}).RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = e.insp.GetTaskInfo(jobs.QueueDefault, id.String())
	require.NoError(t, err)
}

func TestRelayRunWakesOnCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, "acme")
	// An hour between polls: only the commit hook can make the relay deliver in time.
	relay := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Interval: time.Hour})
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	ob.OnCommit(relay.Wake)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	time.Sleep(100 * time.Millisecond) // let the first, immediate poll pass

	var id uuid.UUID
	require.NoError(t, e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
		var err error
		id, err = ob.Add(ctx, &pingPayload{})
		return err
	}))
	require.Eventually(t, func() bool {
		_, err := e.insp.GetTaskInfo(jobs.QueueDefault, id.String())
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
}

func TestRelayBoundsOneTenantsShareOfAPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	busy, quiet := e.tenant(t, "busy"), e.tenant(t, "quiet")
	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	add := func(tenant uuid.UUID, n int) {
		require.NoError(t, e.db.Tx.InTx(inTenant(tenant), func(ctx context.Context) error {
			for range n {
				if _, err := ob.Add(ctx, &pingPayload{}); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	add(busy, 25)
	add(quiet, 1)

	relay := jobs.NewRelay(e.db.Tx, e.client, e.log, jobs.RelayOptions{Batch: 2})
	n, err := relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 10*2+1, n, "ten batches of the busy tenant, and the quiet one is not starved")
	n, err = relay.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 5, n)
}
