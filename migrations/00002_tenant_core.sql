-- +goose Up
create table franchisees (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  name           text not null check (length(name) between 1 and 200),
  legal_name     text not null default '',
  contact_name   text not null default '',
  contact_phone  text not null default '',
  contact_email  text not null default '',
  status         text not null default 'active' check (status in ('active', 'inactive')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id)
);
select doorstep_tenant_table('franchisees');

create table stores (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  franchisee_id  uuid,
  code           text not null,
  name           text not null check (length(name) between 1 and 200),
  address        text not null default '',
  phone          text not null default '',
  location       geography(point, 4326),
  territory      geometry(polygon, 4326) check (territory is null or st_isvalid(territory)),
  opening_hours  jsonb not null default '[]',
  time_zone      text not null,
  status         text not null default 'active' check (status in ('active', 'inactive')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint stores_code_key unique (tenant_id, code),
  constraint stores_franchisee_fk foreign key (tenant_id, franchisee_id) references franchisees (tenant_id, id)
);
create index stores_franchisee_idx on stores (tenant_id, franchisee_id);
create index stores_territory_idx on stores using gist (territory);
create index stores_location_idx on stores using gist (location);
select doorstep_tenant_table('stores');

-- Staff-side accounts (HQ, franchisee, store staff, service staff).
create table users (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  email          text,
  phone          text,
  password_hash  text not null,
  display_name   text not null default '',
  status         text not null default 'active' check (status in ('active', 'disabled')),
  franchisee_id  uuid,
  store_id       uuid,
  locale         text not null default '' check (locale in ('', 'zh-CN', 'en')),
  last_login_at  timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint users_contact check (email is not null or phone is not null),
  constraint users_franchisee_fk foreign key (tenant_id, franchisee_id) references franchisees (tenant_id, id),
  constraint users_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id)
);
create unique index users_email_key on users (tenant_id, lower(email)) where email is not null;
create unique index users_phone_key on users (tenant_id, phone) where phone is not null;
create index users_store_idx on users (tenant_id, store_id);
select doorstep_tenant_table('users');

-- Role metadata; the permissions themselves are casbin policies.
create table roles (
  tenant_id    uuid not null references tenants (id),
  name         text not null check (name ~ '^[a-z][a-z0-9_]{1,39}$'),
  display_name text not null default '',
  description  text not null default '',
  scope        text not null check (scope in ('tenant', 'franchisee', 'store', 'self')),
  template     boolean not null default false,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, name)
);
select doorstep_tenant_table('roles');

create table customers (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  phone          text not null,
  name           text not null default '',
  email          text,
  status         text not null default 'active' check (status in ('active', 'disabled')),
  locale         text not null default '' check (locale in ('', 'zh-CN', 'en')),
  last_login_at  timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint customers_phone_key unique (tenant_id, phone)
);
select doorstep_tenant_table('customers');

-- Opaque bearer tokens for API clients (users and customers). Only a SHA-256 of the secret
-- is stored. Web sessions live in Redis (scs).
create table api_tokens (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null,
  subject_kind  text not null check (subject_kind in ('user', 'customer')),
  subject_id    uuid not null,
  token_hash    bytea not null,
  name          text not null default '',
  created_at    timestamptz not null default now(),
  expires_at    timestamptz not null,
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  primary key (tenant_id, id),
  constraint api_tokens_hash_key unique (tenant_id, token_hash)
);
create index api_tokens_subject_idx on api_tokens (tenant_id, subject_kind, subject_id);
select doorstep_tenant_table('api_tokens');

-- Append-only audit log: the runtime role may insert and read, never change or delete.
create table audit_log (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  at           timestamptz not null default now(),
  actor_kind   text not null,
  actor_id     uuid,
  action       text not null,
  object_type  text not null,
  object_id    text not null default '',
  before       jsonb,
  after        jsonb,
  request_id   text not null default '',
  ip           text not null default '',
  primary key (tenant_id, id)
);
create index audit_log_object_idx on audit_log (tenant_id, object_type, object_id, at);
create index audit_log_at_idx on audit_log (tenant_id, at);
select doorstep_tenant_table('audit_log', 'select, insert');

-- Transactional outbox: jobs written in the business transaction, enqueued by the relay.
create table outbox (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  task_type    text not null,
  payload      jsonb not null,
  queue        text not null default 'default',
  process_at   timestamptz,
  max_retry    int not null default 10,
  created_at   timestamptz not null default now(),
  enqueued_at  timestamptz,
  attempts     int not null default 0,
  last_error   text not null default '',
  primary key (tenant_id, id)
);
create index outbox_pending_idx on outbox (tenant_id, created_at) where enqueued_at is null;
select doorstep_tenant_table('outbox');

-- A view for listings; security_invoker makes it obey the caller's row-level security.
create view store_directory with (security_invoker = true) as
  select s.tenant_id, s.id, s.code, s.name, s.status, s.franchisee_id,
         coalesce(f.name, '') as franchisee_name, s.time_zone
  from stores s
  left join franchisees f on f.tenant_id = s.tenant_id and f.id = s.franchisee_id;
grant select on store_directory to doorstep_app;

-- +goose Down
drop view store_directory;
drop table outbox;
drop table audit_log;
drop table api_tokens;
drop table customers;
drop table roles;
drop table users;
drop table stores;
drop table franchisees;
