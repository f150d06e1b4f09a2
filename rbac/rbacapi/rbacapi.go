// Package rbacapi exposes the published permission list and a tenant's roles: HQ builds
// custom roles from the list; assignment lives with the users (PUT /users/{id}/roles).
package rbacapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"doorstep/app/auth"
	"doorstep/app/kit/httpx"
	"doorstep/rbac"
)

// PermissionDTO is one published permission.
type PermissionDTO struct {
	Name          string `json:"name" example:"stores:write"`
	Object        string `json:"object"`
	Action        string `json:"action"`
	DescriptionEN string `json:"description_en"`
	DescriptionZH string `json:"description_zh"`
}

// RoleDTO is a role of the tenant.
type RoleDTO struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Description string    `json:"description"`
	Scope       string    `json:"scope" enum:"tenant,franchisee,store,self"`
	Template    bool      `json:"template"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toDTO(r rbac.Role) RoleDTO {
	ps := r.Permissions
	if ps == nil {
		ps = []string{}
	}
	return RoleDTO{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Scope: string(r.Scope),
		Template: r.Template, Permissions: ps, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// NewRoleDTO creates a custom role.
type NewRoleDTO struct {
	Name        string   `json:"name" pattern:"^[a-z][a-z0-9_]{1,39}$"`
	DisplayName string   `json:"display_name,omitempty" maxLength:"100"`
	Description string   `json:"description,omitempty" maxLength:"500"`
	Scope       string   `json:"scope" enum:"tenant,franchisee,store,self"`
	Permissions []string `json:"permissions" maxItems:"100"`
}

// RolePatch changes a custom role.
type RolePatch struct {
	DisplayName *string   `json:"display_name,omitempty" maxLength:"100"`
	Description *string   `json:"description,omitempty" maxLength:"500"`
	Scope       *string   `json:"scope,omitempty" enum:"tenant,franchisee,store,self"`
	Permissions *[]string `json:"permissions,omitempty" maxItems:"100"`
}

// NamePath is the {name} path parameter; exported because huma only fills exported (embedded) fields.
type NamePath struct {
	Name string `path:"name" pattern:"^[a-z][a-z0-9_]{1,39}$"`
}

// Register adds the role operations.
func Register(h huma.API, s *rbac.Service) {
	tag := []string{"Roles"}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-permissions", Method: http.MethodGet, Path: "/api/v1/permissions",
		Summary: "The published permission list custom roles are built from", Tags: tag}, staff("roles:read")),
		func(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]PermissionDTO], error) {
			ps := rbac.Permissions()
			out := make([]PermissionDTO, 0, len(ps))
			for _, p := range ps {
				out = append(out, PermissionDTO(p))
			}
			return &httpx.Body[[]PermissionDTO]{Body: out}, nil
		})
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-roles", Method: http.MethodGet, Path: "/api/v1/roles", Summary: "List roles", Tags: tag}, staff("roles:read")),
		func(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]RoleDTO], error) {
			rs, err := s.ListRoles(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]RoleDTO, 0, len(rs))
			for _, r := range rs {
				out = append(out, toDTO(r))
			}
			return &httpx.Body[[]RoleDTO]{Body: out}, nil
		})
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-role", Method: http.MethodPost, Path: "/api/v1/roles", Summary: "Create a custom role", Tags: tag, DefaultStatus: http.StatusCreated}, staff("roles:write")),
		func(ctx context.Context, in *struct{ Body NewRoleDTO }) (*httpx.Body[RoleDTO], error) {
			b := in.Body
			r, err := s.CreateRole(ctx, rbac.NewRole{Name: b.Name, DisplayName: b.DisplayName, Description: b.Description, Scope: auth.Scope(b.Scope), Permissions: b.Permissions})
			if err != nil {
				return nil, err
			}
			return &httpx.Body[RoleDTO]{Body: toDTO(r)}, nil
		})
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-role", Method: http.MethodGet, Path: "/api/v1/roles/{name}", Summary: "Get a role", Tags: tag}, staff("roles:read")),
		func(ctx context.Context, in *NamePath) (*httpx.Body[RoleDTO], error) {
			r, err := s.GetRole(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			return &httpx.Body[RoleDTO]{Body: toDTO(r)}, nil
		})
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "update-role", Method: http.MethodPatch, Path: "/api/v1/roles/{name}", Summary: "Change a custom role", Tags: tag}, staff("roles:write")),
		func(ctx context.Context, in *struct {
			NamePath
			Body RolePatch
		}) (*httpx.Body[RoleDTO], error) {
			b := in.Body
			u := rbac.RoleUpdate{DisplayName: b.DisplayName, Description: b.Description, Permissions: b.Permissions}
			if b.Scope != nil {
				sc := auth.Scope(*b.Scope)
				u.Scope = &sc
			}
			r, err := s.UpdateRole(ctx, in.Name, u)
			if err != nil {
				return nil, err
			}
			return &httpx.Body[RoleDTO]{Body: toDTO(r)}, nil
		})
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "delete-role", Method: http.MethodDelete, Path: "/api/v1/roles/{name}", Summary: "Delete a custom role and its assignments", Tags: tag, DefaultStatus: http.StatusNoContent}, staff("roles:write")),
		func(ctx context.Context, in *NamePath) (*struct{}, error) {
			return nil, s.DeleteRole(ctx, in.Name)
		})
}
