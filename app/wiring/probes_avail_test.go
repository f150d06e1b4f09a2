package wiring_test

import (
	"fmt"

	"github.com/google/uuid"
)

// availabilityPath asks for a fixture package's slots at an address in every fixture's
// franchised territory, over the default range (the next seven days).
func availabilityPath(base string, pkg uuid.UUID) string {
	return fmt.Sprintf("%s?package_id=%s&lng=%v&lat=%v", base, pkg, inTerritory.Lng, inTerritory.Lat)
}

// availProbes covers the area's operations. The attacks ask, as B, about A's package: B has a
// store serving the address, so the answer is package_not_found and nothing of A.
func availProbes() map[string]probe {
	return map[string]probe{
		"storefront-availability": {object: true, attack: func(e *env) call {
			return call{path: availabilityPath("/api/v1/storefront/availability", e.A.PackageID) + "&add_on=" + e.A.AddOnID.String()}
		}, own: func(e *env, f *fixture) call {
			return call{path: availabilityPath("/api/v1/storefront/availability", f.PackageID) + "&add_on=" + f.AddOnID.String()}
		}},
		"get-availability": {object: true, attack: func(e *env) call {
			return call{path: availabilityPath("/api/v1/availability", e.A.PackageID) + "&staff_id=" + e.A.StaffID.String()}
		}, own: func(e *env, f *fixture) call {
			return call{path: availabilityPath("/api/v1/availability", f.PackageID) + "&staff_id=" + f.StaffID.String()}
		}},
	}
}
