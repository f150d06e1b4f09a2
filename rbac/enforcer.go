package rbac

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
)

// Enforcer answers permission questions from an in-memory copy of every tenant's policy. The
// copy is reloaded from casbin_rule after a local change (Reload) and when another instance
// announces one on Redis.
type Enforcer struct {
	se      *casbin.SyncedEnforcer
	watcher *redisWatcher
	log     *slog.Logger

	// loadMu serialises loads: two overlapping loads could otherwise apply an older snapshot
	// after a newer one.
	loadMu sync.Mutex
	wake   chan struct{} // coalesces reload requests from other instances
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

// retryDelay is how long the background reloader waits after a failed load.
const retryDelay = time.Second

// NewEnforcer builds the enforcer on db (the runtime role's pool; casbin_rule is a platform
// table without row-level security), subscribes to Channel on rdb and loads the policy.
// It does not own db or rdb: Close leaves both open.
func NewEnforcer(ctx context.Context, db *gorm.DB, rdb *redis.Client, log *slog.Logger) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("rbac: model: %w", err)
	}
	// A handle of our own: TurnOffAutoMigrate rewrites the *gorm.DB it is given, and the
	// adapter keeps its context for every query, so it must not be a request's.
	adb := db.WithContext(context.WithoutCancel(ctx))
	gormadapter.TurnOffAutoMigrate(adb) // migrations create casbin_rule; the runtime role cannot
	adapter, err := gormadapter.NewAdapterByDB(adb)
	if err != nil {
		return nil, fmt.Errorf("rbac: adapter: %w", err)
	}
	se, err := casbin.NewSyncedEnforcer(m) // no adapter yet, so nothing loads before we subscribe
	if err != nil {
		return nil, fmt.Errorf("rbac: enforcer: %w", err)
	}
	se.SetAdapter(adapter)
	se.EnableAutoSave(false)          // the Service writes casbin_rule itself, in the business transaction
	se.EnableAutoNotifyWatcher(false) // and announces after commit

	e := &Enforcer{
		se:   se,
		log:  log,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	// Subscribe before the first load, so a change committed in between is not missed.
	if e.watcher, err = newRedisWatcher(ctx, rdb, Channel, log); err != nil {
		return nil, err
	}
	if err := se.SetWatcher(e.watcher); err != nil {
		e.watcher.Close()
		return nil, fmt.Errorf("rbac: watcher: %w", err)
	}
	_ = e.watcher.SetUpdateCallback(func(string) { e.requestLoad() })
	if err := e.load(); err != nil {
		e.watcher.Close()
		return nil, fmt.Errorf("rbac: load policy: %w", err)
	}
	go e.run()
	return e, nil
}

func (e *Enforcer) load() error {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	return e.se.LoadPolicy()
}

func (e *Enforcer) requestLoad() {
	select {
	case e.wake <- struct{}{}:
	default: // a load is already pending; it will see this change too
	}
}

// run performs the loads other instances ask for, one at a time; a burst of notes costs at
// most two loads.
func (e *Enforcer) run() {
	defer close(e.done)
	for {
		select {
		case <-e.stop:
			return
		case <-e.wake:
		}
		for {
			err := e.load()
			if err == nil {
				break
			}
			e.log.Error("rbac: reload policy", "err", err)
			select {
			case <-e.stop:
				return
			case <-time.After(retryDelay):
			}
		}
	}
}

// Reload announces a committed policy change to the other instances and reloads this one.
// The note goes out first so that the instances load in parallel.
func (e *Enforcer) Reload(ctx context.Context) error {
	tenant := ""
	if id, ok := dbx.TenantID(ctx); ok {
		tenant = id.String()
	}
	perr := e.watcher.publish(ctx, tenant)
	if err := e.load(); err != nil {
		return errors.Join(fmt.Errorf("rbac: reload policy: %w", err), perr)
	}
	return perr
}

// Allowed reports whether subject ("user:<id>", "customer:<id>") may use permission
// ("object:action") in the tenant. Anything malformed is denied.
func (e *Enforcer) Allowed(tenantID uuid.UUID, subject, permission string) bool {
	obj, act, ok := splitPermission(permission)
	if !ok || tenantID == uuid.Nil || subject == "" {
		return false
	}
	allowed, err := e.se.Enforce(subject, tenantID.String(), obj, act)
	if err != nil {
		e.log.Error("rbac: enforce", "err", err, "subject", subject, "permission", permission)
		return false
	}
	return allowed
}

// RolesOf returns the names of the roles subject holds in the tenant, sorted.
func (e *Enforcer) RolesOf(tenantID uuid.UUID, subject string) []string {
	var out []string
	for _, s := range e.se.GetRolesForUserInDomain(subject, tenantID.String()) {
		if name, ok := roleFromSubject(s); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Close stops listening for other instances' changes. It leaves the database and Redis
// handles open: they belong to the caller.
func (e *Enforcer) Close() error {
	e.closed.Do(func() {
		e.watcher.Close()
		close(e.stop)
		<-e.done
	})
	return nil
}
