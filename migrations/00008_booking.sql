-- +goose Up
-- Booking core: per-tenant booking settings, per-store dispatch settings, orders, their event
-- history and staff assignments. The booking engineer extends this file (idempotency keys,
-- order numbers, recurring series, completion reports); the columns below are the contract
-- that availability and dispatch rely on.

-- One row per tenant (absent: the defaults below). The key is (tenant_id, singleton) because
-- every tenant table's key leads with tenant_id and has a second column (Citus co-location).
create table booking_settings (
  tenant_id               uuid not null references tenants (id),
  singleton               boolean not null default true check (singleton),
  slot_minutes            int  not null default 30 check (slot_minutes in (5, 10, 15, 20, 30, 60)),
  travel_kmh              int  not null default 20 check (travel_kmh between 1 and 200),
  buffer_minutes          int  not null default 15 check (buffer_minutes between 0 and 240),
  payment_mode            text not null default 'pay_after' check (payment_mode in ('prepay', 'deposit', 'pay_after')),
  free_cancel_hours       int  not null default 24 check (free_cancel_hours between 0 and 720),
  cancel_fee_bp           int  not null default 2000 check (cancel_fee_bp between 0 and 10000),
  auto_accept_hours       int  not null default 48 check (auto_accept_hours between 1 and 720),
  accept_timeout_minutes  int  not null default 10 check (accept_timeout_minutes between 1 and 1440),
  auto_review_days        int  check (auto_review_days is null or auto_review_days between 1 and 90),
  updated_at              timestamptz not null default now(),
  primary key (tenant_id, singleton)
);
select doorstep_tenant_table('booking_settings');

create table store_dispatch_settings (
  tenant_id   uuid not null references tenants (id),
  store_id    uuid not null,
  mode        text not null default 'manual' check (mode in ('manual', 'pool', 'auto')),
  pool_size   int  not null default 5 check (pool_size between 1 and 100),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, store_id),
  constraint store_dispatch_settings_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('store_dispatch_settings');

create table orders (
  tenant_id           uuid not null references tenants (id),
  id                  uuid not null,
  number              text not null,
  customer_id         uuid not null,
  store_id            uuid not null,
  service_id          uuid not null,
  package_id          uuid not null,
  quote_id            uuid not null,
  status              text not null check (status in ('pending_payment', 'confirmed', 'assigned', 'accepted', 'on_the_way',
                        'arrived', 'in_service', 'awaiting_acceptance', 'completed', 'closed', 'rework', 'cancelled', 'no_show')),
  starts_at           timestamptz not null,
  ends_at             timestamptz not null,
  location            geography(point, 4326) not null,
  address             text not null check (length(address) between 1 and 500),
  preferred_staff_id  uuid,
  total               bigint not null check (total >= 0),
  currency            text not null check (currency ~ '^[A-Z]{3}$'),
  created_by          text not null,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint orders_number_key unique (tenant_id, number),
  constraint orders_quote_key unique (tenant_id, quote_id),
  constraint orders_time check (starts_at < ends_at),
  constraint orders_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id),
  constraint orders_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id),
  constraint orders_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id),
  constraint orders_quote_fk foreign key (tenant_id, quote_id) references quotes (tenant_id, id)
);
create index orders_store_time_idx on orders (tenant_id, store_id, starts_at);
create index orders_customer_idx on orders (tenant_id, customer_id, starts_at desc);
create index orders_status_idx on orders (tenant_id, status, starts_at);
select doorstep_tenant_table('orders');

-- Every transition of an order, with who, when, from, to, why and where.
create table order_events (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  order_id     uuid not null,
  action       text not null,
  from_status  text,
  to_status    text not null,
  actor        text not null, -- auth subject ("user:<id>", "customer:<id>") or "system"
  reason       text not null default '' check (length(reason) <= 1000),
  location     geography(point, 4326),
  data         jsonb not null default '{}',
  at           timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint order_events_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
create index order_events_order_idx on order_events (tenant_id, order_id, at);
select doorstep_tenant_table('order_events');

-- A staff member's hold on an order's visit. "during" covers the visit plus the travel buffer
-- before it; no staff member can hold two active assignments whose windows overlap.
create table assignments (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  order_id    uuid not null,
  staff_id    uuid not null,
  during      tstzrange not null check (not isempty(during) and not lower_inf(during) and not upper_inf(during)),
  status      text not null default 'active' check (status in ('active', 'released', 'done')),
  created_by  text not null,
  created_at  timestamptz not null default now(),
  released_at timestamptz,
  primary key (tenant_id, id),
  constraint assignments_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade,
  constraint assignments_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id),
  constraint assignments_no_overlap exclude using gist (tenant_id with =, staff_id with =, during with &&) where (status = 'active')
);
create unique index assignments_one_active_per_order on assignments (tenant_id, order_id) where status = 'active';
create index assignments_staff_idx on assignments (tenant_id, staff_id, lower(during)) where status = 'active';
select doorstep_tenant_table('assignments');

