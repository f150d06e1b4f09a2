package money

import "testing"

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
