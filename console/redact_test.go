package console

import (
	"strings"
	"testing"
)

func TestRedactPayload(t *testing.T) {
	in := `{"tenant_id":"t1","message":{"to":"+8613800000000","template":"login_code","params":{"Code":"123456","Brand":"X"}},"list":[{"token":"dst_abc"}]}`
	out := redactPayload.FormatPayload("notify:send", []byte(in))
	for _, secret := range []string{"123456", "dst_abc"} {
		if strings.Contains(out, secret) {
			t.Errorf("payload shows %q: %s", secret, out)
		}
	}
	for _, kept := range []string{"login_code", `"Brand":"X"`, "t1"} {
		if !strings.Contains(out, kept) {
			t.Errorf("payload lost %q: %s", kept, out)
		}
	}
	if got := redactPayload.FormatPayload("x", []byte("not json")); strings.Contains(got, "not json") {
		t.Errorf("non-JSON payload shown: %s", got)
	}
}
