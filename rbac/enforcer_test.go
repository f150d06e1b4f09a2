package rbac

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
)

// A seeded tenant's template roles grant exactly what matrix.csv says, nothing more.
func TestTemplatesGrantExactlyTheMatrix(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	for _, tpl := range Templates() {
		user := f.newUser(t, tenant, tpl.Name)
		require.Equal(t, []string{tpl.Name}, f.e.RolesOf(tenant, userSubject(user)))
		for _, p := range Permissions() {
			require.Equal(t, slices.Contains(tpl.Permissions, p.Name), f.e.Allowed(tenant, userSubject(user), p.Name),
				"%s × %s", tpl.Name, p.Name)
		}
	}
	nobody := userSubject(uuid.New())
	for _, p := range Permissions() {
		require.False(t, f.e.Allowed(tenant, nobody, p.Name), "a user without roles has %s", p.Name)
	}
	owner := userSubject(f.newUser(t, tenant, OwnerRole))
	for _, bad := range []string{"", "settings", "settings:", ":read", "settings:read:x", "spaceships:read"} {
		require.False(t, f.e.Allowed(tenant, owner, bad), "%q", bad)
	}
	require.False(t, f.e.Allowed(uuid.Nil, owner, "settings:read"))
	require.False(t, f.e.Allowed(tenant, "", "settings:read"))
}

// A change made through one instance reaches another instance (its own pool and Redis client)
// through Redis in well under a second, both granting and revoking.
func TestPolicyChangesReachOtherInstances(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)

	pool, err := dbx.Open(f.d.AppURL, dbx.PoolConfig{MaxOpen: 4})
	require.NoError(t, err)
	t.Cleanup(func() {
		if s, err := pool.DB(); err == nil {
			_ = s.Close()
		}
	})
	rdb := redis.NewClient(f.opts)
	t.Cleanup(func() { _ = rdb.Close() })
	other := newTestEnforcer(t, pool, rdb)

	user := userSubject(uuid.New())
	require.False(t, other.Allowed(tenant, user, "audit:read"))

	require.NoError(t, f.s.AssignRoles(ctx, user, []string{"finance"}))
	require.True(t, f.e.Allowed(tenant, user, "audit:read"), "the changing instance sees it at once")
	took := within(t, time.Second, func() bool { return other.Allowed(tenant, user, "audit:read") })
	require.Less(t, took, time.Second)
	require.Equal(t, []string{"finance"}, other.RolesOf(tenant, user))
	t.Logf("grant reached the other instance in %v", took)

	require.NoError(t, f.s.AssignRoles(ctx, user, nil))
	require.False(t, f.e.Allowed(tenant, user, "audit:read"))
	took = within(t, time.Second, func() bool { return !other.Allowed(tenant, user, "audit:read") })
	require.Less(t, took, time.Second)
	require.Empty(t, other.RolesOf(tenant, user))
	t.Logf("revocation reached the other instance in %v", took)

	// And the other way round: a custom role created through the second instance's service.
	otherSvc := NewService(dbx.New(pool), other)
	_, err = otherSvc.CreateRole(ctx, NewRole{Name: "auditor", Scope: "tenant", Permissions: []string{"audit:read"}})
	require.NoError(t, err)
	require.NoError(t, otherSvc.AssignRoles(ctx, user, []string{"auditor"}))
	within(t, time.Second, func() bool { return f.e.Allowed(tenant, user, "audit:read") })
}

// The watcher calls back for other instances' notes and skips its own.
func TestWatcherSkipsOwnNotes(t *testing.T) {
	rdb, _ := dbtest.Redis(t)
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	channel := "doorstep:rbac:test:" + uuid.NewString()
	a, err := newRedisWatcher(ctx, rdb, channel, log)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	b, err := newRedisWatcher(ctx, rdb, channel, log)
	require.NoError(t, err)
	t.Cleanup(b.Close)

	var fromA, fromB atomic.Int32
	require.NoError(t, a.SetUpdateCallback(func(string) { fromB.Add(1) }))
	require.NoError(t, b.SetUpdateCallback(func(string) { fromA.Add(1) }))
	require.NoError(t, a.Update())
	within(t, time.Second, func() bool { return fromA.Load() == 1 })
	require.NoError(t, b.Update())
	within(t, time.Second, func() bool { return fromB.Load() == 1 })
	time.Sleep(50 * time.Millisecond) // own notes would have arrived by now
	require.EqualValues(t, 1, fromA.Load())
	require.EqualValues(t, 1, fromB.Load())

	// After Close the callback is not called any more.
	b.Close()
	require.NoError(t, a.Update())
	time.Sleep(50 * time.Millisecond)
	require.EqualValues(t, 1, fromA.Load())
}

// TestCheckSaysWhenItCannotAnswer: a tenant whose policy cannot be loaded (here: its
// enforcer's database is gone) is not refused as if the rules said no; Check answers
// ErrPolicyUnavailable, which the server turns into 503 unavailable, and Allowed denies.
func TestCheckSaysWhenItCannotAnswer(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ok, err := f.e.Check(tenant, "role:owner", "stores:read")
	require.NoError(t, err)
	require.True(t, ok)

	g, err := dbx.Open(f.d.AppURL, dbx.PoolConfig{MaxOpen: 1})
	require.NoError(t, err)
	cold := newTestEnforcer(t, g, f.rdb) // a second instance, which has not loaded the tenant
	sqlDB, err := g.DB()
	require.NoError(t, err)
	require.NoError(t, sqlDB.Close())
	ok, err = cold.Check(tenant, "role:owner", "stores:read")
	require.ErrorIs(t, err, ErrPolicyUnavailable)
	require.False(t, ok)
	require.False(t, cold.Allowed(tenant, "role:owner", "stores:read"))
}
