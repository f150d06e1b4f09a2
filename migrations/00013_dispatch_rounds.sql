-- +goose Up
-- Dispatch follow-ups (issue 4 gaps). Pool offers go out in rounds: when nobody takes a round
-- before it expires, the next pool_size staff not yet offered get the order, up to the store's
-- pool_rounds; then (or when nobody is left, or auto mode runs out of candidates) the order is
-- flagged at risk for the dispatcher instead of looping forever.
alter table store_dispatch_settings add column pool_rounds int not null default 3 check (pool_rounds between 1 and 20);
alter table dispatch_offers add column round int not null default 1 check (round >= 1);

create table dispatch_flags (
  tenant_id   uuid not null references tenants (id),
  order_id    uuid not null,
  reason      text not null check (reason in ('pool_exhausted', 'no_candidates', 'auto_exhausted')),
  rounds      int not null default 0 check (rounds >= 0),
  flagged_at  timestamptz not null default now(),
  primary key (tenant_id, order_id),
  constraint dispatch_flags_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('dispatch_flags');

-- Reviews the store has hidden from the public storefront (abuse, personal data); null: shown.
-- The storefront lists a service's or a staff member's shown reviews newest first: the
-- service is copied from the order at insert (orders have no service index) and both lists
-- start from a partial btree index.
alter table reviews add column hidden_at timestamptz;
alter table reviews add column service_id uuid;
update reviews r set service_id = o.service_id from orders o where o.tenant_id = r.tenant_id and o.id = r.order_id;
create index reviews_service_shown_idx on reviews (tenant_id, service_id, created_at desc) where hidden_at is null;
create index reviews_staff_shown_idx on reviews (tenant_id, staff_id, created_at desc) where hidden_at is null;

-- +goose Down
drop index reviews_staff_shown_idx;
drop index reviews_service_shown_idx;
alter table reviews drop column service_id;
alter table reviews drop column hidden_at;
drop table dispatch_flags;
alter table dispatch_offers drop column round;
alter table store_dispatch_settings drop column pool_rounds;
