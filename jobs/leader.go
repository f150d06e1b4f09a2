package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Leader elects one process among several through a Redis lease, so that work which must run
// once per deployment (the periodic scheduler) runs in exactly one worker replica, and moves
// to another when that one dies.
type Leader struct {
	rdb *redis.Client
	key string
	ttl time.Duration
	id  string
	log *slog.Logger
}

// NewLeader returns a contender for the lease named key; a holder that stops renewing loses
// the lease after ttl.
func NewLeader(rdb *redis.Client, key string, ttl time.Duration, log *slog.Logger) *Leader {
	return &Leader{rdb: rdb, key: key, ttl: ttl, id: uuid.NewString(), log: log}
}

var (
	renewScript   = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`)
	releaseScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)
)

// Run contends for the lease until ctx ends. Each time it wins, lead runs with a context that
// is cancelled when the lease is lost or ctx ends; Run waits for lead to return before
// contending again.
func (l *Leader) Run(ctx context.Context, lead func(ctx context.Context)) {
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	for {
		ok, err := l.rdb.SetNX(ctx, l.key, l.id, l.ttl).Result()
		if err != nil && ctx.Err() == nil {
			l.log.Warn("leader election", "key", l.key, "err", err)
		}
		if ok {
			l.log.Info("leadership won", "key", l.key)
			l.hold(ctx, tick, lead)
			l.log.Info("leadership ended", "key", l.key)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// hold runs lead while renewing the lease, and releases it at the end.
func (l *Leader) hold(ctx context.Context, tick *time.Ticker, lead func(ctx context.Context)) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx) }()
	defer func() {
		cancel()
		<-done
		_ = releaseScript.Run(context.WithoutCancel(ctx), l.rdb, []string{l.key}, l.id).Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-tick.C:
			n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.id, l.ttl.Milliseconds()).Int()
			if err != nil || n == 0 {
				l.log.Warn("leadership lost", "key", l.key, "err", err)
				return
			}
		}
	}
}
