package rbac

import (
	"cmp"
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// Role is a tenant's role: a template seeded from the matrix or a custom one built by HQ
// from the published permissions.
type Role struct {
	Name        string
	DisplayName string
	Description string
	Scope       auth.Scope
	Template    bool
	Permissions []string // in matrix order
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewRole is what a custom role is created from.
type NewRole struct {
	Name        string
	DisplayName string
	Description string
	Scope       auth.Scope
	Permissions []string
}

// RoleUpdate changes the fields that are not nil; Permissions replaces the whole set.
type RoleUpdate struct {
	DisplayName *string
	Description *string
	Scope       *auth.Scope
	Permissions *[]string
}

// Service manages a tenant's roles and role assignments. Every method works on the tenant in
// the context, inside dbx.InTx (joining the caller's transaction), and reloads that tenant's
// policy in the enforcer only after the outermost transaction commits.
//
// Mutations other than SeedTenant need a principal in the context (auth.FromContext): a user of
// the tenant, or a platform operator, who is trusted like an owner (tenant provisioning, support).
// A user may only grant or revoke what they hold themselves; see AssignRoles.
type Service struct {
	db *dbx.DB
	e  *Enforcer
}

// NewService returns the role service.
func NewService(db *dbx.DB, e *Enforcer) *Service { return &Service{db: db, e: e} }

const (
	maxDisplayName = 100
	maxDescription = 1000
)

func errTemplate() error {
	return errs.New(errs.Forbidden, "role_is_template", "role templates cannot be changed or deleted")
}

func errExists() error { return errs.New(errs.Conflict, "role_exists", "a role with this name exists") }

// reloadAfterCommit makes the committed change of tenant's policy visible here and on the
// other instances, which reload that tenant only.
func (s *Service) reloadAfterCommit(ctx context.Context, tenant uuid.UUID) {
	dbx.AfterCommit(ctx, func(ctx context.Context) {
		if err := s.e.reloadTenant(ctx, tenant); err != nil {
			s.e.log.Error("rbac: reload after commit", "err", err, "tenant", tenant)
		}
	})
}

// SeedTenant creates the template roles for the context's tenant, or brings existing ones in
// line with the matrix (display names in the tenant's locale, scope, permissions). It leaves
// custom roles and assignments alone, and fails with role_exists if a custom role already has a
// template's name.
func (s *Service) SeedTenant(ctx context.Context) error {
	return s.locked(ctx, func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error {
		var err error
		locale, err := tenantLocale(db, tenant)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(published().templates))
		for _, t := range published().templates {
			names = append(names, t.Name)
		}
		rows, err := findRoles(db, tenant, names)
		if err != nil {
			return err
		}
		existing := map[string]roleRow{}
		for _, r := range rows {
			existing[r.Name] = r
		}
		perms, err := permissionsOf(db, tenant, names)
		if err != nil {
			return err
		}
		for _, t := range published().templates {
			if err := seedTemplate(db, tenant, t, locale, existing, perms[t.Name]); err != nil {
				return err
			}
		}
		s.reloadAfterCommit(ctx, tenant)
		return nil
	})
}

func seedTemplate(db *gorm.DB, tenant uuid.UUID, t Template, locale string, existing map[string]roleRow, have []string) error {
	display, description := t.DisplayEN, t.DescriptionEN
	if locale == "zh-CN" {
		display, description = t.DisplayZH, t.DescriptionZH
	}
	if r, ok := existing[t.Name]; ok {
		if !r.Template {
			return errs.New(errs.Conflict, "role_exists", "a custom role is called "+t.Name+", the name of a template")
		}
		err := db.Model(&roleRow{}).Where("tenant_id = ? and name = ?", tenant, t.Name).
			Updates(map[string]any{"display_name": display, "description": description, "scope": string(t.Scope), "updated_at": gorm.Expr("now()")}).Error
		if err != nil {
			return dbx.Err(err)
		}
	} else {
		r := roleRow{TenantID: tenant, Name: t.Name, DisplayName: display, Description: description, Scope: string(t.Scope), Template: true}
		if err := db.Create(&r).Error; err != nil {
			return dbx.Err(err)
		}
	}
	add, remove := diff(have, t.Permissions)
	if err := revokePermissions(db, tenant, t.Name, remove); err != nil {
		return err
	}
	return grantPermissions(db, tenant, t.Name, add)
}

// ListRoles returns the tenant's roles: templates in matrix order, then custom roles by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	var out []Role
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		tenant, err := tenantOf(ctx)
		if err != nil {
			return err
		}
		db := s.db.Conn(ctx)
		rows, err := findRoles(db, tenant, nil)
		if err != nil {
			return err
		}
		perms, err := permissionsOf(db, tenant, nil)
		if err != nil {
			return err
		}
		out = make([]Role, 0, len(rows))
		for _, r := range rows {
			out = append(out, toRole(r, perms[r.Name]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareRoles)
	return out, nil
}

func compareRoles(a, b Role) int {
	idx := published().tplIndex
	ia, ta := idx[a.Name]
	ib, tb := idx[b.Name]
	switch {
	case ta && tb:
		return ia - ib
	case ta != tb:
		if ta {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.Name, b.Name)
}

// GetRole returns the tenant's role called name, or NotFound "role_not_found".
func (s *Service) GetRole(ctx context.Context, name string) (Role, error) {
	var out Role
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		tenant, err := tenantOf(ctx)
		if err != nil {
			return err
		}
		out, err = getRole(s.db.Conn(ctx), tenant, name)
		return err
	})
	return out, err
}

func getRole(db *gorm.DB, tenant uuid.UUID, name string) (Role, error) {
	r, err := findRole(db, tenant, name)
	if err != nil {
		return Role{}, err
	}
	perms, err := permissionsOf(db, tenant, []string{name})
	if err != nil {
		return Role{}, err
	}
	return toRole(r, perms[name]), nil
}

func toRole(r roleRow, perms []string) Role {
	if perms == nil {
		perms = []string{}
	}
	return Role{
		Name:        r.Name,
		DisplayName: r.DisplayName,
		Description: r.Description,
		Scope:       auth.Scope(r.Scope),
		Template:    r.Template,
		Permissions: perms,
		CreatedAt:   r.CreatedAt,
		UpdatedAt:   r.UpdatedAt,
	}
}

// CreateRole creates a custom role from published permissions. Errors: Invalid
// "validation_failed" with field details (name, display_name, description, scope,
// permissions[i]); Conflict "role_exists" for a template's or an existing role's name;
// Forbidden "role_escalation" when the caller lacks one of the permissions.
func (s *Service) CreateRole(ctx context.Context, nr NewRole) (Role, error) {
	var v errs.Validation
	v.Check(roleName.MatchString(nr.Name), "name", "must be 2 to 40 lowercase letters, digits or underscores, starting with a letter")
	checkTexts(&v, nr.DisplayName, nr.Description)
	v.Check(nr.Scope.Valid(), "scope", "must be tenant, franchisee, store or self")
	perms := checkPermissions(&v, nr.Permissions)
	if err := v.Err(); err != nil {
		return Role{}, err
	}
	if IsTemplate(nr.Name) {
		return Role{}, errExists()
	}
	var out Role
	err := s.locked(ctx, func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error {
		var err error
		c, err := callerOf(ctx, db, tenant)
		if err != nil {
			return err
		}
		if err := c.mayHandle(nr.Name, perms); err != nil {
			return err
		}
		r := roleRow{TenantID: tenant, Name: nr.Name, DisplayName: nr.DisplayName, Description: nr.Description, Scope: string(nr.Scope)}
		if err := db.Create(&r).Error; err != nil {
			if dbx.IsConstraint(err, "roles_pkey") {
				return errExists()
			}
			return dbx.Err(err)
		}
		if err := grantPermissions(db, tenant, nr.Name, perms); err != nil {
			return err
		}
		if out, err = getRole(db, tenant, nr.Name); err != nil {
			return err
		}
		s.reloadAfterCommit(ctx, tenant)
		return nil
	})
	return out, err
}

// UpdateRole changes a custom role. Templates cannot be changed: Forbidden "role_is_template"
// (the caller may be allowed to edit roles, just not this one). The caller must hold every
// permission added or removed, else Forbidden "role_escalation".
func (s *Service) UpdateRole(ctx context.Context, name string, u RoleUpdate) (Role, error) {
	var v errs.Validation
	display, description := "", ""
	if u.DisplayName != nil {
		display = *u.DisplayName
	}
	if u.Description != nil {
		description = *u.Description
	}
	checkTexts(&v, display, description)
	if u.Scope != nil {
		v.Check(u.Scope.Valid(), "scope", "must be tenant, franchisee, store or self")
	}
	var perms []string
	if u.Permissions != nil {
		perms = checkPermissions(&v, *u.Permissions)
	}
	if err := v.Err(); err != nil {
		return Role{}, err
	}
	if IsTemplate(name) {
		return Role{}, errTemplate()
	}
	var out Role
	err := s.locked(ctx, func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error {
		var err error
		before, err := getRole(db, tenant, name)
		if err != nil {
			return err
		}
		if before.Template {
			return errTemplate()
		}
		c, err := callerOf(ctx, db, tenant)
		if err != nil {
			return err
		}
		var add, remove []string
		if u.Permissions != nil {
			add, remove = diff(before.Permissions, perms)
			if err := c.mayHandle(name, append(slices.Clone(add), remove...)); err != nil {
				return err
			}
		}
		set := map[string]any{"updated_at": gorm.Expr("now()")}
		if u.DisplayName != nil {
			set["display_name"] = *u.DisplayName
		}
		if u.Description != nil {
			set["description"] = *u.Description
		}
		if u.Scope != nil {
			set["scope"] = string(*u.Scope)
		}
		if err := db.Model(&roleRow{}).Where("tenant_id = ? and name = ?", tenant, name).Updates(set).Error; err != nil {
			return dbx.Err(err)
		}
		if err := revokePermissions(db, tenant, name, remove); err != nil {
			return err
		}
		if err := grantPermissions(db, tenant, name, add); err != nil {
			return err
		}
		if out, err = getRole(db, tenant, name); err != nil {
			return err
		}
		s.reloadAfterCommit(ctx, tenant)
		return nil
	})
	return out, err
}

// DeleteRole deletes a custom role, its permissions and every assignment of it in the tenant.
// Templates: Forbidden "role_is_template". The caller must hold all the role's permissions,
// since deleting it takes them from its holders.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if IsTemplate(name) {
		return errTemplate()
	}
	return s.locked(ctx, func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error {
		var err error
		r, err := getRole(db, tenant, name)
		if err != nil {
			return err
		}
		if r.Template {
			return errTemplate()
		}
		c, err := callerOf(ctx, db, tenant)
		if err != nil {
			return err
		}
		if err := c.mayHandle(name, r.Permissions); err != nil {
			return err
		}
		if err := deleteRoleRules(db, tenant, name); err != nil {
			return err
		}
		if err := db.Where("tenant_id = ? and name = ?", tenant, name).Delete(&roleRow{}).Error; err != nil {
			return dbx.Err(err)
		}
		s.reloadAfterCommit(ctx, tenant)
		return nil
	})
}

func checkTexts(v *errs.Validation, display, description string) {
	v.Check(utf8.RuneCountInString(display) <= maxDisplayName, "display_name", "must be at most 100 characters")
	v.Check(utf8.RuneCountInString(description) <= maxDescription, "description", "must be at most 1000 characters")
}

// checkPermissions records unknown permissions and returns the known ones without repeats.
func checkPermissions(v *errs.Validation, perms []string) []string {
	out := make([]string, 0, len(perms))
	for i, p := range perms {
		if !KnownPermission(p) {
			v.Add(fieldIndex("permissions", i), "unknown permission")
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sortPermissions(out)
	return out
}

// diff returns what to add to have to get want, and what to remove.
func diff(have, want []string) (add, remove []string) {
	for _, w := range want {
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	return add, remove
}
