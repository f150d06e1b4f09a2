package rbac

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
)

// Enforcer answers permission questions from in-memory copies of tenants' policies: one casbin
// enforcer per tenant, loaded from that tenant's casbin_rule rows on the tenant's first check
// and kept in a bounded cache. A check therefore only walks its own tenant's rules, and a change
// reloads only the tenant it touched: here after a local change (Reload), and on every other
// instance when this one announces it on Redis. The rules themselves live only in the database;
// a tenant dropped from the cache is simply loaded again.
type Enforcer struct {
	db      *gorm.DB
	model   model.Model // parsed once; every tenant's enforcer gets a copy
	cache   *tenantCache
	watcher *redisWatcher
	log     *slog.Logger

	pendMu  sync.Mutex
	pendAll bool                   // every cached tenant must be reloaded
	pend    map[uuid.UUID]struct{} // these cached tenants must be reloaded

	wake   chan struct{} // coalesces reload requests from other instances
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

const (
	// retryDelay is how long the background reloader waits after a failed load, and how long
	// a tenant that failed its first load answers "no" before the next attempt.
	retryDelay = time.Second
	// loadTimeout bounds one tenant's query, which a permission check may be waiting for.
	loadTimeout = 5 * time.Second
	// reloadParallelism is how many tenants a full reload (reconnect, Reload without a tenant)
	// loads at once.
	reloadParallelism = 4
	// defaultMaxTenants caps the tenants held in memory per instance. A seeded tenant's
	// enforcer (the templates' 63 rules and nine assignments) takes about 40 KB of heap, each
	// further staff assignment a few hundred bytes, so the cap is some 0.4 GB for tenants of
	// that size. A tenant beyond it is loaded again (one query, ~1.5 ms) when next used.
	defaultMaxTenants = 10_000
)

type enforcerConfig struct {
	maxTenants int
	channel    string
}

// NewEnforcer builds the enforcer on db (the runtime role's pool; casbin_rule is a platform
// table without row-level security) and subscribes to Channel on rdb. Tenants' policies are
// loaded when first needed. It does not own db or rdb: Close leaves both open.
func NewEnforcer(ctx context.Context, db *gorm.DB, rdb *redis.Client, log *slog.Logger) (*Enforcer, error) {
	return newEnforcer(ctx, db, rdb, log, enforcerConfig{maxTenants: defaultMaxTenants, channel: Channel})
}

func newEnforcer(ctx context.Context, db *gorm.DB, rdb *redis.Client, log *slog.Logger, cfg enforcerConfig) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("rbac: model: %w", err)
	}
	// Nothing is loaded yet, but a pool that cannot read casbin_rule should fail the start
	// rather than deny every check later.
	var probe []int
	if err := db.WithContext(ctx).Raw("select 1 from casbin_rule limit 1").Scan(&probe).Error; err != nil {
		return nil, fmt.Errorf("rbac: load policy: %w", err)
	}
	e := &Enforcer{
		db:    db,
		model: m,
		cache: newTenantCache(cfg.maxTenants),
		log:   log,
		pend:  map[uuid.UUID]struct{}{},
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	// Subscribed before anything loads, so a change committed in between is not missed.
	if e.watcher, err = newRedisWatcher(ctx, rdb, cfg.channel, log); err != nil {
		return nil, err
	}
	_ = e.watcher.SetUpdateCallback(e.onNote)
	go e.run()
	return e, nil
}

// tenantRulesSQL reads one tenant's rows: its roles' permissions (p, tenant in v1) and its
// role assignments (g, tenant in v2).
//
// We query casbin_rule ourselves and hand the rows to a casbin enforcer that has no adapter,
// rather than use gorm-adapter's filtered loading. Its Filter ANDs the fields it is given, so
// "v1 = t OR v2 = t" across ptypes takes two LoadFilteredPolicy calls (the second incremental),
// i.e. two statements and two snapshots: a change committed between them (DeleteRole removes a
// role's p and g rows in one transaction) could be seen half applied. BatchFilter, which would
// take both in one call, cannot be built from outside the package. One statement reads from
// one snapshot; UNION ALL lets the p half use casbin_rule_domain_idx (v1).
const tenantRulesSQL = `
select id, ptype, coalesce(v0, '') as v0, coalesce(v1, '') as v1, coalesce(v2, '') as v2,
       coalesce(v3, '') as v3, coalesce(v4, '') as v4, coalesce(v5, '') as v5
  from casbin_rule where ptype = 'p' and v1 = ?
union all
select id, ptype, coalesce(v0, ''), coalesce(v1, ''), coalesce(v2, ''),
       coalesce(v3, ''), coalesce(v4, ''), coalesce(v5, '')
  from casbin_rule where ptype = 'g' and v2 = ?
order by id`

