package migrations_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
)

// TestPoolTenantNeverLeaks hammers a 4-connection runtime pool with 500 concurrent requests for
// 5 tenants, mixed with transactions that fail, roll back, panic or are cancelled midway and
// with requests that carry no tenant. Every row any request reads must belong to its tenant and
// a request without a tenant must read nothing: set_config(..., true) is transaction-local and
// never survives into the next user of a pooled connection.
func TestPoolTenantNeverLeaks(t *testing.T) {
	d := newDB(t)
	owner := d.Owner

	const (
		nTenants  = 5
		nRequests = 500
		poolSize  = 4
	)
	type tenantInfo struct {
		id         uuid.UUID
		slug       string
		franchises int64
		stores     int64
	}
	tenants := make([]tenantInfo, nTenants)
	for i := range tenants {
		slug := fmt.Sprintf("pool%d", i)
		id := createTenant(t, owner, slug)
		// A different number of rows per tenant, so a count also tells tenants apart.
		nf, ns := int64(2+i), int64(3+i)
		for n := 1; n <= int(nf); n++ {
			require.NoError(t, owner.Exec(`insert into franchisees (tenant_id, id, name) values (?, gen_random_uuid(), ?)`,
				id, fmt.Sprintf("%s franchisee %d", slug, n)).Error)
		}
		for n := 1; n <= int(ns); n++ {
			require.NoError(t, owner.Exec(`insert into stores (tenant_id, id, franchisee_id, code, name, time_zone)
				values (?, gen_random_uuid(), (select id from franchisees where tenant_id = ? order by name limit 1), ?, ?, 'UTC')`,
				id, id, fmt.Sprintf("S%d", n), fmt.Sprintf("%s store %d", slug, n)).Error)
		}
		tenants[i] = tenantInfo{id: id, slug: slug, franchises: nf, stores: ns}
	}

	g, err := dbx.Open(d.AppURL, dbx.PoolConfig{MaxOpen: poolSize, MaxIdle: poolSize})
	require.NoError(t, err)
	sqlDB, err := g.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	requireRuntimeRole(t, g)
	db := dbx.New(g)

	var (
		ran, mismatches atomic.Int64
		badConnRetries  atomic.Int64
		modes           [8]atomic.Int64
		mu              sync.Mutex
		problems        []string
	)
	fail := func(format string, args ...any) {
		mismatches.Add(1)
		mu.Lock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}

	type row struct {
		TenantID uuid.UUID
		Name     string
	}
	// readAs checks that app.tenant_id is tn and that franchisees, stores and the
	// store_directory view return exactly tn's rows (none when tn is the zero tenant). Wrong
	// rows are recorded with fail; a database error is returned.
	readAs := func(ctx context.Context, conn *gorm.DB, tn tenantInfo, req int) error {
		var setting *string
		if err := conn.WithContext(ctx).Raw(`select current_setting('app.tenant_id', true)`).Scan(&setting).Error; err != nil {
			return err
		}
		want := ""
		if tn.id != uuid.Nil {
			want = tn.id.String()
		}
		if got := deref(setting); got != want {
			fail("req %d: app.tenant_id = %q, want %q", req, got, want)
		}
		for _, q := range []struct {
			sql  string
			want int64
		}{
			{`select tenant_id, name from franchisees`, tn.franchises},
			{`select tenant_id, name from stores`, tn.stores},
			{`select tenant_id, name from store_directory`, tn.stores},
		} {
			var rows []row
			if err := conn.WithContext(ctx).Raw(q.sql).Scan(&rows).Error; err != nil {
				return err
			}
			if int64(len(rows)) != q.want {
				fail("req %d (tenant %q): %s returned %d rows, want %d", req, tn.slug, q.sql, len(rows), q.want)
			}
			for _, r := range rows {
				if r.TenantID != tn.id || !strings.HasPrefix(r.Name, tn.slug+" ") {
					fail("req %d (tenant %q): %s returned a row of %s (%q)", req, tn.slug, q.sql, r.TenantID, r.Name)
				}
			}
		}
		return nil
	}

	errMidway := errors.New("handler failed midway")
	noTenant := tenantInfo{slug: "(none)"}
	// request runs one request in the given mode and reports whether it completed its checks;
	// false means it met driver.ErrBadConn before doing anything and should be run again.
	request := func(req, mode int, tn tenantInfo) bool {
		ctx := dbx.WithTenant(context.Background(), tn.id)
		// A connection closed by another request's cancellation can be handed out again:
		// pgx's stdlib driver has no driver.Validator, and database/sql gives up after three
		// bad connections (see the report). That is not a tenancy failure; retry the request.
		badConn := func(err error) bool { return errors.Is(err, driver.ErrBadConn) }
		switch mode {
		case 0, 1, 2: // an ordinary tenant request
			err := db.InTx(ctx, func(ctx context.Context) error {
				return readAs(ctx, db.Conn(ctx), tn, req)
			})
			if badConn(err) {
				return false
			}
			if err != nil {
				fail("req %d: %v", req, err)
			}
		case 3: // writes, then the handler fails: everything rolls back
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := readAs(ctx, db.Conn(ctx), tn, req); err != nil {
					return err
				}
				if err := db.Conn(ctx).Exec(`insert into franchisees (tenant_id, id, name) values (?, ?, ?)`,
					tn.id, uuid.New(), tn.slug+" rolled back").Error; err != nil {
					return err
				}
				return errMidway
			})
			if badConn(err) {
				return false
			}
			if !errors.Is(err, errMidway) {
				fail("req %d: want errMidway, got %v", req, err)
			}
		case 4: // an SQL error midway aborts the transaction
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := readAs(ctx, db.Conn(ctx), tn, req); err != nil {
					return err
				}
				return db.Conn(ctx).Exec(`select 1 / 0`).Error
			})
			if badConn(err) {
				return false
			}
			if pgCode(err) != "22012" {
				fail("req %d: want division by zero, got %v", req, err)
			}
		case 5: // the handler panics midway
			var err error
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				err = db.InTx(ctx, func(ctx context.Context) error {
					if err := readAs(ctx, db.Conn(ctx), tn, req); err != nil {
						return err
					}
					panic("handler panic")
				})
				return false
			}()
			if !panicked {
				if badConn(err) {
					return false
				}
				fail("req %d: panic not propagated (err %v)", req, err)
			}
		case 6: // the request is cancelled midway
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			read := false
			err := db.InTx(cctx, func(ctx context.Context) error {
				if err := readAs(ctx, db.Conn(ctx), tn, req); err != nil {
					return err
				}
				read = true
				cancel()
				return db.Conn(ctx).Exec(`select pg_sleep(0.01)`).Error
			})
			if !read && badConn(err) {
				return false
			}
			if err == nil || !read {
				fail("req %d: cancelled transaction: read %v, err %v", req, read, err)
			}
		case 7: // no tenant: in a transaction and straight on the pool, nothing is visible
			bare := context.Background()
			err := db.InTx(bare, func(ctx context.Context) error {
				return readAs(ctx, db.Conn(ctx), noTenant, req)
			})
			if err == nil {
				err = readAs(bare, db.Conn(bare), noTenant, req)
			}
			if badConn(err) {
				return false
			}
			if err != nil {
				fail("req %d: %v", req, err)
			}
		}
		return true
	}

	var wg sync.WaitGroup
	for req := range nRequests {
		wg.Go(func() {
			tn := tenants[rand.IntN(nTenants)]
			mode := rand.IntN(len(modes))
			if req < len(modes) {
				mode = req // every mode at least once
			}
			modes[mode].Add(1)
			for attempt := 1; ; attempt++ {
				if request(req, mode, tn) {
					ran.Add(1)
					return
				}
				badConnRetries.Add(1)
				if attempt == 5 {
					fail("req %d: driver.ErrBadConn %d times in a row", req, attempt)
					return
				}
			}
		})
	}
	wg.Wait()

	require.Empty(t, problems)
	require.Zero(t, mismatches.Load())
	require.EqualValues(t, nRequests, ran.Load())
	for i := range modes {
		require.Positive(t, modes[i].Load(), "mode %d never ran", i)
	}
	st := sqlDB.Stats()
	require.Equal(t, poolSize, st.MaxOpenConnections)
	require.LessOrEqual(t, st.OpenConnections, poolSize)
	t.Logf("pool: %d requests, modes %v, bad-connection retries %d, waits %d, open %d, idle %d",
		ran.Load(), loadAll(modes[:]), badConnRetries.Load(), st.WaitCount, st.OpenConnections, st.Idle)

	// Every connection the pool holds afterwards is clean: hold them all at once and look.
	ctx := context.Background()
	conns := make([]interface{ Close() error }, 0, poolSize)
	for range poolSize {
		c, err := sqlDB.Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
		var setting *string
		var n int64
		require.NoError(t, c.QueryRowContext(ctx, `select current_setting('app.tenant_id', true)`).Scan(&setting))
		require.Empty(t, deref(setting), "a pooled connection kept app.tenant_id")
		require.NoError(t, c.QueryRowContext(ctx, `select count(*) from franchisees`).Scan(&n))
		require.Zero(t, n)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}

	// Rolled-back, failed, panicked and cancelled transactions left nothing behind.
	for _, tn := range tenants {
		n, err := countRows(ctx, owner, "franchisees", "tenant_id = ?", tn.id)
		require.NoError(t, err)
		require.Equal(t, tn.franchises, n, tn.slug)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func loadAll(xs []atomic.Int64) []int64 {
	out := make([]int64, len(xs))
	for i := range xs {
		out[i] = xs[i].Load()
	}
	return out
}
