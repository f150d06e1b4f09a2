package wiring_test

// reviewProbes covers the area's operations. Attacks aim tenant B's callers at tenant A's real
// review and order (seeded in env_review_test.go); own calls use the fixture's own.
func reviewProbes() map[string]probe {
	aReview := func(prefix, suffix string, body any) func(e *env) call {
		return func(e *env) call { return call{path: prefix + reviewOf(e.A).ReviewID.String() + suffix, body: body} }
	}
	ownReview := func(suffix string, body any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/reviews/" + reviewOf(f).ReviewID.String() + suffix, body: body}
		}
	}
	reply := map[string]any{"text": "thanks"}
	return map[string]probe{
		// customers
		"create-my-review": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/storefront/reviews", body: map[string]any{"order_id": reviewOf(e.A).OrderID, "attitude": 1, "quality": 1, "punctuality": 1}}
		}},
		"list-my-reviews": {attack: p("/api/v1/storefront/reviews")},
		"get-my-review":   {object: true, attack: aReview("/api/v1/storefront/reviews/", "", nil)},
		// staff side
		"list-reviews": {
			attack: func(e *env) call { return call{path: "/api/v1/reviews?staff_id=" + e.A.StaffID.String()} },
			own:    func(e *env, f *fixture) call { return call{path: "/api/v1/reviews?staff_id=" + f.StaffID.String()} },
		},
		"get-review":   {object: true, attack: aReview("/api/v1/reviews/", "", nil), own: ownReview("", nil)},
		"reply-review": {object: true, attack: aReview("/api/v1/reviews/", "/reply", reply), own: ownReview("/reply", reply)},
		"set-review-visibility": {object: true, attack: aReview("/api/v1/reviews/", "/visibility", map[string]any{"hidden": true}),
			own: ownReview("/visibility", map[string]any{"hidden": false})},
		// storefront (public, tenant from the Host): B's host with A's service or staff member is not found
		"storefront-service-reviews": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/storefront/catalog/services/" + e.A.ServiceID.String() + "/reviews"}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/storefront/catalog/services/" + f.ServiceID.String() + "/reviews"}
			}},
		"storefront-staff-reviews": {object: true,
			attack: func(e *env) call {
				return call{path: "/api/v1/storefront/staff/" + e.A.StaffID.String() + "/reviews?limit=5"}
			},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/storefront/staff/" + f.StaffID.String() + "/reviews?limit=5"}
			}},
		"list-staff-ratings": {
			attack: func(e *env) call { return call{path: "/api/v1/staff-ratings?staff_id=" + e.A.StaffID.String()} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff-ratings?staff_id=" + f.StaffID.String()}
			},
		},
	}
}
