package wiring_test

// staffProbes covers the staff roster operations.
func staffProbes() map[string]probe { return map[string]probe{} }
