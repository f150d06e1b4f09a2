package notify

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// Router is a Sender that hands each message to the sender of its channel, or to a fallback.
// Wiring routes ChannelInApp to the Inbox, ChannelEmail to SMTP when configured, and the rest
// (SMS, webhook) to the webhook or log sender.
type Router struct {
	routes   map[string]Sender
	fallback Sender
}

// NewRouter returns a router sending channels without a route to fallback (which may be nil:
// then such messages fail without retry).
func NewRouter(fallback Sender) *Router {
	return &Router{routes: map[string]Sender{}, fallback: fallback}
}

// Route sends channel's messages to s; a nil s leaves the channel to the fallback.
func (r *Router) Route(channel string, s Sender) *Router {
	if s != nil {
		r.routes[channel] = s
	}
	return r
}

// Send delivers m through its channel's sender.
func (r *Router) Send(ctx context.Context, tenantID uuid.UUID, m Rendered) error {
	s, ok := r.routes[m.Channel]
	if !ok {
		s = r.fallback
	}
	if s == nil {
		return fmt.Errorf("notify: no sender for channel %q: %w", m.Channel, asynq.SkipRetry)
	}
	return s.Send(ctx, tenantID, m)
}
