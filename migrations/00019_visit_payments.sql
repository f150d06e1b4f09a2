-- +goose Up
-- A visit of a visit card redeemed on an order is a payment of the order (channel and method
-- visit_card; its ledger transaction is the card.redeem posting, it posts nothing of its own),
-- and refunding or cancelling the order gives the visit back: the redemption is marked
-- returned with the reversal of its card.redeem posting. One live redemption per order: a
-- returned one no longer blocks the order from taking a visit again.

alter table payments drop constraint payments_channel_check,
  add constraint payments_channel_check check (channel in ('stripe', 'cash', 'stored_value', 'visit_card'));
alter table payments drop constraint payments_method_check,
  add constraint payments_method_check check (method in ('', 'card', 'alipay', 'wechat_pay', 'cash', 'stored_value', 'visit_card'));

alter table card_redemptions add column returned_at timestamptz,
  add column return_tx_id uuid,
  add constraint card_redemptions_return_fk foreign key (tenant_id, return_tx_id) references ledger_transactions (tenant_id, id);
-- the same name as the constraint it replaces: the store maps its violation to order_already_redeemed
alter table card_redemptions drop constraint card_redemptions_order_key;
create unique index card_redemptions_order_key on card_redemptions (tenant_id, order_id) where returned_at is null;

-- +goose Down
-- Refuses (rather than loses money records) once visits were paid or returned.
drop index card_redemptions_order_key;
alter table card_redemptions add constraint card_redemptions_order_key unique (tenant_id, order_id);
alter table card_redemptions drop constraint card_redemptions_return_fk,
  drop column return_tx_id,
  drop column returned_at;
alter table payments drop constraint payments_method_check,
  add constraint payments_method_check check (method in ('', 'card', 'alipay', 'wechat_pay', 'cash', 'stored_value'));
alter table payments drop constraint payments_channel_check,
  add constraint payments_channel_check check (channel in ('stripe', 'cash', 'stored_value'));
