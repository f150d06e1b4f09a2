package gateway

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Tolerance is how old a signed event may be (the signature's timestamp) before it is refused.
const Tolerance = 5 * time.Minute

// Event is a verified webhook event.
type Event struct {
	ID      string
	Type    string // e.g. "payment_intent.succeeded"
	Created time.Time
	Account string          // the connected account for Connect events, else ""
	Object  json.RawMessage // data.object
}

// ErrBadSignature: the event is forged, stale, or signed with another secret.
var ErrBadSignature = errors.New("webhook signature is invalid or too old")

// VerifyEvent checks the Stripe-Signature header over the raw body with secret and returns the
// event. Forged, stale (beyond Tolerance) or wrongly signed payloads are ErrBadSignature.
func VerifyEvent(payload []byte, header, secret string) (Event, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, header, secret, webhook.ConstructEventOptions{
		Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return Event{}, errors.Join(ErrBadSignature, err)
	}
	out := Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0), Account: ev.Account}
	if ev.Data != nil {
		out.Object = ev.Data.Raw
	}
	return out, nil
}

// SignTestPayload signs payload as Stripe would at time at, for tests and local tools. It
// returns the Stripe-Signature header value.
func SignTestPayload(payload []byte, secret string, at time.Time) string {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return sp.Header
}
