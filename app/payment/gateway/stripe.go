package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// StripeConfig configures the Stripe gateway.
type StripeConfig struct {
	SecretKey  string        // sk_test_… / sk_live_…; stripe-mock accepts any sk_test_ key
	APIURL     string        // empty: Stripe itself; tests: stripe-mock's URL
	Timeout    time.Duration // per request; default 10 s
	HTTPClient *http.Client  // optional; Timeout is set on a copy
}

// Stripe is the Gateway over stripe-go. stripe-go's own retries are off: Do retries with the
// same key, so the retry policy is ours and visible.
type Stripe struct{ api *client.API }

var _ Gateway = (*Stripe)(nil)

// NewStripe returns the Stripe gateway.
func NewStripe(c StripeConfig) *Stripe {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	hc := &http.Client{}
	if c.HTTPClient != nil {
		cp := *c.HTTPClient
		hc = &cp
	}
	hc.Timeout = c.Timeout
	cfg := &stripe.BackendConfig{HTTPClient: hc, MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}, EnableTelemetry: stripe.Bool(false)}
	if c.APIURL != "" {
		cfg.URL = stripe.String(strings.TrimRight(c.APIURL, "/"))
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	}
	return &Stripe{api: client.New(c.SecretKey, backends)}
}

func params(ctx context.Context, key string, md map[string]string) stripe.Params {
	p := stripe.Params{Context: ctx}
	if key != "" {
		p.SetIdempotencyKey(key)
	}
	for k, v := range md {
		p.AddMetadata(k, v)
	}
	return p
}

// mapErr turns stripe-go's errors into Error (an answer) or ErrUnavailable (no answer).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		code := string(se.Code)
		if code == "" {
			code = string(se.Type)
		}
		return &Error{Status: se.HTTPStatusCode, Code: code, Message: se.Msg}
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// CreatePaymentIntent implements Gateway.
func (s *Stripe) CreatePaymentIntent(ctx context.Context, p IntentParams) (Intent, error) {
	ip := &stripe.PaymentIntentParams{Params: params(ctx, p.Key, p.Metadata),
		Amount: stripe.Int64(p.Amount), Currency: stripe.String(strings.ToLower(p.Currency)),
		PaymentMethodTypes: stripe.StringSlice(p.MethodTypes)}
	if p.Description != "" {
		ip.Description = stripe.String(p.Description)
	}
	pi, err := s.api.PaymentIntents.New(ip)
	if err != nil {
		return Intent{}, mapErr(err)
	}
	return intent(pi), nil
}

// CancelPaymentIntent implements Gateway.
func (s *Stripe) CancelPaymentIntent(ctx context.Context, key, id string) (Intent, error) {
	pi, err := s.api.PaymentIntents.Cancel(id, &stripe.PaymentIntentCancelParams{Params: params(ctx, key, nil)})
	if err != nil {
		return Intent{}, mapErr(err)
	}
	return intent(pi), nil
}

func intent(pi *stripe.PaymentIntent) Intent {
	return Intent{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status), Amount: pi.Amount,
		Currency: strings.ToUpper(string(pi.Currency))}
}

// Refund implements Gateway.
func (s *Stripe) Refund(ctx context.Context, p RefundParams) (Refund, error) {
	rp := &stripe.RefundParams{Params: params(ctx, p.Key, p.Metadata), PaymentIntent: stripe.String(p.IntentID),
		Amount: stripe.Int64(p.Amount)}
	if p.Reason != "" {
		rp.Reason = stripe.String(p.Reason)
	}
	r, err := s.api.Refunds.New(rp)
	if err != nil {
		return Refund{}, mapErr(err)
	}
	return Refund{ID: r.ID, Status: string(r.Status), Amount: r.Amount}, nil
}

// CreateAccount implements Gateway.
func (s *Stripe) CreateAccount(ctx context.Context, p AccountParams) (Account, error) {
	ap := &stripe.AccountParams{Params: params(ctx, p.Key, p.Metadata), Type: stripe.String(string(stripe.AccountTypeExpress))}
	if p.Email != "" {
		ap.Email = stripe.String(p.Email)
	}
	if p.Country != "" {
		ap.Country = stripe.String(p.Country)
	}
	a, err := s.api.Accounts.New(ap)
	if err != nil {
		return Account{}, mapErr(err)
	}
	return Account{ID: a.ID, ChargesEnabled: a.ChargesEnabled, PayoutsEnabled: a.PayoutsEnabled, DetailsSubmitted: a.DetailsSubmitted}, nil
}

// AccountLink implements Gateway.
func (s *Stripe) AccountLink(ctx context.Context, p AccountLinkParams) (AccountLink, error) {
	l, err := s.api.AccountLinks.New(&stripe.AccountLinkParams{Params: stripe.Params{Context: ctx},
		Account: stripe.String(p.AccountID), RefreshURL: stripe.String(p.RefreshURL), ReturnURL: stripe.String(p.ReturnURL),
		Type: stripe.String("account_onboarding")})
	if err != nil {
		return AccountLink{}, mapErr(err)
	}
	return AccountLink{URL: l.URL, ExpiresAt: time.Unix(l.ExpiresAt, 0)}, nil
}

// Transfer implements Gateway.
func (s *Stripe) Transfer(ctx context.Context, p TransferParams) (Transfer, error) {
	tp := &stripe.TransferParams{Params: params(ctx, p.Key, p.Metadata), Amount: stripe.Int64(p.Amount),
		Currency: stripe.String(strings.ToLower(p.Currency)), Destination: stripe.String(p.Destination)}
	if p.Description != "" {
		tp.Description = stripe.String(p.Description)
	}
	t, err := s.api.Transfers.New(tp)
	if err != nil {
		return Transfer{}, mapErr(err)
	}
	return Transfer{ID: t.ID, Amount: t.Amount}, nil
}
