package wiring_test

// catalogProbes covers the catalogue and pricing operations.
func catalogProbes() map[string]probe { return map[string]probe{} }
