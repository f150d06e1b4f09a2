-- +goose Up
-- Catalogue: a category tree, services (names and descriptions in zh-CN and en, images,
-- duration, required skill, level and certificates, checklist), packages with HQ price bounds,
-- add-ons and per-store overrides. Contract columns the staff roster relies on:
-- catalog_categories(tenant_id, id, parent_id, position, name_zh, name_en),
-- catalog_services(tenant_id, id, category_id, min_level_id, status),
-- catalog_service_certificates(tenant_id, service_id, certificate_type).

create table catalog_categories (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  parent_id   uuid,
  position    int  not null default 0,
  name_zh     text not null check (length(name_zh) between 1 and 100),
  name_en     text not null check (length(name_en) between 1 and 100),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint catalog_categories_parent_fk foreign key (tenant_id, parent_id) references catalog_categories (tenant_id, id)
);
create index catalog_categories_parent_idx on catalog_categories (tenant_id, parent_id, position);
select doorstep_tenant_table('catalog_categories');

create table catalog_services (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  category_id      uuid not null,
  min_level_id     uuid,
  status           text not null default 'draft' check (status in ('draft', 'published', 'unpublished')),
  -- Everything below has a default so that rows written with the contract columns alone (the
  -- roster's tests) stay valid; the catalogue service requires the names.
  name_zh          text not null default '' check (length(name_zh) <= 100),
  name_en          text not null default '' check (length(name_en) <= 100),
  description_zh   text not null default '' check (length(description_zh) <= 4000),
  description_en   text not null default '' check (length(description_en) <= 4000),
  images           jsonb not null default '[]' check (jsonb_typeof(images) = 'array'),
  duration_minutes int  not null default 60 check (duration_minutes between 1 and 1440),
  skill            text not null default '' check (skill ~ '^([a-z][a-z0-9_]{0,31})?$'),
  -- service standard (服务标准): ordered steps [{"zh": "…", "en": "…"}] ticked off on site
  checklist        jsonb not null default '[]' check (jsonb_typeof(checklist) = 'array'),
  position         int  not null default 0,
  published_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint catalog_services_category_fk foreign key (tenant_id, category_id) references catalog_categories (tenant_id, id),
  constraint catalog_services_level_fk foreign key (tenant_id, min_level_id) references staff_levels (tenant_id, id)
);
create index catalog_services_category_idx on catalog_services (tenant_id, category_id);
create index catalog_services_status_idx on catalog_services (tenant_id, status, category_id, position);
select doorstep_tenant_table('catalog_services');

-- Certificate types a service requires of whoever performs it.
create table catalog_service_certificates (
  tenant_id         uuid not null references tenants (id),
  service_id        uuid not null,
  certificate_type  text not null,
  primary key (tenant_id, service_id, certificate_type),
  constraint catalog_service_certificates_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id) on delete cascade,
  constraint catalog_service_certificates_type_fk foreign key (tenant_id, certificate_type) references certificate_types (tenant_id, code)
);
select doorstep_tenant_table('catalog_service_certificates');

-- Packages (套餐/服务分级) of a service, HQ-priced. A store may override price and availability
-- between floor_price and ceiling_price unless the package is locked.
create table catalog_packages (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  service_id       uuid not null,
  name_zh          text not null check (length(name_zh) between 1 and 100),
  name_en          text not null check (length(name_en) between 1 and 100),
  area_min_sqm     int  check (area_min_sqm >= 0),
  area_max_sqm     int  check (area_max_sqm > 0),
  dirt_level       text not null default '' check (dirt_level in ('', 'light', 'normal', 'heavy')),
  frequency        text not null default 'once' check (frequency in ('once', 'weekly', 'biweekly', 'monthly')),
  duration_minutes int  not null check (duration_minutes between 1 and 1440),
  list_price       bigint not null check (list_price >= 0),
  floor_price      bigint not null check (floor_price >= 0),
  ceiling_price    bigint not null,
  locked           boolean not null default false,
  active           boolean not null default true,
  position         int  not null default 0,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint catalog_packages_bounds check (floor_price <= list_price and list_price <= ceiling_price),
  constraint catalog_packages_area check (area_min_sqm is null or area_max_sqm is null or area_min_sqm < area_max_sqm),
  constraint catalog_packages_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id) on delete cascade
);
create index catalog_packages_service_idx on catalog_packages (tenant_id, service_id, position);
create index catalog_packages_price_idx on catalog_packages (tenant_id, list_price);
select doorstep_tenant_table('catalog_packages');

-- Add-ons (加项): extra items of a service with their own price and duration.
create table catalog_add_ons (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  service_id       uuid not null,
  name_zh          text not null check (length(name_zh) between 1 and 100),
  name_en          text not null check (length(name_en) between 1 and 100),
  price            bigint not null check (price >= 0),
  duration_minutes int  not null check (duration_minutes between 1 and 1440),
  active           boolean not null default true,
  position         int  not null default 0,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint catalog_add_ons_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id) on delete cascade
);
create index catalog_add_ons_service_idx on catalog_add_ons (tenant_id, service_id, position);
select doorstep_tenant_table('catalog_add_ons');

-- A store's override of a package: price (null keeps the list price) and availability. The
-- service keeps price within the package's floor and ceiling (and clamps it when HQ moves them).
create table catalog_store_prices (
  tenant_id    uuid not null references tenants (id),
  store_id     uuid not null,
  package_id   uuid not null,
  price        bigint check (price >= 0),
  available    boolean not null default true,
  updated_at   timestamptz not null default now(),
  updated_by   text not null default '',
  primary key (tenant_id, store_id, package_id),
  constraint catalog_store_prices_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id) on delete cascade,
  constraint catalog_store_prices_package_fk foreign key (tenant_id, package_id) references catalog_packages (tenant_id, id) on delete cascade
);
create index catalog_store_prices_package_idx on catalog_store_prices (tenant_id, package_id);
select doorstep_tenant_table('catalog_store_prices');

-- +goose Down
drop table catalog_store_prices;
drop table catalog_add_ons;
drop table catalog_packages;
drop table catalog_service_certificates;
drop table catalog_services;
drop table catalog_categories;
