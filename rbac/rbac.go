// Package rbac owns authorisation inside a tenant: the casbin model, the published permission
// list and role templates (matrix.csv), the enforcer that several server instances keep in sync
// through Redis, and the service that manages a tenant's roles and who holds them.
//
// Policies live in casbin_rule, gorm-adapter's table, with the tenant id as casbin domain:
//
//	p, role:<name>, <tenant>, <object>, <action>   a role's permission
//	g, <subject>, role:<name>, <tenant>            a subject ("user:<id>", "customer:<id>") holds a role
//
// Note that the domain is v1 in p rows but v2 in g rows. The Enforcer keeps one casbin enforcer
// per tenant, loaded from that tenant's rows when first needed. The Service writes these rows in
// the caller's transaction and reloads the tenant after commit, here and, through Redis, on the
// other instances, so a rolled-back business change leaves no policy behind.
package rbac

import (
	_ "embed"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/auth"
)

//go:embed model.conf
var modelConf string

const rolePrefix = "role:"

// OwnerRole is the template that may do everything, including granting and revoking itself.
const OwnerRole = "owner"

// roleName is the rule for role names; the roles table checks the same expression.
var roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// RoleSubject is the casbin subject of the role name.
func RoleSubject(name string) string { return rolePrefix + name }

// roleFromSubject strips the role prefix; ok is false for anything that is not a role.
func roleFromSubject(sub string) (string, bool) {
	return strings.CutPrefix(sub, rolePrefix)
}

// validSubject reports whether s is a subject roles can be assigned to.
func validSubject(s string) bool {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || (kind != string(auth.User) && kind != string(auth.Customer)) {
		return false
	}
	u, err := uuid.Parse(id)
	return err == nil && u != uuid.Nil && u.String() == id
}

// splitPermission splits "object:action".
func splitPermission(p string) (obj, act string, ok bool) { return strings.Cut(p, ":") }
