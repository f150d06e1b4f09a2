// Package identitydb stores users, customers and bearer tokens in PostgreSQL.
package identitydb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// Repo implements identity.Repo.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func id(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

// conflict maps unique violations to account-level codes.
func conflict(err error) error {
	switch {
	case dbx.IsConstraint(err, "users_email_key"):
		return errs.Invalidf("email_taken", "another account uses this e-mail", errs.Field("email", "already in use"))
	case dbx.IsConstraint(err, "users_phone_key"):
		return errs.Invalidf("phone_taken", "another account uses this phone", errs.Field("phone", "already in use"))
	case dbx.IsConstraint(err, "users_store_fk"):
		return errs.InvalidFields(errs.Field("store_id", "no such store"))
	case dbx.IsConstraint(err, "users_franchisee_fk"):
		return errs.InvalidFields(errs.Field("franchisee_id", "no such franchisee"))
	}
	return dbx.Err(err)
}

// ---- users ----

type userRow struct {
	TenantID     uuid.UUID
	ID           uuid.UUID
	Email        *string
	Phone        *string
	PasswordHash string
	DisplayName  string
	Status       string
	FranchiseeID *uuid.UUID
	StoreID      *uuid.UUID
	Locale       string
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func userToRow(tid uuid.UUID, u identity.User) userRow {
	return userRow{TenantID: tid, ID: u.ID, Email: nullable(u.Email), Phone: nullable(u.Phone), PasswordHash: u.PasswordHash,
		DisplayName: u.DisplayName, Status: u.Status, FranchiseeID: nullID(u.FranchiseeID), StoreID: nullID(u.StoreID),
		Locale: u.Locale, LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func userToCore(r userRow) identity.User {
	return identity.User{ID: r.ID, Email: str(r.Email), Phone: str(r.Phone), PasswordHash: r.PasswordHash,
		DisplayName: r.DisplayName, Status: r.Status, FranchiseeID: id(r.FranchiseeID), StoreID: id(r.StoreID),
		Locale: r.Locale, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *Repo) CreateUser(ctx context.Context, u identity.User) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := userToRow(tid, u)
	if err := r.db.Conn(ctx).Create(&row).Error; err != nil {
		return conflict(err)
	}
	return nil
}

func (r *Repo) GetUser(ctx context.Context, uid uuid.UUID) (identity.User, error) {
	var row userRow
	if err := r.db.Conn(ctx).Where("id = ?", uid).Take(&row).Error; err != nil {
		return identity.User{}, dbx.ErrOr(err, identity.ErrUserNotFound)
	}
	return userToCore(row), nil
}

func (r *Repo) UserByLogin(ctx context.Context, email, phone string) (identity.User, error) {
	var row userRow
	q := r.db.Conn(ctx)
	switch {
	case email != "":
		q = q.Where("lower(email) = ?", email)
	case phone != "":
		q = q.Where("phone = ?", phone)
	default:
		return identity.User{}, identity.ErrUserNotFound
	}
	if err := q.Take(&row).Error; err != nil {
		return identity.User{}, dbx.ErrOr(err, identity.ErrUserNotFound)
	}
	return userToCore(row), nil
}

func (r *Repo) UpdateUser(ctx context.Context, uid uuid.UUID, fn func(*identity.User) error) (identity.User, error) {
	var row userRow
	db := r.db.Conn(ctx)
	if err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", uid).Take(&row).Error; err != nil {
		return identity.User{}, dbx.ErrOr(err, identity.ErrUserNotFound)
	}
	u := userToCore(row)
	if err := fn(&u); err != nil {
		return identity.User{}, err
	}
	row = userToRow(row.TenantID, u)
	if err := db.Where("tenant_id = ? and id = ?", row.TenantID, row.ID).Select("*").Updates(&row).Error; err != nil {
		return identity.User{}, conflict(err)
	}
	return u, nil
}

func (r *Repo) ListUsers(ctx context.Context, f identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
	q := r.db.Conn(ctx).Model(&userRow{})
	if f.StoreID != uuid.Nil {
		q = q.Where("store_id = ?", f.StoreID)
	}
	if f.FranchiseeID != uuid.Nil {
		q = q.Where("(franchisee_id = ? or store_id in (select id from stores where franchisee_id = ?))", f.FranchiseeID, f.FranchiseeID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Query != "" {
		like := "%" + f.Query + "%"
		q = q.Where("(display_name ilike ? or email ilike ? or phone like ?)", like, like, like)
	}
	var out page.Result[identity.User]
	if err := q.Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []userRow
	if err := q.Order("created_at, id").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]identity.User, 0, len(rows))
	for _, row := range rows {
		out.Items = append(out.Items, userToCore(row))
	}
	return out, nil
}

func (r *Repo) TouchUserLogin(ctx context.Context, uid uuid.UUID, at time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Model(&userRow{}).Where("id = ?", uid).Update("last_login_at", at).Error)
}

// ---- customers ----

type customerRow struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	Phone       string
	Name        string
	Email       *string
	Status      string
	Locale      string
	LastLoginAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (customerRow) TableName() string { return "customers" }

func customerToCore(r customerRow) identity.Customer {
	return identity.Customer{ID: r.ID, Phone: r.Phone, Name: r.Name, Email: str(r.Email), Status: r.Status,
		Locale: r.Locale, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *Repo) CustomerByPhone(ctx context.Context, phone string) (identity.Customer, error) {
	var row customerRow
	if err := r.db.Conn(ctx).Where("phone = ?", phone).Take(&row).Error; err != nil {
		return identity.Customer{}, dbx.ErrOr(err, identity.ErrCustomerMissing)
	}
	return customerToCore(row), nil
}

func (r *Repo) CreateCustomer(ctx context.Context, c identity.Customer) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := customerRow{TenantID: tid, ID: c.ID, Phone: c.Phone, Name: c.Name, Email: nullable(c.Email), Status: c.Status,
		Locale: c.Locale, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) GetCustomer(ctx context.Context, cid uuid.UUID) (identity.Customer, error) {
	var row customerRow
	if err := r.db.Conn(ctx).Where("id = ?", cid).Take(&row).Error; err != nil {
		return identity.Customer{}, dbx.ErrOr(err, identity.ErrCustomerMissing)
	}
	return customerToCore(row), nil
}

func (r *Repo) ListCustomers(ctx context.Context, query string, p page.Request) (page.Result[identity.Customer], error) {
	q := r.db.Conn(ctx).Model(&customerRow{})
	if query != "" {
		like := "%" + query + "%"
		q = q.Where("(name ilike ? or phone like ?)", like, like)
	}
	var out page.Result[identity.Customer]
	if err := q.Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []customerRow
	if err := q.Order("created_at desc, id").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]identity.Customer, 0, len(rows))
	for _, row := range rows {
		out.Items = append(out.Items, customerToCore(row))
	}
	return out, nil
}

