// Package phone normalises phone numbers to E.164 and masks them for display.
package phone

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"doorstep/app/kit/errs"
)

// ErrInvalid is returned for input that is not a valid phone number.
var ErrInvalid = errs.New(errs.Invalid, "invalid_phone", "not a valid phone number")

// Normalize parses raw (national numbers use defaultRegion, e.g. "CN") and returns E.164.
func Normalize(raw, defaultRegion string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ErrInvalid
	}
	n, err := phonenumbers.Parse(raw, defaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Mask hides the middle of an E.164 number: +8613812345678 → +86138****5678.
func Mask(e164 string) string {
	if e164 == "" {
		return ""
	}
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return maskTail(e164)
	}
	cc := "+" + strconv.Itoa(int(n.GetCountryCode()))
	national := phonenumbers.GetNationalSignificantNumber(n)
	if len(national) <= 4 {
		return cc + strings.Repeat("*", len(national))
	}
	keepHead := min(3, len(national)-4)
	return cc + national[:keepHead] + strings.Repeat("*", len(national)-keepHead-4) + national[len(national)-4:]
}

func maskTail(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}
