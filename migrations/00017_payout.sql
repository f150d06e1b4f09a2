-- +goose Up
-- Payouts (docs/money.md): Stripe Connect Express accounts of staff members and franchisees,
-- the tenant's withdrawal rules, withdrawal requests and their status history. The money itself
-- lives in the ledger (Owner/available → Owner/withdrawing → External/clearing); every row here
-- that moved money stores its ledger transaction.

-- One row per tenant: minimum amount, fee (fixed plus basis points) and the daily limit per
-- owner, in the tenant's currency (minor units); the day is the tenant's time zone's.
create table payout_settings (
  tenant_id    uuid not null references tenants (id),
  singleton    boolean not null default true check (singleton),
  min_amount   bigint not null default 1000 check (min_amount between 1 and 100000000000),
  fee_fixed    bigint not null default 0 check (fee_fixed between 0 and 100000000),
  fee_bp       int    not null default 0 check (fee_bp between 0 and 5000),
  daily_limit  bigint not null default 5000000 check (daily_limit between 1 and 100000000000),
  updated_by   text not null default '',
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, singleton)
);
select doorstep_tenant_table('payout_settings');

-- A staff member's or franchisee's connected account. idempotency_key is saved before the
-- account is created at Stripe, so a retry after a crash creates no second account. state
-- follows Stripe's account.updated events (stripe_updated_at orders them).
create table payout_accounts (
  tenant_id          uuid not null references tenants (id),
  id                 uuid not null,
  owner_kind         text not null check (owner_kind in ('staff', 'franchisee')),
  owner_id           uuid not null,
  idempotency_key    text not null check (length(idempotency_key) between 1 and 200),
  stripe_account_id  text check (stripe_account_id is null or stripe_account_id ~ '^acct_[A-Za-z0-9]{1,100}$'),
  state              text not null default 'pending' check (state in ('pending', 'enabled', 'restricted')),
  payouts_enabled    boolean not null default false,
  charges_enabled    boolean not null default false,
  details_submitted  boolean not null default false,
  disabled_reason    text not null default '' check (length(disabled_reason) <= 200),
  stripe_updated_at  timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint payout_accounts_owner_key unique (tenant_id, owner_kind, owner_id),
  constraint payout_accounts_stripe_key unique (tenant_id, stripe_account_id)
);
select doorstep_tenant_table('payout_accounts');

-- A withdrawal: amount W (what leaves available), fee F (to HQ/fees), W−F transferred. The
-- request's ledger posting (payout.request) is in the row's transaction; paid_tx_id is
-- payout.paid, failed_tx_id payout.failed (rejection, definitive transfer failure, or a
-- reversal after payment, which first reverses payout.paid: reversal_tx_id). transfer_key is
-- saved at approval, before the transfer is attempted.
create table withdrawals (
  tenant_id          uuid not null references tenants (id),
  id                 uuid not null,
  owner_kind         text not null check (owner_kind in ('staff', 'franchisee')),
  owner_id           uuid not null,
  account_id         uuid not null,
  amount             bigint not null check (amount > 0),
  fee                bigint not null check (fee >= 0 and fee < amount),
  currency           text not null check (currency ~ '^[A-Z]{3}$'),
  status             text not null check (status in ('requested', 'approved', 'paid', 'failed', 'rejected')),
  local_day          date not null,
  requested_by       uuid not null,
  request_tx_id      uuid not null,
  paid_tx_id         uuid,
  reversal_tx_id     uuid,
  failed_tx_id       uuid,
  transfer_key       text check (transfer_key is null or length(transfer_key) between 1 and 200),
  transfer_id        text check (transfer_id is null or length(transfer_id) <= 200),
  reason             text not null default '' check (length(reason) <= 500),
  decided_by         text not null default '',
  decided_at         timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint withdrawals_account_fk foreign key (tenant_id, account_id) references payout_accounts (tenant_id, id),
  constraint withdrawals_requester_fk foreign key (tenant_id, requested_by) references users (tenant_id, id),
  constraint withdrawals_request_tx_fk foreign key (tenant_id, request_tx_id) references ledger_transactions (tenant_id, id),
  constraint withdrawals_paid_tx_fk foreign key (tenant_id, paid_tx_id) references ledger_transactions (tenant_id, id),
  constraint withdrawals_reversal_tx_fk foreign key (tenant_id, reversal_tx_id) references ledger_transactions (tenant_id, id),
  constraint withdrawals_failed_tx_fk foreign key (tenant_id, failed_tx_id) references ledger_transactions (tenant_id, id),
  constraint withdrawals_paid_check check (status <> 'paid' or (paid_tx_id is not null and transfer_id is not null)),
  constraint withdrawals_failed_check check (status not in ('failed', 'rejected') or failed_tx_id is not null)
);
create index withdrawals_owner_idx on withdrawals (tenant_id, owner_kind, owner_id, created_at desc);
create index withdrawals_day_idx on withdrawals (tenant_id, owner_kind, owner_id, local_day);
create index withdrawals_status_idx on withdrawals (tenant_id, status, created_at desc);
select doorstep_tenant_table('withdrawals');

-- Every step a requester sees: requested, approved, rejected, paid, failed; with time and reason.
create table withdrawal_events (
  tenant_id      uuid not null references tenants (id),
  withdrawal_id  uuid not null,
  seq            int  not null check (seq >= 1),
  status         text not null check (status in ('requested', 'approved', 'paid', 'failed', 'rejected')),
  reason         text not null default '' check (length(reason) <= 500),
  actor          text not null default '',
  at             timestamptz not null default now(),
  primary key (tenant_id, withdrawal_id, seq),
  constraint withdrawal_events_withdrawal_fk foreign key (tenant_id, withdrawal_id) references withdrawals (tenant_id, id) on delete cascade
);
select doorstep_tenant_table('withdrawal_events', 'select, insert');

-- +goose Down
drop table withdrawal_events;
drop table withdrawals;
drop table payout_accounts;
drop table payout_settings;
