package rbac

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// A business transaction that fails after changing roles leaves no casbin_rule or roles rows
// and no change in what the enforcer allows, here or after a reload.
func TestRolledBackTransactionLeavesNoPolicy(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)
	user := userSubject(uuid.New())
	before := f.ruleCount(t)
	boom := errors.New("boom")

	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, err := f.s.CreateRole(ctx, NewRole{Name: "auditor", Scope: auth.ScopeTenant, Permissions: []string{"audit:read"}})
		require.NoError(t, err)
		require.NoError(t, f.s.AssignRoles(ctx, user, []string{"auditor", "finance"}))
		return boom
	})
	require.ErrorIs(t, err, boom)

	require.Equal(t, before, f.ruleCount(t))
	_, err = f.s.GetRole(ctx, "auditor")
	requireErr(t, err, errs.NotFound, "role_not_found")
	require.False(t, f.e.Allowed(tenant, user, "audit:read"))
	require.Empty(t, f.e.RolesOf(tenant, user))
	require.NoError(t, f.e.Reload(context.Background()))
	require.False(t, f.e.Allowed(tenant, user, "audit:read"))

	// The same calls without the failure do take effect, after commit.
	require.NoError(t, f.s.AssignRoles(ctx, user, []string{"finance"}))
	require.True(t, f.e.Allowed(tenant, user, "audit:read"))
}

func TestCreateRoleValidation(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)
	_, err := f.s.CreateRole(ctx, NewRole{Name: "night_shift", Scope: auth.ScopeStore, Permissions: []string{"stores:read"}})
	require.NoError(t, err)

	long := string(make([]rune, 101))
	for name, tc := range map[string]struct {
		role   NewRole
		kind   errs.Kind
		code   string
		fields map[string]string
	}{
		"unknown permission": {
			NewRole{Name: "clerk", Scope: auth.ScopeStore, Permissions: []string{"stores:read", "stores:read", "orders:eat"}},
			errs.Invalid, "validation_failed", map[string]string{"permissions[2]": "unknown permission"},
		},
		"bad name, scope and display name": {
			NewRole{Name: "Clerk!", Scope: "galaxy", DisplayName: long},
			errs.Invalid, "validation_failed", map[string]string{"name": "", "scope": "", "display_name": ""},
		},
		"one-letter name": {
			NewRole{Name: "c", Scope: auth.ScopeStore}, errs.Invalid, "validation_failed", map[string]string{"name": ""},
		},
		"template name": {
			NewRole{Name: "hq_admin", Scope: auth.ScopeTenant}, errs.Conflict, "role_exists", nil,
		},
		"existing custom name": {
			NewRole{Name: "night_shift", Scope: auth.ScopeStore}, errs.Conflict, "role_exists", nil,
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.s.CreateRole(ctx, tc.role)
			e := requireErr(t, err, tc.kind, tc.code)
			got := fieldsOf(e)
			require.Len(t, got, len(tc.fields), "%v", e.Fields)
			for field, msg := range tc.fields {
				require.Contains(t, got, field)
				if msg != "" {
					require.Equal(t, msg, got[field])
				}
			}
		})
	}

	// Without a principal nothing is created.
	_, err = f.s.CreateRole(dbx.WithTenant(context.Background(), tenant), NewRole{Name: "clerk", Scope: auth.ScopeStore})
	requireErr(t, err, errs.Unauthenticated, "unauthenticated")
}

