-- +goose Up
-- Pricing: tenant surcharge rules, holiday calendar, travel-fee policy and stored quotes.

create table pricing_rules (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  kind        text not null check (kind in ('level', 'time', 'weekend', 'holiday', 'region')),
  name_zh     text not null check (length(name_zh) between 1 and 100),
  name_en     text not null check (length(name_en) between 1 and 100),
  percent_bp  bigint not null default 0 check (percent_bp between 0 and 50000),
  fixed       bigint not null default 0 check (fixed >= 0),
  level_id    uuid,
  weekdays    jsonb not null default '[]',
  start_min   int not null default 0 check (start_min between 0 and 1439),
  end_min     int not null default 0 check (end_min between 0 and 1440),
  store_ids   jsonb not null default '[]',
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint pricing_rules_level_fk foreign key (tenant_id, level_id) references staff_levels (tenant_id, id)
);
select doorstep_tenant_table('pricing_rules');

create table pricing_holidays (
  tenant_id  uuid not null references tenants (id),
  day        date not null,
  name       text not null check (length(name) between 1 and 100),
  primary key (tenant_id, day)
);
select doorstep_tenant_table('pricing_holidays');

-- Travel-fee policy: one tenant default (store_id null) and optional per-store overrides.
create table pricing_travel (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  store_id     uuid,
  free_meters  bigint not null default 5000 check (free_meters >= 0),
  per_km       bigint not null default 0 check (per_km >= 0),
  max_fee      bigint not null default 0 check (max_fee >= 0),
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint pricing_travel_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id) on delete cascade
);
create unique index pricing_travel_scope_key on pricing_travel (tenant_id, coalesce(store_id, '00000000-0000-0000-0000-000000000000'::uuid));
select doorstep_tenant_table('pricing_travel');

-- A quote is what a booking will charge, exactly, until it expires.
create table quotes (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  store_id     uuid not null,
  package_id   uuid not null,
  customer_id  uuid,
  created_by   text not null,
  starts_at    timestamptz not null,
  location     geography(point, 4326) not null,
  request      jsonb not null,
  lines        jsonb not null,
  subtotal     bigint not null check (subtotal >= 0),
  total        bigint not null check (total >= 0),
  currency     text not null check (currency ~ '^[A-Z]{3}$'),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  used_at      timestamptz,
  primary key (tenant_id, id),
  constraint quotes_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id),
  constraint quotes_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id)
);
create index quotes_customer_idx on quotes (tenant_id, customer_id, created_at);
select doorstep_tenant_table('quotes');

-- +goose Down
drop table quotes;
drop table pricing_travel;
drop table pricing_holidays;
drop table pricing_rules;
