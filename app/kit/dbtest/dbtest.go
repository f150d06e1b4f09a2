// Package dbtest gives tests real databases: a template migrated once per migration set and
// cloned per test (CREATE DATABASE … TEMPLATE), connected both as the owner and as the
// runtime role, and a private Redis database index.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for migrations
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/migrations"
)

// AdminURL is the superuser/owner connection used to create databases.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use.
func RedisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// WithDatabase returns u with its path set to db and, if user is not empty, its user.
func WithDatabase(u, db, user string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + db
	if user != "" {
		p.User = url.User(user)
	}
	return p.String()
}

// DB is one test database.
type DB struct {
	Name     string
	OwnerURL string // connection as the owner/migrator
	AppURL   string // connection as the runtime role (RLS applies)
	Owner    *gorm.DB
	App      *gorm.DB
	Tx       *dbx.DB // runtime handle over App
}

// New clones the migrated template into a fresh database for t and drops it afterwards.
func New(t testing.TB) *DB {
	t.Helper()
	tpl, err := MigratedTemplate(context.Background())
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	return NewFrom(t, tpl)
}

// MigratedTemplate returns the name of the template database migrated to the current
// migrations, building it first if no test process has.
func MigratedTemplate(ctx context.Context) (string, error) {
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	tpl := "doorstep_tpl_" + migrations.Fingerprint()
	return tpl, ensureTemplate(ctx, admin, tpl)
}

// NewFrom clones the database tpl (the migrated template, or a seeded one a package built with
// Create) into a fresh database for t and drops it afterwards.
func NewFrom(t testing.TB, tpl string) *DB {
	t.Helper()
	d, err := Create(context.Background(), tpl)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		_ = Drop(context.Background(), d.Name)
	})
	return d
}

// Create clones tpl into a fresh database tied to no test, connected as the owner and as the
// runtime role. The caller closes it and, when done, drops it; a package builds a seeded
// template this way once and clones it per test with NewFrom. tpl must have no open
// connections while it is cloned, so close a seeded database before cloning it.
func Create(ctx context.Context, tpl string) (*DB, error) {
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	name := "doorstep_t_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	// Cloning needs the template to have no other connections; retry briefly if one lingers.
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, fmt.Sprintf("create database %s template %s", name, tpl))
		if err == nil || attempt > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", tpl, err)
	}
	d := &DB{
		Name:     name,
		OwnerURL: WithDatabase(AdminURL(), name, ""),
		AppURL:   WithDatabase(AdminURL(), name, "doorstep_app"),
	}
	if d.Owner, err = dbx.Open(d.OwnerURL, dbx.PoolConfig{MaxOpen: 4}); err != nil {
		return nil, err
	}
	if d.App, err = dbx.Open(d.AppURL, dbx.PoolConfig{MaxOpen: 16}); err != nil {
		d.Close()
		return nil, err
	}
	d.Tx = dbx.New(d.App)
	return d, nil
}

// Close closes d's connections (not the ones an application opened on it).
func (d *DB) Close() {
	for _, g := range []*gorm.DB{d.Owner, d.App} {
		if g == nil {
			continue
		}
		if s, err := g.DB(); err == nil {
			_ = s.Close()
		}
	}
}

// Drop drops the database name, closing any session still on it.
func Drop(ctx context.Context, name string) error {
	a, err := sql.Open("pgx", AdminURL())
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.ExecContext(ctx, fmt.Sprintf("drop database if exists %s with (force)", name))
	return err
}

// ensureTemplate builds the template database once, under an advisory lock so that test
// packages running in parallel processes do not race.
func ensureTemplate(ctx context.Context, admin *sql.DB, tpl string) error {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "select pg_advisory_lock(724001)"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "select pg_advisory_unlock(724001)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, "select exists(select 1 from pg_database where datname = $1 and datistemplate)", tpl).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("drop database if exists %s", tpl)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("create database %s", tpl)); err != nil {
		return err
	}
	db, err := sql.Open("pgx", WithDatabase(AdminURL(), tpl, ""))
	if err != nil {
		return err
	}
	err = migrations.Up(ctx, db)
	_ = db.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf("alter database %s is_template true", tpl))
	return err
}

// Redis returns a client on a Redis database index that no other test holds, flushed, and
// released when t ends. asynq has no key prefix, so separate indexes keep tests apart; every
// index the server has is used (index 0 holds the locks).
func Redis(t testing.TB) (*redis.Client, *redis.Options) {
	t.Helper()
	ctx := context.Background()
	base, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("dbtest: redis url: %v", err)
	}
	locker := redis.NewClient(base)
	defer locker.Close()
	owner := uuid.NewString()
	deadline := time.Now().Add(2 * time.Minute)
	n := databases(ctx, locker)
	for {
		for idx := 1; idx < n; idx++ {
			key := fmt.Sprintf("doorstep:test:redisdb:%d", idx)
			ok, err := locker.SetNX(ctx, key, owner, 15*time.Minute).Result()
			if err != nil {
				t.Fatalf("dbtest: redis: %v", err)
			}
			if !ok {
				continue
			}
			opts := *base
			opts.DB = idx
			c := redis.NewClient(&opts)
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("dbtest: redis flush: %v", err)
			}
			t.Cleanup(func() {
				_ = c.FlushDB(context.Background()).Err()
				_ = c.Close()
				l := redis.NewClient(base)
				defer l.Close()
				if v, _ := l.Get(context.Background(), key).Result(); v == owner {
					l.Del(context.Background(), key)
				}
			})
			return c, &opts
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbtest: no free redis database index")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// databases is how many database indexes the server has (16 by default; the private Redis
// that deploy/dev/services.sh starts has 256, so that many tests can run at once).
func databases(ctx context.Context, c *redis.Client) int {
	v, err := c.ConfigGet(ctx, "databases").Result()
	if err != nil {
		return 16
	}
	n, err := strconv.Atoi(v["databases"])
	if err != nil || n < 2 {
		return 16
	}
	return n
}

// WaitLocked waits until at least n sessions of this database wait on a lock, so a test that
// holds a row lock can release it only once every concurrent request is queued behind it.
func (d *DB) WaitLocked(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var k int64
		if err := d.Owner.Raw(`select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`).
			Scan(&k).Error; err != nil {
			t.Fatalf("dbtest: count waiting sessions: %v", err)
		}
		if k >= int64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbtest: %d sessions waiting on a lock after 30s, want %d", k, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
