-- +goose Up
-- Tenant-defined reference data shared by the catalogue, the staff roster, pricing and
-- commission: ordered staff levels and certificate types.

create table staff_levels (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  code        text not null check (code ~ '^[a-z][a-z0-9_]{0,31}$'),
  name_zh     text not null check (length(name_zh) between 1 and 50),
  name_en     text not null check (length(name_en) between 1 and 50),
  rank        int  not null check (rank between 1 and 100),  -- higher is more senior
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint staff_levels_code_key unique (tenant_id, code),
  constraint staff_levels_rank_key unique (tenant_id, rank)
);
select doorstep_tenant_table('staff_levels');

create table certificate_types (
  tenant_id   uuid not null references tenants (id),
  code        text not null check (code ~ '^[a-z][a-z0-9_]{0,31}$'),
  name_zh     text not null check (length(name_zh) between 1 and 50),
  name_en     text not null check (length(name_en) between 1 and 50),
  -- mandatory types (ID card, health certificate) are required of every active staff member;
  -- others are required only by the services that name them.
  mandatory   boolean not null default false,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, code)
);
select doorstep_tenant_table('certificate_types');

-- +goose Down
drop table certificate_types;
drop table staff_levels;
