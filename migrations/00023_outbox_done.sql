-- +goose Up
-- PostgreSQL is the source of truth for work to do (README "Background jobs"). An outbox row
-- stays open until its handler has finished, or failed for good (done_at, with last_error);
-- handing it to asynq (enqueued_at) only starts a lease. The relay hands a delayed row to
-- asynq shortly before it is due, and hands any open row whose lease ran out to asynq again
-- under the same task id, so what a Redis without persistence loses costs time, never work.
alter table outbox add column done_at timestamptz;

-- Rows waiting to be handed to asynq, in the order they fall due: rows without process_at
-- (due at once; created_at comes from the application's clock, so it is no due time) first,
-- oldest first, then delayed rows by due time. Replaces outbox_pending_idx, which ordered
-- far-future delayed rows among the ones due now.
drop index outbox_pending_idx;
create index outbox_due_idx on outbox (tenant_id, coalesce(process_at, '-infinity'), created_at) where enqueued_at is null;
-- Rows handed to asynq and not finished, by the start of their lease: the later of when they
-- were (last) handed over and when they are due.
create index outbox_open_idx on outbox (tenant_id, greatest(enqueued_at, process_at))
  where enqueued_at is not null and done_at is null;
-- Finished rows, for the cleanup.
create index outbox_done_idx on outbox (tenant_id, done_at) where done_at is not null;

-- Rows relayed before this migration whose time has come ran (or were lost) under the old
-- rules: they are closed, so their tasks are not run again. Delayed rows not yet due stay open
-- and are covered from now on. The outbox forces row-level security, so this runs as each
-- tenant in turn, which also works for a migrator that does not bypass it.
-- +goose StatementBegin
do $$
declare t uuid;
begin
  for t in select id from tenants loop
    perform set_config('app.tenant_id', t::text, true);
    update outbox set done_at = enqueued_at
      where tenant_id = t and enqueued_at is not null and (process_at is null or process_at <= now());
  end loop;
  perform set_config('app.tenant_id', '', true);
end
$$;
-- +goose StatementEnd

-- +goose Down
drop index outbox_done_idx;
drop index outbox_open_idx;
drop index outbox_due_idx;
create index outbox_pending_idx on outbox (tenant_id, created_at) where enqueued_at is null;
alter table outbox drop column done_at;