// A custom role is created, read, listed, changed and deleted, and the enforcer follows.
func TestCustomRoleLifecycle(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)

	created, err := f.s.CreateRole(ctx, NewRole{
		Name: "regional_lead", DisplayName: "Regional lead", Description: "Looks after a region",
		Scope: auth.ScopeFranchisee, Permissions: []string{"users:read", "stores:read", "users:read"},
	})
	require.NoError(t, err)
	require.Equal(t, "regional_lead", created.Name)
	require.False(t, created.Template)
	require.Equal(t, auth.ScopeFranchisee, created.Scope)
	require.Equal(t, []string{"stores:read", "users:read"}, created.Permissions, "deduplicated, in matrix order")
	require.False(t, created.CreatedAt.IsZero())

	got, err := f.s.GetRole(ctx, "regional_lead")
	require.NoError(t, err)
	require.Equal(t, created, got)

	roles, err := f.s.ListRoles(ctx)
	require.NoError(t, err)
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support", "staff", "customer", "regional_lead"}, names)
	require.True(t, roles[0].Template)
	require.Equal(t, "所有者", roles[0].DisplayName, "templates are named in the tenant's locale")
	tpl, _ := TemplateByName("owner")
	require.Equal(t, tpl.Permissions, roles[0].Permissions)

	lead := userSubject(f.newUser(t, tenant, "regional_lead"))
	require.True(t, f.e.Allowed(tenant, lead, "users:read"))
	require.False(t, f.e.Allowed(tenant, lead, "audit:read"))

	display, perms, scope := "Area lead", []string{"audit:read", "stores:read"}, auth.ScopeTenant
	updated, err := f.s.UpdateRole(ctx, "regional_lead", RoleUpdate{DisplayName: &display, Scope: &scope, Permissions: &perms})
	require.NoError(t, err)
	require.Equal(t, "Area lead", updated.DisplayName)
	require.Equal(t, "Looks after a region", updated.Description)
	require.Equal(t, auth.ScopeTenant, updated.Scope)
	require.Equal(t, []string{"stores:read", "audit:read"}, updated.Permissions)
	require.False(t, f.e.Allowed(tenant, lead, "users:read"))
	require.True(t, f.e.Allowed(tenant, lead, "audit:read"))

	bad := []string{"stores:read", "nope:nope"}
	_, err = f.s.UpdateRole(ctx, "regional_lead", RoleUpdate{Permissions: &bad})
	e := requireErr(t, err, errs.Invalid, "validation_failed")
	require.Equal(t, map[string]string{"permissions[1]": "unknown permission"}, fieldsOf(e))
	_, err = f.s.UpdateRole(ctx, "ghost", RoleUpdate{DisplayName: &display})
	requireErr(t, err, errs.NotFound, "role_not_found")

	require.NoError(t, f.s.DeleteRole(ctx, "regional_lead"))
	_, err = f.s.GetRole(ctx, "regional_lead")
	requireErr(t, err, errs.NotFound, "role_not_found")
	require.False(t, f.e.Allowed(tenant, lead, "audit:read"))
	require.Empty(t, f.e.RolesOf(tenant, lead))
	var left int64
	require.NoError(t, f.d.Owner.Raw("select count(*) from casbin_rule where v0 = ? or v1 = ?",
		RoleSubject("regional_lead"), RoleSubject("regional_lead")).Scan(&left).Error)
	require.Zero(t, left, "no rules or assignments of a deleted role remain")
	requireErr(t, f.s.DeleteRole(ctx, "regional_lead"), errs.NotFound, "role_not_found")
}

// Templates are fixed: Forbidden "role_is_template" for updates and deletes, even for owners.
func TestTemplatesCannotBeChanged(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	owner := f.newUser(t, tenant, OwnerRole)
	ctx := as(tenant, owner)
	name := "Boss"
	_, err := f.s.UpdateRole(ctx, "store_manager", RoleUpdate{DisplayName: &name})
	requireErr(t, err, errs.Forbidden, "role_is_template")
	requireErr(t, f.s.DeleteRole(ctx, "staff"), errs.Forbidden, "role_is_template")
	r, err := f.s.GetRole(ctx, "store_manager")
	require.NoError(t, err)
	require.True(t, r.Template)
	require.Equal(t, "门店店长", r.DisplayName)

	// Seeding again changes nothing and duplicates nothing.
	before := f.ruleCount(t)
	require.NoError(t, f.s.SeedTenant(ctx))
	require.Equal(t, before, f.ruleCount(t))
	roles, err := f.s.ListRoles(ctx)
	require.NoError(t, err)
	require.Len(t, roles, len(Templates()))
}

func TestAssignRolesValidation(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)

	err := f.s.AssignRoles(ctx, "user:"+uuid.NewString(), []string{"staff", "ghost", "Bad Name", "staff"})
	e := requireErr(t, err, errs.Invalid, "validation_failed")
	require.Equal(t, map[string]string{"roles[1]": "unknown role", "roles[2]": "unknown role"}, fieldsOf(e))

	for _, sub := range []string{"", "role:owner", "user:", "user:not-a-uuid", "robot:" + uuid.NewString(), "user:" + uuid.Nil.String()} {
		e := requireErr(t, f.s.AssignRoles(ctx, sub, []string{"staff"}), errs.Invalid, "validation_failed")
		require.Contains(t, fieldsOf(e), "subject", sub)
	}

	customer := "customer:" + uuid.NewString()
	require.NoError(t, f.s.AssignRoles(ctx, customer, []string{"customer", "customer"}))
	require.Equal(t, []string{"customer"}, f.s.RolesOf(ctx, customer))
	requireErr(t, f.s.AssignRoles(dbx.WithTenant(context.Background(), tenant), customer, nil), errs.Unauthenticated, "unauthenticated")
}

