package rbac

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
)

// loadsOf is how many times e loaded tenant; -1 when e does not hold it.
func loadsOf(e *Enforcer, tenant uuid.UUID) int64 {
	p := e.cache.peek(tenant)
	if p == nil {
		return -1
	}
	return p.loads.Load()
}

// secondInstance is another Enforcer with its own pool and Redis client, like another server.
func (f *fixture) secondInstance(t *testing.T, cfg enforcerConfig, opts *redis.Options) *Enforcer {
	t.Helper()
	pool, err := dbx.Open(f.d.AppURL, dbx.PoolConfig{MaxOpen: 4})
	require.NoError(t, err)
	t.Cleanup(func() {
		if s, err := pool.DB(); err == nil {
			_ = s.Close()
		}
	})
	if opts == nil {
		opts = f.opts
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	if cfg.channel == "" {
		cfg.channel = Channel
	}
	if cfg.maxTenants == 0 {
		cfg.maxTenants = defaultMaxTenants
	}
	e, err := newEnforcer(context.Background(), pool, rdb, slog.New(slog.DiscardHandler), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// grantDirectly writes an assignment straight into casbin_rule, announcing nothing.
func grantDirectly(t *testing.T, db *gorm.DB, tenant uuid.UUID, subject, role string) {
	t.Helper()
	require.NoError(t, db.Exec("insert into casbin_rule (ptype, v0, v1, v2) values ('g', ?, ?, ?)",
		subject, RoleSubject(role), tenant.String()).Error)
}

// A change in tenant A reloads A, here and on another instance, and leaves B's enforcer
// alone on both.
func TestChangeReloadsOnlyItsTenant(t *testing.T) {
	f := newFixture(t)
	a, b := f.newTenant(t), f.newTenant(t)
	// Two instances on a channel of their own: every process testing against this Redis
	// server shares Channel, and a note without a tenant from one of them would reload B.
	cfg := enforcerConfig{channel: "doorstep:rbac:test:" + uuid.NewString()}
	here, other := f.secondInstance(t, cfg, nil), f.secondInstance(t, cfg, nil)
	svc := NewService(f.d.Tx, here)
	user := userSubject(uuid.New())

	for _, e := range []*Enforcer{here, other} {
		require.False(t, e.Allowed(a, user, "audit:read"))
		require.False(t, e.Allowed(b, user, "audit:read"))
	}
	type snap struct {
		loadsA, loadsB int64
		enfB           any
	}
	before := map[*Enforcer]snap{}
	for _, e := range []*Enforcer{here, other} {
		before[e] = snap{loadsOf(e, a), loadsOf(e, b), e.cache.peek(b).ce.Load()}
		require.Positive(t, before[e].loadsA)
		require.Positive(t, before[e].loadsB)
	}

	require.NoError(t, svc.AssignRoles(operator(a), user, []string{"finance"}))
	require.True(t, here.Allowed(a, user, "audit:read"))
	within(t, time.Second, func() bool { return other.Allowed(a, user, "audit:read") })
	time.Sleep(100 * time.Millisecond) // a stray reload of B would have happened by now

	for name, e := range map[string]*Enforcer{"changing instance": here, "other instance": other} {
		require.Greater(t, loadsOf(e, a), before[e].loadsA, "%s reloaded A", name)
		require.Equal(t, before[e].loadsB, loadsOf(e, b), "%s left B alone", name)
		require.Same(t, before[e].enfB, e.cache.peek(b).ce.Load(), "%s kept B's enforcer", name)
		require.False(t, e.Allowed(b, user, "audit:read"), name)
	}

	// Reload without a tenant reloads whatever is cached, here and there.
	aHere, bThere := loadsOf(here, a), loadsOf(other, b)
	require.NoError(t, here.Reload(context.Background()))
	require.Greater(t, loadsOf(here, a), aHere)
	within(t, time.Second, func() bool { return loadsOf(other, b) > bThere })
}

// An instance that never saw a tenant loads it, from the database, on its first check, and
// holds nothing of tenants it was not asked about.
func TestUnseenTenantLoadsOnDemand(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	fresh := f.secondInstance(t, enforcerConfig{}, nil)
	require.Zero(t, fresh.cache.len(), "nothing is loaded up front")

	user := userSubject(uuid.New())
	grantDirectly(t, f.d.Owner, tenant, user, "finance") // no note: only the database knows
	require.Nil(t, fresh.cache.peek(tenant))
	require.True(t, fresh.Allowed(tenant, user, "audit:read"))
	require.EqualValues(t, 1, loadsOf(fresh, tenant))
	require.Equal(t, []string{"finance"}, fresh.RolesOf(tenant, user))
	require.EqualValues(t, 1, loadsOf(fresh, tenant), "loaded once")
	require.Equal(t, 1, fresh.cache.len())

	// RolesOf loads on demand too.
	second := f.newTenant(t)
	grantDirectly(t, f.d.Owner, second, user, "staff")
	require.Equal(t, []string{"staff"}, fresh.RolesOf(second, user))
	require.Equal(t, 2, fresh.cache.len())
}

// Many concurrent first checks of a tenant share one load.
func TestConcurrentFirstChecksLoadOnce(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	// The owner exists before the second instance subscribes, so the change notice from
	// creating it cannot arrive late and cause a second, legitimate, reload.
	owner := userSubject(f.newUser(t, tenant, OwnerRole))
	fresh := f.secondInstance(t, enforcerConfig{}, nil)
	done := make(chan bool)
	for range 32 {
		go func() { done <- fresh.Allowed(tenant, owner, "settings:write") }()
	}
	for range 32 {
		require.True(t, <-done)
	}
	require.EqualValues(t, 1, loadsOf(fresh, tenant))
}

// The cache holds at most its cap; an evicted tenant is loaded again, correctly, when next used.
func TestCacheCap(t *testing.T) {
	f := newFixture(t)
	small := f.secondInstance(t, enforcerConfig{maxTenants: 2}, nil)
	var tenants, owners []uuid.UUID
	for range 4 {
		tn := f.newTenant(t)
		tenants = append(tenants, tn)
		owners = append(owners, f.newUser(t, tn, OwnerRole))
	}
	for round := range 3 {
		for i, tn := range tenants {
			require.True(t, small.Allowed(tn, userSubject(owners[i]), "settings:write"), "round %d, tenant %d", round, i)
			require.False(t, small.Allowed(tn, userSubject(owners[(i+1)%len(owners)]), "settings:read"), "another tenant's owner")
			require.LessOrEqual(t, small.cache.len(), 2)
		}
	}

	// A tenant that is used keeps its place while others come and go.
	c := newTenantCache(3)
	hot := uuid.New()
	c.get(hot)
	for range 20 {
		c.get(uuid.New())
		c.get(hot)
		require.NotNil(t, c.peek(hot))
		require.LessOrEqual(t, c.len(), 3)
	}
}

// When the watcher's Redis connection drops and comes back, whatever was announced meanwhile
// is lost, so every cached tenant is reloaded.
func TestResubscribeReloadsCachedTenants(t *testing.T) {
	f := newFixture(t)
	a, b := f.newTenant(t), f.newTenant(t)
	opts := *f.opts
	opts.ClientName = "rbac-test-" + strings.ReplaceAll(uuid.NewString(), "-", "")
	e := f.secondInstance(t, enforcerConfig{channel: "doorstep:rbac:test:" + uuid.NewString()}, &opts)
	user := userSubject(uuid.New())
	require.False(t, e.Allowed(a, user, "audit:read"))
	require.False(t, e.Allowed(b, user, "stores:write"))

	grantDirectly(t, f.d.Owner, a, user, "finance")
	grantDirectly(t, f.d.Owner, b, user, "store_manager")
	time.Sleep(50 * time.Millisecond)
	require.False(t, e.Allowed(a, user, "audit:read"), "no note, no reload")

	// Drop the instance's connections, among them the subscription.
	list, err := f.rdb.ClientList(context.Background()).Result()
	require.NoError(t, err)
	killed := 0
	for line := range strings.SplitSeq(list, "\n") {
		if !strings.Contains(line, " name="+opts.ClientName+" ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(field, "id="); ok {
				n, err := strconv.ParseInt(id, 10, 64)
				require.NoError(t, err)
				require.NoError(t, f.rdb.ClientKillByFilter(context.Background(), "ID", strconv.FormatInt(n, 10)).Err())
				killed++
			}
		}
	}
	require.Positive(t, killed)
	took := within(t, 5*time.Second, func() bool {
		return e.Allowed(a, user, "audit:read") && e.Allowed(b, user, "stores:write")
	})
	t.Logf("reloaded %v after the connection dropped", took)
}
