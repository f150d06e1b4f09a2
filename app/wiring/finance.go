package wiring

import (
	"github.com/danielgtaylor/huma/v2"

	"doorstep/app/finance"
	"doorstep/app/finance/financeapi"
	"doorstep/app/finance/financedb"
	"doorstep/app/org/orgdb"
)

// wireFinance builds the finance reports (read from the ledger) and registers their API.
// Refunds are resolved to their orders through the payment area's tables.
func (a *App) wireFinance(api huma.API) {
	a.Finance = finance.NewService(a.DB, financedb.New(a.DB), financedb.PaymentRefunds{DB: a.DB}, orgdb.New(a.DB).StoresOfFranchisee)
	financeapi.Register(api, a.Finance)
}
