package rbac

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"doorstep/app/auth"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

type fixture struct {
	d    *dbtest.DB
	rdb  *redis.Client
	opts *redis.Options
	e    *Enforcer
	s    *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.New(t)
	rdb, opts := dbtest.Redis(t)
	e := newTestEnforcer(t, d.App, rdb)
	return &fixture{d: d, rdb: rdb, opts: opts, e: e, s: NewService(d.Tx, e)}
}

func newTestEnforcer(t *testing.T, db *gorm.DB, rdb *redis.Client) *Enforcer {
	t.Helper()
	e, err := NewEnforcer(context.Background(), db, rdb, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// newTenant inserts a tenant and seeds its template roles.
func (f *fixture) newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	require.NoError(t, f.d.Owner.Exec("insert into tenants (id, slug, name) values (?, ?, ?)",
		id, "t-"+id.String()[24:], "Tenant "+id.String()[24:]).Error)
	require.NoError(t, f.s.SeedTenant(dbx.WithTenant(context.Background(), id)))
	return id
}

// operator is a platform operator's context in the tenant: trusted like an owner.
func operator(tenant uuid.UUID) context.Context {
	ctx := dbx.WithTenant(context.Background(), tenant)
	return auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.Operator, SubjectID: uuid.New()})
}

// as is the context of the tenant's user id.
func as(tenant, id uuid.UUID) context.Context {
	ctx := dbx.WithTenant(context.Background(), tenant)
	return auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.User, TenantID: tenant, SubjectID: id})
}

func userSubject(id uuid.UUID) string { return "user:" + id.String() }

// newUser makes a user holding roles (assigned by an operator) and returns its id.
func (f *fixture) newUser(t *testing.T, tenant uuid.UUID, roles ...string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if len(roles) > 0 {
		require.NoError(t, f.s.AssignRoles(operator(tenant), userSubject(id), roles))
	}
	return id
}

func (f *fixture) ruleCount(t *testing.T) int64 {
	t.Helper()
	var n int64
	require.NoError(t, f.d.Owner.Raw("select count(*) from casbin_rule").Scan(&n).Error)
	return n
}

func requireErr(t *testing.T, err error, kind errs.Kind, code string) *errs.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := errs.As(err)
	require.True(t, ok, "not a domain error: %v", err)
	require.Equal(t, kind, e.Kind, "kind of %v", err)
	require.Equal(t, code, e.Code, "code of %v", err)
	return e
}

func fieldsOf(e *errs.Error) map[string]string {
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Message
	}
	return out
}

// within polls cond until it holds or d passes, and returns how long that took.
func within(t *testing.T, d time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
