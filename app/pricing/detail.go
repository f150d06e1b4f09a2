package pricing

import "fmt"

func ruleDetail(r Rule, subtotal int64) string {
	switch {
	case r.PercentBP != 0 && r.Fixed != 0:
		return fmt.Sprintf("%s%% of %d + %d", bp(r.PercentBP), subtotal, r.Fixed)
	case r.PercentBP != 0:
		return fmt.Sprintf("%s%% of %d", bp(r.PercentBP), subtotal)
	default:
		return fmt.Sprintf("fixed %d", r.Fixed)
	}
}

func bp(v int64) string {
	s := fmt.Sprintf("%d.%02d", abs(v)/100, abs(v)%100)
	for len(s) > 1 && (s[len(s)-1] == '0' || s[len(s)-1] == '.') {
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
			break
		}
		s = s[:len(s)-1]
	}
	if v < 0 {
		return "-" + s
	}
	return s
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func travelDetail(t Travel, meters float64) string {
	return fmt.Sprintf("%.0f m from the store, %d m free, %d per started km", meters, t.FreeMeters, t.PerKm)
}
