package staffdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/geo"
	"doorstep/app/staff"
	"doorstep/app/staff/staffdb"
)

const (
	benchTenants = 100
	benchStaff   = 5000 // per tenant
	benchStores  = 10   // per tenant, 500 staff each
)

// benchSeed fills the database set-based as the owner: 100 tenants × 5,000 staff with users,
// skills (two services each, varying independently of the store; one in ten the root
// category, which covers every service), Mon–Sat hours, two mandatory
// certificates, leave for one in ten, areas (80% store territory, 10% polygon, 10% radius).
// Ids are md5-derived so statements can join by construction.
func benchSeed(b *testing.B, owner *gorm.DB) {
	stmts := []string{
		`insert into tenants (id, slug, name) select md5('t'||t)::uuid, 'bench'||t, 'Bench '||t from generate_series(1, {T}) t`,
		`insert into stores (tenant_id, id, code, name, time_zone, location, territory)
		 select md5('t'||t)::uuid, md5('st'||t||'-'||j)::uuid, 'S'||j, 'store '||j, 'Asia/Shanghai',
		   st_setsrid(st_makepoint(121.42 + (j % 5) * 0.04, 31.12 + (j / 5) * 0.04), 4326)::geography,
		   st_makeenvelope(121.40 + (j % 5) * 0.04, 31.10 + (j / 5) * 0.04, 121.44 + (j % 5) * 0.04, 31.14 + (j / 5) * 0.04, 4326)
		 from generate_series(1, {T}) t, generate_series(0, {ST} - 1) j`,
		`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank)
		 select md5('t'||t)::uuid, md5('l'||t||'-'||r)::uuid, 'l'||r, '级'||r, 'L'||r, r from generate_series(1, {T}) t, generate_series(1, 3) r`,
		`insert into certificate_types (tenant_id, code, name_zh, name_en, mandatory)
		 select md5('t'||t)::uuid, c, c, c, true from generate_series(1, {T}) t, unnest(array['id_card', 'health']) c`,
		`insert into catalog_categories (tenant_id, id, parent_id, name_zh, name_en)
		 select md5('t'||t)::uuid, md5('c'||t)::uuid, null, '根', 'root' from generate_series(1, {T}) t`,
		`insert into catalog_categories (tenant_id, id, parent_id, name_zh, name_en)
		 select md5('t'||t)::uuid, md5('cc'||t)::uuid, md5('c'||t)::uuid, '子', 'child' from generate_series(1, {T}) t`,
		`insert into catalog_services (tenant_id, id, category_id, min_level_id, status)
		 select md5('t'||t)::uuid, md5('sv'||t||'-'||k)::uuid, md5('cc'||t)::uuid, case when k % 4 = 0 then md5('l'||t||'-2')::uuid end, 'published'
		 from generate_series(1, {T}) t, generate_series(0, 19) k`,
		`insert into users (tenant_id, id, email, password_hash, store_id)
		 select md5('t'||t)::uuid, md5('u'||t||'-'||i)::uuid, 'u'||i||'@b'||t||'.test', 'x', md5('st'||t||'-'||(i % {ST}))::uuid
		 from generate_series(1, {T}) t, generate_series(1, {N}) i`,
		`insert into staff (tenant_id, id, user_id, store_id, level_id, badge_no, display_name, status, area_kind, area_polygon, home, radius_m, area, last_location, located_at)
		 select md5('t'||t)::uuid, md5('s'||t||'-'||i)::uuid, md5('u'||t||'-'||i)::uuid, md5('st'||t||'-'||(i % {ST}))::uuid,
		   md5('l'||t||'-'||(1 + i % 3))::uuid, 'B'||i, 'staff '||i,
		   case when i % 20 = 0 then 'suspended' else 'active' end,
		   case i % 10 when 1 then 'polygon' when 2 then 'radius' else 'store' end,
		   case when i % 10 = 1 then st_makeenvelope(121.38 + (i % 13) * 0.02, 31.08 + (i % 11) * 0.02, 121.44 + (i % 13) * 0.02, 31.14 + (i % 11) * 0.02, 4326) end,
		   st_setsrid(st_makepoint(121.40 + (i % 17) * 0.012, 31.10 + (i % 19) * 0.01), 4326)::geography,
		   case when i % 10 = 2 then 3000 + (i % 5) * 1000 end,
		   case i % 10 when 1 then st_makeenvelope(121.38 + (i % 13) * 0.02, 31.08 + (i % 11) * 0.02, 121.44 + (i % 13) * 0.02, 31.14 + (i % 11) * 0.02, 4326)
		     when 2 then st_buffer(st_setsrid(st_makepoint(121.40 + (i % 17) * 0.012, 31.10 + (i % 19) * 0.01), 4326)::geography, (3000 + (i % 5) * 1000) * 1.02)::geometry end,
		   case when i % 3 = 0 then st_setsrid(st_makepoint(121.40 + (i % 23) * 0.01, 31.10 + (i % 29) * 0.007), 4326)::geography end,
		   case when i % 3 = 0 then now() end
		 from generate_series(1, {T}) t, generate_series(1, {N}) i`,
		`insert into staff_skills (tenant_id, staff_id, id, service_id)
		 select md5('t'||t)::uuid, md5('s'||t||'-'||i)::uuid, gen_random_uuid(), md5('sv'||t||'-'||((i / {ST} + d) % 20))::uuid
		 from generate_series(1, {T}) t, generate_series(1, {N}) i, (values (0), (7)) v(d)`,
		`insert into staff_skills (tenant_id, staff_id, id, category_id)
		 select md5('t'||t)::uuid, md5('s'||t||'-'||i)::uuid, gen_random_uuid(), md5('c'||t)::uuid
		 from generate_series(1, {T}) t, generate_series(1, {N}) i where i % 10 = 5`,
		`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min)
		 select md5('t'||t)::uuid, md5('s'||t||'-'||i)::uuid, wd, 480, 1080
		 from generate_series(1, {T}) t, generate_series(1, {N}) i, generate_series(1, 6) wd`,
		`insert into staff_certificates (tenant_id, id, staff_id, type, status, expires_on)
		 select md5('t'||t)::uuid, gen_random_uuid(), md5('s'||t||'-'||i)::uuid, c, 'approved', date '2031-01-01' - (i % 7) * 200
		 from generate_series(1, {T}) t, generate_series(1, {N}) i, unnest(array['id_card', 'health']) c`,
		`insert into staff_exceptions (tenant_id, id, staff_id, kind, during)
		 select md5('t'||t)::uuid, gen_random_uuid(), md5('s'||t||'-'||i)::uuid, 'leave',
		   tstzrange(timestamptz '2030-01-07 09:00+08' + (i % 5) * interval '1 day', timestamptz '2030-01-07 13:00+08' + (i % 5) * interval '1 day')
		 from generate_series(1, {T}) t, generate_series(1, {N}) i where i % 10 = 3`,
		`analyze`,
	}
	r := strings.NewReplacer("{T}", fmt.Sprint(benchTenants), "{N}", fmt.Sprint(benchStaff), "{ST}", fmt.Sprint(benchStores))
	start := time.Now()
	for _, s := range stmts {
		if err := owner.Exec(r.Replace(s)).Error; err != nil {
			b.Fatalf("seed: %v\n%s", err, s)
		}
	}
	b.Logf("seeded %d tenants × %d staff in %s", benchTenants, benchStaff, time.Since(start).Round(time.Millisecond))
}

