package wiring

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/org"
	"doorstep/tenant"
)

// provisioner sets up a new tenant inside its creation transaction: template roles, the owner
// account holding the owner role, and a first store.
type provisioner struct{ a *App }

func (p provisioner) Provision(ctx context.Context, t tenant.Tenant, n tenant.NewTenant) error {
	// Tenant creation is a platform act; without an operator principal (CLI, seed) the
	// platform itself acts.
	if pr, ok := auth.FromContext(ctx); !ok || pr.Kind != auth.Operator {
		ctx = auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
	}
	if err := p.a.Roles.SeedTenant(ctx); err != nil {
		return err
	}
	name := n.OwnerName
	if name == "" {
		name = "Owner"
	}
	_, err := p.a.Identity.CreateUser(ctx, identity.NewUser{Email: n.OwnerEmail, Phone: n.OwnerPhone, Password: n.OwnerPassword,
		DisplayName: name, Locale: t.Locale, Roles: []string{"owner"}}, p.a.Roles)
	if err != nil {
		return err
	}
	storeName := strings.TrimSpace(n.StoreName)
	if storeName == "" {
		if t.Locale == "en" {
			storeName = t.Name + " Flagship"
		} else {
			storeName = t.Name + " 旗舰店"
		}
	}
	_, err = p.a.Org.CreateStore(ctx, org.Store{Code: "S001", Name: storeName, TimeZone: t.TimeZone, FranchiseeID: uuid.Nil})
	return err
}
