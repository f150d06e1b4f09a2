package phone

import "testing"

func TestNormalizeAndMask(t *testing.T) {
	for _, c := range []struct{ in, region, e164, masked string }{
		{"13812345678", "CN", "+8613812345678", "+86138****5678"},
		{"+86 138-1234-5678", "US", "+8613812345678", "+86138****5678"},
		{"(415) 555-2671", "US", "+14155552671", "+1415***2671"},
		{"+44 20 7946 0958", "CN", "+442079460958", "+44207***0958"},
	} {
		got, err := Normalize(c.in, c.region)
		if err != nil || got != c.e164 {
			t.Errorf("Normalize(%q, %s) = %q, %v; want %q", c.in, c.region, got, err, c.e164)
		}
		if m := Mask(got); m != c.masked {
			t.Errorf("Mask(%q) = %q; want %q", got, m, c.masked)
		}
	}
	for _, bad := range []string{"", "12", "not a phone", "+86123"} {
		if _, err := Normalize(bad, "CN"); err == nil {
			t.Errorf("Normalize(%q) accepted", bad)
		}
	}
	if Mask("") != "" {
		t.Error("empty stays empty")
	}
}
