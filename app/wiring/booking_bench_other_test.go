//go:build !unix

package wiring_test

// processCPU is not measured here.
func processCPU() int64 { return 0 }

// procCPUTicks is not measured here.
func procCPUTicks(int) (int64, bool) { return 0, false }
