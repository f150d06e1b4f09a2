package main

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
)

// TestLedgerCheckCommand runs the real binary: consistent books pass; a cached balance that
// differs from its postings is printed and fails the command.
func TestLedgerCheckCommand(t *testing.T) {
	d := dbtest.New(t)
	_, ropt := dbtest.Redis(t)
	env := []string{"DATABASE_URL=" + d.OwnerURL, "APP_DATABASE_URL=" + d.AppURL,
		fmt.Sprintf("REDIS_URL=redis://%s/%d", ropt.Addr, ropt.DB), "BASE_DOMAIN=doorstep.test", "LOG_LEVEL=warn"}
	out, err := child(t, env, "tenant", "create", "--name", "Books", "--slug", "books", "--owner-email", "owner@books.test", "--owner-password", "books owner password").CombinedOutput()
	require.NoError(t, err, string(out))

	out, err = child(t, env, "ledger", "check").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "consistent")

	require.NoError(t, d.Owner.Exec(`insert into ledger_accounts (tenant_id, id, owner_kind, owner_id, purpose, asset, non_negative, balance)
		select id, gen_random_uuid(), 'hq', '00000000-0000-0000-0000-000000000000', 'revenue', 'CNY', false, 5 from tenants where slug = 'books'`).Error)
	out, err = child(t, env, "ledger", "check").CombinedOutput()
	require.Error(t, err, "a mismatch fails the command")
	require.Regexp(t, regexp.MustCompile(`mismatch: tenant [0-9a-f-]{36}: balance .*cached=5 computed=0`), string(out))
	require.Contains(t, string(out), "1 mismatches")
}
