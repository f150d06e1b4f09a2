-- +goose Up
-- Capacity holds (docs/capacity.md): availability and booking read the live orders nobody is
-- assigned to yet whose visits overlap a window. This partial index keeps that read bounded by
-- the window (tenant first, as every key here), whatever the number of older orders.
create index orders_hold_during_idx on orders using gist (tenant_id, tstzrange(starts_at, ends_at))
  where status in ('pending_payment', 'confirmed', 'rework');

-- +goose Down
drop index orders_hold_during_idx;
