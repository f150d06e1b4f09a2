-- +goose Up
-- Staff roster: profiles linked to user accounts, skills, qualification certificates with
-- their review, weekly working hours, exceptions (leave, extra shifts), service areas and the
-- last known location. The eligibility query (staffdb) reads all of it; the indexes below are
-- the ones its plan uses.

create table staff (
  tenant_id         uuid not null references tenants (id),
  id                uuid not null,
  user_id           uuid not null,
  store_id          uuid not null,
  level_id          uuid,
  badge_no          text not null check (badge_no ~ '^[A-Za-z0-9_-]{1,32}$'),
  display_name      text not null check (length(display_name) between 1 and 100),
  photo_url         text not null default '' check (length(photo_url) <= 1000),
  phone             text,
  years_experience  int  not null default 0 check (years_experience between 0 and 80),
  bio               text not null default '' check (length(bio) <= 2000),
  status            text not null default 'onboarding' check (status in ('onboarding', 'active', 'suspended', 'left')),
  -- Service area: the home store's territory ('store'), an own polygon, or a radius around home.
  area_kind         text not null default 'store' check (area_kind in ('store', 'polygon', 'radius')),
  area_polygon      geometry(polygon, 4326) check (area_polygon is null or st_isvalid(area_polygon)),
  home              geography(point, 4326),
  radius_m          int check (radius_m is null or radius_m between 1 and 200000),
  -- The own area as one indexable geometry: the polygon, or a circle slightly larger than the
  -- radius (the query rechecks the exact distance). Null for 'store'. Written by staffdb.
  area              geometry(geometry, 4326),
  last_location     geography(point, 4326),
  located_at        timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint staff_badge_key unique (tenant_id, badge_no),
  constraint staff_user_key unique (tenant_id, user_id),
  constraint staff_user_fk foreign key (tenant_id, user_id) references users (tenant_id, id),
  constraint staff_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id),
  constraint staff_level_fk foreign key (tenant_id, level_id) references staff_levels (tenant_id, id),
  constraint staff_area_check check (
    (area_kind = 'store') or
    (area_kind = 'polygon' and area_polygon is not null and area is not null) or
    (area_kind = 'radius' and home is not null and radius_m is not null and area is not null))
);
create index staff_store_idx on staff (tenant_id, store_id, status);
create index staff_level_idx on staff (tenant_id, level_id);
create index staff_area_idx on staff using gist (tenant_id, area) where area is not null;
select doorstep_tenant_table('staff');

-- A skill names a service, or a category (which covers its services and subcategories).
create table staff_skills (
  tenant_id    uuid not null references tenants (id),
  staff_id     uuid not null,
  id           uuid not null,
  service_id   uuid,
  category_id  uuid,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, staff_id, id),
  constraint staff_skills_one check (num_nonnulls(service_id, category_id) = 1),
  constraint staff_skills_service_key unique (tenant_id, service_id, staff_id),
  constraint staff_skills_category_key unique (tenant_id, category_id, staff_id),
  constraint staff_skills_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id) on delete cascade,
  constraint staff_skills_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id) on delete cascade,
  constraint staff_skills_category_fk foreign key (tenant_id, category_id) references catalog_categories (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('staff_skills');

-- Weekly working hours in the home store's time zone; several ranges a day.
create table staff_hours (
  tenant_id  uuid not null references tenants (id),
  staff_id   uuid not null,
  weekday    int  not null check (weekday between 0 and 6), -- 0 = Sunday
  start_min  int  not null check (start_min between 0 and 1439),
  end_min    int  not null check (end_min between 1 and 1440),
  primary key (tenant_id, staff_id, weekday, start_min),
  constraint staff_hours_order check (start_min < end_min),
  constraint staff_hours_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('staff_hours');

-- Exceptions to the weekly hours: leave (not available) and extra shifts (available).
create table staff_exceptions (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null,
  staff_id    uuid not null,
  kind        text not null check (kind in ('leave', 'extra')),
  during      tstzrange not null check (not isempty(during) and not lower_inf(during) and not upper_inf(during)),
  note        text not null default '' check (length(note) <= 500),
  created_by  uuid,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint staff_exceptions_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id) on delete cascade
);
create index staff_exceptions_during_idx on staff_exceptions using gist (tenant_id, staff_id, kind, during);
select doorstep_tenant_table('staff_exceptions');

-- Qualification documents and their review.
create table staff_certificates (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  staff_id       uuid not null,
  type           text not null,
  number         text not null default '' check (length(number) <= 100),
  file_url       text not null default '' check (length(file_url) <= 1000),
  issued_on      date,
  expires_on     date,
  status         text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'expired')),
  reject_reason  text not null default '' check (length(reject_reason) <= 500),
  reviewed_by    uuid,
  reviewed_at    timestamptz,
  warned_at      timestamptz, -- the expiry warning went out (once per certificate)
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint staff_certificates_dates check (expires_on is null or issued_on is null or issued_on <= expires_on),
  constraint staff_certificates_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id) on delete cascade,
  constraint staff_certificates_type_fk foreign key (tenant_id, type) references certificate_types (tenant_id, code)
);
create index staff_certificates_staff_idx on staff_certificates (tenant_id, staff_id, type) include (status, expires_on);
create index staff_certificates_expiry_idx on staff_certificates (tenant_id, expires_on) where status = 'approved';
select doorstep_tenant_table('staff_certificates');

-- +goose Down
drop table staff_certificates;
drop table staff_exceptions;
drop table staff_hours;
drop table staff_skills;
drop table staff;
