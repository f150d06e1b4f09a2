package jobs

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
)

// TestLeaderElectsOne: of three contenders exactly one leads at any time; when the leader
// stops, another takes over; a leader whose lease is stolen steps down.
func TestLeaderElectsOne(t *testing.T) {
	rdb, _ := dbtest.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 300 * time.Millisecond
	var leading, maxLeading, terms atomic.Int32
	lead := func(ctx context.Context) {
		n := leading.Add(1)
		terms.Add(1)
		for {
			m := maxLeading.Load()
			if n <= m || maxLeading.CompareAndSwap(m, n) {
				break
			}
		}
		<-ctx.Done()
		leading.Add(-1)
	}
	ctxs := make([]context.CancelFunc, 3)
	for i := range ctxs {
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[i] = cancel
		go NewLeader(rdb, "test:leader", ttl, log).Run(ctx, lead)
	}
	defer func() {
		for _, c := range ctxs {
			c()
		}
	}()
	require.Eventually(t, func() bool { return leading.Load() == 1 }, 2*time.Second, 10*time.Millisecond)
	time.Sleep(3 * ttl)
	require.Equal(t, int32(1), leading.Load())
	require.Equal(t, int32(1), terms.Load(), "the lease is renewed, not re-won")

	// Steal the lease: the holder notices at its next renewal and steps down; someone leads again.
	require.NoError(t, rdb.Set(context.Background(), "test:leader", "intruder", ttl).Err())
	require.Eventually(t, func() bool { return terms.Load() >= 2 && leading.Load() == 1 }, 3*time.Second, 10*time.Millisecond)
	require.Equal(t, int32(1), maxLeading.Load(), "never two leaders at once")
}
