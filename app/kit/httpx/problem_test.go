package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/errs"
)

func TestFromErrorFaults(t *testing.T) {
	shutdown := &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, c := range []struct {
		name   string
		err    error
		status int
		code   string
		retry  string
	}{
		{"body cut off by MaxBytesReader", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1 << 20}), 413, "body_too_large", ""},
		{"raw driver error, database gone", fmt.Errorf("list stores: %w", shutdown), 503, "unavailable", "2"},
		{"internal domain error hiding a lost database", errs.Wrap(shutdown, errs.Internal, "internal", "x"), 503, "unavailable", "2"},
		{"other 503s say when to come back", errs.New(errs.Unavailable, "payment_processor_unavailable", "retry"), 503, "payment_processor_unavailable", "2"},
		{"a plain bug", errors.New("nil map"), 500, "internal", ""},
		{"validation", errs.Invalidf("validation_failed", "bad", errs.Field("name", "x")), 422, "validation_failed", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := FromError(c.err)
			require.Equal(t, c.status, p.Status)
			require.Equal(t, c.code, p.Code)
			require.Equal(t, c.retry, p.GetHeaders().Get("Retry-After"))
			require.NotContains(t, p.Detail, "administrator", "no internals in the detail")
			require.ErrorIs(t, p.Cause(), c.err, "the cause is kept for the log")
		})
	}
}

// TestFaultsThroughHuma: errors reaching huma's own paths (a handler's error, a body read that
// fails) are mapped the same way, and the access log line of a 5xx holds code and cause.
func TestFaultsThroughHuma(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	InstallErrors()
	var logs bytes.Buffer
	e := gin.New()
	e.Use(RequestID(), AccessLog(slog.New(slog.NewJSONHandler(&logs, nil))))
	api := humagin.New(e, huma.DefaultConfig("t", "1"))
	api.UseMiddleware(RefuseUnstorableText(api))
	huma.Register(api, huma.Operation{OperationID: "bug", Method: http.MethodGet, Path: "/bug"},
		func(context.Context, *struct{}) (*struct{}, error) { return nil, errors.New("secret cause 42") })
	huma.Register(api, huma.Operation{OperationID: "down", Method: http.MethodGet, Path: "/down"},
		func(context.Context, *struct{}) (*struct{}, error) {
			return nil, fmt.Errorf("q: %w", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"})
		})
	type rawIn struct{ RawBody []byte }
	huma.Register(api, huma.Operation{OperationID: "raw", Method: http.MethodPost, Path: "/raw"},
		func(context.Context, *rawIn) (*struct{}, error) { return nil, nil })
	type jsonIn struct {
		Body struct {
			Name string `json:"name"`
		}
	}
	written := false
	huma.Register(api, huma.Operation{OperationID: "json", Method: http.MethodPost, Path: "/json"},
		func(context.Context, *jsonIn) (*struct{}, error) { written = true; return nil, nil })
	h := http.MaxBytesHandler(e, 1024)

	do := func(method, path string, body io.Reader) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, body)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		h.ServeHTTP(w, r)
		return w
	}

	w := do(http.MethodGet, "/bug", nil)
	require.Equal(t, 500, w.Code)
	require.NotContains(t, w.Body.String(), "secret cause")
	require.Contains(t, logs.String(), `"status":500`)
	require.Contains(t, logs.String(), `"err":"secret cause 42"`, "the log says why")
	require.Contains(t, logs.String(), `"level":"ERROR"`)

	w = do(http.MethodGet, "/down", nil)
	require.Equal(t, 503, w.Code, w.Body.String())
	require.Equal(t, "2", w.Header().Get("Retry-After"))
	require.Contains(t, w.Body.String(), `"code":"unavailable"`)
	require.Contains(t, logs.String(), "SQLSTATE 57P03")

	// A raw-body operation has no huma body limit, so http.MaxBytesReader's error reaches the
	// mapper: 413, not 500.
	w = do(http.MethodPost, "/raw", strings.NewReader(strings.Repeat("x", 4096)))
	require.Equal(t, 413, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), `"code":"body_too_large"`)

	w = do(http.MethodPost, "/json", strings.NewReader(`{"name":"a\u0000"}`))
	require.Equal(t, 422, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), `"location":"name"`)
	require.False(t, written, "refused before the handler")
	w = do(http.MethodPost, "/json", strings.NewReader(`{"name":"ok"}`))
	require.Less(t, w.Code, 300, w.Body.String())
	require.True(t, written, "a clean body reaches the handler intact")
}
