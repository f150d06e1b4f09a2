//go:build !unix

package wiring_test

// processCPU is not measured here.
func processCPU() int64 { return 0 }
