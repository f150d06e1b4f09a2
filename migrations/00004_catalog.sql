-- +goose Up
-- Catalogue core. The catalogue helper extends this file (packages, add-ons, store
-- overrides, checklists); the columns below are the contract the staff roster relies on.

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
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  category_id    uuid not null,
  min_level_id   uuid,
  status         text not null default 'draft' check (status in ('draft', 'published', 'unpublished')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint catalog_services_category_fk foreign key (tenant_id, category_id) references catalog_categories (tenant_id, id),
  constraint catalog_services_level_fk foreign key (tenant_id, min_level_id) references staff_levels (tenant_id, id)
);
create index catalog_services_category_idx on catalog_services (tenant_id, category_id);
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

-- +goose Down
drop table catalog_service_certificates;
drop table catalog_services;
drop table catalog_categories;
