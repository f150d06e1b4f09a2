-- +goose Up
-- Bank payouts (docs/money.md, Stripe): Stripe pays a connected account's balance out to its
-- owner's bank on its own schedule and reports it as payout.* events carrying the connected
-- account's id. One row per Stripe payout, for the owner to see; nothing is posted (the money
-- left Doorstep's books with the transfer to the connected account). status only moves forward:
-- pending/in_transit → paid | failed | canceled, and failed may follow paid.
create table bank_payouts (
  tenant_id         uuid not null references tenants (id),
  id                uuid not null,
  stripe_payout_id  text not null check (stripe_payout_id ~ '^po_[A-Za-z0-9_]{1,100}$'),
  account_id        uuid not null,
  amount            bigint not null check (amount >= 0),
  currency          text not null check (currency ~ '^[A-Z]{3}$'),
  status            text not null check (status in ('pending', 'in_transit', 'paid', 'failed', 'canceled')),
  arrival_date      date,
  failure_code      text not null default '' check (length(failure_code) <= 100),
  failure_message   text not null default '' check (length(failure_message) <= 500),
  stripe_updated_at timestamptz not null,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint bank_payouts_stripe_key unique (tenant_id, stripe_payout_id),
  constraint bank_payouts_account_fk foreign key (tenant_id, account_id) references payout_accounts (tenant_id, id)
);
create index bank_payouts_account_idx on bank_payouts (tenant_id, account_id, created_at desc);
select doorstep_tenant_table('bank_payouts', 'select, insert, update');

-- A platform table: which tenant a connected account belongs to. payout.* events name only the
-- connected account (their object carries no tenant metadata), and the webhook must find the
-- tenant before any tenant is set, so this lookup cannot sit behind the tenant policy (like
-- tenant_domains for hosts). Written when an account's Stripe id is recorded; never updated.
create table stripe_connected_accounts (
  stripe_account_id  text primary key check (stripe_account_id ~ '^acct_[A-Za-z0-9]{1,100}$'),
  tenant_id          uuid not null references tenants (id) on delete cascade,
  created_at         timestamptz not null default now()
);
create index stripe_connected_accounts_tenant_idx on stripe_connected_accounts (tenant_id);
grant select, insert on stripe_connected_accounts to doorstep_app;

-- Accounts recorded before this migration. payout_accounts forces row-level security, so this
-- sees them only when the migrator bypasses it (a superuser, as in dev and tests); otherwise an
-- account is mapped when its next account.updated event is handled.
insert into stripe_connected_accounts (stripe_account_id, tenant_id)
select stripe_account_id, tenant_id from payout_accounts where stripe_account_id is not null
on conflict do nothing;

-- +goose Down
drop table stripe_connected_accounts;
drop table bank_payouts;