// BenchmarkEligible measures the eligibility query for one tenant among 100 × 5,000 staff
// (about 950 of the tenant's staff hold the skill; 9 pass every check at the address), through
// the repository as the API calls it. Two baselines run in the same process on the same data:
// the floor (one staff row by primary key through the same transaction path) and the same
// query with index scans disabled.
func BenchmarkEligible(b *testing.B) {
	db := dbtest.New(b)
	benchSeed(b, db.Owner)
	id := func(seed string) uuid.UUID {
		var s string
		if err := db.Owner.Raw(`select md5(?)::uuid::text`, seed).Scan(&s).Error; err != nil {
			b.Fatal(err)
		}
		return uuid.MustParse(s)
	}
	// Service 4 asks for level 2 or above; the point lies in store 0's territory and in some
	// own polygons and radii.
	tenant, svc, someone := id("t50"), id("sv50-4"), id("s50-77")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	q := staff.EligibleQuery{ServiceID: svc, At: geo.Point{Lng: 121.425, Lat: 31.125}, Limit: 500,
		Start: time.Date(2030, 1, 7, 10, 0, 0, 0, loc), End: time.Date(2030, 1, 7, 12, 0, 0, 0, loc)}
	ctx := dbx.WithTenant(context.Background(), tenant)
	repo := staffdb.New(db.Tx)
	sql, args := staffdb.EligibleQuery(tenant, q)

	explain := func(noIndex bool) {
		err := db.Tx.InTx(ctx, func(ctx context.Context) error {
			conn := db.Tx.Conn(ctx)
			if noIndex {
				if err := disableIndexes(conn); err != nil {
					return err
				}
			}
			var plan []string
			if err := conn.Raw("explain /* no index */ "+sql, args).Scan(&plan).Error; err != nil {
				return err
			}
			b.Logf("plan (indexes %v):\n%s", !noIndex, strings.Join(plan, "\n"))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	times := map[string]time.Duration{}
	timed := func(name string, op func() int) {
		b.Run(name, func(b *testing.B) {
			rows := op()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				rows = op()
			}
			times[name] = time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(rows), "rows")
		})
	}
	timed("floor-pk-lookup", func() int {
		err := db.Tx.InTx(ctx, func(ctx context.Context) error {
			var n int
			return db.Tx.Conn(ctx).Raw(`select count(*) from staff where tenant_id = ? and id = ?`, tenant, someone).Scan(&n).Error
		})
		if err != nil {
			b.Fatal(err)
		}
		return 1
	})
	explain(false)
	timed("indexed", func() int {
		var got []staff.Candidate
		err := db.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			got, err = repo.Eligible(ctx, q)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(got) == 0 {
			b.Fatal("nobody eligible: the seed no longer exercises the query")
		}
		return len(got)
	})
	explain(true)
	timed("no-index-baseline", func() int {
		var rows []struct{ StaffID uuid.UUID }
		err := db.Tx.InTx(ctx, func(ctx context.Context) error {
			conn := db.Tx.Conn(ctx)
			if err := disableIndexes(conn); err != nil {
				return err
			}
			// A different text, so that pgx's per-connection statement cache cannot hand back
			// the plan prepared with indexes on.
			return conn.Raw("/* no index */ "+sql, args).Scan(&rows).Error
		})
		if err != nil {
			b.Fatal(err)
		}
		return len(rows)
	})
	if idx := times["indexed"]; idx > 0 {
		b.Logf("eligible %s/op = %.1f× a primary-key lookup (%s); without indexes %s/op (%.0f× slower)",
			idx, float64(idx)/float64(times["floor-pk-lookup"]), times["floor-pk-lookup"], times["no-index-baseline"],
			float64(times["no-index-baseline"])/float64(idx))
	}
}

func disableIndexes(conn *gorm.DB) error {
	for _, s := range []string{"enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"} {
		if err := conn.Exec("set local " + s + " = off").Error; err != nil {
			return err
		}
	}
	return nil
}
