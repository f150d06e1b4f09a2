-- Every statement one POST /api/v1/storefront/orders (customer token, Idempotency-Key, pay-after
-- tenant, no staff named) sends to PostgreSQL, in order and with the same transaction
-- boundaries, as captured from the application's gorm logger (see BenchmarkBookingThroughput).
-- Run by the benchmark with pgbench -M prepared (pgx's statement cache prepares them too) as
-- the runtime role, so row-level security applies as it does to the API.
--
-- -D variables (per tenant): tenant, customer, subject, token_hash, store, package, service,
-- staff_arr, lng, lat, run, today, prefix, day0 (epoch of the run's first visit day's local
-- midnight), cpt (clients in this process),
-- n=0 (the client's transaction counter; pgbench keeps variables per client).
-- Quote rows (run || '1' || q) are pre-created by the benchmark: one per transaction, at the
-- start t0 below (slotsPerDay = 4 starts a day, slotSpacingS = 10800 apart, from 08:00), so
-- that every order takes a free place of the staff member's calendar as the API's do.
-- JSON literals put a space after every colon (and write times with dots) so that pgbench does
-- not take a colon followed by a digit or letter for a variable.
\set n :n + 1
\set q :client_id * 10000000 + :n
\set slot (:n - 1) * :cpt + :client_id
\set t0 :day0 + (:slot / 4) * 86400 + 28800 + (:slot % 4) * 10800
\set t1 :t0 + 9000
\set wfrom :t0 - 86400
\set wto :t1 + 86400
\set remind :t0 - 7200

-- 1. Authentication (identity.Authenticate): the token under the tenant's RLS, then the customer.
BEGIN;
select set_config('app.tenant_id', :tenant, true);
SELECT * FROM "api_tokens" WHERE token_hash = :token_hash LIMIT 1;
SELECT * FROM "customers" WHERE id = :customer LIMIT 1;
COMMIT;

-- 2. The guard resolves the token's tenant (status check), outside a transaction.
SELECT * FROM "tenants" WHERE id = :tenant LIMIT 1;

-- 3. The booking transaction: idempotency claim, quote, visit length, settings, availability
--    check (with the quote's store, service and visit length: no second catalogue load: the
--    eligible staff, their capacity locks (bookingdb.LockStaff), hours, exceptions, assignments,
--    then the holds (slotsdb.HoldsSQL)), order number, order, event, dispatch task,
--    notification facts, outbox, stored response.
BEGIN;
select set_config('app.tenant_id', :tenant, true);
insert into idempotency_keys (tenant_id, subject, key, request_hash) values (:tenant, :subject, 'pgb-' || :run::text || '-' || :q::text, 'd815d7d6b7d02c991ac1d045b74d90abee7657ba56a3c0f512bc90d4e05c9902')
		on conflict (tenant_id, subject, key) do nothing;
select tenant_id, id, store_id, package_id, customer_id, created_by, starts_at,
		st_x(location::geometry) as lng, st_y(location::geometry) as lat, request, lines, subtotal, total, currency,
		created_at, expires_at, used_at from quotes where id = (:run::text || '1' || lpad(:q::text, 23, '0'))::uuid for update;
update quotes set used_at = now() where id = (:run::text || '1' || lpad(:q::text, 23, '0'))::uuid;
select * from catalog_packages where id = :package;
select * from catalog_services where id = :service;
select service_id, certificate_type from catalog_service_certificates
		where service_id in (:service) order by certificate_type;
select * from (select p.*,
	case when p.locked or sp.price is null then p.list_price else sp.price end as price,
	(not p.locked and sp.price is not null) as overridden,
	(p.active and (p.locked or coalesce(sp.available, true))) as on_sale
	from catalog_packages p
	left join catalog_store_prices sp on sp.tenant_id = p.tenant_id and sp.package_id = p.id and sp.store_id = :store where p.service_id in (:service)) x where on_sale order by position, price, id;
select * from catalog_add_ons where service_id in (:service) order by position, price, id;
select slot_minutes, travel_kmh, buffer_minutes, payment_mode, free_cancel_hours, cancel_fee_bp,
		auto_accept_hours, accept_timeout_minutes, auto_review_days, rework_days, updated_at from booking_settings;
select b.slot_minutes, b.travel_kmh, b.buffer_minutes, (select time_zone from stores where id = :store) as time_zone
from (select 1) one left join booking_settings b on true;
with recursive svc as materialized (
  select s.category_id, coalesce(l.rank, 0) as min_rank
  from catalog_services s
  left join staff_levels l on l.tenant_id = s.tenant_id and l.id = s.min_level_id
  where s.tenant_id = :tenant and s.id = :service
), cats as (
  select c.id, c.parent_id, 1 as depth
  from catalog_categories c join svc on c.id = svc.category_id
  where c.tenant_id = :tenant
  union all
  select c.id, c.parent_id, cats.depth + 1
  from catalog_categories c join cats on c.id = cats.parent_id
  where c.tenant_id = :tenant and cats.depth < 16
), required as materialized (
  select certificate_type as type from catalog_service_certificates where tenant_id = :tenant and service_id = :service
  union
  select code from certificate_types where tenant_id = :tenant and mandatory
), skilled as materialized (
  select staff_id from staff_skills where tenant_id = :tenant and service_id = :service
  union
  select k.staff_id from staff_skills k join cats on k.category_id = cats.id where k.tenant_id = :tenant
), here as materialized (
  select id from stores where tenant_id = :tenant and territory is not null and st_covers(territory, st_setsrid(st_makepoint(cast(:lng as float8), cast(:lat as float8)), 4326))
)
select s.id as staff_id, so.time_zone,
  case when cert.until is null or cert.until = 'infinity' then 0 else to_char(cert.until, 'YYYYMMDD')::int end as certs_until
from skilled k
join staff s on s.tenant_id = :tenant and s.id = k.staff_id
join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
cross join svc
left join staff_levels lv on lv.tenant_id = s.tenant_id and lv.id = s.level_id
cross join lateral (
  select count(*) filter (where best is null) as missing, min(best) as until
  from (
    select (select max(coalesce(c.expires_on, 'infinity'::date)) from staff_certificates c
            where c.tenant_id = :tenant and c.staff_id = s.id and c.type = r.type and c.status = 'approved') as best
    from required r) x
) cert
where s.status = 'active'
  and coalesce(lv.rank, 0) >= svc.min_rank
  and case s.area_kind
        when 'store' then s.store_id in (select id from here)
        when 'polygon' then st_covers(s.area_polygon, st_setsrid(st_makepoint(cast(:lng as float8), cast(:lat as float8)), 4326))
        else st_dwithin(s.home, st_setsrid(st_makepoint(cast(:lng as float8), cast(:lat as float8)), 4326)::geography, s.radius_m) end
  and cert.missing = 0
  and (cert.until is null or cert.until >= (to_timestamp(:wfrom) at time zone so.time_zone)::date);
-- The key is written as two literals so that pgbench does not read a colon variable in it.
select pg_advisory_xact_lock(k) from (
		select distinct hashtextextended('doorstep:' || 'staff:' || id, 0) as k from unnest(cast(:staff_arr as text[])) id) keys
		order by k;
select staff_id, weekday, start_min, end_min from staff_hours
		where tenant_id = :tenant and staff_id = any(cast(:staff_arr as uuid[]));
select staff_id, kind = 'extra', lower(during), upper(during) from staff_exceptions
		where tenant_id = :tenant and staff_id = any(cast(:staff_arr as uuid[]))
		  and during && tstzrange(to_timestamp(:wfrom), to_timestamp(:wto));
select a.staff_id, a.order_id, lower(a.during), upper(a.during), o.starts_at, o.ends_at,
		  st_distance(o.location, cast(st_setsrid(st_makepoint(cast(:lng as float8), cast(:lat as float8)), 4326) as geography))
		from assignments a
		join orders o on o.tenant_id = a.tenant_id and o.id = a.order_id
		where a.tenant_id = :tenant and a.status = 'active' and a.staff_id = any(cast(:staff_arr as uuid[]))
		  and a.during && tstzrange(to_timestamp(:wfrom), to_timestamp(:wto));
with recursive h as materialized (
  select o.id, o.service_id, o.location, o.starts_at, o.ends_at
  from orders o
  where o.tenant_id = :tenant and o.status in ('pending_payment', 'confirmed', 'rework')
    and tstzrange(o.starts_at, o.ends_at) && tstzrange(cast(to_timestamp(:wfrom) as timestamptz), cast(to_timestamp(:wto) as timestamptz))
    and not exists (select 1 from assignments a where a.tenant_id = :tenant and a.order_id = o.id and a.status = 'active')
), svc as materialized (
  select s.id, s.category_id, coalesce(l.rank, 0) as min_rank
  from catalog_services s left join staff_levels l on l.tenant_id = s.tenant_id and l.id = s.min_level_id
  where s.tenant_id = :tenant and s.id in (select service_id from h)
), cats as (
  select svc.id as service_id, c.id, c.parent_id, 1 as depth
  from catalog_categories c join svc on c.id = svc.category_id
  where c.tenant_id = :tenant
  union all
  select cats.service_id, c.id, c.parent_id, cats.depth + 1
  from catalog_categories c join cats on c.id = cats.parent_id
  where c.tenant_id = :tenant and cats.depth < 16
), skilled as materialized (
  select k.service_id, k.staff_id from staff_skills k
  where k.tenant_id = :tenant and k.staff_id = any(cast(:staff_arr as uuid[])) and k.service_id in (select id from svc)
  union
  select cats.service_id, k.staff_id from staff_skills k join cats on k.category_id = cats.id
  where k.tenant_id = :tenant and k.staff_id = any(cast(:staff_arr as uuid[]))
)
select h.id as order_id, h.starts_at, h.ends_at,
  st_distance(h.location, cast(st_setsrid(st_makepoint(cast(:lng as float8), cast(:lat as float8)), 4326) as geography)) as distance_m,
  string_agg(s.id::text, ',' order by s.id) as pool
from h
join svc on svc.id = h.service_id
join skilled k on k.service_id = h.service_id
join staff s on s.tenant_id = :tenant and s.id = k.staff_id
join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
left join staff_levels lv on lv.tenant_id = s.tenant_id and lv.id = s.level_id
where s.status = 'active'
  and coalesce(lv.rank, 0) >= svc.min_rank
  and case s.area_kind
        when 'store' then so.territory is not null and st_covers(so.territory, h.location::geometry)
        when 'polygon' then st_covers(s.area_polygon, h.location::geometry)
        else st_dwithin(s.home, h.location, s.radius_m) end
  and not exists (
    select 1 from (
      select r.certificate_type as type from catalog_service_certificates r where r.tenant_id = :tenant and r.service_id = h.service_id
      union
      select ct.code from certificate_types ct where ct.tenant_id = :tenant and ct.mandatory) req
    where not exists (
      select 1 from staff_certificates c
      where c.tenant_id = :tenant and c.staff_id = s.id and c.type = req.type and c.status = 'approved'
        and (c.expires_on is null or c.expires_on >= (h.ends_at at time zone so.time_zone)::date)))
group by h.id, h.starts_at, h.ends_at, h.location;
insert into order_number_counters (tenant_id, day, last) values (:tenant, :today::date, 1)
		on conflict (tenant_id, day) do update set last = order_number_counters.last + 1 returning last \gset
insert into orders (tenant_id, id, number, customer_id, store_id, service_id, package_id, quote_id, status,
		starts_at, ends_at, location, address, preferred_staff_id, total, currency, created_by, created_at, updated_at,
		contact_name, contact_phone, property, special_notes, customer_notes, booked_on_behalf_by, quoted_total, series_id)
		values (:tenant, (:run::text || '2' || lpad(:q::text, 23, '0'))::uuid, :prefix || lpad(:last::text, 4, '0'), :customer, :store, :service, :package, (:run::text || '1' || lpad(:q::text, 23, '0'))::uuid, 'confirmed', to_timestamp(:t0), to_timestamp(:t1), st_setsrid(st_makepoint(:lng, :lat), 4326)::geography, '徐汇区 漕溪北路 1 号 1201', NULL, 13000, 'CNY', :subject, now(), now(), '李女士', '+8613800000001', '{"area_sqm": 89, "layout": "2室1厅"}'::jsonb, '{"pets": "一只猫", "allergies": "柑橘", "avoid_products": "含氯漂白剂"}'::jsonb, '', NULL, 13000, NULL);
insert into order_events (tenant_id, id, order_id, action, from_status, to_status, actor, reason, location, data, at)
		values (:tenant, (:run::text || '3' || lpad(:q::text, 23, '0'))::uuid, (:run::text || '2' || lpad(:q::text, 23, '0'))::uuid, 'create', NULL, 'confirmed', :subject, '', case when NULL::float8 is null then null else st_setsrid(st_makepoint(NULL::float8, NULL::float8), 4326)::geography end, '{"payment_mode": "pay_after", "total": 13000}'::jsonb, now());
insert into outbox (tenant_id, id, task_type, payload, queue, process_at, max_retry, created_at)
		values (:tenant, (:run::text || '6' || lpad(:q::text, 23, '0'))::uuid, 'dispatch:' || 'order_waiting', '{"tenant_id": "01a208e7-bb86-7e25-a36e-9f100ac06728", "order_id": "01a208e7-c909-7c73-ad07-1c813c49cb12", "cause": "created", "staff_id": "00000000-0000-0000-0000-000000000000"}', 'default', NULL, 10, now());
select * from catalog_services where id = :service;
select service_id, certificate_type from catalog_service_certificates
		where service_id in (:service) order by certificate_type;
insert into outbox (tenant_id, id, task_type, payload, queue, process_at, max_retry, created_at)
		values (:tenant, (:run::text || '4' || lpad(:q::text, 23, '0'))::uuid, 'notify:' || 'send', '{"tenant_id": "01a208e7-bb86-7e25-a36e-9f100ac06728", "message": {"channel": "inapp", "to": "customer-01a208e7-c070-79de-ad09-fe959e4c65c2", "locale": "zh-CN", "template": "order_confirmed", "params": {"Address": "徐汇区 漕溪北路 1 号 1201", "Brand": "Alpha Clean 阿尔法", "OrderNo": "AL20261123-0004", "Service": "日常保洁", "Time": "2026-11-28 10.00"}, "data": {"order_id": "01a208e7-c909-7c73-ad07-1c813c49cb12", "order_no": "AL20261123-0004"}}}', 'default', NULL, 10, now());
insert into outbox (tenant_id, id, task_type, payload, queue, process_at, max_retry, created_at)
		values (:tenant, (:run::text || '5' || lpad(:q::text, 23, '0'))::uuid, 'booking:' || 'reminder', '{"tenant_id": "01a208e7-bb86-7e25-a36e-9f100ac06728", "order_id": "01a208e7-c909-7c73-ad07-1c813c49cb12", "start": "2026-11-28T02.00.00Z"}', 'default', to_timestamp(:remind), 10, now());
update idempotency_keys set status = 201, body = '{"id": "01a208e7-c909-7c73-ad07-1c813c49cb12", "number": "AL20261123-0004", "status": "confirmed", "customer_id": "01a208e7-c070-79de-ad09-fe959e4c65c2", "store_id": "01a208e7-bbfe-7d73-be86-f9fa96b2c925", "service_id": "01a208e7-c07f-7d41-884f-76d2ab672b9c", "package_id": "01a208e7-c082-7b62-ab0d-6e096e77212c", "quote_id": "01a208e7-c82a-7837-8802-1cae08ba4332", "start": "2026-11-28T02.00.00Z", "end": "2026-11-28T04.30.00Z", "location": {"lng": 121.45, "lat": 31.15}, "address": "徐汇区 漕溪北路 1 号 1201", "contact": {"name": "李女士", "phone": "+8613800000001"}, "property": {}, "notes": {}, "booked_on_behalf": false, "currency": "CNY", "quoted_total": 13000, "total": 13000, "cancel_fee": 0, "created_at": "2026-11-23T14.55.37.73050871Z"}' where subject = :subject and key = 'pgb-' || :run::text || '-' || :q::text;
COMMIT;