// build reads the tenant's rules and returns a casbin enforcer holding them and nothing else.
func (e *Enforcer) build(tenant uuid.UUID) (*casbin.Enforcer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	var rows []gormadapter.CasbinRule
	t := tenant.String()
	if err := e.db.WithContext(ctx).Raw(tenantRulesSQL, t, t).Scan(&rows).Error; err != nil {
		return nil, err
	}
	return enforcerFromRules(e.model, rows)
}

// enforcerFromRules builds a casbin enforcer of model base holding rows, as casbin's own
// LoadPolicy would with gorm-adapter.
func enforcerFromRules(base model.Model, rows []gormadapter.CasbinRule) (*casbin.Enforcer, error) {
	m := base.Copy()
	for _, r := range rows {
		if r.Ptype == "" {
			return nil, fmt.Errorf("casbin_rule %d: no ptype", r.ID)
		}
		if err := persist.LoadPolicyArray(ruleTokens(r), m); err != nil {
			return nil, fmt.Errorf("casbin_rule %d: %w", r.ID, err)
		}
	}
	if err := m.SortPoliciesBySubjectHierarchy(); err != nil {
		return nil, err
	}
	if err := m.SortPoliciesByPriority(); err != nil {
		return nil, err
	}
	ce, err := casbin.NewEnforcer(m) // no adapter: it loads nothing and saves nothing
	if err != nil {
		return nil, err
	}
	if err := ce.BuildRoleLinks(); err != nil {
		return nil, err
	}
	return ce, nil
}

// ruleTokens is the row as a policy line, without trailing empty fields (as gorm-adapter does).
func ruleTokens(r gormadapter.CasbinRule) []string {
	p := []string{r.Ptype, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(p) > 1 && p[len(p)-1] == "" {
		p = p[:len(p)-1]
	}
	return p
}

// enforcerFor returns the tenant's enforcer, loading it if this instance has none yet.
func (e *Enforcer) enforcerFor(tenant uuid.UUID) (*casbin.Enforcer, error) {
	p := e.cache.get(tenant)
	if ce := p.ce.Load(); ce != nil {
		return ce, nil
	}
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	if ce := p.ce.Load(); ce != nil { // loaded while we waited
		return ce, nil
	}
	if p.failErr != nil && time.Since(p.failedAt) < retryDelay {
		return nil, p.failErr // don't let every waiting request hit a failing database in turn
	}
	ce, err := e.loadLocked(p)
	if err != nil {
		p.failedAt, p.failErr = time.Now(), err
		return nil, err
	}
	p.failErr = nil
	return ce, nil
}

// reload loads the tenant again; it waits for a load in flight, so what it stores is at least
// as new as anything committed before it was called.
func (e *Enforcer) reload(p *tenantPolicy) error {
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	_, err := e.loadLocked(p)
	return err
}

func (e *Enforcer) loadLocked(p *tenantPolicy) (*casbin.Enforcer, error) {
	ce, err := e.build(p.id)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", p.id, err)
	}
	p.ce.Store(ce)
	p.loads.Add(1)
	return ce, nil
}

