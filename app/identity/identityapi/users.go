package identityapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/identity"
	"doorstep/app/kit/httpx"
)

// UserDTO is a staff-side account; phone is masked for callers without users:write.
type UserDTO struct {
	ID           uuid.UUID  `json:"id"`
	Email        string     `json:"email,omitempty"`
	Phone        string     `json:"phone,omitempty"`
	DisplayName  string     `json:"display_name"`
	Status       string     `json:"status" enum:"active,disabled"`
	FranchiseeID *uuid.UUID `json:"franchisee_id,omitempty"`
	StoreID      *uuid.UUID `json:"store_id,omitempty"`
	Locale       string     `json:"locale,omitempty"`
	Roles        []string   `json:"roles"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func optID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func (a api) toUserDTO(ctx context.Context, u identity.User, showPhone bool) UserDTO {
	roles := a.roles.RolesOf(ctx, "user:"+u.ID.String())
	if roles == nil {
		roles = []string{}
	}
	return UserDTO{ID: u.ID, Email: u.Email, Phone: maskUnless(showPhone, u.Phone), DisplayName: u.DisplayName, Status: u.Status,
		FranchiseeID: optID(u.FranchiseeID), StoreID: optID(u.StoreID), Locale: u.Locale, Roles: roles,
		LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt}
}

// NewUserDTO creates a staff-side account.
type NewUserDTO struct {
	Email        string     `json:"email,omitempty" maxLength:"254"`
	Phone        string     `json:"phone,omitempty" maxLength:"32"`
	Password     string     `json:"password" minLength:"10" maxLength:"200"`
	DisplayName  string     `json:"display_name,omitempty" maxLength:"100"`
	FranchiseeID *uuid.UUID `json:"franchisee_id,omitempty"`
	StoreID      *uuid.UUID `json:"store_id,omitempty"`
	Locale       string     `json:"locale,omitempty" enum:"zh-CN,en,"`
	Roles        []string   `json:"roles,omitempty" maxItems:"20"`
}

// UserPatch changes an account.
type UserPatch struct {
	Email        *string    `json:"email,omitempty" maxLength:"254"`
	Phone        *string    `json:"phone,omitempty" maxLength:"32"`
	Password     *string    `json:"password,omitempty" minLength:"10" maxLength:"200"`
	DisplayName  *string    `json:"display_name,omitempty" maxLength:"100"`
	Status       *string    `json:"status,omitempty" enum:"active,disabled"`
	FranchiseeID *uuid.UUID `json:"franchisee_id,omitempty"`
	StoreID      *uuid.UUID `json:"store_id,omitempty"`
	Locale       *string    `json:"locale,omitempty" enum:"zh-CN,en,"`
}

func registerUsers(h huma.API, a api) {
	tag := []string{"Users"}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users", Summary: "List staff-side accounts in your scope", Tags: tag}, staff("users:read")), a.listUsers)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/api/v1/users", Summary: "Create a staff-side account", Tags: tag, DefaultStatus: http.StatusCreated}, staff("users:write")), a.createUser)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/api/v1/users/{id}", Summary: "Get an account", Tags: tag}, staff("users:read")), a.getUser)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/api/v1/users/{id}", Summary: "Change an account", Tags: tag}, staff("users:write")), a.updateUser)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "set-user-roles", Method: http.MethodPut, Path: "/api/v1/users/{id}/roles", Summary: "Replace an account's roles", Tags: tag}, staff("roles:assign")), a.setRoles)
}

func (a api) listUsers(ctx context.Context, in *struct {
	httpx.PageQuery
	StoreID string `query:"store_id" format:"uuid"`
	Status  string `query:"status" enum:"active,disabled,"`
	Q       string `query:"q" maxLength:"100"`
}) (*httpx.Body[httpx.List[UserDTO]], error) {
	p := in.Page()
	f := identity.UserFilter{Status: in.Status, Query: in.Q}
	if in.StoreID != "" {
		f.StoreID = uuid.MustParse(in.StoreID)
	}
	r, err := a.svc.ListUsers(ctx, f, p)
	if err != nil {
		return nil, err
	}
	show := a.svc.CanSeePhones(ctx, "users:write")
	return &httpx.Body[httpx.List[UserDTO]]{Body: httpx.ListOf(r, p, func(u identity.User) UserDTO { return a.toUserDTO(ctx, u, show) })}, nil
}

func (a api) createUser(ctx context.Context, in *struct{ Body NewUserDTO }) (*httpx.Body[UserDTO], error) {
	b := in.Body
	n := identity.NewUser{Email: b.Email, Phone: b.Phone, Password: b.Password, DisplayName: b.DisplayName, Locale: b.Locale, Roles: b.Roles}
	if b.FranchiseeID != nil {
		n.FranchiseeID = *b.FranchiseeID
	}
	if b.StoreID != nil {
		n.StoreID = *b.StoreID
	}
	u, err := a.svc.CreateUser(ctx, n, a.roles)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[UserDTO]{Body: a.toUserDTO(ctx, u, true)}, nil
}

func (a api) getUser(ctx context.Context, in *struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}) (*httpx.Body[UserDTO], error) {
	u, err := a.svc.GetUser(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[UserDTO]{Body: a.toUserDTO(ctx, u, a.svc.CanSeePhones(ctx, "users:write"))}, nil
}

func (a api) updateUser(ctx context.Context, in *struct {
	ID   uuid.UUID `path:"id"`
	Body UserPatch
}) (*httpx.Body[UserDTO], error) {
	b := in.Body
	u, err := a.svc.UpdateUser(ctx, in.ID, identity.UserUpdate{Email: b.Email, Phone: b.Phone, DisplayName: b.DisplayName, Status: b.Status,
		Locale: b.Locale, Password: b.Password, StoreID: b.StoreID, FranchiseeID: b.FranchiseeID})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[UserDTO]{Body: a.toUserDTO(ctx, u, true)}, nil
}

func (a api) setRoles(ctx context.Context, in *struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Roles []string `json:"roles" maxItems:"20"`
	}
}) (*httpx.Body[UserDTO], error) {
	// The account must be in the caller's scope before its roles can change.
	u, err := a.svc.GetUser(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := a.svc.InTx(ctx, func(ctx context.Context) error {
		return a.roles.AssignRoles(ctx, "user:"+u.ID.String(), in.Body.Roles)
	}); err != nil {
		return nil, err
	}
	return &httpx.Body[UserDTO]{Body: a.toUserDTO(ctx, u, a.svc.CanSeePhones(ctx, "users:write"))}, nil
}
