-- +goose Up
-- Idempotency-Key on buying a card, adjusting a card and requesting a withdrawal: the client's
-- key is stored on the business row, unique per requester, so a retry finds the first result
-- (and concurrent retries produce one row: the constraint decides). Keys are 1 to 200 characters.
alter table card_purchases add column request_key text check (request_key is null or length(request_key) between 1 and 200);
-- The PaymentIntent's client secret, so a replayed purchase answers without calling Stripe
-- (as payments.client_secret does for orders).
alter table card_purchases add column client_secret text not null default '';
alter table card_purchases add constraint card_purchases_request_key unique (tenant_id, customer_id, request_key);

alter table card_adjustments add column request_key text check (request_key is null or length(request_key) between 1 and 200);
alter table card_adjustments add constraint card_adjustments_request_key unique (tenant_id, created_by, request_key);

alter table withdrawals add column request_key text check (request_key is null or length(request_key) between 1 and 200);
alter table withdrawals add constraint withdrawals_request_key unique (tenant_id, requested_by, request_key);

-- Partial transfer reversals: the cumulative amount_reversed already returned to the wallet
-- (payout.reversed); a later event posts only what it adds.
alter table withdrawals add column reversed bigint not null default 0 check (reversed >= 0);
alter table withdrawals add constraint withdrawals_reversed_within_net check (reversed <= amount - fee);

-- +goose Down
alter table withdrawals drop constraint withdrawals_reversed_within_net;
alter table withdrawals drop column reversed;
alter table withdrawals drop constraint withdrawals_request_key;
alter table withdrawals drop column request_key;
alter table card_adjustments drop constraint card_adjustments_request_key;
alter table card_adjustments drop column request_key;
alter table card_purchases drop constraint card_purchases_request_key;
alter table card_purchases drop column client_secret;
alter table card_purchases drop column request_key;
