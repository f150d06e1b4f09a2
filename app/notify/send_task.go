package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/jobs"
)

// TypeSend is the task that renders and sends one message.
const TypeSend = "notify:send"

// SendPayload is TypeSend's payload.
type SendPayload struct {
	jobs.Meta
	Message Message `json:"message"`
	// DeliveryID identifies the message when the task runs without an asynq task id (called
	// directly rather than through a server); under asynq the task id (the outbox id) is used.
	DeliveryID string `json:"delivery_id,omitempty"`
}

// TaskType implements jobs.Payload.
func (*SendPayload) TaskType() string { return TypeSend }

// ToInbox is an in-app message of template to recipient to, in locale (DefaultLocale
// when empty), with the template's parameters (names) taken from all; data rides along.
func ToInbox(to, locale, template string, names []string, all, data map[string]string) Message {
	params := make(map[string]string, len(names))
	for _, k := range names {
		params[k] = all[k]
	}
	if locale == "" {
		locale = DefaultLocale
	}
	return Message{Channel: ChannelInbox, To: to, Locale: locale, Template: template, Params: params, Data: data}
}

// Enqueue adds m to the outbox in the transaction carried by ctx, so it is sent only if that
// transaction commits. It renders m once first, so a bad template or missing parameter fails
// the caller's request rather than a job later. SMS (login codes, arrival notices) goes to the
// critical queue, other channels to the default one.
func Enqueue(ctx context.Context, ob *jobs.Outbox, m Message) error {
	if err := validate(m); err != nil {
		return err
	}
	if _, err := Render(m); err != nil {
		return errs.Wrap(err, errs.Internal, "notify_template", "the message could not be prepared")
	}
	queue := jobs.QueueDefault
	if m.Channel == ChannelSMS {
		queue = jobs.QueueCritical
	}
	_, err := ob.Add(ctx, &SendPayload{Message: m}, jobs.Queue(queue))
	return err
}

func validate(m Message) error {
	var v errs.Validation
	switch m.Channel {
	case ChannelSMS, ChannelEmail, ChannelInApp, ChannelWebhook:
	default:
		v.Add("channel", "unknown channel")
	}
	v.Check(m.To != "", "to", "a recipient is required")
	if m.Channel == ChannelInApp && m.To != "" {
		_, err := ParseRecipient(m.To)
		v.Check(err == nil, "to", "an in-app recipient is user:<id>, customer:<id> or store:<id>")
	}
	v.Check(m.Template != "", "template", "a template is required")
	return v.Err()
}

// Handler runs TypeSend tasks.
type Handler struct {
	db          *dbx.DB
	sender      Sender
	deliveries  DeliveryStore
	sendTimeout time.Duration
}

// NewHandler returns a handler delivering through s and recording deliveries in d, so a
// redelivered task does not send its message again (see deliver).
func NewHandler(db *dbx.DB, s Sender, d DeliveryStore) *Handler {
	return &Handler{db: db, sender: s, deliveries: d, sendTimeout: defaultSendTimeout}
}

// Register adds the handler to mux.
func (h *Handler) Register(mux *asynq.ServeMux) { jobs.Handle(mux, h.send) }

// send renders and delivers once per delivery id (see deliver for what "once" can promise).
// A message that cannot be rendered never will be, so it is not retried. Senders pass the
// delivery id on (Rendered.DeliveryID) so a provider can drop what still comes twice.
func (h *Handler) send(ctx context.Context, p *SendPayload) error {
	r, err := Render(p.Message)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	tenant, ok := dbx.TenantID(ctx)
	if !ok {
		return errors.New("notify: no tenant in context") // jobs.Handle guarantees one
	}
	if r.DeliveryID = deliveryID(ctx, p); r.DeliveryID == "" {
		return fmt.Errorf("notify: message without a delivery id: %w", asynq.SkipRetry)
	}
	send := func(ctx context.Context) error { return h.sender.Send(ctx, tenant, r) }
	if !needsRecord(r.Channel) {
		return send(ctx)
	}
	return h.deliver(ctx, r, send)
}
