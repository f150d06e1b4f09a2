package console

import (
	"encoding/json"
	"strings"

	"github.com/hibiken/asynqmon"
)

// secretKeys are payload fields the job dashboard never shows: operators debug jobs, they do
// not need customers' login codes or anybody's tokens.
var secretKeys = map[string]bool{"code": true, "password": true, "token": true, "secret": true, "otp": true}

// redactPayload shows a task payload with secret fields (at any depth) replaced.
var redactPayload = asynqmon.PayloadFormatterFunc(func(_ string, payload []byte) string {
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return "(non-JSON payload hidden)"
	}
	b, _ := json.Marshal(redact(v))
	return string(b)
})

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if secretKeys[strings.ToLower(k)] {
				x[k] = "[redacted]"
				continue
			}
			x[k] = redact(val)
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}
