-- +goose Up
-- Reviews: one per order, by its customer, once the work is accepted; three 1–5 scores, text,
-- photo URLs and the store's reply. Automatic positive reviews (auto) have no text.
create table reviews (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null,
  order_id     uuid not null,
  customer_id  uuid not null,
  staff_id     uuid,
  store_id     uuid not null,
  attitude     smallint not null check (attitude between 1 and 5),
  quality      smallint not null check (quality between 1 and 5),
  punctuality  smallint not null check (punctuality between 1 and 5),
  text         text not null default '' check (length(text) <= 2000),
  photos       jsonb not null default '[]' check (jsonb_typeof(photos) = 'array' and jsonb_array_length(photos) <= 9),
  auto         boolean not null default false,
  reply        text check (reply is null or length(reply) between 1 and 2000),
  replied_by   text,
  replied_at   timestamptz,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint reviews_order_key unique (tenant_id, order_id),
  constraint reviews_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade,
  constraint reviews_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id),
  constraint reviews_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id),
  constraint reviews_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id)
);
create index reviews_staff_idx on reviews (tenant_id, staff_id, created_at desc) where staff_id is not null;
create index reviews_store_idx on reviews (tenant_id, store_id, created_at desc);
create index reviews_customer_idx on reviews (tenant_id, customer_id, created_at desc);
select doorstep_tenant_table('reviews');

-- Per-staff sums of the three scores, updated in the review's transaction with
-- insert … on conflict do update, so concurrent reviews never lose a count.
create table staff_ratings (
  tenant_id        uuid not null references tenants (id),
  staff_id         uuid not null,
  count            bigint not null default 0 check (count >= 0),
  attitude_sum     bigint not null default 0 check (attitude_sum >= 0),
  quality_sum      bigint not null default 0 check (quality_sum >= 0),
  punctuality_sum  bigint not null default 0 check (punctuality_sum >= 0),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, staff_id),
  constraint staff_ratings_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('staff_ratings');

-- +goose Down
drop table staff_ratings;
drop table reviews;
