package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/notify"
	"doorstep/app/notify/notifyapi"
	"doorstep/app/notify/notifydb"
)

// senders builds the in-app inbox and the sender the notify:send task delivers through: a
// router sending in-app messages to the inbox, e-mail over SMTP when SMTP_ADDR is set, and
// everything else (SMS, webhook, e-mail without SMTP) to the webhook when WEBHOOK_URL is set,
// else to the log. A test's override takes every channel but the inbox, so its messages
// still land in the database and can be read through the API.
func (a *App) senders(override notify.Sender, clk clock.Clock) (notify.Sender, error) {
	a.Inbox = notify.NewInbox(a.DB, notifydb.New(a.DB), clk)
	fallback := override
	switch {
	case fallback != nil:
	case a.Cfg.WebhookURL != "":
		fallback = notify.NewWebhookSender(a.Cfg.WebhookURL, a.Cfg.WebhookSecret, nil, clk)
	default:
		fallback = notify.NewLogSender(a.Log)
	}
	r := notify.NewRouter(fallback).Route(notify.ChannelInbox, a.Inbox)
	if override == nil && a.Cfg.SMTPAddr != "" {
		s, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: a.Cfg.SMTPAddr, From: a.Cfg.SMTPFrom,
			Username: a.Cfg.SMTPUsername, Password: a.Cfg.SMTPPassword}, clk)
		if err != nil {
			return nil, err
		}
		r.Route(notify.ChannelEmail, s)
	}
	return r, nil
}

// wireInbox registers the in-app inbox's API (the inbox itself is built with the senders).
func (a *App) wireInbox(api huma.API) { notifyapi.Register(api, a.Inbox) }

// inboxTasks registers the area's job handlers: none, the inbox is filled by notify:send.
func (w *Worker) inboxTasks(mux *asynq.ServeMux) {}

// inboxPeriodic registers the area's periodic tasks: none.
func inboxPeriodic(s *asynq.Scheduler) error { return nil }
