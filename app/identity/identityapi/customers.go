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

// CustomerDTO is a customer; phone is masked unless the caller holds customers:phone.
type CustomerDTO struct {
	ID          uuid.UUID  `json:"id"`
	Phone       string     `json:"phone"`
	Name        string     `json:"name"`
	Email       string     `json:"email,omitempty"`
	Status      string     `json:"status"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toCustomerDTO(c identity.Customer, show bool) CustomerDTO {
	return CustomerDTO{ID: c.ID, Phone: maskUnless(show, c.Phone), Name: c.Name, Email: c.Email, Status: c.Status,
		LastLoginAt: c.LastLoginAt, CreatedAt: c.CreatedAt}
}

func registerCustomers(h huma.API, a api) {
	tag := []string{"Customers"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/api/v1/customers", Summary: "List customers", Tags: tag},
		httpx.Access{Audience: httpx.Staff, Permission: "customers:read"}), a.listCustomers)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/api/v1/customers/{id}", Summary: "Get a customer", Tags: tag},
		httpx.Access{Audience: httpx.Staff, Permission: "customers:read"}), a.getCustomer)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "reveal-customer-phone", Method: http.MethodPost, Path: "/api/v1/customers/{id}/phone",
		Summary: "Read a customer's full phone number (audited)", Tags: tag},
		httpx.Access{Audience: httpx.Staff, Permission: "customers:phone"}), a.revealPhone)
}

func (a api) listCustomers(ctx context.Context, in *struct {
	httpx.PageQuery
	Q string `query:"q" maxLength:"100"`
}) (*httpx.Body[httpx.List[CustomerDTO]], error) {
	p := in.Page()
	r, err := a.svc.ListCustomers(ctx, in.Q, p)
	if err != nil {
		return nil, err
	}
	show := a.svc.CanSeePhones(ctx, "customers:phone")
	return &httpx.Body[httpx.List[CustomerDTO]]{Body: httpx.ListOf(r, p, func(c identity.Customer) CustomerDTO { return toCustomerDTO(c, show) })}, nil
}

func (a api) getCustomer(ctx context.Context, in *struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}) (*httpx.Body[CustomerDTO], error) {
	c, err := a.svc.GetCustomer(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CustomerDTO]{Body: toCustomerDTO(c, a.svc.CanSeePhones(ctx, "customers:phone"))}, nil
}

func (a api) revealPhone(ctx context.Context, in *struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}) (*httpx.Body[struct {
	Phone string `json:"phone"`
}], error) {
	ph, err := a.svc.RevealCustomerPhone(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &httpx.Body[struct {
		Phone string `json:"phone"`
	}]{}
	out.Body.Phone = ph
	return out, nil
}
