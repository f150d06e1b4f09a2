-- +goose Up
-- One row per outgoing message (its delivery id: the notify:send task id, which is the outbox
-- id), so a redelivered or concurrently re-run task does not send it again. The sender claims
-- the row (status 'sending' until lease_until) before calling the provider and marks it 'sent'
-- in its own transaction right after the provider accepts; 'failed' lets the next attempt
-- claim it at once. The in-app inbox does not use it: its insert is already deduplicated in
-- the same transaction (inbox_messages.dedupe_key).
create table notify_deliveries (
  tenant_id    uuid not null references tenants (id),
  id           text not null check (length(id) between 1 and 100),
  channel      text not null check (channel ~ '^[a-z]{1,20}$'),
  status       text not null check (status in ('sending', 'sent', 'failed')),
  attempts     integer not null default 1 check (attempts >= 1),
  claimed_at   timestamptz not null,
  lease_until  timestamptz,
  sent_at      timestamptz,
  last_error   text not null default '' check (length(last_error) <= 500),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint notify_deliveries_sent check ((status = 'sent') = (sent_at is not null)),
  constraint notify_deliveries_lease check ((status = 'sending') = (lease_until is not null))
);
-- For a retention sweep (rows only matter while a task with the same id can still run).
create index notify_deliveries_created_idx on notify_deliveries (tenant_id, created_at);
select doorstep_tenant_table('notify_deliveries');

-- +goose Down
drop table notify_deliveries;
