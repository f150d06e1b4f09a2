package identity

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
)

func TestTokenRoundTrip(t *testing.T) {
	tid := uuid.Must(uuid.NewV7())
	raw, hash := newToken(tid)
	got, h2, ok := parseToken(raw)
	if !ok || got != tid || !bytes.Equal(hash, h2) {
		t.Fatalf("parse(%q) = %v %x %v", raw, got, h2, ok)
	}
	raw2, hash2 := newToken(tid)
	if raw2 == raw || bytes.Equal(hash, hash2) {
		t.Fatal("tokens must be random")
	}
	for _, bad := range []string{"", "dst_", "dst_!!!", "xyz_" + raw[4:], raw[:len(raw)-2]} {
		if _, _, ok := parseToken(bad); ok {
			t.Errorf("parseToken(%q) accepted", bad)
		}
	}
}
