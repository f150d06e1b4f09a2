package notify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	body := []byte(`{"body":"您的登录验证码是 483920"}`)
	now := time.Unix(1_900_000_000, 0)
	good := notify.Sign(secret, now, body)
	require.NoError(t, notify.VerifySignature(secret, good, body, 5*time.Minute, now.Add(time.Minute)))

	rotated := notify.Sign("old_secret", now, body) + "," + good[len("t=1900000000,"):]
	require.NoError(t, notify.VerifySignature(secret, rotated, body, 5*time.Minute, now), "one matching v1 is enough")

	for name, tc := range map[string]struct {
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		"forged with another secret": {notify.Sign("guess", now, body), body, now, notify.ErrSignatureInvalid},
		"tampered body":              {good, []byte(`{"body":"您的登录验证码是 000000"}`), now, notify.ErrSignatureInvalid},
		"timestamp moved":            {"t=1900000001" + good[len("t=1900000000"):], body, now, notify.ErrSignatureInvalid},
		"too old":                    {good, body, now.Add(6 * time.Minute), notify.ErrSignatureExpired},
		"from the future":            {good, body, now.Add(-6 * time.Minute), notify.ErrSignatureExpired},
		"empty":                      {"", body, now, notify.ErrSignatureInvalid},
		"no v1":                      {"t=1900000000", body, now, notify.ErrSignatureInvalid},
		"not hex":                    {"t=1900000000,v1=zz", body, now, notify.ErrSignatureInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, notify.VerifySignature(secret, tc.header, tc.body, 5*time.Minute, tc.now), tc.want)
		})
	}
}
