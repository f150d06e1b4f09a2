package dispatch

import "strconv"

func ftoa1(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
func fmtKm(m float64) string { return strconv.FormatFloat(m/1000, 'f', 1, 64) + " km" }
