// Package notify owns outgoing messages to people and systems: rendering message templates in
// the recipient's language (zh-CN, en), the senders that deliver them (log, webhook, SMTP
// e-mail, the in-app inbox, and a router choosing among them by channel), and the notify:send
// task through which the rest of the application sends them after its transaction commits.
package notify

import (
	"context"

	"github.com/google/uuid"
)

// Channels a message can go out on.
const (
	ChannelSMS     = "sms"
	ChannelEmail   = "email"
	ChannelInApp   = "inapp"
	ChannelWebhook = "webhook"
)

// Locales templates exist in. DefaultLocale is used for anything else.
const (
	LocaleZhCN    = "zh-CN"
	LocaleEn      = "en"
	DefaultLocale = LocaleZhCN
)

// Message is what a caller asks to send: a template and its parameters, for one recipient.
type Message struct {
	Channel  string            `json:"channel"`  // ChannelSMS, ChannelEmail, ChannelInApp or ChannelWebhook
	To       string            `json:"to"`       // E.164 phone, e-mail address, in-app recipient (see ParseRecipient) or URL, by channel
	Locale   string            `json:"locale"`   // LocaleZhCN or LocaleEn; others fall back to DefaultLocale
	Template string            `json:"template"` // message id in the locale files, e.g. "login_code"
	Params   map[string]string `json:"params,omitempty"`
	// Data is machine-readable context kept with an in-app message and sent to a webhook,
	// e.g. {"order_id": "…", "link": "/orders/…"}. Templates do not see it.
	Data map[string]string `json:"data,omitempty"`
}

// Rendered is a message with its text filled in.
type Rendered struct {
	Message
	Subject string `json:"subject,omitempty"` // for channels that have one (e-mail, in-app)
	Body    string `json:"body"`
	// DeliveryID is the same on every attempt to send this message (the notify:send task id,
	// i.e. the outbox id): the idempotency key senders hand to providers.
	DeliveryID string `json:"delivery_id,omitempty"`
}

// Sender delivers a rendered message for a tenant. An error is retried unless it wraps
// asynq.SkipRetry.
type Sender interface {
	Send(ctx context.Context, tenantID uuid.UUID, r Rendered) error
}
