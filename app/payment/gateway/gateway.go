// Package gateway is Doorstep's one door to the payment processor (Stripe): payment intents,
// refunds, Connect Express accounts and account links, transfers to connected accounts, and
// verification of signed webhook events. Everything that moves money outside calls it through
// the Gateway interface; tests run the real Stripe implementation against stripe-mock, and
// gatewaytest.FaultyTransport injects timeouts to prove retries are safe.
//
// Every call carries an idempotency key that the caller has saved before the call. Do retries a
// call that timed out, with the same key, so Stripe executes it at most once however many
// times the request reaches it.
package gateway

import (
	"context"
	"errors"
	"time"
)

// Gateway is the processor. Every method's Key is the idempotency key; reusing it with the
// same parameters returns the first result.
type Gateway interface {
	CreatePaymentIntent(ctx context.Context, p IntentParams) (Intent, error)
	CancelPaymentIntent(ctx context.Context, key, intentID string) (Intent, error)
	Refund(ctx context.Context, p RefundParams) (Refund, error)
	CreateAccount(ctx context.Context, p AccountParams) (Account, error)
	AccountLink(ctx context.Context, p AccountLinkParams) (AccountLink, error)
	Transfer(ctx context.Context, p TransferParams) (Transfer, error)
}

// IntentParams asks for a PaymentIntent.
type IntentParams struct {
	Key         string
	Amount      int64  // minor units
	Currency    string // ISO, e.g. "CNY"
	MethodTypes []string
	Description string
	Metadata    map[string]string // always includes tenant_id and what the payment is for
}

// Intent is a PaymentIntent as Doorstep needs it.
type Intent struct {
	ID           string
	ClientSecret string
	Status       string
	Amount       int64
	Currency     string
}

// RefundParams asks for a refund of (part of) a PaymentIntent.
type RefundParams struct {
	Key      string
	IntentID string
	Amount   int64
	Reason   string // Stripe's reason: "requested_by_customer", "duplicate", "fraudulent" or ""
	Metadata map[string]string
}

// Refund is a created refund.
type Refund struct {
	ID     string
	Status string
	Amount int64
}

// AccountParams asks for a Connect Express account.
type AccountParams struct {
	Key      string
	Email    string
	Country  string // ISO 3166-1 alpha-2
	Metadata map[string]string
}

// Account is a connected account.
type Account struct {
	ID               string
	ChargesEnabled   bool
	PayoutsEnabled   bool
	DetailsSubmitted bool
}

// AccountLinkParams asks for an onboarding link.
type AccountLinkParams struct {
	AccountID  string
	RefreshURL string
	ReturnURL  string
}

// AccountLink is a short-lived onboarding URL.
type AccountLink struct {
	URL       string
	ExpiresAt time.Time
}

// TransferParams moves money from the platform to a connected account.
type TransferParams struct {
	Key         string
	Amount      int64
	Currency    string
	Destination string // connected account ID
	Description string
	Metadata    map[string]string
}

// Transfer is a created transfer.
type Transfer struct {
	ID     string
	Amount int64
}

// Error is a processor's answer that is not a transport failure: a decline, an invalid
// request. Retrying with the same key would give the same answer.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return "stripe: " + e.Code + ": " + e.Message }

// ErrUnavailable wraps transport failures and timeouts: the call may or may not have reached
// the processor, so it must be retried with the same key (Do does).
var ErrUnavailable = errors.New("payment processor unavailable")

// Retryable reports whether a call's error leaves its outcome unknown or transient.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status == 409 || e.Status == 429 || e.Status >= 500 // 409: the same key is in flight
	}
	return errors.Is(err, ErrUnavailable)
}

// Do runs call up to attempts times while it fails in a retryable way, waiting backoff × n
// between attempts. call must use the same idempotency key on every attempt.
func Do[T any](ctx context.Context, attempts int, backoff time.Duration, call func(context.Context) (T, error)) (T, error) {
	var out T
	var err error
	for n := 1; n <= attempts; n++ {
		out, err = call(ctx)
		if err == nil || !Retryable(err) {
			return out, err
		}
		if n < attempts {
			select {
			case <-ctx.Done():
				return out, errors.Join(err, ctx.Err())
			case <-time.After(backoff * time.Duration(n)):
			}
		}
	}
	return out, err
}