// A caller may only grant or revoke roles whose permissions they all hold, and only an owner
// may grant or revoke the owner role.
func TestRoleEscalation(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	owner := as(tenant, f.newUser(t, tenant, OwnerRole))
	hq := as(tenant, f.newUser(t, tenant, "hq_admin"))
	manager := as(tenant, f.newUser(t, tenant, "store_manager"))
	target := userSubject(uuid.New())

	// The store manager holds everything staff and customer carry, not what hq_admin does.
	require.NoError(t, f.s.AssignRoles(manager, target, []string{"staff"}))
	requireErr(t, f.s.AssignRoles(manager, target, []string{"staff", "hq_admin"}), errs.Forbidden, "role_escalation")
	require.Equal(t, []string{"staff"}, f.s.RolesOf(manager, target))
	requireErr(t, f.s.AssignRoles(manager, target, []string{"finance"}), errs.Forbidden, "role_escalation") // audit:read

	// hq_admin holds every permission of the store-level roles, but not the owner role.
	require.NoError(t, f.s.AssignRoles(hq, target, []string{"dispatcher"}))
	requireErr(t, f.s.AssignRoles(hq, target, []string{OwnerRole}), errs.Forbidden, "role_escalation")
	require.NoError(t, f.s.AssignRoles(hq, target, []string{"store_manager", "finance"}))

	// Revoking is checked too: a store manager cannot strip an HQ administrator.
	hqAdmin := userSubject(uuid.New())
	require.NoError(t, f.s.AssignRoles(owner, hqAdmin, []string{"hq_admin"}))
	requireErr(t, f.s.AssignRoles(manager, hqAdmin, nil), errs.Forbidden, "role_escalation")
	require.Equal(t, []string{"hq_admin"}, f.s.RolesOf(owner, hqAdmin))

	// Nor can one raise oneself.
	self, _ := auth.FromContext(manager)
	requireErr(t, f.s.AssignRoles(manager, self.Subject(), []string{"store_manager", "hq_admin"}), errs.Forbidden, "role_escalation")

	// The owner may do all of it.
	require.NoError(t, f.s.AssignRoles(owner, target, []string{"dispatcher", OwnerRole}))
	require.True(t, f.e.Allowed(tenant, target, "customers:phone"))

	// Editing roles follows the same rule: a store manager cannot put audit:read in a role...
	_, err := f.s.CreateRole(manager, NewRole{Name: "audit_reader", Scope: auth.ScopeTenant, Permissions: []string{"audit:read"}})
	requireErr(t, err, errs.Forbidden, "role_escalation")
	_, err = f.s.CreateRole(manager, NewRole{Name: "reader", Scope: auth.ScopeTenant, Permissions: []string{"stores:read"}})
	require.NoError(t, err)
	perms := []string{"stores:read", "audit:read"}
	_, err = f.s.UpdateRole(manager, "reader", RoleUpdate{Permissions: &perms})
	requireErr(t, err, errs.Forbidden, "role_escalation")
	// ...while the owner can, and then the store manager may neither strip it nor delete the role.
	_, err = f.s.UpdateRole(owner, "reader", RoleUpdate{Permissions: &perms})
	require.NoError(t, err)
	desc := "renamed"
	_, err = f.s.UpdateRole(manager, "reader", RoleUpdate{Description: &desc})
	require.NoError(t, err, "changes that move no permission are fine")
	only := []string{"stores:read"}
	_, err = f.s.UpdateRole(manager, "reader", RoleUpdate{Permissions: &only})
	requireErr(t, err, errs.Forbidden, "role_escalation")
	requireErr(t, f.s.DeleteRole(manager, "reader"), errs.Forbidden, "role_escalation")
	require.NoError(t, f.s.DeleteRole(owner, "reader"))
}

// The last owner cannot lose the owner role; with two, one can go.
func TestLastOwner(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	first := f.newUser(t, tenant, OwnerRole)
	ctx := as(tenant, first)

	requireErr(t, f.s.AssignRoles(ctx, userSubject(first), []string{"hq_admin"}), errs.Conflict, "last_owner")
	require.Equal(t, []string{OwnerRole}, f.s.RolesOf(ctx, userSubject(first)))

	second := uuid.New()
	require.NoError(t, f.s.AssignRoles(ctx, userSubject(second), []string{OwnerRole}))
	require.NoError(t, f.s.AssignRoles(ctx, userSubject(first), []string{"hq_admin"}))
	require.Equal(t, []string{"hq_admin"}, f.s.RolesOf(ctx, userSubject(first)))

	// Not even a platform operator can remove the only owner left.
	requireErr(t, f.s.AssignRoles(operator(tenant), userSubject(second), nil), errs.Conflict, "last_owner")

	// Two owners demoting each other at the same time cannot both succeed: the loser is no
	// owner any more by the time it runs, or is the last one.
	third := uuid.New()
	require.NoError(t, f.s.AssignRoles(as(tenant, second), userSubject(third), []string{OwnerRole}))
	errc := make(chan error, 2)
	go func() { errc <- f.s.AssignRoles(as(tenant, second), userSubject(third), nil) }()
	go func() { errc <- f.s.AssignRoles(as(tenant, third), userSubject(second), nil) }()
	var failed int
	for range 2 {
		if err := <-errc; err != nil {
			e, ok := errs.As(err)
			require.True(t, ok, "%v", err)
			require.Contains(t, []string{"last_owner", "role_escalation"}, e.Code)
			failed++
		}
	}
	require.Equal(t, 1, failed)
	var owners int64
	require.NoError(t, f.d.Owner.Raw("select count(*) from casbin_rule where ptype = 'g' and v1 = 'role:owner' and v2 = ?", tenant.String()).Scan(&owners).Error)
	require.EqualValues(t, 1, owners)
}

