package wiring_test

// bookingProbes covers the area's operations.
func bookingProbes() map[string]probe { return map[string]probe{} }
