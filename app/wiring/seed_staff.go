package wiring

import (
	"context"

	"github.com/google/uuid"
)

// seedRoster creates the demo tenant's staff levels, certificate types and staff profiles
// (runs after seedCatalog, so skills can name its services).
func seedRoster(ctx context.Context, a *App, d demoTenant, stores []uuid.UUID) error { return nil }
