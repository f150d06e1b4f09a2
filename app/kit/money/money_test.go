package money

import (
	"errors"
	"math"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		a    Amount
		want string
	}{
		{Amount{1250, "CNY"}, "CNY 12.50"},
		{Amount{-5, "USD"}, "USD -0.05"},
		{Amount{1000, "JPY"}, "JPY 1000"},
		{Amount{12345, "KWD"}, "KWD 12.345"},
	} {
		if got := c.a.String(); got != c.want {
			t.Errorf("%#v.String() = %q; want %q", c.a, got, c.want)
		}
	}
	if !ValidCurrency("CNY") || ValidCurrency("XXX") {
		t.Error("ValidCurrency")
	}
}

func TestChecked(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	type op struct {
		name    string
		f       func() (int64, error)
		want    int64
		overflw bool
	}
	for _, c := range []op{
		{"add", func() (int64, error) { return Add(2, 3) }, 5, false},
		{"add negative", func() (int64, error) { return Add(-2, -3) }, -5, false},
		{"add to max", func() (int64, error) { return Add(maxI-1, 1) }, maxI, false},
		{"add past max", func() (int64, error) { return Add(maxI, 1) }, 0, true},
		{"add past min", func() (int64, error) { return Add(minI, -1) }, 0, true},
		{"add mixed signs never overflows", func() (int64, error) { return Add(maxI, minI) }, -1, false},
		{"sum", func() (int64, error) { return Sum(1, 2, 3, -4) }, 2, false},
		{"sum past max", func() (int64, error) { return Sum(maxI/2, maxI/2, 2) }, 0, true},
		{"mul", func() (int64, error) { return Mul(-7, 6) }, -42, false},
		{"mul zero", func() (int64, error) { return Mul(0, maxI) }, 0, false},
		{"mul past max", func() (int64, error) { return Mul(maxI/2+1, 2) }, 0, true},
		{"mul to min", func() (int64, error) { return Mul(minI/2, 2) }, minI, false},
		{"mul past min", func() (int64, error) { return Mul(minI, -1) }, 0, true},
		{"mul near-max per km by 2 km", func() (int64, error) { return Mul(maxI-5, 2) }, 0, true},
		{"muldiv percent", func() (int64, error) { return MulDiv(20000, 1500, 10000) }, 3000, false},
		{"muldiv rounds half away from zero", func() (int64, error) { return MulDiv(5, 5000, 10000) }, 3, false},
		{"muldiv rounds half away from zero, negative", func() (int64, error) { return MulDiv(-5, 5000, 10000) }, -3, false},
		{"muldiv rounds down below half", func() (int64, error) { return MulDiv(4, 1, 10) }, 0, false},
		{"muldiv 128-bit intermediate", func() (int64, error) { return MulDiv(maxI, 10000, 10000) }, maxI, false},
		{"muldiv result too big", func() (int64, error) { return MulDiv(maxI, 10001, 10000) }, 0, true},
		{"muldiv rounding past max", func() (int64, error) { return MulDiv(maxI, 3, 2) }, 0, true},
		{"muldiv zero divisor", func() (int64, error) { return MulDiv(1, 1, 0) }, 0, true},
	} {
		got, err := c.f()
		if c.overflw {
			if !errors.Is(err, ErrOverflow) {
				t.Errorf("%s: got %d, %v; want ErrOverflow", c.name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: got %d, %v; want %d", c.name, got, err, c.want)
		}
	}
}
