package wiring_test

import (
	"os"
	"testing"
)

// TestMain drops the seeded worlds (see world) once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	dropWorlds()
	os.Exit(code)
}
