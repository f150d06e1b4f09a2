package slotsdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/booking/slots"
	"doorstep/app/booking/slots/slotsdb"
	"doorstep/app/catalog"
	"doorstep/app/catalog/catalogdb"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/geo"
	"doorstep/app/staff/staffdb"
)

// world is one seeded tenant: a store whose territory covers At, one published service with
// a two-hour package, staff with hours, certificates, leave, extra shifts and assignments.
type world struct {
	db      *dbtest.DB
	tenant  uuid.UUID
	store   uuid.UUID
	service uuid.UUID
	pkg     uuid.UUID
	day0    time.Time // local midnight (Asia/Shanghai) of the range's first day
	zone    *time.Location
	staff   int
	jobs    int
}

var at = geo.Point{Lng: 121.42, Lat: 31.12}

// seed fills the database set-based as the owner. Staff i (1..n): active except every 20th;
// Mon–Sat 08:00–20:00, odd ones also Sunday 10:00–16:00; every 10th+3 on leave on one morning;
// every 10th+4 with an extra shift 20:00–23:00 on day 6; every 25th+7 with a certificate
// expiring on day 5. Job k (0..jobsPer-1) of staff i lies on day (i+k) mod 14 at 09:00, 11:00,
// 13:00 or 15:00 for two hours (its hold starts 30 minutes earlier), a few hundred metres
// from the address: distinct days, so no two of a staff member's holds overlap.
// Ids are md5-derived so that statements join by construction.
func seed(t testing.TB, owner *gorm.DB, n, jobsPer int) world {
	t.Helper()
	if jobsPer > 14 {
		t.Fatal("at most 14 jobs per staff member")
	}
	zone, _ := time.LoadLocation("Asia/Shanghai")
	y, m, d := time.Now().In(zone).AddDate(0, 0, 2).Date()
	day0 := time.Date(y, m, d, 0, 0, 0, 0, zone)
	stmts := []string{
		`insert into tenants (id, slug, name) values (md5('t')::uuid, 'avail', 'Avail')`,
		`insert into stores (tenant_id, id, code, name, time_zone, location, territory)
		 values (md5('t')::uuid, md5('st')::uuid, 'S1', 'store', 'Asia/Shanghai',
		   st_setsrid(st_makepoint(121.42, 31.12), 4326)::geography, st_makeenvelope(121.40, 31.10, 121.44, 31.14, 4326))`,
		`insert into booking_settings (tenant_id, slot_minutes, travel_kmh, buffer_minutes) values (md5('t')::uuid, 30, 20, 15)`,
		`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank)
		 select md5('t')::uuid, md5('l'||r)::uuid, 'l'||r, '级'||r, 'L'||r, r from generate_series(1, 3) r`,
		`insert into certificate_types (tenant_id, code, name_zh, name_en, mandatory)
		 select md5('t')::uuid, c, c, c, true from unnest(array['id_card', 'health']) c`,
		`insert into catalog_categories (tenant_id, id, parent_id, name_zh, name_en) values (md5('t')::uuid, md5('c')::uuid, null, '保洁', 'Cleaning')`,
		`insert into catalog_services (tenant_id, id, category_id, min_level_id, status, name_zh, name_en)
		 values (md5('t')::uuid, md5('sv')::uuid, md5('c')::uuid, md5('l1')::uuid, 'published', '日常保洁', 'Daily cleaning')`,
		`insert into catalog_packages (tenant_id, id, service_id, name_zh, name_en, duration_minutes, list_price, floor_price, ceiling_price)
		 values (md5('t')::uuid, md5('p')::uuid, md5('sv')::uuid, '两小时', 'Two hours', 120, 10000, 8000, 12000)`,
		`insert into customers (tenant_id, id, phone) values (md5('t')::uuid, md5('cu')::uuid, '+8613800000000')`,
		`insert into users (tenant_id, id, email, password_hash, store_id)
		 select md5('t')::uuid, md5('u'||i)::uuid, 'u'||i||'@avail.test', 'x', md5('st')::uuid from generate_series(1, {N}) i`,
		`insert into staff (tenant_id, id, user_id, store_id, level_id, badge_no, display_name, status)
		 select md5('t')::uuid, md5('s'||i)::uuid, md5('u'||i)::uuid, md5('st')::uuid, md5('l'||(1 + i % 3))::uuid, 'B'||i, 'staff '||i,
		   case when i % 20 = 0 then 'suspended' else 'active' end
		 from generate_series(1, {N}) i`,
		`insert into staff_skills (tenant_id, staff_id, id, service_id)
		 select md5('t')::uuid, md5('s'||i)::uuid, gen_random_uuid(), md5('sv')::uuid from generate_series(1, {N}) i`,
		`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min)
		 select md5('t')::uuid, md5('s'||i)::uuid, wd, 480, 1200 from generate_series(1, {N}) i, generate_series(1, 6) wd`,
		`insert into staff_hours (tenant_id, staff_id, weekday, start_min, end_min)
		 select md5('t')::uuid, md5('s'||i)::uuid, 0, 600, 960 from generate_series(1, {N}) i where i % 2 = 1`,
		`insert into staff_certificates (tenant_id, id, staff_id, type, status, expires_on)
		 select md5('t')::uuid, gen_random_uuid(), md5('s'||i)::uuid, c, 'approved',
		   case when i % 25 = 7 and c = 'health' then date '{D0}' + 5 else date '{D0}' + 400 end
		 from generate_series(1, {N}) i, unnest(array['id_card', 'health']) c`,
		`insert into staff_exceptions (tenant_id, id, staff_id, kind, during)
		 select md5('t')::uuid, gen_random_uuid(), md5('s'||i)::uuid, 'leave',
		   tstzrange(timestamptz '{D0}' + (i % 14) * interval '1 day' + interval '8 hours', timestamptz '{D0}' + (i % 14) * interval '1 day' + interval '12 hours')
		 from generate_series(1, {N}) i where i % 10 = 3`,
		`insert into staff_exceptions (tenant_id, id, staff_id, kind, during)
		 select md5('t')::uuid, gen_random_uuid(), md5('s'||i)::uuid, 'extra',
		   tstzrange(timestamptz '{D0}' + interval '6 days 20 hours', timestamptz '{D0}' + interval '6 days 23 hours')
		 from generate_series(1, {N}) i where i % 10 = 4`,
		`create temporary table jobs on commit drop as
		 select i, k, md5('o'||i||'-'||k)::uuid as order_id,
		   timestamptz '{D0}' + ((i + k) % 14) * interval '1 day' + (9 + ((i * 3 + k) % 4) * 2) * interval '1 hour' as starts_at,
		   st_setsrid(st_makepoint(121.40 + (i % 10) * 0.004, 31.10 + (k % 10) * 0.004), 4326)::geography as location
		 from generate_series(1, {N}) i, generate_series(0, {K} - 1) k`,
		`insert into quotes (tenant_id, id, store_id, package_id, created_by, starts_at, location, request, lines, subtotal, total, currency, expires_at)
		 select md5('t')::uuid, md5('q'||i||'-'||k)::uuid, md5('st')::uuid, md5('p')::uuid, 'system', starts_at, location, '{}', '[]', 10000, 10000, 'CNY', starts_at
		 from jobs`,
		`insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status, starts_at, ends_at, location, address, total, currency, created_by)
		 select md5('t')::uuid, order_id, 'A'||i||'-'||k, md5('cu')::uuid, md5('st')::uuid, md5('sv')::uuid, md5('p')::uuid, md5('q'||i||'-'||k)::uuid,
		   'assigned', starts_at, starts_at + interval '2 hours', location, 'address', 10000, 'CNY', 'system'
		 from jobs`,
		`insert into assignments (tenant_id, id, order_id, staff_id, during, created_by)
		 select md5('t')::uuid, gen_random_uuid(), order_id, md5('s'||i)::uuid, tstzrange(starts_at - interval '30 minutes', starts_at + interval '2 hours'), 'system'
		 from jobs`,
		`analyze`,
	}
	r := strings.NewReplacer("{N}", fmt.Sprint(n), "{K}", fmt.Sprint(jobsPer), "{D0}", day0.Format("2006-01-02 15:04:05-07"))
	start := time.Now()
	err := owner.Transaction(func(tx *gorm.DB) error {
		for _, s := range stmts {
			if err := tx.Exec(r.Replace(s)).Error; err != nil {
				return fmt.Errorf("%w\n%s", err, r.Replace(s))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seeded %d staff, %d assignments in %s", n, n*jobsPer, time.Since(start).Round(time.Millisecond))
	w := world{tenant: md5(t, owner, "t"), store: md5(t, owner, "st"), service: md5(t, owner, "sv"), pkg: md5(t, owner, "p"),
		day0: day0, zone: zone, staff: n, jobs: n * jobsPer}
	return w
}

func md5(t testing.TB, owner *gorm.DB, seed string) uuid.UUID {
	var s string
	if err := owner.Raw(`select md5(?)::uuid::text`, seed).Scan(&s).Error; err != nil {
		t.Fatal(err)
	}
	return uuid.MustParse(s)
}

// catalogView is the wiring's adapter, repeated: the real catalogue answers store and length.
type catalogView struct{ c *catalog.Service }

func (v catalogView) ServingStore(ctx context.Context, p geo.Point) (uuid.UUID, error) {
	return v.c.ServingStore(ctx, p)
}

func (v catalogView) VisitLength(ctx context.Context, pkg, store uuid.UUID, addOns []uuid.UUID) (uuid.UUID, int, error) {
	pp, err := v.c.PackageAt(ctx, pkg, store)
	if err != nil {
		return uuid.Nil, 0, err
	}
	mins := pp.DurationMinutes
	adds, err := v.c.AddOnsFor(ctx, pp.ServiceID, addOns)
	if err != nil {
		return uuid.Nil, 0, err
	}
	for _, a := range adds {
		mins += a.DurationMinutes
	}
	return pp.ServiceID, mins, nil
}

func newService(d *dbtest.DB) *slots.Service {
	return slots.NewService(d.Tx, slotsdb.New(d.Tx), catalogView{catalog.NewService(d.Tx, catalogdb.New(d.Tx), nil, nil)}, nil)
}

// naiveSQL is the per-slot baseline: the staff eligibility query for [start, start + d)
// (staffdb.EligibleSQL, hours and leave included) plus a not-exists over assignments with
// the same travel rule as the sweep, counting who is free. One query per slot.
var naiveSQL = strings.NewReplacer(
	"{PT}", "st_setsrid(st_makepoint(cast(@lng as float8), cast(@lat as float8)), 4326)",
	"{LO}", "cast(@lo as timestamptz)",
	"{HI}", "cast(@hi as timestamptz)",
).Replace("select count(*) from (" + strings.Replace(staffdb.EligibleSQL, "{FILTER}", `
  and not exists (
    select 1 from assignments a join orders o on o.tenant_id = a.tenant_id and o.id = a.order_id
    cross join lateral (select make_interval(mins => @buffer + ceil(st_distance(o.location, {PT}::geography) / 1000 / @kmh * 60)::int) as travel) tr
    where a.tenant_id = @t and a.staff_id = s.id and a.status = 'active'
      and a.during && tstzrange({LO} - interval '2 days', {HI} + interval '2 days')
      and {LO} > least(lower(a.during), o.starts_at - tr.travel) - ({HI} - {LO})
      and {LO} < greatest(upper(a.during), o.ends_at) + tr.travel)`, 1) + ") x")

// naiveCount runs the baseline for one start.
func naiveCount(ctx context.Context, d *dbtest.DB, w world, start time.Time, dur time.Duration) (int, error) {
	var n int
	err := d.Tx.InTx(ctx, func(ctx context.Context) error {
		return d.Tx.Conn(ctx).Raw(naiveSQL, map[string]any{"t": w.tenant, "s": w.service, "lng": at.Lng, "lat": at.Lat,
			"lo": start, "hi": start.Add(dur), "limit": 500, "buffer": 15, "kmh": 20}).Scan(&n).Error
	})
	return n, err
}

func tenantCtx(w world) context.Context { return dbx.WithTenant(context.Background(), w.tenant) }
