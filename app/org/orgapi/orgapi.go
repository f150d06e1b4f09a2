// Package orgapi exposes franchisees and stores.
package orgapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
	"doorstep/app/org"
)

// FranchiseeDTO is a franchisee in the API.
type FranchiseeDTO struct {
	ID           uuid.UUID `json:"id"`
	Name         string    `json:"name"`
	LegalName    string    `json:"legal_name"`
	ContactName  string    `json:"contact_name"`
	ContactPhone string    `json:"contact_phone"`
	ContactEmail string    `json:"contact_email"`
	Status       string    `json:"status" enum:"active,inactive"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toFranchiseeDTO(f org.Franchisee) FranchiseeDTO {
	return FranchiseeDTO{ID: f.ID, Name: f.Name, LegalName: f.LegalName, ContactName: f.ContactName, ContactPhone: f.ContactPhone,
		ContactEmail: f.ContactEmail, Status: f.Status, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// NewFranchiseeDTO creates a franchisee.
type NewFranchiseeDTO struct {
	Name         string `json:"name" minLength:"1" maxLength:"200"`
	LegalName    string `json:"legal_name,omitempty" maxLength:"200"`
	ContactName  string `json:"contact_name,omitempty" maxLength:"100"`
	ContactPhone string `json:"contact_phone,omitempty" maxLength:"32"`
	ContactEmail string `json:"contact_email,omitempty" maxLength:"254"`
}

// FranchiseePatch changes a franchisee.
type FranchiseePatch struct {
	Name         *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	LegalName    *string `json:"legal_name,omitempty" maxLength:"200"`
	ContactName  *string `json:"contact_name,omitempty" maxLength:"100"`
	ContactPhone *string `json:"contact_phone,omitempty" maxLength:"32"`
	ContactEmail *string `json:"contact_email,omitempty" maxLength:"254"`
	Status       *string `json:"status,omitempty" enum:"active,inactive"`
}

// StoreDTO is a store in the API; territory is a GeoJSON Polygon.
type StoreDTO struct {
	ID           uuid.UUID          `json:"id"`
	FranchiseeID *uuid.UUID         `json:"franchisee_id"`
	Code         string             `json:"code"`
	Name         string             `json:"name"`
	Address      string             `json:"address"`
	Phone        string             `json:"phone"`
	Location     *geo.Point         `json:"location"`
	Territory    *geo.Polygon       `json:"territory"`
	OpeningHours []org.OpeningHours `json:"opening_hours"`
	TimeZone     string             `json:"time_zone"`
	Status       string             `json:"status" enum:"active,inactive"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

func toStoreDTO(s org.Store) StoreDTO {
	d := StoreDTO{ID: s.ID, Code: s.Code, Name: s.Name, Address: s.Address, Phone: s.Phone, Location: s.Location,
		Territory: s.Territory, OpeningHours: s.OpeningHours, TimeZone: s.TimeZone, Status: s.Status, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.FranchiseeID != uuid.Nil {
		id := s.FranchiseeID
		d.FranchiseeID = &id
	}
	return d
}

// NewStoreDTO creates a store.
type NewStoreDTO struct {
	FranchiseeID *uuid.UUID         `json:"franchisee_id,omitempty"`
	Code         string             `json:"code" pattern:"^[A-Za-z0-9_-]{1,32}$"`
	Name         string             `json:"name" minLength:"1" maxLength:"200"`
	Address      string             `json:"address,omitempty" maxLength:"500"`
	Phone        string             `json:"phone,omitempty" maxLength:"32"`
	Location     *geo.Point         `json:"location,omitempty"`
	Territory    *geo.Polygon       `json:"territory,omitempty"`
	OpeningHours []org.OpeningHours `json:"opening_hours,omitempty" maxItems:"21"`
	TimeZone     string             `json:"time_zone" example:"Asia/Shanghai"`
}

// StorePatch changes a store. Send "territory": null to remove the territory.
type StorePatch struct {
	FranchiseeID *uuid.UUID          `json:"franchisee_id,omitempty"`
	Code         *string             `json:"code,omitempty" pattern:"^[A-Za-z0-9_-]{1,32}$"`
	Name         *string             `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Address      *string             `json:"address,omitempty" maxLength:"500"`
	Phone        *string             `json:"phone,omitempty" maxLength:"32"`
	Location     OptionalPoint       `json:"location,omitempty"`
	Territory    OptionalPolygon     `json:"territory,omitempty"`
	OpeningHours *[]org.OpeningHours `json:"opening_hours,omitempty" maxItems:"21"`
	TimeZone     *string             `json:"time_zone,omitempty"`
	Status       *string             `json:"status,omitempty" enum:"active,inactive"`
}

type api struct{ svc *org.Service }

// Register adds franchisee and store operations.
func Register(h huma.API, svc *org.Service) {
	a := api{svc: svc}
	tag := []string{"Franchisees"}
	reg := func(op huma.Operation, perm string) huma.Operation {
		return httpx.Op(op, httpx.Access{Audience: httpx.Staff, Permission: perm})
	}
	huma.Register(h, reg(huma.Operation{OperationID: "list-franchisees", Method: http.MethodGet, Path: "/api/v1/franchisees", Summary: "List franchisees", Tags: tag}, "franchisees:read"), a.listFranchisees)
	huma.Register(h, reg(huma.Operation{OperationID: "create-franchisee", Method: http.MethodPost, Path: "/api/v1/franchisees", Summary: "Create a franchisee", Tags: tag, DefaultStatus: http.StatusCreated}, "franchisees:write"), a.createFranchisee)
	huma.Register(h, reg(huma.Operation{OperationID: "get-franchisee", Method: http.MethodGet, Path: "/api/v1/franchisees/{id}", Summary: "Get a franchisee", Tags: tag}, "franchisees:read"), a.getFranchisee)
	huma.Register(h, reg(huma.Operation{OperationID: "update-franchisee", Method: http.MethodPatch, Path: "/api/v1/franchisees/{id}", Summary: "Change a franchisee", Tags: tag}, "franchisees:write"), a.updateFranchisee)
	huma.Register(h, reg(huma.Operation{OperationID: "delete-franchisee", Method: http.MethodDelete, Path: "/api/v1/franchisees/{id}", Summary: "Delete a franchisee without stores", Tags: tag, DefaultStatus: http.StatusNoContent}, "franchisees:write"), a.deleteFranchisee)

	tag = []string{"Stores"}
	huma.Register(h, reg(huma.Operation{OperationID: "list-stores", Method: http.MethodGet, Path: "/api/v1/stores", Summary: "List stores in your scope", Tags: tag}, "stores:read"), a.listStores)
	huma.Register(h, reg(huma.Operation{OperationID: "create-store", Method: http.MethodPost, Path: "/api/v1/stores", Summary: "Create a store", Tags: tag, DefaultStatus: http.StatusCreated}, "stores:write"), a.createStore)
	huma.Register(h, reg(huma.Operation{OperationID: "get-store", Method: http.MethodGet, Path: "/api/v1/stores/{id}", Summary: "Get a store", Tags: tag}, "stores:read"), a.getStore)
	huma.Register(h, reg(huma.Operation{OperationID: "update-store", Method: http.MethodPatch, Path: "/api/v1/stores/{id}", Summary: "Change a store", Tags: tag}, "stores:write"), a.updateStore)
	huma.Register(h, reg(huma.Operation{OperationID: "delete-store", Method: http.MethodDelete, Path: "/api/v1/stores/{id}", Summary: "Delete a store nothing references", Tags: tag, DefaultStatus: http.StatusNoContent}, "stores:write"), a.deleteStore)
}

// IDPath is the {id} path parameter; exported because huma only fills exported (embedded) fields.
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) listFranchisees(ctx context.Context, in *httpx.PageQuery) (*httpx.Body[httpx.List[FranchiseeDTO]], error) {
	p := in.Page()
	r, err := a.svc.ListFranchisees(ctx, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[FranchiseeDTO]]{Body: httpx.ListOf(r, p, toFranchiseeDTO)}, nil
}

func (a api) createFranchisee(ctx context.Context, in *struct{ Body NewFranchiseeDTO }) (*httpx.Body[FranchiseeDTO], error) {
	b := in.Body
	f, err := a.svc.CreateFranchisee(ctx, org.NewFranchisee{Name: b.Name, LegalName: b.LegalName, ContactName: b.ContactName,
		ContactPhone: b.ContactPhone, ContactEmail: b.ContactEmail})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[FranchiseeDTO]{Body: toFranchiseeDTO(f)}, nil
}

func (a api) getFranchisee(ctx context.Context, in *IDPath) (*httpx.Body[FranchiseeDTO], error) {
	f, err := a.svc.GetFranchisee(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[FranchiseeDTO]{Body: toFranchiseeDTO(f)}, nil
}

func (a api) updateFranchisee(ctx context.Context, in *struct {
	IDPath
	Body FranchiseePatch
}) (*httpx.Body[FranchiseeDTO], error) {
	b := in.Body
	f, err := a.svc.UpdateFranchisee(ctx, in.ID, org.FranchiseeUpdate{Name: b.Name, LegalName: b.LegalName, ContactName: b.ContactName,
		ContactPhone: b.ContactPhone, ContactEmail: b.ContactEmail, Status: b.Status})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[FranchiseeDTO]{Body: toFranchiseeDTO(f)}, nil
}

func (a api) deleteFranchisee(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteFranchisee(ctx, in.ID)
}

func (a api) listStores(ctx context.Context, in *struct {
	httpx.PageQuery
	FranchiseeID string `query:"franchisee_id" format:"uuid" doc:"Only stores of this franchisee"`
	Status       string `query:"status" enum:"active,inactive,"`
	Q            string `query:"q" maxLength:"100" doc:"Search name, code and address"`
}) (*httpx.Body[httpx.List[StoreDTO]], error) {
	p := in.Page()
	f := org.StoreFilter{Status: in.Status, Query: in.Q}
	if in.FranchiseeID != "" {
		f.FranchiseeID = uuid.MustParse(in.FranchiseeID) // validated by format:"uuid"
	}
	r, err := a.svc.ListStores(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[StoreDTO]]{Body: httpx.ListOf(r, p, toStoreDTO)}, nil
}

func (a api) createStore(ctx context.Context, in *struct{ Body NewStoreDTO }) (*httpx.Body[StoreDTO], error) {
	b := in.Body
	s := org.Store{Code: b.Code, Name: b.Name, Address: b.Address, Phone: b.Phone, Location: b.Location, Territory: b.Territory,
		OpeningHours: b.OpeningHours, TimeZone: b.TimeZone}
	if b.FranchiseeID != nil {
		s.FranchiseeID = *b.FranchiseeID
	}
	out, err := a.svc.CreateStore(ctx, s)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StoreDTO]{Body: toStoreDTO(out)}, nil
}

func (a api) getStore(ctx context.Context, in *IDPath) (*httpx.Body[StoreDTO], error) {
	s, err := a.svc.GetStore(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StoreDTO]{Body: toStoreDTO(s)}, nil
}

func (a api) updateStore(ctx context.Context, in *struct {
	IDPath
	Body StorePatch
}) (*httpx.Body[StoreDTO], error) {
	b := in.Body
	u := org.StoreUpdate{Name: b.Name, Address: b.Address, Phone: b.Phone, TimeZone: b.TimeZone, Status: b.Status, Code: b.Code,
		FranchiseeID: b.FranchiseeID, OpeningHours: b.OpeningHours,
		SetLocation: b.Location.Set, Location: b.Location.Value, SetTerritory: b.Territory.Set, Territory: b.Territory.Value}
	s, err := a.svc.UpdateStore(ctx, in.ID, u)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StoreDTO]{Body: toStoreDTO(s)}, nil
}

func (a api) deleteStore(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteStore(ctx, in.ID)
}
