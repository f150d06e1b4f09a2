package wiring

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/payout"
	"doorstep/app/payout/payoutapi"
	"doorstep/app/payout/payoutdb"
	"doorstep/app/staff"
)

// wirePayout builds payouts (Connect onboarding, wallets, withdrawals, transfers) on the
// ledger and the gateway (wireLedger runs first) and registers its API. App.Payout is also
// the payment webhook's payment.EventHandler for account.updated and transfer outcomes.
func (a *App) wirePayout(api huma.API) {
	a.Payout = payout.NewService(payout.Deps{DB: a.DB, Repo: payoutdb.New(a.DB), Ledger: a.Ledger, Gateway: a.Gateway, Outbox: a.Outbox,
		Self: payoutSelf{a.Staff}, Clock: clock.System{}})
	payoutapi.Register(api, a.Payout)
}

// payoutTasks registers the area's job handlers.
func (w *Worker) payoutTasks(mux *asynq.ServeMux) { w.a.Payout.RegisterTasks(mux) }

// payoutPeriodic registers the area's periodic tasks.
func payoutPeriodic(s *asynq.Scheduler) error { return payout.RegisterPeriodic(s) }

// payoutSelf tells payouts the caller's staff profile.
type payoutSelf struct{ s *staff.Service }

func (p payoutSelf) MyStaffID(ctx context.Context) (uuid.UUID, error) {
	st, err := p.s.Me(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	return st.ID, nil
}
