-- +goose Up
-- Dispatch: offers of an order to staff members. Pool offers go to the top N candidates and
-- the first to take one wins (at most one accepted offer per order, enforced by a unique
-- partial index); auto offers record an automatic assignment awaiting the staff member's
-- accept, expired when the accept timeout passes, so the next attempt skips them.
create table dispatch_offers (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  order_id    uuid not null,
  staff_id    uuid not null,
  kind        text not null default 'pool' check (kind in ('pool', 'auto')),
  status      text not null default 'offered' check (status in ('offered', 'accepted', 'declined', 'expired', 'taken')),
  score       double precision not null default 0,
  rank        int not null default 0 check (rank >= 0),
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now(),
  decided_at  timestamptz,
  primary key (tenant_id, id),
  constraint dispatch_offers_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade,
  constraint dispatch_offers_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id)
);
create unique index dispatch_offers_one_accepted on dispatch_offers (tenant_id, order_id) where status = 'accepted';
create index dispatch_offers_order_idx on dispatch_offers (tenant_id, order_id, status);
create index dispatch_offers_staff_idx on dispatch_offers (tenant_id, staff_id, status, expires_at);
select doorstep_tenant_table('dispatch_offers');

-- +goose Down
drop table dispatch_offers;
