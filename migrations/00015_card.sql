-- +goose Up
-- Prepaid cards (F7.5): products HQ sells (stored value with a bonus; visit cards: N visits,
-- optionally of one service, or a time card with capped or unlimited visits), purchases through
-- Stripe, the cards customers hold, visit redemptions on orders and HQ's manual adjustments.
-- Money, stored value and visits themselves live in the ledger (docs/money.md); these rows
-- hold the business facts and the ledger transaction each one posted.

create table card_products (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null,
  kind           text not null check (kind in ('stored_value', 'visits')),
  name_zh        text not null check (length(name_zh) between 1 and 100),
  name_en        text not null check (length(name_en) between 1 and 100),
  description_zh text not null default '' check (length(description_zh) <= 2000),
  description_en text not null default '' check (length(description_en) <= 2000),
  price          bigint not null check (price > 0),
  currency       text not null check (currency ~ '^[A-Z]{3}$'),
  bonus          bigint not null default 0 check (bonus >= 0),
  visits         int check (visits is null or visits between 1 and 10000), -- null: unlimited (time cards)
  service_id     uuid,                                                      -- null: any service
  validity_days  int not null check (validity_days between 1 and 3660),
  status         text not null default 'draft' check (status in ('draft', 'published', 'retired')),
  published_at   timestamptz,
  retired_at     timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint card_products_terms check (
    (kind = 'stored_value' and visits is null and service_id is null) or
    (kind = 'visits' and bonus = 0)),
  constraint card_products_service_fk foreign key (tenant_id, service_id) references catalog_services (tenant_id, id)
);
create index card_products_status_idx on card_products (tenant_id, status, created_at);
select doorstep_tenant_table('card_products');

-- A customer's purchase: written (pending, with its Stripe idempotency key) before the
-- PaymentIntent is created; settled by the payment_intent.* webhook events.
create table card_purchases (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  customer_id      uuid not null,
  product_id       uuid not null,
  amount           bigint not null check (amount > 0),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  status           text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'canceled')),
  idempotency_key  text not null check (length(idempotency_key) between 1 and 200),
  intent_id        text,
  card_id          uuid,
  ledger_tx_id     uuid,
  last_event_id    text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint card_purchases_key unique (tenant_id, idempotency_key),
  constraint card_purchases_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id),
  constraint card_purchases_product_fk foreign key (tenant_id, product_id) references card_products (tenant_id, id),
  constraint card_purchases_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id),
  constraint card_purchases_settled check (status <> 'succeeded' or (card_id is not null and ledger_tx_id is not null))
);
create index card_purchases_customer_idx on card_purchases (tenant_id, customer_id, created_at desc);
select doorstep_tenant_table('card_purchases');

-- A card a customer holds. Stored value is pooled per customer in the ledger; credited is what
-- this card put in (price + bonus + adjustments), which bounds the part of the balance
-- attributed to it (the balance is spent from the card that expires first). Visit cards count
-- their visits here (visits_remaining, null when unlimited) and keep the money not yet earned
-- (funds_remaining), moved to order funds per redemption and to revenue at expiry.
create table cards (
  tenant_id         uuid not null references tenants (id),
  id                uuid not null,
  customer_id       uuid not null,
  product_id        uuid not null,
  purchase_id       uuid,
  kind              text not null check (kind in ('stored_value', 'visits')),
  name_zh           text not null,
  name_en           text not null,
  price             bigint not null check (price >= 0),
  currency          text not null check (currency ~ '^[A-Z]{3}$'),
  bonus             bigint not null default 0 check (bonus >= 0),
  credited          bigint not null default 0 check (credited >= 0),
  visits_total      int check (visits_total is null or visits_total >= 0),
  visits_remaining  int check (visits_remaining is null or visits_remaining >= 0),
  funds_remaining   bigint not null default 0 check (funds_remaining >= 0),
  service_id        uuid,
  status            text not null default 'active' check (status in ('active', 'expired')),
  starts_at         timestamptz not null,
  expires_at        timestamptz not null,
  ledger_tx_id      uuid,
  expire_tx_id      uuid,
  expired_at        timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint cards_purchase_key unique (tenant_id, purchase_id),
  constraint cards_window check (starts_at < expires_at),
  constraint cards_customer_fk foreign key (tenant_id, customer_id) references customers (tenant_id, id),
  constraint cards_product_fk foreign key (tenant_id, product_id) references card_products (tenant_id, id),
  constraint cards_purchase_fk foreign key (tenant_id, purchase_id) references card_purchases (tenant_id, id),
  constraint cards_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id),
  constraint cards_expire_fk foreign key (tenant_id, expire_tx_id) references ledger_transactions (tenant_id, id)
);
create index cards_customer_idx on cards (tenant_id, customer_id, status, expires_at);
create index cards_expiry_idx on cards (tenant_id, expires_at) where status = 'active';
select doorstep_tenant_table('cards');

-- A visit of a visit card redeemed on an order: one per order.
create table card_redemptions (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null,
  card_id       uuid not null,
  order_id      uuid not null,
  amount        bigint not null check (amount >= 0), -- money moved from card funds to the order
  ledger_tx_id  uuid,
  created_by    text not null,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint card_redemptions_order_key unique (tenant_id, order_id),
  constraint card_redemptions_card_fk foreign key (tenant_id, card_id) references cards (tenant_id, id),
  constraint card_redemptions_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id),
  constraint card_redemptions_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id)
);
create index card_redemptions_card_idx on card_redemptions (tenant_id, card_id, created_at);
select doorstep_tenant_table('card_redemptions');

-- HQ's manual adjustment of a card (stored value or visits), with its reason.
create table card_adjustments (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null,
  card_id       uuid not null,
  delta         bigint not null check (delta <> 0),
  reason        text not null check (length(reason) between 1 and 500),
  ledger_tx_id  uuid not null,
  created_by    text not null,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint card_adjustments_card_fk foreign key (tenant_id, card_id) references cards (tenant_id, id),
  constraint card_adjustments_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id)
);
create index card_adjustments_card_idx on card_adjustments (tenant_id, card_id, created_at);
select doorstep_tenant_table('card_adjustments');

-- +goose Down
drop table card_adjustments;
drop table card_redemptions;
drop table cards;
drop table card_purchases;
drop table card_products;
