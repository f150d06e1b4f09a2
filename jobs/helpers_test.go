package jobs_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// pingPayload is the test task most tests enqueue.
type pingPayload struct {
	jobs.Meta
	N int `json:"n"`
}

func (*pingPayload) TaskType() string { return "test:ping" }

// testLog discards logs unless DOORSTEP_TEST_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("DOORSTEP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// env is a test database plus, from newEnv, a private Redis database with an asynq client
// and inspector.
type env struct {
	db     *dbtest.DB
	redis  asynq.RedisClientOpt
	rdb    *redis.Client // the same private Redis database, for FLUSHDB
	client *asynq.Client
	insp   *asynq.Inspector
	log    *slog.Logger
}

// newDBEnv is an env without Redis, for tests that never enqueue: Redis database indexes are
// scarce (15) and shared by every test package running at the same time.
func newDBEnv(t *testing.T) *env {
	t.Helper()
	return &env{db: dbtest.New(t), log: testLog()}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := newDBEnv(t)
	rdb, o := dbtest.Redis(t)
	e.rdb, e.redis = rdb, asynqRedis(o)
	e.client = asynq.NewClient(e.redis)
	e.insp = asynq.NewInspector(e.redis)
	t.Cleanup(func() {
		_ = e.client.Close()
		_ = e.insp.Close()
	})
	return e
}

func newRedis(t *testing.T) asynq.RedisClientOpt {
	t.Helper()
	_, o := dbtest.Redis(t)
	return asynqRedis(o)
}

func asynqRedis(o *redis.Options) asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: o.Addr, DB: o.DB, Password: o.Password, Username: o.Username}
}

// tenant inserts a tenant row through the owner connection (tenants is a platform table).
func (e *env) tenant(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	require.NoError(t, e.db.Owner.Exec("insert into tenants (id, slug, name) values (?, ?, ?)", id, slug, slug).Error)
	return id
}

// count runs a count query as the owner, which row-level security does not restrict.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.Owner.Raw(query, args...).Scan(&n).Error)
	return n
}

// countNow is count for use inside require.Eventually conditions, which must not fail t
// from their own goroutine; it returns -1 on error.
func (e *env) countNow(query string, args ...any) int {
	var n int
	if err := e.db.Owner.Raw(query, args...).Scan(&n).Error; err != nil {
		return -1
	}
	return n
}

// startServer runs a worker server with the project's configuration until t ends.
func startServer(t *testing.T, redis asynq.RedisConnOpt, mux *asynq.ServeMux) {
	t.Helper()
	srv := jobs.NewServer(redis, testLog(), 8)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
}

// resolver loads tenants from the test database, as wiring's tenant.Resolver does.
func (e *env) resolver() jobs.TenantResolver {
	return tenant.NewResolver(tenantdb.New(e.db.Tx), "", false)
}

// anyTenant resolves every id to an active tenant in UTC, for mux tests that need no database
// (and the helper worker process, which has none).
type anyTenant struct{}

func (anyTenant) ByID(_ context.Context, id uuid.UUID) (*tenant.Tenant, error) {
	return &tenant.Tenant{ID: id, Slug: "any", Name: "Any", Status: tenant.Active, Locale: "zh-CN", Currency: "CNY", TimeZone: "UTC"}, nil
}

// inTenant is a background context running as tenant id.
func inTenant(id uuid.UUID) context.Context {
	return dbx.WithTenant(context.Background(), id)
}