-- Booking engineer's extensions (issue 4, parts 2–4 and 8).

-- How long after completion a customer may still ask for rework.
alter table booking_settings add column rework_days int not null default 7 check (rework_days between 0 and 90);

-- What the customer told us at booking, the money after the quote, check-in and acceptance.
alter table orders
  add column contact_name         text not null default '' check (length(contact_name) <= 100),
  add column contact_phone        text not null default '' check (length(contact_phone) <= 32),
  add column property             jsonb not null default '{}',
  add column special_notes        jsonb not null default '{}',
  add column customer_notes       text not null default '' check (length(customer_notes) <= 2000),
  add column booked_on_behalf_by  text,
  add column quoted_total         bigint not null default 0 check (quoted_total >= 0),
  add column cancel_fee           bigint not null default 0 check (cancel_fee >= 0),
  add column arrived_at           timestamptz,
  add column arrival_location     geography(point, 4326),
  add column arrival_distance_m   double precision,
  add column completed_at         timestamptz,
  add column acceptance_code      text,
  add column accepted_via         text check (accepted_via in ('code', 'signature', 'auto')),
  add column signature_url        text check (length(signature_url) <= 1000),
  add column accepted_at          timestamptz;
create index orders_store_status_idx on orders (tenant_id, store_id, status, starts_at);

-- Idempotency-Key: the first request under a key for a principal stores its response; a retry
-- with the same body gets it back, a different body is refused.
create table idempotency_keys (
  tenant_id     uuid not null references tenants (id),
  subject       text not null,
  key           text not null check (length(key) between 1 and 200),
  request_hash  text not null,
  status        int  not null default 0,
  body          text, -- the response exactly as first sent
  created_at    timestamptz not null default now(),
  primary key (tenant_id, subject, key)
);
select doorstep_tenant_table('idempotency_keys');

-- Per-tenant, per-day order number counters (numbers like JJ20261123-0007).
create table order_number_counters (
  tenant_id  uuid not null references tenants (id),
  day        date not null,
  last       int  not null default 0,
  primary key (tenant_id, day)
);
select doorstep_tenant_table('order_number_counters');

-- A completion report per visit (a rework visit adds another).
create table order_reports (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null,
  order_id      uuid not null,
  checklist     jsonb not null default '[]',
  photos        jsonb not null default '[]',
  notes         text not null default '' check (length(notes) <= 4000),
  submitted_by  text not null,
  submitted_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint order_reports_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
create index order_reports_order_idx on order_reports (tenant_id, order_id, submitted_at);
select doorstep_tenant_table('order_reports');

-- Extra items found on site: charged only once the customer approves them.
create table order_extras (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  order_id    uuid not null,
  name        text not null check (length(name) between 1 and 200),
  price       bigint not null check (price > 0),
  status      text not null default 'proposed' check (status in ('proposed', 'approved', 'declined')),
  created_by  text not null,
  created_at  timestamptz not null default now(),
  decided_at  timestamptz,
  primary key (tenant_id, id),
  constraint order_extras_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
create index order_extras_order_idx on order_extras (tenant_id, order_id);
select doorstep_tenant_table('order_extras');

-- Recurring bookings: a series creates each occurrence ahead of time (booking:recurring).
create table recurring_series (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  customer_id    uuid not null,
  package_id     uuid not null,
  add_ons        jsonb not null default '[]',
  location       geography(point, 4326) not null,
  address        text not null check (length(address) between 1 and 500),
  contact        jsonb not null default '{}',
  property       jsonb not null default '{}',
  special_notes  jsonb not null default '{}',
  preferred_staff_id uuid,
  frequency      text not null check (frequency in ('weekly', 'biweekly', 'monthly')),
  local_time     text not null check (local_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  first_date     date not null,
  next_date      date not null,
  skip_dates     date[] not null default '{}',
  paused         boolean not null default false,
  last_error     text not null default '',
  created_by     text not null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint recurring_series_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id)
);
create index recurring_series_due_idx on recurring_series (tenant_id, next_date) where not paused;
select doorstep_tenant_table('recurring_series');

alter table orders add column series_id uuid,
  add constraint orders_series_fk foreign key (tenant_id, series_id) references recurring_series (tenant_id, id);
create unique index orders_series_start_key on orders (tenant_id, series_id, starts_at) where series_id is not null;

-- +goose Down
alter table orders drop column series_id;
drop table recurring_series;
drop table order_extras;
drop table order_reports;
drop table order_number_counters;
drop table idempotency_keys;
drop table assignments;
drop table order_events;
drop table orders;
drop table store_dispatch_settings;
drop table booking_settings;
