// Package org owns a tenant's organisation below HQ: franchisees (legal entities with their own
// payout accounts) and stores (address, location, territory, opening hours). Data scope is a
// service rule here: HQ sees every store, a franchisee owner their franchisee's stores, store
// staff their own store.
package org

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// Franchisee is a legal entity that owns stores.
type Franchisee struct {
	ID           uuid.UUID
	Name         string
	LegalName    string
	ContactName  string
	ContactPhone string
	ContactEmail string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// OpeningHours is one weekday's window in the store's local time (Weekday 0 = Sunday).
type OpeningHours struct {
	Weekday int    `json:"weekday" minimum:"0" maximum:"6"`
	Open    string `json:"open" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" example:"08:00"`
	Close   string `json:"close" pattern:"^([01][0-9]|2[0-4]):[0-5][0-9]$" example:"20:00"`
}

// Store is a branch that serves a territory.
type Store struct {
	ID           uuid.UUID
	FranchiseeID uuid.UUID // uuid.Nil: operated directly by HQ
	Code         string
	Name         string
	Address      string
	Phone        string
	Location     *geo.Point
	Territory    *geo.Polygon
	OpeningHours []OpeningHours
	TimeZone     string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// StoreFilter narrows a store listing; Scope* fields are set by the service from the principal.
type StoreFilter struct {
	FranchiseeID uuid.UUID
	Status       string
	Query        string
	OnlyStore    uuid.UUID // scope: a single store
	OnlyFranch   uuid.UUID // scope: stores of one franchisee
}

// Errors with stable codes.
var (
	ErrStoreNotFound      = errs.New(errs.NotFound, "store_not_found", "no such store")
	ErrFranchiseeNotFound = errs.New(errs.NotFound, "franchisee_not_found", "no such franchisee")
	ErrInUse              = errs.New(errs.Conflict, "in_use", "the resource is still referenced")
	ErrOutOfScope         = errs.New(errs.Forbidden, "out_of_scope", "this is outside your part of the organisation")
)

// Repo is the persistence the service needs (Store is taken by the model).
type Repo interface {
	CreateFranchisee(ctx context.Context, f Franchisee) error
	GetFranchisee(ctx context.Context, id uuid.UUID) (Franchisee, error)
	UpdateFranchisee(ctx context.Context, id uuid.UUID, fn func(*Franchisee) error) (Franchisee, error)
	DeleteFranchisee(ctx context.Context, id uuid.UUID) error
	ListFranchisees(ctx context.Context, only uuid.UUID, p page.Request) (page.Result[Franchisee], error)

	CreateStore(ctx context.Context, s Store) error
	GetStore(ctx context.Context, id uuid.UUID) (Store, error)
	UpdateStore(ctx context.Context, id uuid.UUID, fn func(*Store) error) (Store, error)
	DeleteStore(ctx context.Context, id uuid.UUID) error
	ListStores(ctx context.Context, f StoreFilter, p page.Request) (page.Result[Store], error)
}

var (
	codeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	hhmmRe = regexp.MustCompile(`^([01][0-9]|2[0-4]):[0-5][0-9]$`)
)

func validateStore(s Store, v *errs.Validation) {
	v.Check(strings.TrimSpace(s.Name) != "" && len(s.Name) <= 200, "name", "must be 1 to 200 characters")
	v.Check(codeRe.MatchString(s.Code), "code", "1 to 32 letters, digits, dashes or underscores")
	v.Check(len(s.Address) <= 500, "address", "at most 500 characters")
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		v.Add("time_zone", "unknown IANA time zone")
	}
	if s.Territory != nil {
		if msg := s.Territory.Check(); msg != "" {
			v.Add("territory", msg)
		}
	}
	for i, h := range s.OpeningHours {
		f := "opening_hours[" + strconv.Itoa(i) + "]"
		v.Check(h.Weekday >= 0 && h.Weekday <= 6, f+".weekday", "0 (Sunday) to 6")
		v.Check(hhmmRe.MatchString(h.Open) && hhmmRe.MatchString(h.Close) && h.Open < h.Close, f, "open and close are HH:MM with open before close")
	}
}

func validateFranchisee(f Franchisee, v *errs.Validation) {
	v.Check(strings.TrimSpace(f.Name) != "" && len(f.Name) <= 200, "name", "must be 1 to 200 characters")
	v.Check(len(f.LegalName) <= 200, "legal_name", "at most 200 characters")
	v.Check(f.Status == "active" || f.Status == "inactive", "status", "active or inactive")
	v.Check(f.ContactEmail == "" || strings.Contains(f.ContactEmail, "@"), "contact_email", "must be an e-mail address")
}
