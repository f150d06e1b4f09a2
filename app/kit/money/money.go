// Package money holds amounts as integer minor units with an ISO 4217 currency; never floats.
package money

import (
	"fmt"
	"strings"
)

// Amount is a sum of money in minor units (fen, cents).
type Amount struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// minorDigits lists currencies whose minor unit is not two digits.
var minorDigits = map[string]int{"JPY": 0, "KRW": 0, "VND": 0, "BHD": 3, "KWD": 3}

// Supported is the set of currencies a tenant may choose.
var Supported = []string{"CNY", "USD", "EUR", "GBP", "HKD", "SGD", "JPY", "AUD", "CAD"}

// ValidCurrency reports whether code is a supported ISO currency.
func ValidCurrency(code string) bool {
	for _, c := range Supported {
		if c == code {
			return true
		}
	}
	return false
}

// Digits is the number of minor-unit digits of a currency.
func Digits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// String formats an amount for logs, e.g. "CNY 12.50".
func (a Amount) String() string {
	d := Digits(a.Currency)
	if d == 0 {
		return fmt.Sprintf("%s %d", a.Currency, a.Minor)
	}
	sign, v := "", a.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	p := int64(1)
	for range d {
		p *= 10
	}
	return fmt.Sprintf("%s %s%d.%0*d", a.Currency, sign, v/p, d, v%p)
}
