-- +goose Up
-- A payment that takes an order past its total (two ways of paying raced: a PaymentIntent paid
-- after a visit covered the order, a cash record confirmed after the order was paid) has its
-- excess refunded at once; such refunds say so.
alter table refunds drop constraint refunds_source_check;
alter table refunds add constraint refunds_source_check
  check (source in ('api', 'cancellation', 'late_payment', 'overpayment', 'stripe'));

-- +goose Down
alter table refunds drop constraint refunds_source_check;
alter table refunds add constraint refunds_source_check
  check (source in ('api', 'cancellation', 'late_payment', 'stripe'));
