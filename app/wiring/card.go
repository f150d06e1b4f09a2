package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/card"
	"doorstep/app/card/cardapi"
	"doorstep/app/card/carddb"
	"doorstep/app/kit/clock"
	"doorstep/app/org/orgdb"
)

// wireCard builds prepaid cards (products, purchases through Stripe, redemptions, adjustments,
// expiry) and registers their API. The card service is the payment area's IntentHandler for
// payment.PurposeCardPurchase (registered where the webhook dispatch is wired).
func (a *App) wireCard(api huma.API) {
	a.Card = card.NewService(card.Deps{DB: a.DB, Repo: carddb.New(a.DB), StoresOf: orgdb.New(a.DB).StoresOfFranchisee, Ledger: a.Ledger, Gateway: a.Gateway, Audit: a.Audit,
		Outbox: a.Outbox, Clock: clock.System{}})
	cardapi.Register(api, a.Card)
}

// cardTasks registers the area's job handlers.
func (w *Worker) cardTasks(mux *asynq.ServeMux) { w.a.Card.RegisterTasks(mux) }

// cardPeriodic registers the area's periodic tasks.
func cardPeriodic(s *asynq.Scheduler) error { return card.RegisterPeriodic(s) }
