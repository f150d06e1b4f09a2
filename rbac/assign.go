package rbac

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// caller is who changes roles, with what they hold in the tenant as of this transaction.
type caller struct {
	trusted bool // an owner, or a platform operator
	perms   map[string]bool
}

// callerOf reads the principal's roles and permissions from the transaction rather than the
// enforcer, so a change made earlier in the same transaction, or on another instance a moment
// ago, already counts.
func callerOf(ctx context.Context, db *gorm.DB, tenant uuid.UUID) (caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return caller{}, errs.New(errs.Unauthenticated, "unauthenticated", "sign in first")
	}
	if p.Kind == auth.Operator {
		return caller{trusted: true}, nil
	}
	if p.TenantID != tenant {
		return caller{}, errs.New(errs.Forbidden, "wrong_tenant", "the account belongs to another tenant")
	}
	roles, err := rolesHeld(db, tenant, p.Subject())
	if err != nil {
		return caller{}, err
	}
	if slices.Contains(roles, OwnerRole) {
		return caller{trusted: true}, nil
	}
	byRole, err := permissionsOf(db, tenant, roles)
	if err != nil {
		return caller{}, err
	}
	c := caller{perms: map[string]bool{}}
	for _, ps := range byRole {
		for _, p := range ps {
			c.perms[p] = true
		}
	}
	return c, nil
}

// mayHandle fails with role_escalation unless the caller holds every one of perms, which are
// being granted or taken away through role. A ":self" permission reaches only the holder's
// own records (a staff member's own profile), so it gives no power over anyone else and is
// not counted: a store manager may make someone a staff member without being one.
func (c caller) mayHandle(role string, perms []string) error {
	if c.trusted {
		return nil
	}
	for _, p := range perms {
		if !c.perms[p] && !strings.HasSuffix(p, ":self") {
			return errs.New(errs.Forbidden, "role_escalation", fmt.Sprintf("role %s carries permission %s, which you do not have", role, p))
		}
	}
	return nil
}

// AssignRoles makes roles the exact set subject holds in the tenant.
//
// Errors: Invalid "validation_failed" for a malformed subject ("subject") or a role the tenant
// does not have ("roles[i]"); Forbidden "role_escalation" when the caller grants or revokes a
// role carrying a permission the caller lacks (owners and platform operators excepted), or
// grants or revokes the owner role without being an owner; Conflict "last_owner" when the
// tenant would be left without an owner. Revoking is checked like granting so that, say, a
// store manager cannot strip an HQ administrator. Roles the subject keeps are not checked.
func (s *Service) AssignRoles(ctx context.Context, subject string, roles []string) error {
	var v errs.Validation
	v.Check(validSubject(subject), "subject", "must be user:<id> or customer:<id>")
	want := make([]string, 0, len(roles))
	at := map[string]int{} // role → its first index in the input, for field errors
	for i, r := range roles {
		if !roleName.MatchString(r) {
			v.Add(fieldIndex("roles", i), "unknown role")
			continue
		}
		if _, dup := at[r]; !dup {
			at[r] = i
			want = append(want, r)
		}
	}
	return s.locked(ctx, func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error {
		var err error
		found, err := findRoles(db, tenant, want)
		if err != nil {
			return err
		}
		for _, r := range want {
			if !slices.ContainsFunc(found, func(f roleRow) bool { return f.Name == r }) {
				v.Add(fieldIndex("roles", at[r]), "unknown role")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		c, err := callerOf(ctx, db, tenant)
		if err != nil {
			return err
		}
		have, err := rolesHeld(db, tenant, subject)
		if err != nil {
			return err
		}
		add, remove := diff(have, want)
		if err := c.mayChange(db, tenant, append(slices.Clone(add), remove...)); err != nil {
			return err
		}
		if slices.Contains(remove, OwnerRole) {
			n, err := countHolders(db, tenant, OwnerRole)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errs.New(errs.Conflict, "last_owner", "the tenant's last owner cannot lose the owner role")
			}
		}
		if err := removeAssignments(db, tenant, subject, remove); err != nil {
			return err
		}
		if err := addAssignments(db, tenant, subject, add); err != nil {
			return err
		}
		if len(add)+len(remove) > 0 {
			s.reloadAfterCommit(ctx, tenant)
		}
		return nil
	})
}

// mayChange checks that the caller may grant or revoke each of roles.
func (c caller) mayChange(db *gorm.DB, tenant uuid.UUID, roles []string) error {
	if c.trusted || len(roles) == 0 {
		return nil
	}
	if slices.Contains(roles, OwnerRole) {
		return errs.New(errs.Forbidden, "role_escalation", "only an owner may grant or revoke the owner role")
	}
	perms, err := permissionsOf(db, tenant, roles)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := c.mayHandle(r, perms[r]); err != nil {
			return err
		}
	}
	return nil
}

// RolesOf returns the roles subject holds in the context's tenant, as the enforcer knows them.
func (s *Service) RolesOf(ctx context.Context, subject string) []string {
	tenant, ok := dbx.TenantID(ctx)
	if !ok {
		return nil
	}
	return s.e.RolesOf(tenant, subject)
}

// ScopeOf returns the widest scope among roles (templates from the matrix, custom roles from
// the tenant's roles table); roles the tenant does not have count for nothing. No roles: self.
func (s *Service) ScopeOf(ctx context.Context, roles []string) (auth.Scope, error) {
	scope := auth.ScopeSelf
	widen := func(sc auth.Scope) {
		if sc.Valid() && sc.Rank() < scope.Rank() {
			scope = sc
		}
	}
	var custom []string
	for _, r := range roles {
		if t, ok := TemplateByName(r); ok {
			widen(t.Scope)
		} else {
			custom = append(custom, r)
		}
	}
	if len(custom) == 0 {
		return scope, nil
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		tenant, err := tenantOf(ctx)
		if err != nil {
			return err
		}
		rows, err := findRoles(s.db.Conn(ctx), tenant, custom)
		for _, r := range rows {
			widen(auth.Scope(r.Scope))
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return scope, nil
}

// Can reports whether the context's principal may use permission in the context's tenant.
// Without both, or for a principal of another tenant, the answer is no.
func (s *Service) Can(ctx context.Context, permission string) bool {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return false
	}
	tenant, ok := dbx.TenantID(ctx)
	if !ok || p.TenantID != tenant {
		return false
	}
	return s.e.Allowed(tenant, p.Subject(), permission)
}

func fieldIndex(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
