package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/org/orgdb"
	"doorstep/app/payment"
	"doorstep/app/payment/paymentapi"
	"doorstep/app/payment/paymentdb"
)

// wirePayment builds payments (intents, cash, stored value, refunds, Stripe's webhook) and
// registers their API, then hands it the other money areas (built before it): prepaid cards
// settle their own PaymentIntents and record redeemed visits as payments (which a refund gives
// back), commission splits paid orders and claws back on refunds,
// and payouts hear of Connect account updates, transfer reversals and bank payouts.
func (a *App) wirePayment(api huma.API) {
	a.Payment = payment.NewService(payment.Deps{DB: a.DB, Repo: paymentdb.New(a.DB), StoresOf: orgdb.New(a.DB).StoresOfFranchisee, Ledger: a.Ledger, Gateway: a.Gateway,
		Orders: a.Booking, Outbox: a.Outbox, Clock: clock.System{}, WebhookSecret: a.Cfg.StripeWebhookKey, Log: a.Log})
	a.Payment.RegisterIntentHandler(payment.PurposeCardPurchase, a.Card)
	a.Card.SetPayments(a.Payment)           // a visit redeemed is the order's payment
	a.Payment.RegisterVisitReturner(a.Card) // refunding it gives the visit back
	a.Payment.AddPaidHook(a.Commission)
	a.Payment.AddRefundHook(a.Commission)
	a.Payment.RegisterEventHandler(a.Payout)
	a.Payment.AddTenantResolver(a.Payout) // payout.* events name only the connected account
	a.Booking.SetCancelHook(a.Payment)
	paymentapi.Register(api, a.Payment)
}

// paymentTasks registers the area's job handlers.
func (w *Worker) paymentTasks(mux *asynq.ServeMux) { w.a.Payment.RegisterTasks(mux) }

// paymentPeriodic registers the area's periodic tasks.
func paymentPeriodic(s *asynq.Scheduler) error { return payment.RegisterPeriodic(s) }
