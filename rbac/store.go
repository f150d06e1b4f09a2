package rbac

import (
	"context"
	"errors"
	"time"

	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// The gorm side of the service: rows of the roles table and casbin_rule. Every function takes
// the transaction's handle and the tenant; roles is also guarded by row-level security, while
// casbin_rule is a platform table, so the tenant filter on it is the only one.

type roleRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	Name        string    `gorm:"primaryKey"`
	DisplayName string
	Description string
	Scope       string
	Template    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (roleRow) TableName() string { return "roles" }

func errRoleNotFound(name string) error {
	return errs.New(errs.NotFound, "role_not_found", "there is no role "+name)
}

// lockTenant serialises role changes within one tenant for the rest of the transaction, which
// makes checks such as "is this the last owner" hold until commit.
func lockTenant(db *gorm.DB, tenant uuid.UUID) error {
	return dbx.Err(db.Exec("select pg_advisory_xact_lock(hashtextextended(?, 0))", "doorstep:rbac:"+tenant.String()).Error)
}

func findRole(db *gorm.DB, tenant uuid.UUID, name string) (roleRow, error) {
	var r roleRow
	err := db.Where("tenant_id = ? and name = ?", tenant, name).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, errRoleNotFound(name)
	}
	return r, dbx.Err(err)
}

// findRoles returns the tenant's roles, all of them when names is nil.
func findRoles(db *gorm.DB, tenant uuid.UUID, names []string) ([]roleRow, error) {
	if names != nil && len(names) == 0 {
		return nil, nil
	}
	q := db.Where("tenant_id = ?", tenant)
	if names != nil {
		q = q.Where("name in ?", names)
	}
	var rs []roleRow
	return rs, dbx.Err(q.Find(&rs).Error)
}

// permissionsOf returns role name → permissions for the tenant's roles, all of them when
// roles is nil.
func permissionsOf(db *gorm.DB, tenant uuid.UUID, roles []string) (map[string][]string, error) {
	out := map[string][]string{}
	if roles != nil && len(roles) == 0 {
		return out, nil
	}
	q := db.Where("ptype = 'p' and v1 = ?", tenant.String())
	if roles != nil {
		subs := make([]string, 0, len(roles))
		for _, r := range roles {
			subs = append(subs, RoleSubject(r))
		}
		q = q.Where("v0 in ?", subs)
	}
	var rules []gormadapter.CasbinRule
	if err := q.Find(&rules).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, r := range rules {
		if name, ok := roleFromSubject(r.V0); ok {
			out[name] = append(out[name], r.V2+":"+r.V3)
		}
	}
	for _, ps := range out {
		sortPermissions(ps)
	}
	return out, nil
}

func grantPermissions(db *gorm.DB, tenant uuid.UUID, role string, perms []string) error {
	if len(perms) == 0 {
		return nil
	}
	rules := make([]gormadapter.CasbinRule, 0, len(perms))
	for _, p := range perms {
		obj, act, _ := splitPermission(p)
		rules = append(rules, gormadapter.CasbinRule{Ptype: "p", V0: RoleSubject(role), V1: tenant.String(), V2: obj, V3: act})
	}
	return dbx.Err(db.Create(&rules).Error)
}

func revokePermissions(db *gorm.DB, tenant uuid.UUID, role string, perms []string) error {
	if len(perms) == 0 {
		return nil
	}
	return dbx.Err(db.Where("ptype = 'p' and v0 = ? and v1 = ? and v2 || ':' || v3 in ?", RoleSubject(role), tenant.String(), perms).
		Delete(&gormadapter.CasbinRule{}).Error)
}

// rolesHeld returns the names of the roles subject holds in the tenant.
func rolesHeld(db *gorm.DB, tenant uuid.UUID, subject string) ([]string, error) {
	var subs []string
	err := db.Model(&gormadapter.CasbinRule{}).Where("ptype = 'g' and v0 = ? and v2 = ?", subject, tenant.String()).
		Order("v1").Pluck("v1", &subs).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]string, 0, len(subs))
	for _, s := range subs {
		if name, ok := roleFromSubject(s); ok {
			out = append(out, name)
		}
	}
	return out, nil
}

func countHolders(db *gorm.DB, tenant uuid.UUID, role string) (int64, error) {
	var n int64
	err := db.Model(&gormadapter.CasbinRule{}).Where("ptype = 'g' and v1 = ? and v2 = ?", RoleSubject(role), tenant.String()).Count(&n).Error
	return n, dbx.Err(err)
}

func addAssignments(db *gorm.DB, tenant uuid.UUID, subject string, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	rules := make([]gormadapter.CasbinRule, 0, len(roles))
	for _, r := range roles {
		rules = append(rules, gormadapter.CasbinRule{Ptype: "g", V0: subject, V1: RoleSubject(r), V2: tenant.String()})
	}
	return dbx.Err(db.Create(&rules).Error)
}

func removeAssignments(db *gorm.DB, tenant uuid.UUID, subject string, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	subs := make([]string, len(roles))
	for i, r := range roles {
		subs[i] = RoleSubject(r)
	}
	return dbx.Err(db.Where("ptype = 'g' and v0 = ? and v1 in ? and v2 = ?", subject, subs, tenant.String()).
		Delete(&gormadapter.CasbinRule{}).Error)
}

// deleteRoleRules removes a role's permissions and every assignment of it in the tenant.
func deleteRoleRules(db *gorm.DB, tenant uuid.UUID, role string) error {
	err := db.Where("(ptype = 'p' and v0 = ? and v1 = ?) or (ptype = 'g' and v1 = ? and v2 = ?)",
		RoleSubject(role), tenant.String(), RoleSubject(role), tenant.String()).Delete(&gormadapter.CasbinRule{}).Error
	return dbx.Err(err)
}

func tenantLocale(db *gorm.DB, tenant uuid.UUID) (string, error) {
	var locale string
	err := db.Raw("select locale from tenants where id = ?", tenant).Scan(&locale).Error
	return locale, dbx.Err(err)
}

// tenantOf is the tenant of the context; the service is never called without one.
// locked runs fn in the caller's transaction (or a new one) holding the tenant's role lock, so
// that concurrent role changes of one tenant (e.g. two owners demoting each other) serialize.
func (s *Service) locked(ctx context.Context, fn func(ctx context.Context, db *gorm.DB, tenant uuid.UUID) error) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		tenant, err := tenantOf(ctx)
		if err != nil {
			return err
		}
		db := s.db.Conn(ctx)
		if err := lockTenant(db, tenant); err != nil {
			return err
		}
		return fn(ctx, db, tenant)
	})
}

func tenantOf(ctx context.Context) (uuid.UUID, error) {
	id, ok := dbx.TenantID(ctx)
	if !ok {
		return uuid.Nil, errs.New(errs.Internal, "tenant_missing", "no tenant in the context")
	}
	return id, nil
}
