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
alter table reviews add column hidden_at timestamptz;

-- +goose Down
alter table reviews drop column hidden_at;
drop table dispatch_flags;
alter table dispatch_offers drop column round;
alter table store_dispatch_settings drop column pool_rounds;
