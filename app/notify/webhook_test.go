package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/notify"
)

func TestWebhookSenderStatusHandling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		wantErr   bool
		skipRetry bool
	}{
		{http.StatusOK, false, false},
		{http.StatusNoContent, false, false},
		{http.StatusBadRequest, true, true},
		{http.StatusUnauthorized, true, true},
		{http.StatusNotFound, true, true},
		{http.StatusRequestTimeout, true, false},
		{http.StatusTooManyRequests, true, false},
		{http.StatusInternalServerError, true, false},
		{http.StatusBadGateway, true, false},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			const secret = "s3cret"
			now := time.Now()
			var got struct {
				TenantID uuid.UUID `json:"tenant_id"`
				Body     string    `json:"body"`
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if notify.VerifySignature(secret, r.Header.Get(notify.SignatureHeader), body, time.Minute, now) != nil {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				_ = json.Unmarshal(body, &got)
				w.WriteHeader(tc.status)
			}))
			t.Cleanup(srv.Close)

			tenant := uuid.Must(uuid.NewV7())
			s := notify.NewWebhookSender(srv.URL, secret, srv.Client(), clock.NewManual(now))
			err := s.Send(context.Background(), tenant, notify.Rendered{Body: "hello"})
			require.Equal(t, tenant, got.TenantID)
			require.Equal(t, "hello", got.Body)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.skipRetry, errors.Is(err, asynq.SkipRetry))
		})
	}
}

func TestWebhookSenderUnreachableIsRetried(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := notify.NewWebhookSender(url, "s", nil, clock.System{}).Send(context.Background(), uuid.Nil, notify.Rendered{Body: "x"})
	require.Error(t, err)
	require.False(t, errors.Is(err, asynq.SkipRetry))
}

func TestWebhookSenderDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	followed := false
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(http.ResponseWriter, *http.Request) { followed = true })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	err := notify.NewWebhookSender(srv.URL+"/old", "s", nil, clock.System{}).Send(context.Background(), uuid.Nil, notify.Rendered{Body: "x"})
	require.ErrorContains(t, err, "302")
	require.False(t, errors.Is(err, asynq.SkipRetry))
	require.False(t, followed)
}
