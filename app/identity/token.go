package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// tokenPrefix marks Doorstep bearer tokens so secret scanners can recognise them.
const tokenPrefix = "dst_"

// newToken makes an opaque token that embeds the tenant id (so the token's row can be found
// under row-level security) followed by 32 random bytes. Only the hash of the random part is
// stored.
func newToken(tenantID uuid.UUID) (raw string, hash []byte) {
	var b [16 + 32]byte
	copy(b[:16], tenantID[:])
	if _, err := rand.Read(b[16:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	sum := sha256.Sum256(b[16:])
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), sum[:]
}

// parseToken splits a raw token into its tenant and the hash of its secret.
func parseToken(raw string) (uuid.UUID, []byte, bool) {
	if !strings.HasPrefix(raw, tokenPrefix) {
		return uuid.Nil, nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw[len(tokenPrefix):])
	if err != nil || len(b) != 48 {
		return uuid.Nil, nil, false
	}
	var tid uuid.UUID
	copy(tid[:], b[:16])
	sum := sha256.Sum256(b[16:])
	return tid, sum[:], true
}