func (r *Repo) TouchCustomerLogin(ctx context.Context, cid uuid.UUID, at time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Model(&customerRow{}).Where("id = ?", cid).Update("last_login_at", at).Error)
}

// ---- tokens ----

type tokenRow struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	SubjectKind string
	SubjectID   uuid.UUID
	TokenHash   []byte
	Name        string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func tokenToCore(r tokenRow) identity.Token {
	return identity.Token{ID: r.ID, SubjectKind: auth.Kind(r.SubjectKind), SubjectID: r.SubjectID, Hash: r.TokenHash,
		Name: r.Name, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

func (r *Repo) CreateToken(ctx context.Context, t identity.Token) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := tokenRow{TenantID: tid, ID: t.ID, SubjectKind: string(t.SubjectKind), SubjectID: t.SubjectID, TokenHash: t.Hash,
		Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) TokenByHash(ctx context.Context, hash []byte) (identity.Token, error) {
	var row tokenRow
	if err := r.db.Conn(ctx).Where("token_hash = ?", hash).Take(&row).Error; err != nil {
		return identity.Token{}, dbx.ErrOr(err, identity.ErrTokenNotFound)
	}
	return tokenToCore(row), nil
}

func (r *Repo) ListTokens(ctx context.Context, kind auth.Kind, subject uuid.UUID) ([]identity.Token, error) {
	var rows []tokenRow
	err := r.db.Conn(ctx).Where("subject_kind = ? and subject_id = ? and revoked_at is null and expires_at > now()", string(kind), subject).
		Order("created_at desc").Find(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]identity.Token, 0, len(rows))
	for _, row := range rows {
		out = append(out, tokenToCore(row))
	}
	return out, nil
}

func (r *Repo) RevokeToken(ctx context.Context, kind auth.Kind, subject, tokenID uuid.UUID, at time.Time) error {
	res := r.db.Conn(ctx).Model(&tokenRow{}).
		Where("id = ? and subject_kind = ? and subject_id = ? and revoked_at is null", tokenID, string(kind), subject).
		Update("revoked_at", at)
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return identity.ErrTokenNotFound
	}
	return nil
}

func (r *Repo) TouchToken(ctx context.Context, tokenID uuid.UUID, at time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Model(&tokenRow{}).Where("id = ?", tokenID).Update("last_used_at", at).Error)
}
