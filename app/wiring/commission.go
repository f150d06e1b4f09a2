package wiring

import (
	"errors"

	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/commission"
	"doorstep/app/commission/commissionapi"
	"doorstep/app/commission/commissiondb"
	"doorstep/app/kit/clock"
	"doorstep/app/ledger/ledgerapi"
	"doorstep/app/ledger/ledgercheck"
	"doorstep/app/org/orgdb"
)

// wireCommission builds commission (rules, splits, settlement, clawback) and the ledger's read
// API and consistency check. Booking tells commission of completed orders; the payment area's
// PaidHook and RefundHook are a.Commission (handed to payment at wiring).
func (a *App) wireCommission(api huma.API) {
	a.Commission = commission.NewService(commission.Deps{DB: a.DB, Repo: commissiondb.New(a.DB), StoresOf: orgdb.New(a.DB).StoresOfFranchisee, Ledger: a.Ledger, Outbox: a.Outbox,
		Clock: clock.System{}, Log: a.Log})
	a.LedgerCheck = ledgercheck.New(a.DB, a.Ledger, a.Log, a.Registry)
	a.Booking.SetCompletionHook(a.Commission) // completed orders are split once paid, through the outbox
	commissionapi.Register(api, a.Commission)
	ledgerapi.Register(api, a.Ledger)
}

// commissionTasks registers the area's job handlers.
func (w *Worker) commissionTasks(mux *asynq.ServeMux) {
	w.a.Commission.RegisterTasks(mux)
	w.a.LedgerCheck.Register(mux)
}

// commissionPeriodic registers the hourly settlement and the daily ledger check.
func commissionPeriodic(s *asynq.Scheduler) error {
	return errors.Join(commission.RegisterPeriodic(s), ledgercheck.RegisterPeriodic(s))
}
