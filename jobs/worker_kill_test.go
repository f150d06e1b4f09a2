package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/jobs"
)

// blockPayload is handled by the helper worker process, which blocks on it until killed.
type blockPayload struct{ jobs.Meta }

func (*blockPayload) TaskType() string { return "test:block" }

const (
	envHelperAddr   = "DOORSTEP_JOBS_HELPER_REDIS_ADDR"
	envHelperDB     = "DOORSTEP_JOBS_HELPER_REDIS_DB"
	envHelperMarker = "DOORSTEP_JOBS_HELPER_MARKER"
)

// TestHelperWorkerProcess is not a test: TestWorkerKilledMidJobLosesNothing runs the test
// binary again with only this function selected and the environment set, as a worker process
// it can SIGKILL. Without the environment it returns at once.
func TestHelperWorkerProcess(t *testing.T) {
	addr := os.Getenv(envHelperAddr)
	if addr == "" {
		return
	}
	db, err := strconv.Atoi(os.Getenv(envHelperDB))
	require.NoError(t, err)
	marker := os.Getenv(envHelperMarker)

	mux := jobs.NewServeMux(testLog(), nil, anyTenant{})
	jobs.Handle(mux, func(ctx context.Context, _ *blockPayload) error {
		if err := os.WriteFile(marker, []byte("started"), 0o600); err != nil {
			return err
		}
		<-ctx.Done() // until the parent kills this process
		return ctx.Err()
	})
	srv := jobs.NewServer(asynq.RedisClientOpt{Addr: addr, DB: db}, testLog(), 1)
	require.NoError(t, srv.Start(mux))
	time.Sleep(3 * time.Minute)
	t.Fatal("the helper worker should have been killed")
}

// TestWorkerKilledMidJobLosesNothing kills a worker process while it runs a task and checks a
// second worker completes the task.
//
// It takes about 65s, which asynq v0.26.0 dictates: a dequeued task holds a 30s lease that the
// worker's heartbeat (every 5s) extends; the recoverer only reclaims tasks whose lease expired
// more than 30s ago (clock-skew allowance), and runs when the server starts and then once a
// minute, none of it configurable. The second worker is started right after the kill, so its
// recoverer's second pass (start+60s) is the first that can see the task; the task then goes
// to the retry set with the server's backoff (~1s) and the forwarder (every 5s) makes it pending.
func TestWorkerKilledMidJobLosesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("takes over a minute; see the comment")
	}
	redis := newRedis(t)
	insp := asynq.NewInspector(redis)
	client := asynq.NewClient(redis)
	t.Cleanup(func() {
		_ = insp.Close()
		_ = client.Close()
	})

	id := uuid.Must(uuid.NewV7()).String()
	payload, err := json.Marshal(&blockPayload{Meta: jobs.Meta{TenantID: uuid.Must(uuid.NewV7())}})
	require.NoError(t, err)
	_, err = client.Enqueue(asynq.NewTask("test:block", payload), asynq.TaskID(id), asynq.MaxRetry(3), asynq.Retention(time.Hour))
	require.NoError(t, err)

	marker := filepath.Join(t.TempDir(), "started")
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envHelperAddr+"="+redis.Addr,
		envHelperDB+"="+strconv.Itoa(redis.DB),
		envHelperMarker+"="+marker,
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	require.Eventually(t, func() bool {
		_, err := os.Stat(marker)
		return err == nil
	}, 30*time.Second, 20*time.Millisecond, "helper worker never started the task; output:\n%s", &out)
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no shutdown, no requeue
	<-exited
	exited <- nil // for the cleanup
	killed := time.Now()

	info, err := insp.GetTaskInfo(jobs.QueueDefault, id)
	require.NoError(t, err)
	require.Equal(t, asynq.TaskStateActive, info.State, "the dead worker still holds the task")

	retries := make(chan int, 1)
	mux := jobs.NewServeMux(testLog(), nil, anyTenant{})
	jobs.Handle(mux, func(ctx context.Context, _ *blockPayload) error {
		n, _ := asynq.GetRetryCount(ctx)
		retries <- n
		return nil
	})
	startServer(t, redis, mux)

	select {
	case n := <-retries:
		require.Equal(t, 1, n, "the lost run counts as one failed attempt")
	case <-time.After(2 * time.Minute):
		t.Fatal("the orphaned task was never run again")
	}
	require.Eventually(t, func() bool {
		info, err := insp.GetTaskInfo(jobs.QueueDefault, id)
		return err == nil && info.State == asynq.TaskStateCompleted
	}, 10*time.Second, 50*time.Millisecond)
	t.Logf("task recovered and completed %s after the kill", time.Since(killed).Round(time.Second))
}
