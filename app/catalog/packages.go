package catalog

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/money"
)

// ---- packages ----

// CreatePackage adds a package to a service. Frequency defaults to "once".
func (s *Service) CreatePackage(ctx context.Context, serviceID uuid.UUID, p Package) (Package, error) {
	if err := hqOnly(ctx); err != nil {
		return Package{}, err
	}
	now := s.now()
	p.ID, p.ServiceID, p.CreatedAt, p.UpdatedAt = uuid.Must(uuid.NewV7()), serviceID, now, now
	p.NameZh, p.NameEn = strings.TrimSpace(p.NameZh), strings.TrimSpace(p.NameEn)
	if p.Frequency == "" {
		p.Frequency = "once"
	}
	var v errs.Validation
	validatePackage(p, &v)
	if err := v.Err(); err != nil {
		return Package{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.repo.GetService(ctx, serviceID); err != nil {
			return err
		}
		if err := s.repo.CreatePackage(ctx, p); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.package.create", "catalog_package", p.ID.String(), nil, p)
	})
	if err != nil {
		return Package{}, err
	}
	return p, nil
}

// GetPackage returns a package in any state (console).
func (s *Service) GetPackage(ctx context.Context, id uuid.UUID) (Package, error) {
	var out Package
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.GetPackage(ctx, id)
		return err
	})
	return out, err
}

// Packages lists a service's packages in any state (console), by position.
func (s *Service) Packages(ctx context.Context, serviceID uuid.UUID) ([]Package, error) {
	var out []Package
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.repo.GetService(ctx, serviceID); err != nil {
			return err
		}
		var err error
		out, err = s.repo.Packages(ctx, []uuid.UUID{serviceID})
		return err
	})
	return out, err
}

// PackageUpdate is a partial update; SetArea changes both area bounds (0 = unbounded).
type PackageUpdate struct {
	NameZh, NameEn                      *string
	SetArea                             bool
	AreaMinSqm, AreaMaxSqm              int
	DirtLevel, Frequency                *string
	DurationMinutes                     *int
	ListPrice, FloorPrice, CeilingPrice *int64
	Locked, Active                      *bool
	Position                            *int
}

// UpdatePackage changes a package. When the floor or ceiling moves, store overrides left
// outside the new bounds are clamped into them in the same transaction, each with an audit row.
func (s *Service) UpdatePackage(ctx context.Context, id uuid.UUID, u PackageUpdate) (Package, error) {
	if err := hqOnly(ctx); err != nil {
		return Package{}, err
	}
	var out Package
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Package
		var err error
		out, err = s.repo.UpdatePackage(ctx, id, func(p *Package) error {
			before = *p
			set(&p.NameZh, u.NameZh)
			set(&p.NameEn, u.NameEn)
			p.NameZh, p.NameEn = strings.TrimSpace(p.NameZh), strings.TrimSpace(p.NameEn)
			if u.SetArea {
				p.AreaMinSqm, p.AreaMaxSqm = u.AreaMinSqm, u.AreaMaxSqm
			}
			set(&p.DirtLevel, u.DirtLevel)
			set(&p.Frequency, u.Frequency)
			set(&p.DurationMinutes, u.DurationMinutes)
			set(&p.ListPrice, u.ListPrice)
			set(&p.FloorPrice, u.FloorPrice)
			set(&p.CeilingPrice, u.CeilingPrice)
			set(&p.Locked, u.Locked)
			set(&p.Active, u.Active)
			set(&p.Position, u.Position)
			p.UpdatedAt = s.now()
			var v errs.Validation
			validatePackage(*p, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		if err := s.audit.Record(ctx, "catalog.package.update", "catalog_package", id.String(), before, out); err != nil {
			return err
		}
		if out.FloorPrice > before.FloorPrice || out.CeilingPrice < before.CeilingPrice {
			return s.clampOverrides(ctx, out)
		}
		return nil
	})
	return out, err
}

// clampOverrides moves every override of p that lies outside p's bounds to the nearest bound.
func (s *Service) clampOverrides(ctx context.Context, p Package) error {
	stranded, err := s.repo.OverridesOutside(ctx, p.ID, p.FloorPrice, p.CeilingPrice)
	if err != nil {
		return err
	}
	for _, before := range stranded {
		after := before
		price := min(max(*before.Price, p.FloorPrice), p.CeilingPrice)
		after.Price, after.UpdatedAt, after.UpdatedBy = &price, s.now(), actor(ctx)
		if err := s.repo.SaveStorePrice(ctx, after); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, "catalog.store_price.clamp", "catalog_store_price", storePriceID(after), before, after); err != nil {
			return err
		}
	}
	return nil
}

func storePriceID(sp StorePrice) string { return sp.StoreID.String() + "/" + sp.PackageID.String() }

