package wiring_test

// inboxProbes covers the area's operations.
func inboxProbes() map[string]probe { return map[string]probe{} }
