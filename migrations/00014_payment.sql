-- +goose Up
-- Payments (issue 5, part 2): the tenant's payment settings (the mode itself is
-- booking_settings.payment_mode), customers' payments of orders (Stripe PaymentIntents, cash
-- recorded by staff and confirmed by the customer, stored value), refunds, and the Stripe
-- webhook events received. Every row that moves money stores its ledger transaction; every
-- Stripe call's idempotency key is saved on its row before the call.

-- One row per tenant (absent: the defaults below).
create table payment_settings (
  tenant_id               uuid not null references tenants (id),
  singleton               boolean not null default true check (singleton),
  deposit_percent         int not null default 30 check (deposit_percent between 1 and 100),
  method_types            text[] not null default '{card}'
                            check (cardinality(method_types) between 1 and 3 and method_types <@ array['card', 'alipay', 'wechat_pay']),
  unpaid_timeout_minutes  int not null default 30 check (unpaid_timeout_minutes between 1 and 1440),
  updated_at              timestamptz not null default now(),
  primary key (tenant_id, singleton)
);
select doorstep_tenant_table('payment_settings');

create table payments (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  order_id         uuid not null,
  customer_id      uuid not null,
  store_id         uuid not null,
  -- full: the whole total before service (prepay); deposit: the deposit share before service;
  -- balance: what is still due after service (pay after service, or the rest after a deposit).
  kind             text not null check (kind in ('full', 'deposit', 'balance')),
  channel          text not null check (channel in ('stripe', 'cash', 'stored_value')),
  method           text not null default '' check (method in ('', 'card', 'alipay', 'wechat_pay', 'cash', 'stored_value')),
  amount           bigint not null check (amount > 0),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  status           text not null check (status in ('pending', 'awaiting_confirmation', 'succeeded', 'failed', 'canceled')),
  refunded         bigint not null default 0,
  idempotency_key  text not null check (length(idempotency_key) between 1 and 200),
  intent_id        text not null default '',
  client_secret    text not null default '',
  failure_code     text not null default '',
  staff_id         uuid,
  recorded_by      text not null default '',
  ledger_tx_id     uuid,
  paid_at          timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint payments_refunded_check check (refunded between 0 and amount),
  constraint payments_key unique (tenant_id, idempotency_key),
  constraint payments_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id),
  constraint payments_staff_fk foreign key (tenant_id, staff_id) references staff (tenant_id, id),
  constraint payments_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id)
);
create index payments_order_idx on payments (tenant_id, order_id, created_at);
-- At most one open Stripe payment per order and kind: starting payment again returns it.
create unique index payments_open_key on payments (tenant_id, order_id, kind)
  where channel = 'stripe' and status in ('pending', 'failed');
-- At most one cash record waiting for the customer per order.
create unique index payments_cash_open_key on payments (tenant_id, order_id)
  where channel = 'cash' and status = 'awaiting_confirmation';
select doorstep_tenant_table('payments');

create table refunds (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  payment_id       uuid not null,
  order_id         uuid not null,
  amount           bigint not null check (amount > 0),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  reason           text not null check (length(reason) between 1 and 500),
  -- api: a store or finance decision; cancellation: the customer's cancellation rules;
  -- late_payment: a payment that arrived after the order was cancelled; stripe: made outside Doorstep.
  source           text not null check (source in ('api', 'cancellation', 'late_payment', 'stripe')),
  status           text not null check (status in ('pending', 'succeeded', 'failed')),
  idempotency_key  text not null check (length(idempotency_key) between 1 and 200),
  request_key      text check (request_key is null or length(request_key) between 1 and 200),
  stripe_refund_id text not null default '',
  failure_reason   text not null default '',
  ledger_tx_id     uuid,
  reversal_tx_id   uuid,
  created_by       text not null default '',
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint refunds_key unique (tenant_id, idempotency_key),
  constraint refunds_request_key unique (tenant_id, payment_id, request_key),
  constraint refunds_payment_fk foreign key (tenant_id, payment_id) references payments (tenant_id, id),
  constraint refunds_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id),
  constraint refunds_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id),
  constraint refunds_reversal_fk foreign key (tenant_id, reversal_tx_id) references ledger_transactions (tenant_id, id)
);
create index refunds_payment_idx on refunds (tenant_id, payment_id, created_at);
create index refunds_order_idx on refunds (tenant_id, order_id, created_at);
create unique index refunds_stripe_key on refunds (tenant_id, stripe_refund_id) where source = 'stripe';
select doorstep_tenant_table('refunds');

-- Verified Stripe events, one row per event ID (the unique key drops duplicate deliveries),
-- kept in the tenant named by the event's signed metadata; processed through the outbox.
create table payment_webhook_events (
  tenant_id     uuid not null references tenants (id),
  event_id      text not null check (length(event_id) between 1 and 255),
  type          text not null check (length(type) between 1 and 100),
  payload       jsonb not null,
  received_at   timestamptz not null default now(),
  processed_at  timestamptz,
  outcome       text not null default '' check (length(outcome) <= 500),
  primary key (tenant_id, event_id)
);
select doorstep_tenant_table('payment_webhook_events');

-- +goose Down
drop table payment_webhook_events;
drop table refunds;
drop table payments;
drop table payment_settings;
