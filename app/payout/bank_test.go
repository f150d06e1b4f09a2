package payout_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/payout"
)

func TestBankStatusOnlyMovesForward(t *testing.T) {
	t.Parallel()
	all := []payout.BankStatus{payout.BankPending, payout.BankInTransit, payout.BankPaid, payout.BankFailed, payout.BankCanceled}
	allowed := map[[2]payout.BankStatus]bool{
		{payout.BankPending, payout.BankInTransit}: true, {payout.BankPending, payout.BankPaid}: true,
		{payout.BankPending, payout.BankFailed}: true, {payout.BankPending, payout.BankCanceled}: true,
		{payout.BankInTransit, payout.BankPaid}: true, {payout.BankInTransit, payout.BankFailed}: true,
		{payout.BankInTransit, payout.BankCanceled}: true,
		{payout.BankPaid, payout.BankFailed}:        true, // the bank returned it
	}
	for _, from := range all {
		for _, to := range all {
			require.Equal(t, allowed[[2]payout.BankStatus{from, to}], to.Follows(from), "%s → %s", from, to)
		}
	}
}
