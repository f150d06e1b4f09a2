package httpx

import (
	"fmt"

	"github.com/danielgtaylor/huma/v2"
)

// Audience says who may call an operation at all, before permissions.
type Audience string

const (
	Public   Audience = "public"   // anyone; the tenant comes from the Host where needed
	Staff    Audience = "staff"    // an authenticated staff-side user of the tenant
	Customer Audience = "customer" // an authenticated customer of the tenant
	Member   Audience = "member"   // any authenticated user or customer of the tenant
	Operator Audience = "operator" // a platform operator
)

// Access is attached to every operation. Permission is "object:action" from rbac's list.
type Access struct {
	Audience   Audience
	Permission string
	// TenantFromHost marks public operations that need the tenant resolved from the Host.
	TenantFromHost bool
}

const accessKey = "doorstep.access"

// Op attaches access rules to an operation; every operation must have them.
func Op(op huma.Operation, a Access) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[accessKey] = a
	if a.Permission != "" {
		op.Description = fmt.Sprintf("%s\n\nRequires permission `%s`.", op.Description, a.Permission)
	}
	return op
}

// AccessOf returns the access rules of an operation.
func AccessOf(op *huma.Operation) (Access, bool) {
	if op == nil || op.Metadata == nil {
		return Access{}, false
	}
	a, ok := op.Metadata[accessKey].(Access)
	return a, ok
}
