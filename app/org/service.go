package org

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// Auditor records changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

// Service runs franchisee and store management.
type Service struct {
	db    *dbx.DB
	repo  Repo
	audit Auditor
}

// NewService wires the org service.
func NewService(db *dbx.DB, repo Repo, a Auditor) *Service {
	return &Service{db: db, repo: repo, audit: a}
}

// scope returns the principal's reach; calls without a principal (system jobs, provisioning)
// have tenant scope.
func scope(ctx context.Context) (auth.Scope, uuid.UUID, uuid.UUID) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator {
		return auth.ScopeTenant, uuid.Nil, uuid.Nil
	}
	return p.Scope, p.FranchiseeID, p.StoreID
}

// canSeeStore applies the data scope to one store.
func canSeeStore(ctx context.Context, s Store) bool {
	sc, fr, st := scope(ctx)
	switch sc {
	case auth.ScopeTenant:
		return true
	case auth.ScopeFranchisee:
		return fr != uuid.Nil && s.FranchiseeID == fr
	default:
		return st != uuid.Nil && s.ID == st
	}
}

// ---- franchisees ----

// NewFranchisee is the input for creating a franchisee.
type NewFranchisee struct {
	Name, LegalName, ContactName, ContactPhone, ContactEmail string
}

// CreateFranchisee adds a franchisee (HQ only: tenant scope).
func (s *Service) CreateFranchisee(ctx context.Context, n NewFranchisee) (Franchisee, error) {
	if sc, _, _ := scope(ctx); sc != auth.ScopeTenant {
		return Franchisee{}, ErrOutOfScope
	}
	now := time.Now()
	f := Franchisee{ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(n.Name), LegalName: n.LegalName,
		ContactName: n.ContactName, ContactPhone: n.ContactPhone, ContactEmail: n.ContactEmail,
		Status: "active", CreatedAt: now, UpdatedAt: now}
	var v errs.Validation
	validateFranchisee(f, &v)
	if err := v.Err(); err != nil {
		return Franchisee{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.CreateFranchisee(ctx, f); err != nil {
			return err
		}
		return s.audit.Record(ctx, "franchisee.create", "franchisee", f.ID.String(), nil, f)
	})
	return f, err
}

// GetFranchisee returns a franchisee inside the caller's scope.
func (s *Service) GetFranchisee(ctx context.Context, id uuid.UUID) (Franchisee, error) {
	sc, fr, _ := scope(ctx)
	if sc != auth.ScopeTenant && fr != id {
		return Franchisee{}, ErrFranchiseeNotFound
	}
	var f Franchisee
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		f, err = s.repo.GetFranchisee(ctx, id)
		return err
	})
	return f, err
}

// ListFranchisees lists franchisees in scope.
func (s *Service) ListFranchisees(ctx context.Context, p page.Request) (page.Result[Franchisee], error) {
	sc, fr, _ := scope(ctx)
	only := uuid.Nil
	if sc != auth.ScopeTenant {
		if fr == uuid.Nil {
			return page.Result[Franchisee]{}, nil
		}
		only = fr
	}
	var out page.Result[Franchisee]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListFranchisees(ctx, only, p.Normalize())
		return err
	})
	return out, err
}

// FranchiseeUpdate is a partial update.
type FranchiseeUpdate struct {
	Name, LegalName, ContactName, ContactPhone, ContactEmail, Status *string
}

// UpdateFranchisee changes a franchisee (HQ only).
func (s *Service) UpdateFranchisee(ctx context.Context, id uuid.UUID, u FranchiseeUpdate) (Franchisee, error) {
	if sc, _, _ := scope(ctx); sc != auth.ScopeTenant {
		return Franchisee{}, ErrOutOfScope
	}
	var out Franchisee
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Franchisee
		var err error
		out, err = s.repo.UpdateFranchisee(ctx, id, func(f *Franchisee) error {
			before = *f
			set(&f.Name, u.Name)
			set(&f.LegalName, u.LegalName)
			set(&f.ContactName, u.ContactName)
			set(&f.ContactPhone, u.ContactPhone)
			set(&f.ContactEmail, u.ContactEmail)
			set(&f.Status, u.Status)
			f.UpdatedAt = time.Now()
			var v errs.Validation
			validateFranchisee(*f, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "franchisee.update", "franchisee", id.String(), before, out)
	})
	return out, err
}

// DeleteFranchisee removes a franchisee that owns no stores or accounts.
func (s *Service) DeleteFranchisee(ctx context.Context, id uuid.UUID) error {
	if sc, _, _ := scope(ctx); sc != auth.ScopeTenant {
		return ErrOutOfScope
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		f, err := s.repo.GetFranchisee(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteFranchisee(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "franchisee.delete", "franchisee", id.String(), f, nil)
	})
}

// ---- stores ----

