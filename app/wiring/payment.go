package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/payment"
	"doorstep/app/payment/paymentapi"
	"doorstep/app/payment/paymentdb"
)

// wirePayment builds payments (intents, cash, stored value, refunds, Stripe's webhook) and
// registers their API. Other money areas hand their hooks to a.Payment at merge:
// RegisterIntentHandler (prepaid cards), AddRefundHook and AddPaidHook (commission),
// RegisterEventHandler and AddTenantResolver (payouts).
func (a *App) wirePayment(api huma.API) {
	a.Payment = payment.NewService(payment.Deps{DB: a.DB, Repo: paymentdb.New(a.DB), Ledger: a.Ledger, Gateway: a.Gateway,
		Orders: a.Booking, Outbox: a.Outbox, Clock: clock.System{}, WebhookSecret: a.Cfg.StripeWebhookKey, Log: a.Log})
	paymentapi.Register(api, a.Payment)
}

// paymentTasks registers the area's job handlers.
func (w *Worker) paymentTasks(mux *asynq.ServeMux) { w.a.Payment.RegisterTasks(mux) }

// paymentPeriodic registers the area's periodic tasks.
func paymentPeriodic(s *asynq.Scheduler) error { return payment.RegisterPeriodic(s) }
