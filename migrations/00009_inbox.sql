-- +goose Up
-- The in-app inbox: notifications rendered in the recipient's language, kept with their read
-- state. A message belongs to exactly one staff-side user, customer or store (a store's inbox
-- is shared by the users whose scope is that store); each has its own foreign key, and
-- recipient_kind / recipient_id are derived from them so they cannot disagree.
create table inbox_messages (
  tenant_id       uuid not null references tenants (id),
  id              uuid not null,
  user_id         uuid,
  customer_id     uuid,
  store_id        uuid,
  recipient_kind  text not null generated always as (
                    case when user_id is not null then 'user' when customer_id is not null then 'customer' else 'store' end) stored,
  recipient_id    uuid not null generated always as (coalesce(user_id, customer_id, store_id)) stored,
  template        text not null check (template ~ '^[a-z][a-z0-9_]{0,63}$'),
  title           text not null default '' check (length(title) <= 200),
  body            text not null check (length(body) between 1 and 4000),
  data            jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  -- The notify:send task id (the outbox id): a redelivered task inserts nothing.
  dedupe_key      text check (length(dedupe_key) between 1 and 100),
  read_at         timestamptz,
  created_at      timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint inbox_messages_one_recipient check (num_nonnulls(user_id, customer_id, store_id) = 1),
  constraint inbox_messages_dedupe_key unique (tenant_id, dedupe_key),
  constraint inbox_messages_user_fk foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade,
  constraint inbox_messages_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id) on delete cascade,
  constraint inbox_messages_store_fk foreign key (tenant_id, store_id) references stores (tenant_id, id) on delete cascade
);
-- Listing an inbox newest first, and counting its unread messages.
create index inbox_messages_recipient_idx on inbox_messages (tenant_id, recipient_kind, recipient_id, created_at desc, id desc);
create index inbox_messages_unread_idx on inbox_messages (tenant_id, recipient_kind, recipient_id) where read_at is null;
-- The foreign keys' referencing side, so deleting a user, customer or store need not scan.
create index inbox_messages_user_idx on inbox_messages (tenant_id, user_id) where user_id is not null;
create index inbox_messages_customer_idx on inbox_messages (tenant_id, customer_id) where customer_id is not null;
create index inbox_messages_store_idx on inbox_messages (tenant_id, store_id) where store_id is not null;
select doorstep_tenant_table('inbox_messages');

-- +goose Down
drop table inbox_messages;
