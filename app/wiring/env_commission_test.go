package wiring_test

import (
	"sync"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/commission"
	"doorstep/app/ledger"
)

// commissionObjects are a fixture's real rule version and split, for the route walk.
type commissionObjects struct {
	RulesID    uuid.UUID // the published version
	OrderID    uuid.UUID // the review fixture's completed order, paid and split
	LedgerTxID uuid.UUID // its commission.split transaction
}

var commissionFixtures sync.Map // *fixture → *commissionObjects

func commissionOf(f *fixture) *commissionObjects {
	v, _ := commissionFixtures.Load(f)
	return v.(*commissionObjects)
}

// seedCommission publishes rules, pays f's completed order (a card payment posted as
// docs/money.md says) and splits it (called from seedObjects, after seedReview).
func (e *env) seedCommission(f *fixture) {
	ctx := hqContext(f)
	r, err := e.app.Commission.Publish(ctx, commission.NewRules{PlatformFeeBP: 1000, RoyaltyBP: 500,
		StaffLines: []commission.StaffLine{{LevelID: f.StaffLevelID, Kind: commission.StaffPercent, Value: 2000}}})
	require.NoError(e.t, err)
	o := &commissionObjects{RulesID: r.ID, OrderID: reviewOf(f).OrderID}
	_, err = e.app.Ledger.Post(ctx, ledger.Transaction{Kind: "payment.card", Ref: ledger.Ref{Kind: "order", ID: o.OrderID},
		Key: "payment:" + o.OrderID.String() + ":succeeded", Entries: []ledger.Entry{
			{Account: ledger.External().Account(ledger.Clearing, f.Tenant.Currency), Amount: -12000},
			{Account: ledger.HQ().Account(ledger.OrderFunds, f.Tenant.Currency), Amount: 12000}}})
	require.NoError(e.t, err)
	require.NoError(e.t, e.app.Commission.OrderPaid(ctx, o.OrderID))
	_, err = e.app.Commission.Split(ctx, o.OrderID)
	require.NoError(e.t, err)
	sp, err := e.app.Commission.SplitOf(ctx, o.OrderID)
	require.NoError(e.t, err)
	o.LedgerTxID = sp.LedgerTxID
	commissionFixtures.Store(f, o)
	f.Secrets = append(f.Secrets, o.RulesID.String(), o.LedgerTxID.String())
}
