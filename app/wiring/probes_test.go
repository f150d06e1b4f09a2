package wiring_test

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/org"
	"doorstep/tenant"
)

// call is one concrete request for an operation.
type call struct {
	path string
	body any
}

// probe knows how to call one operation.
//   - attack: as tenant B's owner, aimed at tenant A's objects (nil for operations that take
//     no object of another tenant; then the call is made in B's own space and must still not
//     leak or touch A).
//   - own: a valid call inside tenant f, for the permission matrix.
type probe struct {
	object bool // the path names one of A's objects: the answer must be 403 or 404
	attack func(e *env) call
	own    func(e *env, f *fixture) call
}

func p(path string) func(*env) call { return func(*env) call { return call{path: path} } }

// probes lists every API operation. A new operation without an entry fails the walk.
func probes() map[string]probe {
	aPath := func(format func(a *fixture) string) func(*env) call {
		return func(e *env) call { return call{path: format(e.A)} }
	}
	fixed := func(path string, body any) func(*env, *fixture) call {
		return func(*env, *fixture) call { return call{path: path, body: body} }
	}
	newStore := func(e *env, f *fixture) uuid.UUID {
		ctx := auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
		s, err := e.app.Org.CreateStore(ctx, org.Store{Code: "T" + uuid.NewString()[:8], Name: "temp", TimeZone: "Asia/Shanghai", FranchiseeID: f.FranchiseeID})
		require.NoError(e.t, err)
		return s.ID
	}
	newFranchisee := func(e *env, f *fixture) uuid.UUID {
		ctx := auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
		fr, err := e.app.Org.CreateFranchisee(ctx, org.NewFranchisee{Name: "temp"})
		require.NoError(e.t, err)
		return fr.ID
	}
	all := map[string]probe{
		// tenant settings, domains, storefront
		"get-tenant":    {own: fixed("/api/v1/tenant", nil)},
		"update-tenant": {own: fixed("/api/v1/tenant", map[string]any{"brand_name": "Renamed"})},
		"list-domains":  {own: fixed("/api/v1/tenant/domains", nil)},
		"add-domain": {attack: func(e *env) call {
			return call{path: "/api/v1/tenant/domains", body: map[string]any{"host": e.A.Domain}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/tenant/domains", body: map[string]any{"host": "x" + uuid.NewString()[:6] + ".example.com"}}
		}},
		"remove-domain":  {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/tenant/domains/" + a.Domain }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/tenant/domains/" + f.Domain} }},
		"get-storefront": {own: fixed("/api/v1/storefront", nil)},

		// platform: B's owner is not an operator
		"platform-login": {attack: func(e *env) call {
			return call{path: "/api/v1/platform/login", body: map[string]any{"email": "owner@alpha.test", "password": password}}
		}},
		"platform-list-tenants":   {attack: p("/api/v1/platform/tenants")},
		"platform-create-tenant":  {attack: p("/api/v1/platform/tenants")},
		"platform-get-tenant":     {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/platform/tenants/" + a.Tenant.ID.String() })},
		"platform-suspend-tenant": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/platform/tenants/" + a.Tenant.ID.String() + "/suspend" })},
		"platform-resume-tenant":  {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/platform/tenants/" + a.Tenant.ID.String() + "/resume" })},

		// auth
		"login": {attack: func(e *env) call {
			return call{path: "/api/v1/auth/login", body: map[string]any{"login": "owner@alpha.test", "password": password}}
		}},
		"request-login-code": {attack: func(e *env) call {
			return call{path: "/api/v1/auth/customer/code", body: map[string]any{"phone": e.A.CustomerPhone}}
		}},
		"customer-login": {attack: func(e *env) call {
			return call{path: "/api/v1/auth/customer/login", body: map[string]any{"phone": e.A.CustomerPhone, "code": "000000"}}
		}},
		"logout":       {own: fixed("/api/v1/auth/logout", nil)},
		"list-tokens":  {own: fixed("/api/v1/auth/tokens", nil)},
		"create-token": {own: fixed("/api/v1/auth/tokens", map[string]any{"name": "ci"})},
		"revoke-token": {object: true, attack: func(e *env) call {
			var ts []struct{ ID uuid.UUID }
			e.do(http.MethodGet, "/api/v1/auth/tokens", e.A.Tokens["owner"], "", nil).ok(&ts)
			require.NotEmpty(e.t, ts)
			return call{path: "/api/v1/auth/tokens/" + ts[0].ID.String()}
		}},
		"get-me": {own: fixed("/api/v1/me", nil)},

		// users and customers
		"list-users": {own: fixed("/api/v1/users", nil)},
		"create-user": {attack: func(e *env) call {
			return call{path: "/api/v1/users", body: map[string]any{"email": "spy@bravo.test", "password": password, "store_id": e.A.StoreID}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/users", body: map[string]any{"email": uuid.NewString()[:8] + "@new.test", "password": password, "store_id": f.FrStoreID}}
		}},
		"get-user": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/users/" + a.UserIDs["staff"].String() }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/users/" + f.UserIDs["staff"].String()} }},
		"update-user": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/users/" + e.A.UserIDs["staff"].String(), body: map[string]any{"display_name": "pwned"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/users/" + f.UserIDs["staff"].String(), body: map[string]any{"display_name": "Renamed"}}
		}},
		"set-user-roles": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/users/" + e.A.UserIDs["staff"].String() + "/roles", body: map[string]any{"roles": []string{"owner"}}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/users/" + f.UserIDs["staff"].String() + "/roles", body: map[string]any{"roles": []string{"staff"}}}
		}},
		"list-customers": {own: fixed("/api/v1/customers", nil)},
		"get-customer":   {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/customers/" + a.CustomerID.String() }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/customers/" + f.CustomerID.String()} }},
		"reveal-customer-phone": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/customers/" + a.CustomerID.String() + "/phone" }), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/customers/" + f.CustomerID.String() + "/phone"}
		}},

		// franchisees and stores
		"list-franchisees":  {own: fixed("/api/v1/franchisees", nil)},
		"create-franchisee": {own: fixed("/api/v1/franchisees", map[string]any{"name": "New franchisee"})},
		"get-franchisee":    {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/franchisees/" + a.FranchiseeID.String() }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/franchisees/" + f.FranchiseeID.String()} }},
		"update-franchisee": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/franchisees/" + e.A.FranchiseeID.String(), body: map[string]any{"name": "pwned"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/franchisees/" + f.FranchiseeID.String(), body: map[string]any{"legal_name": "X Ltd"}}
		}},
		"delete-franchisee": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/franchisees/" + a.FranchiseeID.String() }), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/franchisees/" + newFranchisee(e, f).String()}
		}},
		"list-stores": {attack: func(e *env) call { return call{path: "/api/v1/stores?franchisee_id=" + e.A.FranchiseeID.String()} }, own: fixed("/api/v1/stores", nil)},
		"create-store": {attack: func(e *env) call {
			return call{path: "/api/v1/stores", body: map[string]any{"code": "X1", "name": "spy", "time_zone": "Asia/Shanghai", "franchisee_id": e.A.FranchiseeID}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/stores", body: map[string]any{"code": "N" + uuid.NewString()[:6], "name": "New", "time_zone": "Asia/Shanghai"}}
		}},
		"get-store": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/stores/" + a.StoreID.String() }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/stores/" + f.FrStoreID.String()} }},
		"update-store": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/stores/" + e.A.StoreID.String(), body: map[string]any{"name": "pwned"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/stores/" + f.FrStoreID.String(), body: map[string]any{"phone": "021-5555"}}
		}},
		"delete-store": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/stores/" + a.StoreID.String() }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/stores/" + newStore(e, f).String()} }},

		// roles
		"list-permissions": {own: fixed("/api/v1/permissions", nil)},
		"list-roles":       {own: fixed("/api/v1/roles", nil)},
		"create-role": {own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/roles", body: map[string]any{"name": "r" + uuid.NewString()[:6], "scope": "store", "permissions": []string{"stores:read"}}}
		}},
		"get-role": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/roles/" + a.CustomRole }), own: func(e *env, f *fixture) call { return call{path: "/api/v1/roles/" + f.CustomRole} }},
		"update-role": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/roles/" + e.A.CustomRole, body: map[string]any{"description": "pwned"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/roles/" + f.CustomRole, body: map[string]any{"description": "changed"}}
		}},
		"delete-role": {object: true, attack: aPath(func(a *fixture) string { return "/api/v1/roles/" + a.CustomRole }), own: func(e *env, f *fixture) call {
			name := "d" + uuid.NewString()[:6]
			e.do(http.MethodPost, "/api/v1/roles", f.Tokens["owner"], "", map[string]any{"name": name, "scope": "self", "permissions": []string{"stores:read"}}).status(http.StatusCreated)
			return call{path: "/api/v1/roles/" + name}
		}},

		// audit
		"list-audit": {attack: func(e *env) call { return call{path: "/api/v1/audit?object_id=" + e.A.StoreID.String()} }, own: fixed("/api/v1/audit", nil)},
	}
	for _, more := range []map[string]probe{catalogProbes(), staffProbes(), availProbes(), bookingProbes(), inboxProbes(), reviewProbes(), dispatchProbes(), cardProbes(), financeProbes(), commissionProbes(), payoutProbes(), paymentProbes()} {
		for id, pr := range more {
			if _, dup := all[id]; dup {
				panic("probe listed twice: " + id)
			}
			all[id] = pr
		}
	}
	return all
}
