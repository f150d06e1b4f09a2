package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

type requestIDKey struct{}
type clientIPKey struct{}

// ClientIPFrom returns the caller's address as gin judged it (trusted proxies only).
func ClientIPFrom(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// RequestIDFrom returns the request id in ctx.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID accepts a well-formed X-Request-ID or makes one, and echoes it. It also puts
// the client address in the context for rate limits.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Header("X-Request-ID", id)
		ctx := context.WithValue(c.Request.Context(), requestIDKey{}, id)
		c.Request = c.Request.WithContext(context.WithValue(ctx, clientIPKey{}, c.ClientIP()))
		c.Next()
	}
}

// AccessLog writes one slog JSON line per request: no bodies, no query strings (they may hold
// codes or tokens), no headers. A 5xx answer's line is a warning (503) or an error (500) and
// carries the problem's code and its internal cause, which the client never sees.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		f := &fault{}
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), faultKey{}, f))
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		attrs := []slog.Attr{
			slog.String("request_id", RequestIDFrom(c.Request.Context())),
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("ip", c.ClientIP()),
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
			if status == http.StatusServiceUnavailable {
				level = slog.LevelWarn
			}
			code, cause := f.get()
			attrs = append(attrs, slog.String("code", code))
			if cause != nil {
				attrs = append(attrs, slog.String("err", cause.Error()))
			}
		}
		log.LogAttrs(c.Request.Context(), level, "http", attrs...)
	}
}

type faultKey struct{}

// fault carries a 5xx problem's code and cause from the error mapper back to the access log.
type fault struct {
	mu    sync.Mutex
	code  string
	cause error
}

func (f *fault) get() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.code, f.cause
}

// recordFault notes a 5xx problem for the request's access log line.
func recordFault(ctx context.Context, p *Problem) {
	f, ok := ctx.Value(faultKey{}).(*fault)
	if !ok || p.Status < 500 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.code, f.cause = p.Code, p.cause
}

// Recover turns a panic into a 500 problem without internals and logs the stack.
func Recover(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic", "request_id", RequestIDFrom(c.Request.Context()),
					"panic", r, "stack", string(debug.Stack()))
				p := internalProblem(nil).WithRequest(c.Request.Context(), c.Request.URL.Path)
				if !c.Writer.Written() {
					c.Header("Content-Type", "application/problem+json")
					c.AbortWithStatusJSON(http.StatusInternalServerError, p)
				} else {
					c.Abort()
				}
			}
		}()
		c.Next()
	}
}

// Metrics counts requests and observes latency by route template.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorstep_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "doorstep_http_request_duration_seconds", Help: "HTTP latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Middleware records every request.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	}
}

// WriteProblem writes p as the response (for gin-level handlers outside huma).
func WriteProblem(c *gin.Context, p *Problem) {
	p = p.WithRequest(c.Request.Context(), c.Request.URL.Path)
	recordFault(c.Request.Context(), p)
	for k, v := range p.headers {
		c.Header(k, v)
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}