// DeletePackage removes a package and its store overrides.
func (s *Service) DeletePackage(ctx context.Context, id uuid.UUID) error {
	if err := hqOnly(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		p, err := s.repo.GetPackage(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeletePackage(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.package.delete", "catalog_package", id.String(), p, nil)
	})
}

// ---- add-ons ----

// CreateAddOn adds an add-on to a service.
func (s *Service) CreateAddOn(ctx context.Context, serviceID uuid.UUID, a AddOn) (AddOn, error) {
	if err := hqOnly(ctx); err != nil {
		return AddOn{}, err
	}
	now := s.now()
	a.ID, a.ServiceID, a.CreatedAt, a.UpdatedAt = uuid.Must(uuid.NewV7()), serviceID, now, now
	a.NameZh, a.NameEn = strings.TrimSpace(a.NameZh), strings.TrimSpace(a.NameEn)
	var v errs.Validation
	validateAddOn(a, &v)
	if err := v.Err(); err != nil {
		return AddOn{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.repo.GetService(ctx, serviceID); err != nil {
			return err
		}
		if err := s.repo.CreateAddOn(ctx, a); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.add_on.create", "catalog_add_on", a.ID.String(), nil, a)
	})
	if err != nil {
		return AddOn{}, err
	}
	return a, nil
}

// AddOns lists a service's add-ons in any state (console), by position.
func (s *Service) AddOns(ctx context.Context, serviceID uuid.UUID) ([]AddOn, error) {
	var out []AddOn
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.repo.GetService(ctx, serviceID); err != nil {
			return err
		}
		var err error
		out, err = s.repo.AddOns(ctx, []uuid.UUID{serviceID})
		return err
	})
	return out, err
}

// AddOnUpdate is a partial update.
type AddOnUpdate struct {
	NameZh, NameEn  *string
	Price           *int64
	DurationMinutes *int
	Active          *bool
	Position        *int
}

// UpdateAddOn changes an add-on.
func (s *Service) UpdateAddOn(ctx context.Context, id uuid.UUID, u AddOnUpdate) (AddOn, error) {
	if err := hqOnly(ctx); err != nil {
		return AddOn{}, err
	}
	var out AddOn
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before AddOn
		var err error
		out, err = s.repo.UpdateAddOn(ctx, id, func(a *AddOn) error {
			before = *a
			set(&a.NameZh, u.NameZh)
			set(&a.NameEn, u.NameEn)
			a.NameZh, a.NameEn = strings.TrimSpace(a.NameZh), strings.TrimSpace(a.NameEn)
			set(&a.Price, u.Price)
			set(&a.DurationMinutes, u.DurationMinutes)
			set(&a.Active, u.Active)
			set(&a.Position, u.Position)
			a.UpdatedAt = s.now()
			var v errs.Validation
			validateAddOn(*a, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.add_on.update", "catalog_add_on", id.String(), before, out)
	})
	return out, err
}

// DeleteAddOn removes an add-on.
func (s *Service) DeleteAddOn(ctx context.Context, id uuid.UUID) error {
	if err := hqOnly(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		a, err := s.repo.GetAddOn(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteAddOn(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.add_on.delete", "catalog_add_on", id.String(), a, nil)
	})
}

// ---- store overrides ----

// SetStorePrice overrides a package at a store: price nil sells at the list price, available
// false takes it off sale there. The store must be in the caller's data scope, the package
// not locked and the price within the package's floor and ceiling.
func (s *Service) SetStorePrice(ctx context.Context, storeID, packageID uuid.UUID, price *int64, available bool) (StorePrice, error) {
	if price != nil && (*price < 0 || *price > money.MaxInput) {
		return StorePrice{}, invalid("price", priceRange)
	}
	var out StorePrice
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.stores.GetStore(ctx, storeID); err != nil {
			return err
		}
		p, err := s.repo.GetPackage(ctx, packageID)
		if err != nil {
			return err
		}
		if p.Locked {
			return ErrPackageLocked
		}
		if price != nil && (*price < p.FloorPrice || *price > p.CeilingPrice) {
			e := *ErrPriceOutOfBounds
			e.Fields = []errs.FieldError{errs.Field("price", boundsMsg(p))}
			return &e
		}
		before, err := s.repo.GetStorePrice(ctx, storeID, packageID, true)
		var prev any
		switch {
		case err == nil:
			prev = before
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		out = StorePrice{StoreID: storeID, PackageID: packageID, Price: price, Available: available, UpdatedAt: s.now(), UpdatedBy: actor(ctx)}
		if err := s.repo.SaveStorePrice(ctx, out); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.store_price.set", "catalog_store_price", storePriceID(out), prev, out)
	})
	return out, err
}

func boundsMsg(p Package) string {
	return "between " + strconv.FormatInt(p.FloorPrice, 10) + " and " + strconv.FormatInt(p.CeilingPrice, 10) + " (minor units)"
}

// DeleteStorePrice removes a store's override: the package sells at list price again.
func (s *Service) DeleteStorePrice(ctx context.Context, storeID, packageID uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.stores.GetStore(ctx, storeID); err != nil {
			return err
		}
		p, err := s.repo.GetPackage(ctx, packageID)
		if err != nil {
			return err
		}
		if p.Locked {
			return ErrPackageLocked
		}
		before, err := s.repo.GetStorePrice(ctx, storeID, packageID, true)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteStorePrice(ctx, storeID, packageID); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.store_price.delete", "catalog_store_price", storePriceID(before), before, nil)
	})
}

// StorePrices lists a store's overrides (the store must be in the caller's scope).
func (s *Service) StorePrices(ctx context.Context, storeID uuid.UUID) ([]StorePrice, error) {
	var out []StorePrice
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.stores.GetStore(ctx, storeID); err != nil {
			return err
		}
		var err error
		out, err = s.repo.StorePrices(ctx, storeID)
		return err
	})
	return out, err
}
