package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/payment/gateway"
	"doorstep/app/payment/gateway/gatewaytest"
)

// mockURL is stripe-mock's URL; make test starts it (deploy/dev/stripe-mock.sh).
func mockURL(t *testing.T) string {
	u := os.Getenv("STRIPE_MOCK_URL")
	if u == "" {
		t.Fatal("STRIPE_MOCK_URL is unset: run through make test, or eval \"$(deploy/dev/stripe-mock.sh)\"")
	}
	return u
}

func TestStripeAgainstStripeMock(t *testing.T) {
	ctx := context.Background()
	g := gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_123", APIURL: mockURL(t)})

	pi, err := g.CreatePaymentIntent(ctx, gateway.IntentParams{Key: "k-pi", Amount: 12_800, Currency: "CNY",
		MethodTypes: []string{"card", "alipay", "wechat_pay"}, Metadata: map[string]string{"tenant_id": "t"}})
	require.NoError(t, err)
	require.NotEmpty(t, pi.ID)
	require.NotEmpty(t, pi.ClientSecret)

	r, err := g.Refund(ctx, gateway.RefundParams{Key: "k-rf", IntentID: pi.ID, Amount: 500, Reason: "requested_by_customer"})
	require.NoError(t, err)
	require.NotEmpty(t, r.ID)

	a, err := g.CreateAccount(ctx, gateway.AccountParams{Key: "k-acct", Email: "p@example.com", Country: "US"})
	require.NoError(t, err)
	require.NotEmpty(t, a.ID)
	l, err := g.AccountLink(ctx, gateway.AccountLinkParams{AccountID: a.ID, RefreshURL: "https://x.test/r", ReturnURL: "https://x.test/ok"})
	require.NoError(t, err)
	require.NotEmpty(t, l.URL)

	tr, err := g.Transfer(ctx, gateway.TransferParams{Key: "k-tr", Amount: 900, Currency: "USD", Destination: a.ID})
	require.NoError(t, err)
	require.NotEmpty(t, tr.ID)

	// A request stripe-mock refuses is an answer (Error), not retryable.
	_, err = g.Refund(ctx, gateway.RefundParams{Key: "k-bad", IntentID: pi.ID, Amount: 1, Reason: "bogus"})
	var ge *gateway.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, 400, ge.Status)
	require.False(t, gateway.Retryable(err))
}

// TestDoRetriesWithTheSameKey: with 40% of calls timing out, Do gets every call through, and
// every request that reached the processor for one operation carried that operation's key.
func TestDoRetriesWithTheSameKey(t *testing.T) {
	ctx := context.Background()
	ft := gatewaytest.NewFaultyTransport(http.DefaultTransport, 0.4, 7)
	g := gateway.NewStripe(gateway.StripeConfig{SecretKey: "sk_test_123", APIURL: mockURL(t), HTTPClient: &http.Client{Transport: ft}})
	for i := range 30 {
		key := fmt.Sprintf("op-%d", i)
		_, err := gateway.Do(ctx, 12, time.Millisecond, func(ctx context.Context) (gateway.Transfer, error) {
			return g.Transfer(ctx, gateway.TransferParams{Key: key, Amount: 100, Currency: "USD", Destination: "acct_123"})
		})
		require.NoError(t, err, key)
	}
	calls, faults := ft.Stats()
	require.Greater(t, faults, 0)
	require.Greater(t, calls, 30)
	reached := ft.Reached()
	keys := map[string]bool{}
	for k := range reached {
		keys[k] = true
	}
	require.Len(t, keys, 30, "each operation reached the processor under exactly one key")

	// Without retries, some operations fail with an unknown outcome.
	failed := 0
	for i := range 30 {
		_, err := g.Transfer(ctx, gateway.TransferParams{Key: fmt.Sprintf("once-%d", i), Amount: 100, Currency: "USD", Destination: "acct_123"})
		if err != nil {
			require.True(t, errors.Is(err, gateway.ErrUnavailable), err)
			failed++
		}
	}
	require.Greater(t, failed, 0)
}

func TestVerifyEvent(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"id":"evt_1","object":"event","type":"payment_intent.succeeded","created":1700000000,
		"data":{"object":{"id":"pi_1","object":"payment_intent","amount":100}}}`)
	now := time.Now()

	ev, err := gateway.VerifyEvent(body, gateway.SignTestPayload(body, secret, now), secret)
	require.NoError(t, err)
	require.Equal(t, "evt_1", ev.ID)
	require.Equal(t, "payment_intent.succeeded", ev.Type)
	require.Contains(t, string(ev.Object), `"pi_1"`)

	for name, header := range map[string]string{
		"stale":         gateway.SignTestPayload(body, secret, now.Add(-6*time.Minute)),
		"an hour ahead": gateway.SignTestPayload(body, secret, now.Add(time.Hour)),
		"6 min ahead":   gateway.SignTestPayload(body, secret, now.Add(6*time.Minute)),
		"wrong secret":  gateway.SignTestPayload(body, "whsec_other", now),
		"no header":     "",
		"garbage":       "t=1,v1=abc",
	} {
		_, err := gateway.VerifyEvent(body, header, secret)
		require.ErrorIs(t, err, gateway.ErrBadSignature, name)
	}
	// A body changed after signing (forged) fails too.
	forged := append([]byte(nil), body...)
	forged[len(forged)-3] = '9'
	_, err = gateway.VerifyEvent(forged, gateway.SignTestPayload(body, secret, now), secret)
	require.ErrorIs(t, err, gateway.ErrBadSignature)

	// A clock a little ahead is tolerated, as a little behind is.
	_, err = gateway.VerifyEvent(body, gateway.SignTestPayload(body, secret, now.Add(2*time.Minute)), secret)
	require.NoError(t, err)
	_, err = gateway.VerifyEvent(body, gateway.SignTestPayload(body, secret, now.Add(-2*time.Minute)), secret)
	require.NoError(t, err)

	// A well-signed body that is not an event has its own error, not a signature one.
	for name, bad := range map[string][]byte{
		"not JSON":     []byte("garbage, signed"),
		"wrong shape":  []byte(`{"id":42}`),
		"no id, type":  []byte(`{"object":"event"}`),
		"empty object": []byte(`{}`),
	} {
		_, err := gateway.VerifyEvent(bad, gateway.SignTestPayload(bad, secret, now), secret)
		require.ErrorIs(t, err, gateway.ErrBadPayload, name)
		require.NotErrorIs(t, err, gateway.ErrBadSignature, name)
	}
}