// CreateStore adds a store. HQ may create any; a franchisee owner only under their franchisee.
func (s *Service) CreateStore(ctx context.Context, in Store) (Store, error) {
	sc, fr, _ := scope(ctx)
	switch sc {
	case auth.ScopeTenant:
	case auth.ScopeFranchisee:
		if in.FranchiseeID != uuid.Nil && in.FranchiseeID != fr {
			return Store{}, ErrOutOfScope
		}
		in.FranchiseeID = fr
	default:
		return Store{}, ErrOutOfScope
	}
	now := time.Now()
	in.ID, in.CreatedAt, in.UpdatedAt = uuid.Must(uuid.NewV7()), now, now
	in.Name = strings.TrimSpace(in.Name)
	if in.Status == "" {
		in.Status = "active"
	}
	if in.OpeningHours == nil {
		in.OpeningHours = []OpeningHours{}
	}
	var v errs.Validation
	validateStore(in, &v)
	if err := v.Err(); err != nil {
		return Store{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if in.FranchiseeID != uuid.Nil {
			if _, err := s.repo.GetFranchisee(ctx, in.FranchiseeID); err != nil {
				return errs.InvalidFields(errs.Field("franchisee_id", "no such franchisee"))
			}
		}
		if err := s.repo.CreateStore(ctx, in); err != nil {
			return err
		}
		return s.audit.Record(ctx, "store.create", "store", in.ID.String(), nil, in)
	})
	if err != nil {
		return Store{}, err
	}
	return in, nil
}

// GetStore returns a store inside the caller's scope; others are not found.
func (s *Service) GetStore(ctx context.Context, id uuid.UUID) (Store, error) {
	var st Store
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		st, err = s.repo.GetStore(ctx, id)
		return err
	})
	if err != nil {
		return Store{}, err
	}
	if !canSeeStore(ctx, st) {
		return Store{}, ErrStoreNotFound
	}
	return st, nil
}

// ListStores lists stores in scope.
func (s *Service) ListStores(ctx context.Context, f StoreFilter, p page.Request) (page.Result[Store], error) {
	sc, fr, st := scope(ctx)
	f.OnlyStore, f.OnlyFranch = uuid.Nil, uuid.Nil
	switch sc {
	case auth.ScopeTenant:
	case auth.ScopeFranchisee:
		if fr == uuid.Nil {
			return page.Result[Store]{}, nil
		}
		f.OnlyFranch = fr
	default:
		if st == uuid.Nil {
			return page.Result[Store]{}, nil
		}
		f.OnlyStore = st
	}
	var out page.Result[Store]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListStores(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

// StoreUpdate is a partial update. Location and Territory change only when their Set flag
// is true, so that null can clear them.
type StoreUpdate struct {
	Name, Address, Phone, TimeZone, Status, Code *string
	FranchiseeID                                 *uuid.UUID
	OpeningHours                                 *[]OpeningHours
	SetLocation                                  bool
	Location                                     *geo.Point
	SetTerritory                                 bool
	Territory                                    *geo.Polygon
}

// UpdateStore changes a store inside the caller's scope. Only HQ may move a store between
// franchisees or change its code.
func (s *Service) UpdateStore(ctx context.Context, id uuid.UUID, u StoreUpdate) (Store, error) {
	sc, _, _ := scope(ctx)
	if (u.FranchiseeID != nil || u.Code != nil) && sc != auth.ScopeTenant {
		return Store{}, ErrOutOfScope
	}
	var out Store
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Store
		var err error
		out, err = s.repo.UpdateStore(ctx, id, func(st *Store) error {
			if !canSeeStore(ctx, *st) {
				return ErrStoreNotFound
			}
			before = *st
			set(&st.Name, u.Name)
			set(&st.Address, u.Address)
			set(&st.Phone, u.Phone)
			set(&st.TimeZone, u.TimeZone)
			set(&st.Status, u.Status)
			set(&st.Code, u.Code)
			if u.FranchiseeID != nil {
				st.FranchiseeID = *u.FranchiseeID
			}
			if u.OpeningHours != nil {
				st.OpeningHours = *u.OpeningHours
			}
			if u.SetTerritory {
				st.Territory = u.Territory
			}
			if u.SetLocation {
				st.Location = u.Location
			}
			st.UpdatedAt = time.Now()
			var v errs.Validation
			validateStore(*st, &v)
			v.Check(st.Status == "active" || st.Status == "inactive", "status", "active or inactive")
			return v.Err()
		})
		if err != nil {
			return err
		}
		if u.FranchiseeID != nil && *u.FranchiseeID != uuid.Nil {
			if _, err := s.repo.GetFranchisee(ctx, *u.FranchiseeID); err != nil {
				return errs.InvalidFields(errs.Field("franchisee_id", "no such franchisee"))
			}
		}
		return s.audit.Record(ctx, "store.update", "store", id.String(), before, out)
	})
	return out, err
}

// DeleteStore removes a store that nothing references (HQ only).
func (s *Service) DeleteStore(ctx context.Context, id uuid.UUID) error {
	if sc, _, _ := scope(ctx); sc != auth.ScopeTenant {
		return ErrOutOfScope
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.repo.GetStore(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteStore(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "store.delete", "store", id.String(), st, nil)
	})
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// FranchiseeOf returns the franchisee that owns a store (uuid.Nil for HQ-run stores). It
// ignores the caller's scope: identity uses it to build principals.
func (s *Service) FranchiseeOf(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error) {
	var fr uuid.UUID
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.repo.GetStore(ctx, storeID)
		fr = st.FranchiseeID
		return err
	})
	return fr, err
}
