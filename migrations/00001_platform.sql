-- +goose Up
create extension if not exists postgis;
create extension if not exists btree_gist;

-- The runtime role: owns nothing, is not a superuser and cannot bypass row-level security.
-- In production a DBA creates it with a password; here it is created when missing.
-- +goose StatementBegin
do $$
begin
  if not exists (select from pg_roles where rolname = 'doorstep_app') then
    create role doorstep_app login nosuperuser nobypassrls nocreatedb nocreaterole;
  end if;
end
$$;
-- +goose StatementEnd

grant usage on schema public to doorstep_app;

-- doorstep_tenant_table applies the isolation rules to a tenant-owned table.
-- +goose StatementBegin
create or replace function doorstep_tenant_table(tbl regclass, privileges text default 'select, insert, update, delete')
returns void language plpgsql as $$
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  execute format('drop policy if exists tenant_isolation on %s', tbl);
  execute format($p$create policy tenant_isolation on %s
      using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
      with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, tbl);
  execute format('grant %s on %s to doorstep_app', privileges, tbl);
end
$$;
-- +goose StatementEnd
revoke execute on function doorstep_tenant_table(regclass, text) from public;

-- Platform tables: not tenant-owned, reached only by platform code paths.
create table tenants (
  id               uuid primary key,
  slug             text not null,
  name             text not null,
  status           text not null default 'active' check (status in ('active', 'suspended')),
  locale           text not null default 'zh-CN' check (locale in ('zh-CN', 'en')),
  currency         text not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  time_zone        text not null default 'Asia/Shanghai',
  phone_region     text not null default 'CN' check (phone_region ~ '^[A-Z]{2}$'),
  brand_name       text not null default '',
  logo_url         text not null default '',
  primary_color    text not null default '#0f766e' check (primary_color ~ '^#[0-9a-fA-F]{6}$'),
  accent_color     text not null default '#f59e0b' check (accent_color ~ '^#[0-9a-fA-F]{6}$'),
  suspended_reason text not null default '',
  suspended_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint tenants_slug_key unique (slug),
  constraint tenants_slug_format check (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$')
);
grant select, insert, update on tenants to doorstep_app;

create table tenant_domains (
  host       text primary key check (host = lower(host)),
  tenant_id  uuid not null references tenants (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index tenant_domains_tenant_idx on tenant_domains (tenant_id);
grant select, insert, delete on tenant_domains to doorstep_app;

create table platform_operators (
  id            uuid primary key,
  email         text not null,
  password_hash text not null,
  name          text not null default '',
  created_at    timestamptz not null default now(),
  constraint platform_operators_email_key unique (email)
);
grant select, insert, update on platform_operators to doorstep_app;

create table platform_tokens (
  id           uuid primary key,
  operator_id  uuid not null references platform_operators (id) on delete cascade,
  token_hash   bytea not null,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  revoked_at   timestamptz,
  constraint platform_tokens_hash_key unique (token_hash)
);
create index platform_tokens_operator_idx on platform_tokens (operator_id);
grant select, insert, update on platform_tokens to doorstep_app;

-- casbin policies (gorm-adapter's table). The domain (tenant id) is v1 in p rows and v2 in g
-- rows; the enforcer loads one tenant's rows at a time through these two indexes. A platform
-- table: casbin's layout has no tenant_id column to key or police.
create table casbin_rule (
  id    bigserial primary key,
  ptype varchar(100),
  v0    varchar(100),
  v1    varchar(100),
  v2    varchar(100),
  v3    varchar(100),
  v4    varchar(100),
  v5    varchar(100)
);
create unique index idx_casbin_rule on casbin_rule (ptype, v0, v1, v2, v3, v4, v5);
create index casbin_rule_domain_idx on casbin_rule (v1);
create index casbin_rule_g_domain_idx on casbin_rule (v2) where ptype = 'g';
grant select, insert, update, delete on casbin_rule to doorstep_app;
grant usage, select on sequence casbin_rule_id_seq to doorstep_app;

-- +goose Down
drop table casbin_rule;
drop table platform_tokens;
drop table platform_operators;
drop table tenant_domains;
drop table tenants;
drop function doorstep_tenant_table(regclass, text);
