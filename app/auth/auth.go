// Package auth holds the authenticated principal and carries it in the context. It has no
// dependencies on the domains: identity produces principals, rbac and services consume them.
package auth

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Kind is what sort of account a principal is.
type Kind string

const (
	User     Kind = "user"     // staff-side account of a tenant
	Customer Kind = "customer" // end customer of a tenant's storefront
	Operator Kind = "operator" // platform operator, outside every tenant
)

// Scope is how far inside a tenant a principal's roles reach.
type Scope string

const (
	ScopeTenant     Scope = "tenant"
	ScopeFranchisee Scope = "franchisee"
	ScopeStore      Scope = "store"
	ScopeSelf       Scope = "self"
)

// Rank orders scopes from widest (0) to narrowest.
func (s Scope) Rank() int {
	switch s {
	case ScopeTenant:
		return 0
	case ScopeFranchisee:
		return 1
	case ScopeStore:
		return 2
	default:
		return 3
	}
}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool {
	switch s {
	case ScopeTenant, ScopeFranchisee, ScopeStore, ScopeSelf:
		return true
	}
	return false
}

// Principal is who is calling.
type Principal struct {
	Kind         Kind
	TenantID     uuid.UUID // uuid.Nil for operators
	SubjectID    uuid.UUID
	Roles        []string // role names without the "role:" prefix
	Scope        Scope
	FranchiseeID uuid.UUID // set for franchisee scope (and store staff whose store belongs to one)
	StoreID      uuid.UUID // set for store scope
	TokenID      uuid.UUID // the bearer token used, uuid.Nil for a web session
	Session      bool      // authenticated by a web session cookie
}

// Subject is the casbin subject for the principal.
func (p *Principal) Subject() string { return string(p.Kind) + ":" + p.SubjectID.String() }

// HasRole reports whether the principal holds role.
func (p *Principal) HasRole(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// Subject is the casbin subject of ctx's principal, or "system" when none acts (jobs, the
// system's own calls). Audit trails and "by" columns record it.
func Subject(ctx context.Context) string {
	if p, ok := FromContext(ctx); ok {
		return p.Subject()
	}
	return "system"
}

// StoresOf lists the stores of a franchisee (each domain's repository answers it in the
// caller's transaction).
type StoresOf func(ctx context.Context, franchiseeID uuid.UUID) ([]uuid.UUID, error)

// ReachesStore reports whether the staff-side principal in ctx may reach records of storeID
// by data scope: no principal (the system), operators and tenant-wide users always; a
// franchisee-scoped user the stores of their franchisee; a store-scoped user their store;
// anyone else (customers, staff with self scope) never — callers check a customer's own
// records and a staff member's own jobs themselves.
func ReachesStore(ctx context.Context, storeID uuid.UUID, storesOf StoresOf) (bool, error) {
	p, ok := FromContext(ctx)
	switch {
	case !ok || p == nil || p.Kind == Operator:
		return true, nil
	case p.Kind != User:
		return false, nil
	case p.Scope == ScopeTenant:
		return true, nil
	case p.Scope == ScopeFranchisee:
		if p.FranchiseeID == uuid.Nil {
			return false, nil
		}
		ids, err := storesOf(ctx, p.FranchiseeID)
		if err != nil {
			return false, err
		}
		return slices.Contains(ids, storeID), nil
	case p.Scope == ScopeStore:
		return p.StoreID != uuid.Nil && p.StoreID == storeID, nil
	}
	return false, nil
}
