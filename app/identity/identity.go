// Package identity owns who can sign in to a tenant: staff-side user accounts (e-mail or phone
// and an argon2id password), customers (phone one-time codes), opaque bearer tokens for API
// clients, and turning a token or web session into an auth.Principal.
package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// User is a staff-side account.
type User struct {
	ID           uuid.UUID
	Email        string
	Phone        string // E.164
	PasswordHash string
	DisplayName  string
	Status       string // active, disabled
	FranchiseeID uuid.UUID
	StoreID      uuid.UUID
	Locale       string
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Customer is an end customer of the tenant's storefront.
type Customer struct {
	ID          uuid.UUID
	Phone       string
	Name        string
	Email       string
	Status      string
	Locale      string
	LastLoginAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Token is a bearer token's record; the secret itself is never stored.
type Token struct {
	ID          uuid.UUID
	SubjectKind auth.Kind
	SubjectID   uuid.UUID
	Hash        []byte
	Name        string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// UserFilter narrows a user listing; the service adds the caller's scope.
type UserFilter struct {
	StoreID      uuid.UUID
	FranchiseeID uuid.UUID
	Status       string
	Query        string
}

// Errors with stable codes.
var (
	ErrBadCredentials  = errs.New(errs.Unauthenticated, "invalid_credentials", "the login or password is wrong")
	ErrBadCode         = errs.New(errs.Unauthenticated, "invalid_code", "the code is wrong or has expired")
	ErrUnauthenticated = errs.New(errs.Unauthenticated, "unauthenticated", "sign in to continue")
	ErrTokenExpired    = errs.New(errs.Unauthenticated, "token_expired", "the token has expired; sign in again")
	ErrTokenRevoked    = errs.New(errs.Unauthenticated, "token_revoked", "the token has been revoked")
	ErrDisabled        = errs.New(errs.Forbidden, "account_disabled", "this account is disabled")
	ErrUserNotFound    = errs.New(errs.NotFound, "user_not_found", "no such user")
	ErrCustomerMissing = errs.New(errs.NotFound, "customer_not_found", "no such customer")
	ErrTokenNotFound   = errs.New(errs.NotFound, "token_not_found", "no such token")
)

// Repo persists accounts and tokens; every method runs in the caller's tenant transaction.
type Repo interface {
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id uuid.UUID) (User, error)
	UserByLogin(ctx context.Context, email, phone string) (User, error)
	UpdateUser(ctx context.Context, id uuid.UUID, fn func(*User) error) (User, error)
	ListUsers(ctx context.Context, f UserFilter, p page.Request) (page.Result[User], error)
	TouchUserLogin(ctx context.Context, id uuid.UUID, at time.Time) error

	CustomerByPhone(ctx context.Context, phone string) (Customer, error)
	CreateCustomer(ctx context.Context, c Customer) error
	GetCustomer(ctx context.Context, id uuid.UUID) (Customer, error)
	ListCustomers(ctx context.Context, query string, p page.Request) (page.Result[Customer], error)
	TouchCustomerLogin(ctx context.Context, id uuid.UUID, at time.Time) error

	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	ListTokens(ctx context.Context, kind auth.Kind, subject uuid.UUID) ([]Token, error)
	RevokeToken(ctx context.Context, kind auth.Kind, subject, id uuid.UUID, at time.Time) error
	TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error
}

// Roles tells identity which roles a subject holds and how far they reach (rbac provides it).
type Roles interface {
	RolesOf(tenantID uuid.UUID, subject string) []string
	ScopeOf(ctx context.Context, roles []string) (auth.Scope, error)
	Can(ctx context.Context, permission string) bool
}

// StoreLookup gives the franchisee of a store, for principals scoped to a store.
type StoreLookup interface {
	FranchiseeOf(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error)
}

// Auditor records sensitive reads and changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}
