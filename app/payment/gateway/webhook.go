package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Tolerance is how far a signed event's timestamp may lie from now, in either direction, before
// it is refused: older is a replay, newer is a clock that cannot be trusted or a signature made
// ahead of time. stripe-go checks only the past; VerifyEvent checks the future too.
const Tolerance = 5 * time.Minute

// Event is a verified webhook event.
type Event struct {
	ID      string
	Type    string // e.g. "payment_intent.succeeded"
	Created time.Time
	Account string          // the connected account for Connect events, else ""
	Object  json.RawMessage // data.object
}

// ErrBadSignature: the event is forged, stale, dated in the future, or signed with another secret.
var ErrBadSignature = errors.New("webhook signature is invalid, too old or dated in the future")

// ErrBadPayload: the signature is right but the body is not an event (not JSON, or no id or
// type). Stripe never sends such a body, so it is refused, not retried into the record.
var ErrBadPayload = errors.New("webhook payload is not a Stripe event")

// VerifyEvent checks the Stripe-Signature header over the raw body with secret and returns the
// event. Forged, stale or future-dated (beyond Tolerance) or wrongly signed payloads are
// ErrBadSignature; a well-signed body that is not an event is ErrBadPayload.
func VerifyEvent(payload []byte, header, secret string) (Event, error) {
	return verifyEventAt(payload, header, secret, time.Now())
}

func verifyEventAt(payload []byte, header, secret string, now time.Time) (Event, error) {
	if err := webhook.ValidatePayloadWithTolerance(payload, header, secret, Tolerance); err != nil {
		return Event{}, errors.Join(ErrBadSignature, err)
	}
	// The signature covers the timestamp, so it is the sender's claim of when it signed.
	at, ok := signedAt(header)
	if !ok {
		return Event{}, errors.Join(ErrBadSignature, errors.New("no timestamp in the signature header"))
	}
	if at.Sub(now) > Tolerance {
		return Event{}, errors.Join(ErrBadSignature, fmt.Errorf("signed at %s, %s in the future", at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second)))
	}
	var ev stripe.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, errors.Join(ErrBadPayload, err)
	}
	if ev.ID == "" || ev.Type == "" {
		return Event{}, errors.Join(ErrBadPayload, errors.New("the event has no id or type"))
	}
	out := Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0), Account: ev.Account}
	if ev.Data != nil {
		out.Object = ev.Data.Raw
	}
	return out, nil
}

// signedAt reads the header's timestamp as stripe-go does: the last "t=" pair wins.
func signedAt(header string) (time.Time, bool) {
	var at time.Time
	ok := false
	for _, pair := range strings.Split(header, ",") {
		k, v, found := strings.Cut(pair, "=")
		if !found || k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		at, ok = time.Unix(sec, 0), true
	}
	return at, ok
}

// SignTestPayload signs payload as Stripe would at time at, for tests and local tools. It
// returns the Stripe-Signature header value.
func SignTestPayload(payload []byte, secret string, at time.Time) string {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return sp.Header
}