// Roles, assignments and grants of one tenant mean nothing in another.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t)
	a, b := f.newTenant(t), f.newTenant(t)
	_, err := f.s.CreateRole(operator(a), NewRole{Name: "auditor", Scope: auth.ScopeTenant, Permissions: []string{"audit:read"}})
	require.NoError(t, err)
	user := uuid.New()
	require.NoError(t, f.s.AssignRoles(operator(a), userSubject(user), []string{"auditor", OwnerRole}))

	rolesB, err := f.s.ListRoles(operator(b))
	require.NoError(t, err)
	require.Len(t, rolesB, len(Templates()))
	for _, r := range rolesB {
		require.NotEqual(t, "auditor", r.Name)
	}
	_, err = f.s.GetRole(operator(b), "auditor")
	requireErr(t, err, errs.NotFound, "role_not_found")
	e := requireErr(t, f.s.AssignRoles(operator(b), userSubject(uuid.New()), []string{"auditor"}), errs.Invalid, "validation_failed")
	require.Contains(t, fieldsOf(e), "roles[0]")

	for _, p := range Permissions() {
		require.False(t, f.e.Allowed(b, userSubject(user), p.Name), "tenant A's owner has %s in B", p.Name)
	}
	require.Empty(t, f.e.RolesOf(b, userSubject(user)))
	require.Empty(t, f.s.RolesOf(operator(b), userSubject(user)))

	// A's user acting in B's context is refused, and Can says no.
	inB := auth.WithPrincipal(dbx.WithTenant(context.Background(), b), &auth.Principal{Kind: auth.User, TenantID: a, SubjectID: user})
	requireErr(t, f.s.AssignRoles(inB, userSubject(uuid.New()), []string{"staff"}), errs.Forbidden, "wrong_tenant")
	require.False(t, f.s.Can(inB, "settings:read"))
	require.True(t, f.s.Can(as(a, user), "settings:read"))

	// Deleting A's role leaves B alone, and B's rule count did not move.
	var rulesB int64
	require.NoError(t, f.d.Owner.Raw("select count(*) from casbin_rule where v1 = ? or v2 = ?", b.String(), b.String()).Scan(&rulesB).Error)
	require.NoError(t, f.s.DeleteRole(operator(a), "auditor"))
	var after int64
	require.NoError(t, f.d.Owner.Raw("select count(*) from casbin_rule where v1 = ? or v2 = ?", b.String(), b.String()).Scan(&after).Error)
	require.Equal(t, rulesB, after)
}

func TestScopeOf(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	ctx := operator(tenant)
	_, err := f.s.CreateRole(ctx, NewRole{Name: "area_lead", Scope: auth.ScopeFranchisee, Permissions: []string{"stores:read"}})
	require.NoError(t, err)
	for _, tc := range []struct {
		roles []string
		want  auth.Scope
	}{
		{nil, auth.ScopeSelf},
		{[]string{"staff"}, auth.ScopeSelf},
		{[]string{"staff", "dispatcher"}, auth.ScopeStore},
		{[]string{"store_manager", "area_lead"}, auth.ScopeFranchisee},
		{[]string{"area_lead", "finance"}, auth.ScopeTenant},
		{[]string{"ghost"}, auth.ScopeSelf},
	} {
		got, err := f.s.ScopeOf(ctx, tc.roles)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%v", tc.roles)
	}
}

func TestCan(t *testing.T) {
	f := newFixture(t)
	tenant := f.newTenant(t)
	staff := as(tenant, f.newUser(t, tenant, "staff"))
	require.True(t, f.s.Can(staff, "stores:read"))
	require.False(t, f.s.Can(staff, "stores:write"))
	require.False(t, f.s.Can(dbx.WithTenant(context.Background(), tenant), "stores:read"), "no principal")
	require.False(t, f.s.Can(operator(tenant), "stores:read"), "operators use platform paths")
	p, _ := auth.FromContext(staff)
	require.False(t, f.s.Can(auth.WithPrincipal(context.Background(), p), "stores:read"), "no tenant")
}
