package rbac

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Channel is the Redis pub/sub channel on which instances announce policy changes. Redis
// pub/sub ignores the database index, so every client of one Redis server shares it.
const Channel = "doorstep:rbac:policy"

const publishTimeout = 2 * time.Second

// redisWatcher is casbin's persist.Watcher on go-redis pub/sub. It stands in for
// github.com/casbin/redis-watcher, which the module proxy does not serve to this build; the job
// is small: publish a note when the policy changed, and call back when another instance did.
// Each note carries the publishing instance's id so that an instance skips its own.
type redisWatcher struct {
	rdb     *redis.Client
	channel string
	origin  string
	log     *slog.Logger
	ps      *redis.PubSub

	mu       sync.Mutex
	callback func(string)

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ persist.Watcher = (*redisWatcher)(nil)

// note is what travels on the channel.
type note struct {
	Origin string `json:"origin"`
	Tenant string `json:"tenant,omitempty"` // the tenant that changed; empty: any, reload all
}

// newRedisWatcher subscribes to channel and returns once Redis has confirmed the subscription,
// so that nothing published after it returns is missed.
func newRedisWatcher(ctx context.Context, rdb *redis.Client, channel string, log *slog.Logger) (*redisWatcher, error) {
	ps := rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("rbac: subscribe to %s: %w", channel, err)
	}
	w := &redisWatcher{
		rdb:     rdb,
		channel: channel,
		origin:  uuid.NewString(),
		log:     log,
		ps:      ps,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go w.listen(ps.ChannelWithSubscriptions())
	return w, nil
}

func (w *redisWatcher) listen(ch <-chan any) {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			switch m := v.(type) {
			case *redis.Subscription:
				// go-redis resubscribes after it lost the connection; whatever was published
				// meanwhile is gone, so count the resubscription as a change.
				if m.Kind == "subscribe" {
					w.log.Info("rbac: policy channel resubscribed; reloading")
					w.notify("")
				}
			case *redis.Message:
				var n note
				if err := json.Unmarshal([]byte(m.Payload), &n); err == nil && n.Origin == w.origin {
					continue
				}
				w.notify(m.Payload)
			}
		}
	}
}

func (w *redisWatcher) notify(payload string) {
	w.mu.Lock()
	cb := w.callback
	w.mu.Unlock()
	if cb != nil {
		cb(payload)
	}
}

// SetUpdateCallback sets what runs when another instance changed the policy.
func (w *redisWatcher) SetUpdateCallback(cb func(string)) error {
	w.mu.Lock()
	w.callback = cb
	w.mu.Unlock()
	return nil
}

// Update tells the other instances that the policy changed.
func (w *redisWatcher) Update() error { return w.publish(context.Background(), "") }

func (w *redisWatcher) publish(ctx context.Context, tenant string) error {
	payload, err := json.Marshal(note{Origin: w.origin, Tenant: tenant})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := w.rdb.Publish(ctx, w.channel, payload).Err(); err != nil {
		return fmt.Errorf("rbac: publish policy change: %w", err)
	}
	return nil
}

// Close unsubscribes; the callback is not called any more once it returns.
func (w *redisWatcher) Close() {
	w.closeOnce.Do(func() {
		close(w.stop)
		_ = w.ps.Close()
		<-w.done
	})
}
