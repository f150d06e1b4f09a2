package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
)

// DeliveryHeader and IdempotencyKeyHeader both carry the delivery id (Rendered.DeliveryID, the
// outbox id): the same on every attempt to send one message, so a receiver can drop
// duplicates. The signed body carries it too, as delivery_id. Idempotency-Key is the name
// providers' APIs commonly take it under.
const (
	DeliveryHeader       = "X-Doorstep-Delivery"
	IdempotencyKeyHeader = "Idempotency-Key"
)

// WebhookSender POSTs rendered messages as signed JSON to one URL, e.g. an SMS gateway
// adapter or a tenant's own system.
type WebhookSender struct {
	url    string
	secret string
	client *http.Client
	clk    clock.Clock
}

// NewWebhookSender returns a sender posting to url and signing with secret. A nil client gets
// a 10s timeout and does not follow redirects (a redirected POST may turn into a GET without
// the body; the 3xx is reported as a failure instead).
func NewWebhookSender(url, secret string, client *http.Client, clk clock.Clock) *WebhookSender {
	if client == nil {
		client = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &WebhookSender{url: url, secret: secret, client: client, clk: clk}
}

// webhookBody is what the receiver gets.
type webhookBody struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Rendered
}

// Send posts r. A non-2xx answer is an error, so the task is retried, except a 4xx other than
// 408 and 429, which retrying cannot fix and so wraps asynq.SkipRetry.
func (s *WebhookSender) Send(ctx context.Context, tenantID uuid.UUID, r Rendered) error {
	r.DeliveryID = deliveryIDOf(ctx, r)
	body, err := json.Marshal(webhookBody{TenantID: tenantID, Rendered: r})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook request: %v: %w", err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(s.secret, s.clk.Now(), body))
	if id := deliveryIDOf(ctx, r); id != "" {
		req.Header.Set(DeliveryHeader, id)
		req.Header.Set(IdempotencyKeyHeader, id)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("notify: webhook answered %s: %w", resp.Status, asynq.SkipRetry)
	default:
		return fmt.Errorf("notify: webhook answered %s", resp.Status)
	}
}
