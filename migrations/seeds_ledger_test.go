package migrations_test

import (
	"fmt"

	"github.com/google/uuid"
)

// seedLedgerTx posts one balanced transaction (+n, −n on the tenant's n-th account) in one
// statement, since the ledger refuses at commit a transaction without balanced postings.
const seedLedgerTx = `with t as (
	  insert into ledger_transactions (tenant_id, id, kind, idempotency_key, memo) values (?, gen_random_uuid(), 'seed', ?, ?)
	  returning tenant_id, id)
	insert into ledger_postings (tenant_id, transaction_id, line, account_id, asset, amount)
	select t.tenant_id, t.id, l, (select id from ledger_accounts where tenant_id = ? order by purpose offset ? limit 1), 'CNY',
	  case l when 0 then ?::bigint else -(?::bigint) end
	from t, generate_series(0, 1) l`

// ledgerSeeds cover the ledger (migration 00012): one HQ account per row, and transactions of
// two postings each (the postings seed posts a transaction too: postings cannot exist alone).
var ledgerSeeds = []tenantSeed{
	{"ledger_accounts",
		`insert into ledger_accounts (tenant_id, id, owner_kind, owner_id, purpose, asset, non_negative)
		 values (?, gen_random_uuid(), 'hq', '00000000-0000-0000-0000-000000000000', ?, 'CNY', false)`,
		func(tn uuid.UUID, tag string, n int) []any { return []any{tn, fmt.Sprintf("seed%d", n)} }},
	{"ledger_transactions", seedLedgerTx,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s-t%d", tag, n), tag + " entry", tn, n - 1, 100 * n, 100 * n}
		}},
	{"ledger_postings", seedLedgerTx,
		func(tn uuid.UUID, tag string, n int) []any {
			return []any{tn, fmt.Sprintf("%s-p%d", tag, n), tag + " posting", tn, n - 1, 7 * n, 7 * n}
		}},
}
