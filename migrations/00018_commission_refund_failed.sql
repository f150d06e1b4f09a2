-- +goose Up
-- A refund that fails (Stripe refuses it, or fails it after it succeeded) no longer counts for
-- commission: the clawback it caused is given back by a compensating posting
-- (commission.clawback.reversal, docs/money.md), and a refund seen before the split stops
-- lowering it. Refunds seen before the split are now attached to it when it is made.
alter table commission_refunds
  add column failed_at timestamptz,
  add column reversal_tx_id uuid,
  add constraint commission_refunds_reversal_fk foreign key (tenant_id, reversal_tx_id) references ledger_transactions (tenant_id, id),
  add constraint commission_refunds_reversal_check check (reversal_tx_id is null or failed_at is not null);

-- +goose Down
alter table commission_refunds
  drop constraint commission_refunds_reversal_check,
  drop constraint commission_refunds_reversal_fk,
  drop column reversal_tx_id,
  drop column failed_at;
