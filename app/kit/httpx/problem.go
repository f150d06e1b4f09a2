// Package httpx holds the HTTP plumbing shared by every API package: RFC 9457 problem bodies
// with stable codes, the huma configuration, per-operation access metadata and the gin
// middleware for request IDs, access logs, panics and metrics.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// Problem is an RFC 9457 problem detail with a stable machine code.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Code      string            `json:"code" doc:"Stable machine-readable error code"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	headers   map[string]string `json:"-"`
	cause     error             `json:"-"`
}

func (p *Problem) Error() string             { return p.Code + ": " + p.Detail }
func (p *Problem) GetStatus() int            { return p.Status }
func (p *Problem) ContentType(string) string { return "application/problem+json" }
func (p *Problem) Unwrap() error             { return p.cause }

// GetHeaders lets huma add headers such as Retry-After.
func (p *Problem) GetHeaders() http.Header {
	h := http.Header{}
	for k, v := range p.headers {
		h.Set(k, v)
	}
	return h
}

// NewProblem builds a problem for status and code.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{Type: "urn:doorstep:problem:" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// StatusOf maps an error kind to its HTTP status.
func StatusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// FromError converts any error into a problem. Domain errors keep their code and detail; a
// request body cut off by http.MaxBytesReader is 413 body_too_large; a database that cannot be
// reached (dbx.Unavailable, even under an internal error) is 503 unavailable with Retry-After;
// anything else becomes an opaque 500.
func FromError(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		out := NewProblem(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit))
		out.cause = err
		return out
	}
	e, ok := errs.As(err)
	if (!ok || e.Kind == errs.Internal) && dbx.Unavailable(err) {
		e, ok = dbx.ErrUnavailable, true // a driver error no store mapped
	}
	if !ok {
		return internalProblem(err)
	}
	st := StatusOf(e.Kind)
	if st == http.StatusInternalServerError {
		return internalProblem(err)
	}
	out := NewProblem(st, e.Code, e.Detail)
	out.Errors = e.Fields
	out.cause = err
	retry := e.RetryAfter
	if retry <= 0 && st == http.StatusServiceUnavailable {
		retry = dbx.RetryAfter // a 503 always says when to come back
	}
	if retry > 0 {
		secs := int(retry.Seconds() + 0.999)
		out.headers = map[string]string{"Retry-After": strconv.Itoa(max(secs, 1))}
	}
	return out
}

func internalProblem(cause error) *Problem {
	p := NewProblem(http.StatusInternalServerError, "internal", "an internal error occurred")
	p.cause = cause
	return p
}

// Cause returns the internal error behind a problem, for logging.
func (p *Problem) Cause() error { return p.cause }

// fromHuma maps huma's own errors (request parsing and validation) to stable codes.
func fromHuma(status int, msg string, list []error) *Problem {
	for _, e := range list {
		if e == nil {
			continue
		}
		// Errors the application classifies (domain errors, problems, an oversized body that
		// huma read as a plain error, an unreachable database) keep their own status.
		var p *Problem
		_, domain := errs.As(e)
		if q := FromError(e); domain || errors.As(e, &p) || q.Status != http.StatusInternalServerError {
			return q
		}
	}
	var fields []errs.FieldError
	param, unknown := false, false
	for _, e := range list {
		if e == nil {
			continue
		}
		var d *huma.ErrorDetail
		if errors.As(e, &d) {
			fields = append(fields, errs.FieldError{Field: d.Location, Message: d.Message})
			if strings.HasPrefix(d.Location, "path.") || strings.HasPrefix(d.Location, "query.") || strings.HasPrefix(d.Location, "header.") {
				param = true
			}
			if strings.Contains(d.Message, "unexpected property") {
				unknown = true
			}
			continue
		}
		fields = append(fields, errs.FieldError{Field: "body", Message: e.Error()})
	}
	var p *Problem
	switch {
	case status == http.StatusRequestEntityTooLarge:
		p = NewProblem(status, "body_too_large", msg)
	case status == http.StatusUnsupportedMediaType:
		p = NewProblem(status, "unsupported_media_type", msg)
	case status == http.StatusBadRequest && strings.Contains(msg, "required"):
		p = NewProblem(status, "body_required", msg)
	case status == http.StatusBadRequest:
		p = NewProblem(status, "malformed_json", "the request body is not valid JSON")
	case status == http.StatusUnprocessableEntity && param:
		p = NewProblem(http.StatusBadRequest, "invalid_parameter", "a path, query or header parameter is invalid")
	case status == http.StatusUnprocessableEntity && unknown:
		p = NewProblem(status, "unknown_field", "the request body has fields this operation does not accept")
	case status == http.StatusUnprocessableEntity:
		p = NewProblem(status, "validation_failed", "the request has invalid fields")
	case status >= 500:
		cause := errors.Join(list...) // the handler's error, for the log
		if cause == nil {
			cause = errors.New(msg)
		}
		return internalProblem(cause)
	default:
		p = NewProblem(status, strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"), msg)
	}
	p.Errors = fields
	return p
}

// InstallErrors makes huma produce Problems everywhere, including for its own validation.
// It sets huma's package-level hook, which is process-wide by huma's design, once: a second
// server built in the same process (tests run several) must not write the hook while the
// first one's requests read it.
func InstallErrors() { installErrors.Do(installHumaErrors) }

var installErrors sync.Once

func installHumaErrors() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, list ...error) huma.StatusError {
		p := fromHuma(status, msg, list)
		if hctx != nil {
			p.Instance = hctx.URL().Path
			p.RequestID = RequestIDFrom(hctx.Context())
			recordFault(hctx.Context(), p)
			for k, v := range p.headers {
				hctx.SetHeader(k, v)
			}
		}
		return p
	}
	huma.NewError = func(status int, msg string, list ...error) huma.StatusError {
		return fromHuma(status, msg, list)
	}
}

// WithRequest fills instance and request id for problems built outside huma.
func (p *Problem) WithRequest(ctx context.Context, path string) *Problem {
	cp := *p
	cp.Instance = path
	cp.RequestID = RequestIDFrom(ctx)
	return &cp
}
