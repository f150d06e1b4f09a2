package wiring_test

// dispatchProbes covers the area's operations.
func dispatchProbes() map[string]probe { return map[string]probe{} }
