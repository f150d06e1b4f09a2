package wiring_test

// reviewProbes covers the area's operations.
func reviewProbes() map[string]probe { return map[string]probe{} }
