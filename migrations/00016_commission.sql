-- +goose Up
-- Commission (F8.3): versioned rules, the split of each completed and paid order into shares
-- (posted to the ledger as pending), settlement after the tenant's holding period, and
-- clawbacks on refunds. docs/money.md has the postings.

-- The tenant's holding period: a split made on local day D is released on day D + holding_days.
create table commission_settings (
  tenant_id     uuid not null references tenants (id),
  singleton     boolean not null default true check (singleton),
  holding_days  int not null default 7 check (holding_days between 0 and 90),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, singleton)
);
select doorstep_tenant_table('commission_settings');

-- One published version of the rules. Versions are immutable (the application may only
-- insert them); an order is split by the version in effect when it was completed.
create table commission_rule_versions (
  tenant_id            uuid not null references tenants (id),
  id                   uuid not null,
  version              int not null check (version >= 1),
  effective_from       timestamptz not null,
  platform_fee_bp      int not null check (platform_fee_bp between 0 and 10000),
  royalty_bp           int not null check (royalty_bp between 0 and 10000),
  marketplace_take_bp  int not null check (marketplace_take_bp between 0 and 10000),
  -- Staff lines: [{service_id, category_id, level_id, staff_id, kind, value, bonus_bp, bonus_min_rating}].
  staff_lines          jsonb not null default '[]' check (jsonb_typeof(staff_lines) = 'array' and jsonb_array_length(staff_lines) <= 200),
  note                 text not null default '' check (length(note) <= 500),
  created_by           text not null,
  created_at           timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint commission_rule_versions_version_key unique (tenant_id, version),
  constraint commission_rule_versions_shares check (platform_fee_bp + royalty_bp + marketplace_take_bp <= 10000)
);
create index commission_rule_versions_effective_idx on commission_rule_versions (tenant_id, effective_from desc, version desc);
select doorstep_tenant_table('commission_rule_versions', 'select, insert');

-- Orders recorded as fully paid (payment's PaidHook): a split needs the order paid and completed.
create table commission_paid_orders (
  tenant_id  uuid not null references tenants (id),
  order_id   uuid not null,
  paid_at    timestamptz not null default now(),
  primary key (tenant_id, order_id),
  constraint commission_paid_orders_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('commission_paid_orders');

-- One split per order: the order value T taken from HQ's order funds, and its shares (lines).
create table commission_splits (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  order_id         uuid not null,
  rule_version_id  uuid,             -- null: no rules were published; everything went to the store's owner
  store_id         uuid not null,
  franchisee_id    uuid,
  staff_id         uuid,
  total            bigint not null check (total > 0),
  refunded         bigint not null default 0 check (refunded >= 0 and refunded <= total),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  status           text not null default 'pending' check (status in ('pending', 'settled')),
  ledger_tx_id     uuid not null,
  settle_tx_id     uuid,
  created_at       timestamptz not null default now(),
  settled_at       timestamptz,
  primary key (tenant_id, id),
  constraint commission_splits_order_key unique (tenant_id, order_id),
  constraint commission_splits_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id),
  constraint commission_splits_rule_fk foreign key (tenant_id, rule_version_id) references commission_rule_versions (tenant_id, id),
  constraint commission_splits_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id),
  constraint commission_splits_settle_fk foreign key (tenant_id, settle_tx_id) references ledger_transactions (tenant_id, id),
  constraint commission_splits_settled check ((status = 'settled') = (settled_at is not null))
);
create index commission_splits_pending_idx on commission_splits (tenant_id, status, created_at);
select doorstep_tenant_table('commission_splits');

-- A split's shares, each explained: whose, how much, by which rule line and rate.
create table commission_split_lines (
  tenant_id    uuid not null references tenants (id),
  split_id     uuid not null,
  line         smallint not null check (line >= 0),
  party        text not null check (party in ('platform', 'hq', 'franchisee', 'staff')),
  owner_id     uuid,
  share        text not null check (share in ('platform_fee', 'royalty', 'staff_commission', 'marketplace_provider', 'franchisee_share', 'hq_share')),
  basis        text not null check (basis in ('percent', 'fixed', 'remainder')),
  rate_bp      int not null default 0 check (rate_bp between 0 and 10000),
  bonus_bp     int not null default 0 check (bonus_bp between 0 and 10000),
  fixed        bigint not null default 0 check (fixed >= 0),
  rule_line    int check (rule_line is null or rule_line >= 0),
  capped       boolean not null default false,
  amount       bigint not null check (amount >= 0),
  clawed_back  bigint not null default 0 check (clawed_back >= 0 and clawed_back <= amount),
  primary key (tenant_id, split_id, line),
  constraint commission_split_lines_split_fk foreign key (tenant_id, split_id) references commission_splits (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('commission_split_lines');

-- Refunds of orders seen by the clawback (payment's RefundHook), once per refund: before the
-- split they reduce the value split; after it they claw back their share.
create table commission_refunds (
  tenant_id     uuid not null references tenants (id),
  refund_id     uuid not null,
  order_id      uuid not null,
  amount        bigint not null check (amount > 0),
  split_id      uuid,
  ledger_tx_id  uuid,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, refund_id),
  constraint commission_refunds_order_fk foreign key (tenant_id, order_id) references orders (tenant_id, id),
  constraint commission_refunds_split_fk foreign key (tenant_id, split_id) references commission_splits (tenant_id, id),
  constraint commission_refunds_ledger_fk foreign key (tenant_id, ledger_tx_id) references ledger_transactions (tenant_id, id)
);
create index commission_refunds_order_idx on commission_refunds (tenant_id, order_id);
select doorstep_tenant_table('commission_refunds');

-- +goose Down
drop table commission_refunds;
drop table commission_split_lines;
drop table commission_splits;
drop table commission_paid_orders;
drop table commission_rule_versions;
drop table commission_settings;
