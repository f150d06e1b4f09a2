-- +goose Up
-- The double-entry ledger (DESIGN.md, Money). Every movement of money, stored value, points or
-- visits is one ledger_transactions row with two or more ledger_postings whose amounts sum to
-- zero per asset. An account's balance is the sum of its postings, cached on the account and
-- updated in the posting's transaction; accounts flagged non_negative can never go below zero
-- (the check constraint decides, under the row lock the update takes). Transactions and
-- postings are append-only: the application role may only select and insert them, and a
-- trigger refuses updates and deletes from anyone else. Corrections are reversing transactions.

-- Accounts are keyed by owner, purpose and asset. owner_id is the nil UUID for the tenant's HQ,
-- the platform (the SaaS owner's share inside this tenant's books) and the outside world.
create table ledger_accounts (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null,
  owner_kind    text not null check (owner_kind in ('platform', 'hq', 'franchisee', 'store', 'staff', 'customer', 'external')),
  owner_id      uuid not null,
  purpose       text not null check (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
  asset         text not null check (asset ~ '^([A-Z]{3}|stored_value|points|visits)$'),
  non_negative  boolean not null,
  balance       bigint not null default 0,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint ledger_accounts_owner_key unique (tenant_id, owner_kind, owner_id, purpose, asset),
  constraint ledger_accounts_non_negative check (not non_negative or balance >= 0)
);
select doorstep_tenant_table('ledger_accounts', 'select, insert, update');

create table ledger_transactions (
  tenant_id        uuid not null references tenants (id),
  id               uuid not null,
  kind             text not null check (kind ~ '^[a-z][a-z0-9_.]{0,59}$'),
  ref_kind         text not null default '' check (length(ref_kind) <= 40),
  ref_id           uuid,
  idempotency_key  text not null check (length(idempotency_key) between 1 and 200),
  reverses_id      uuid,
  memo             text not null default '' check (length(memo) <= 500),
  created_by       text not null default '',
  created_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint ledger_transactions_key unique (tenant_id, idempotency_key),
  constraint ledger_transactions_reverses_key unique (tenant_id, reverses_id),
  constraint ledger_transactions_reverses_fk foreign key (tenant_id, reverses_id) references ledger_transactions (tenant_id, id)
);
create index ledger_transactions_ref_idx on ledger_transactions (tenant_id, ref_kind, ref_id) where ref_id is not null;
create index ledger_transactions_time_idx on ledger_transactions (tenant_id, created_at);
select doorstep_tenant_table('ledger_transactions', 'select, insert');

create table ledger_postings (
  tenant_id       uuid not null references tenants (id),
  transaction_id  uuid not null,
  line            smallint not null check (line >= 0),
  account_id      uuid not null,
  asset           text not null,
  amount          bigint not null check (amount <> 0),
  created_at      timestamptz not null default now(),
  primary key (tenant_id, transaction_id, line),
  constraint ledger_postings_transaction_fk foreign key (tenant_id, transaction_id) references ledger_transactions (tenant_id, id),
  constraint ledger_postings_account_fk foreign key (tenant_id, account_id) references ledger_accounts (tenant_id, id)
);
create index ledger_postings_account_idx on ledger_postings (tenant_id, account_id, created_at);
select doorstep_tenant_table('ledger_postings', 'select, insert');

-- +goose StatementBegin
create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger rows are append-only: % on % refused', tg_op, tg_table_name
    using errcode = 'restrict_violation';
end
$$;
-- +goose StatementEnd
create trigger ledger_transactions_append_only before update or delete on ledger_transactions
  for each row execute function ledger_append_only();
create trigger ledger_postings_append_only before update or delete on ledger_postings
  for each row execute function ledger_append_only();

-- A transaction's postings must sum to zero per asset and their asset must be their account's;
-- checked at commit (deferred), once per transaction row, so a bug in any caller cannot commit
-- an unbalanced transaction.
-- +goose StatementBegin
create function ledger_check_balanced() returns trigger language plpgsql as $$
declare
  bad record;
begin
  select p.asset, sum(p.amount) as total into bad
    from ledger_postings p
   where p.tenant_id = new.tenant_id and p.transaction_id = new.id
   group by p.asset having sum(p.amount) <> 0 limit 1;
  if found then
    raise exception 'ledger transaction % does not balance in %: %', new.id, bad.asset, bad.total
      using errcode = 'check_violation', constraint = 'ledger_transaction_balanced';
  end if;
  if (select count(*) from ledger_postings p where p.tenant_id = new.tenant_id and p.transaction_id = new.id) < 2 then
    raise exception 'ledger transaction % has fewer than two postings', new.id
      using errcode = 'check_violation', constraint = 'ledger_transaction_balanced';
  end if;
  if exists (select 1 from ledger_postings p join ledger_accounts a on a.tenant_id = p.tenant_id and a.id = p.account_id
              where p.tenant_id = new.tenant_id and p.transaction_id = new.id and a.asset <> p.asset) then
    raise exception 'ledger transaction % posts an amount in another asset than its account''s', new.id
      using errcode = 'check_violation', constraint = 'ledger_transaction_balanced';
  end if;
  return null;
end
$$;
-- +goose StatementEnd
create constraint trigger ledger_transactions_balanced after insert on ledger_transactions
  deferrable initially deferred for each row execute function ledger_check_balanced();

-- +goose Down
drop table ledger_postings;
drop table ledger_transactions;
drop table ledger_accounts;
drop function ledger_check_balanced();
drop function ledger_append_only();
