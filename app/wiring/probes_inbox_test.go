package wiring_test

// inboxProbes covers the area's operations. B's owner aims at A's owner's message: 404, and
// A's read state is unchanged (the walk's checksum); listing and marking all read act on
// B's owner's own inbox only.
func inboxProbes() map[string]probe {
	return map[string]probe{
		"list-my-inbox": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/me/inbox?unread=true&limit=10"} }},
		"mark-inbox-message-read": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/me/inbox/" + inboxMessageOf(e, e.A, "user", e.A.UserIDs["owner"]).String() + "/read"}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/me/inbox/" + inboxMessageOf(e, f, "user", f.UserIDs["owner"]).String() + "/read"}
		}},
		"mark-inbox-all-read": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/me/inbox/read-all"} }},
	}
}
