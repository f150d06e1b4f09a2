package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"

	"doorstep/app/kit/errs"
)

// PostgreSQL text (and jsonb) cannot hold U+0000, and the database refuses bytes that are not
// UTF-8. Rather than let such a value fail deep inside a write (a 500 after part of the work),
// every request is checked once, before its operation runs: each string of a JSON body, and
// every query and path parameter.
const (
	msgNUL        = "must not contain the NUL character (U+0000)"
	msgBadUTF8    = "must be valid UTF-8 text"
	msgBadKey     = "has a property name with the NUL character (U+0000) or invalid UTF-8"
	maxTextFaults = 20 // enough to fix a request; a hostile one does not get a huge answer
)

// RefuseUnstorableText is a huma middleware that answers 422 validation_failed, naming every
// offending field by its JSON path ("contact.name", "items[2].note", "query.q", "path.id"),
// when a request carries text PostgreSQL cannot store: U+0000 or invalid UTF-8. It runs before
// the operation, so nothing is written. Bodies that are not JSON (a raw webhook payload,
// multipart uploads) are left to their operation; an oversized body is left to huma's 413.
func RefuseUnstorableText(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		c := humagin.Unwrap(hctx)
		fields := paramFaults(c.Request, c.Params)
		if op := hctx.Operation(); op != nil && jsonBody(op) && c.Request.Body != nil && c.Request.Body != http.NoBody {
			limit := op.MaxBodyBytes
			if limit <= 0 {
				limit = 1 << 20
			}
			body := c.Request.Body
			b, err := io.ReadAll(io.LimitReader(body, limit+1))
			var rest io.Reader = body
			if err != nil {
				rest = errReader{err}
			}
			// Put the body back exactly as it was, errors included, for huma to read.
			c.Request.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(b), rest), Closer: body}
			if err == nil && int64(len(b)) <= limit {
				fields = append(fields, UnstorableText(b)...)
			}
		}
		if len(fields) > 0 {
			if len(fields) > maxTextFaults {
				fields = fields[:maxTextFaults]
			}
			_ = huma.WriteErr(api, hctx, http.StatusUnprocessableEntity, "",
				errs.InvalidFields(fields...))
			return
		}
		next(hctx)
	}
}

func jsonBody(op *huma.Operation) bool {
	if op.RequestBody == nil {
		return false
	}
	for ct := range op.RequestBody.Content {
		if strings.Contains(ct, "json") {
			return true
		}
	}
	return false
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type readCloser struct {
	io.Reader
	io.Closer
}

// paramFaults checks path and query parameters, in a stable order.
func paramFaults(r *http.Request, params gin.Params) []errs.FieldError {
	var out []errs.FieldError
	for _, p := range params {
		if msg := textFault(p.Value); msg != "" {
			out = append(out, errs.Field("path."+safeName(p.Key), msg))
		}
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if textFault(k) != "" {
			out = append(out, errs.Field("query", msgBadKey))
			continue
		}
		for _, v := range q[k] {
			if msg := textFault(v); msg != "" {
				out = append(out, errs.Field("query."+k, msg))
				break
			}
		}
	}
	return out
}

func textFault(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return msgNUL
	case !utf8.ValidString(s):
		return msgBadUTF8
	}
	return ""
}

func safeName(s string) string {
	if textFault(s) != "" {
		return "?"
	}
	return s
}

// UnstorableText returns a field error for every string (value or property name) of a JSON
// document that contains U+0000 (written \u0000) or bytes that are not UTF-8, located by its
// JSON path. It stops quietly at malformed JSON: reporting that is the decoder's job.
func UnstorableText(body []byte) []errs.FieldError {
	if !bytes.Contains(body, []byte(`\u0000`)) && utf8.Valid(body) {
		return nil // the common case, without tokenising
	}
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []*frame
	pathOf := func(stack []*frame) string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	path := func() string { return pathOf(stack) }
	// beginValue moves the enclosing array to its next index.
	beginValue := func() {
		if n := len(stack); n > 0 && stack[n-1].array {
			stack[n-1].index++
		}
	}
	// endValue makes the enclosing object expect its next key.
	endValue := func() {
		if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].wantKey = true
		}
	}
	var out []errs.FieldError
	dec := json.NewDecoder(bytes.NewReader(body))
	prev := int64(0)
	for len(out) <= maxTextFaults {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := dec.InputOffset()
		raw := body[prev:end] // the token and the delimiters before it, as sent
		prev = end
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				beginValue()
				stack = append(stack, &frame{wantKey: true})
			case '[':
				beginValue()
				stack = append(stack, &frame{array: true, index: -1})
			default:
				stack = stack[:len(stack)-1]
				endValue()
			}
		case string:
			msg := textFault(v)
			if msg == "" && !utf8.Valid(raw) {
				msg = msgBadUTF8 // the decoder turned the bad bytes into U+FFFD; refuse them instead
			}
			if top := len(stack) - 1; top >= 0 && !stack[top].array && stack[top].wantKey {
				stack[top].wantKey = false
				stack[top].key = v
				if msg != "" {
					stack[top].key = "?"
					out = append(out, errs.Field(pathOf(stack[:top]), msgBadKey))
				}
				continue
			}
			beginValue()
			if msg != "" {
				out = append(out, errs.Field(path(), msg))
			}
			endValue()
		default:
			beginValue()
			endValue()
		}
	}
	return out
}