// reloadAll reloads ps, a few at a time, and returns the tenants that failed with the first
// error.
func (e *Enforcer) reloadAll(ps []*tenantPolicy) (failed []uuid.UUID, first error) {
	if len(ps) == 1 {
		if err := e.reload(ps[0]); err != nil {
			return []uuid.UUID{ps[0].id}, err
		}
		return nil, nil
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, reloadParallelism)
	)
	for _, p := range ps {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := e.reload(p); err != nil {
				mu.Lock()
				failed = append(failed, p.id)
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed, first
}

// onNote handles another instance's note, or a resubscription (payload ""): the note's tenant
// is reloaded, or every cached tenant when the note names none.
func (e *Enforcer) onNote(payload string) {
	var n note
	if payload != "" && json.Unmarshal([]byte(payload), &n) == nil && n.Tenant != "" {
		if id, err := uuid.Parse(n.Tenant); err == nil && id != uuid.Nil {
			e.requestLoad(id)
			return
		}
	}
	e.requestLoadAll()
}

// requestLoad asks the background reloader for the tenants. A tenant not cached is skipped:
// its first load will start after this call and so see the change.
func (e *Enforcer) requestLoad(ids ...uuid.UUID) {
	added := false
	e.pendMu.Lock()
	for _, id := range ids {
		if e.cache.peek(id) != nil {
			e.pend[id] = struct{}{}
			added = true
		}
	}
	e.pendMu.Unlock()
	if added {
		e.poke()
	}
}

func (e *Enforcer) requestLoadAll() {
	e.pendMu.Lock()
	e.pendAll = true
	e.pendMu.Unlock()
	e.poke()
}

func (e *Enforcer) poke() {
	select {
	case e.wake <- struct{}{}:
	default: // a load is already pending; it will see this change too
	}
}

// takePending returns the slots to reload and clears the requests.
func (e *Enforcer) takePending() []*tenantPolicy {
	e.pendMu.Lock()
	all, ids := e.pendAll, e.pend
	e.pendAll, e.pend = false, map[uuid.UUID]struct{}{}
	e.pendMu.Unlock()
	if all {
		return e.cache.all()
	}
	out := make([]*tenantPolicy, 0, len(ids))
	for id := range ids {
		if p := e.cache.peek(id); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// run performs the loads other instances ask for. Requests arriving while it loads are
// coalesced into the next round; a tenant whose load failed is tried again after retryDelay.
func (e *Enforcer) run() {
	defer close(e.done)
	for {
		select {
		case <-e.stop:
			return
		case <-e.wake:
		}
		failed, err := e.reloadAll(e.takePending())
		if len(failed) == 0 {
			continue
		}
		e.log.Error("rbac: reload policy", "err", err, "tenants", len(failed))
		select {
		case <-e.stop:
			return
		case <-time.After(retryDelay):
		}
		e.requestLoad(failed...)
	}
}

// Reload announces a committed policy change of the context's tenant to the other instances
// and reloads that tenant here, if this instance holds it. Without a tenant in the context it
// announces a change of unknown scope, and every instance reloads every tenant it holds.
// The note goes out first so that the instances load in parallel.
func (e *Enforcer) Reload(ctx context.Context) error {
	tenant, _ := dbx.TenantID(ctx)
	return e.reloadTenant(ctx, tenant)
}

// reloadTenant is Reload for tenant; uuid.Nil means every tenant.
func (e *Enforcer) reloadTenant(ctx context.Context, tenant uuid.UUID) error {
	var targets []*tenantPolicy
	name := ""
	if tenant == uuid.Nil {
		targets = e.cache.all()
	} else {
		name = tenant.String()
		if p := e.cache.peek(tenant); p != nil {
			targets = []*tenantPolicy{p}
		}
	}
	perr := e.watcher.publish(ctx, name)
	failed, err := e.reloadAll(targets)
	if len(failed) > 0 {
		e.requestLoad(failed...) // the background reloader keeps trying
		return errors.Join(fmt.Errorf("rbac: reload policy: %w", err), perr)
	}
	return perr
}

// Allowed reports whether subject ("user:<id>", "customer:<id>") may use permission
// ("object:action") in the tenant. Anything malformed is denied, and so is everything in a
// tenant whose policy cannot be loaded (Check tells that case apart).
func (e *Enforcer) Allowed(tenantID uuid.UUID, subject, permission string) bool {
	ok, _ := e.Check(tenantID, subject, permission)
	return ok
}

// ErrPolicyUnavailable wraps the cause when a tenant's policy cannot be loaded (the database
// is unreachable or too slow): the answer is not "no" but "not now".
var ErrPolicyUnavailable = errors.New("rbac: the tenant's policy cannot be loaded")

// Check is Allowed that says why it could not answer: an error wrapping ErrPolicyUnavailable
// when the tenant's policy cannot be loaded, so the server answers 503 rather than 403.
func (e *Enforcer) Check(tenantID uuid.UUID, subject, permission string) (bool, error) {
	obj, act, ok := splitPermission(permission)
	if !ok || tenantID == uuid.Nil || subject == "" {
		return false, nil
	}
	ce, err := e.enforcerFor(tenantID)
	if err != nil {
		e.log.Error("rbac: load policy", "err", err)
		return false, fmt.Errorf("%w: %w", ErrPolicyUnavailable, err)
	}
	allowed, err := ce.Enforce(subject, tenantID.String(), obj, act)
	if err != nil {
		e.log.Error("rbac: enforce", "err", err, "subject", subject, "permission", permission)
		return false, nil
	}
	return allowed, nil
}

// RolesOf returns the names of the roles subject holds in the tenant, sorted.
func (e *Enforcer) RolesOf(tenantID uuid.UUID, subject string) []string {
	if tenantID == uuid.Nil {
		return nil
	}
	ce, err := e.enforcerFor(tenantID)
	if err != nil {
		e.log.Error("rbac: load policy", "err", err)
		return nil
	}
	var out []string
	for _, s := range ce.GetRolesForUserInDomain(subject, tenantID.String()) {
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
