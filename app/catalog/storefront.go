package catalog

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// ServingStore is the active store whose territory covers at; where territories overlap, the
// one whose location is nearest. No store: address_not_served.
func (s *Service) ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, error) {
	var v errs.Validation
	validatePoint(at, &v)
	if err := v.Err(); err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var ok bool
		var err error
		id, ok, err = s.repo.ServingStore(ctx, at)
		if err == nil && !ok {
			err = ErrAddressNotServed
		}
		return err
	})
	return id, err
}

// PackageAt is a package as sold at a store (uuid.Nil: at list price): its service must be
// published, the package active and available there, else package_unavailable; an unknown
// package is package_not_found. Booking reads the visit length from DurationMinutes.
func (s *Service) PackageAt(ctx context.Context, packageID, storeID uuid.UUID) (PricedPackage, error) {
	var out PricedPackage
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		p, err := s.repo.GetPackage(ctx, packageID)
		if err != nil {
			return err
		}
		sv, err := s.repo.GetService(ctx, p.ServiceID)
		if err != nil {
			return err
		}
		if sv.Status != Published {
			return ErrPackageUnavailable
		}
		priced, err := s.repo.PricedPackages(ctx, []uuid.UUID{p.ServiceID}, storeID, true)
		if err != nil {
			return err
		}
		for _, pp := range priced {
			if pp.ID == packageID {
				out = pp
				return nil
			}
		}
		return ErrPackageUnavailable
	})
	return out, err
}

// AddOnsFor returns the chosen add-ons of a service, in the order asked. An id that is not an
// active add-on of the service is a validation error on add_ons[i].id.
func (s *Service) AddOnsFor(ctx context.Context, serviceID uuid.UUID, ids []uuid.UUID) ([]AddOn, error) {
	var all []AddOn
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		all, err = s.repo.AddOns(ctx, []uuid.UUID{serviceID})
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]AddOn{}
	for _, a := range all {
		if a.Active {
			byID[a.ID] = a
		}
	}
	out := make([]AddOn, 0, len(ids))
	var v errs.Validation
	for i, id := range ids {
		a, ok := byID[id]
		v.Check(ok, fmt.Sprintf("add_ons[%d].id", i), "not an add-on of this service")
		out = append(out, a)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// AddOnCount is an add-on chosen for a visit and how many of it; a quantity below 1 counts as one.
type AddOnCount struct {
	ID       uuid.UUID
	Quantity int
}

// VisitLength is how long a visit for packageID lasts when sold at storeID: the package's
// minutes plus each chosen add-on's minutes times its quantity. It also returns the package's
// service. Errors are PackageAt's and AddOnsFor's (add_ons[i].id indexes addOns).
func (s *Service) VisitLength(ctx context.Context, packageID, storeID uuid.UUID, addOns []AddOnCount) (uuid.UUID, int, error) {
	pp, err := s.PackageAt(ctx, packageID, storeID)
	if err != nil {
		return uuid.Nil, 0, err
	}
	minutes := pp.DurationMinutes
	if len(addOns) == 0 {
		return pp.ServiceID, minutes, nil
	}
	ids := make([]uuid.UUID, len(addOns))
	for i, x := range addOns {
		ids[i] = x.ID
	}
	adds, err := s.AddOnsFor(ctx, pp.ServiceID, ids)
	if err != nil {
		return uuid.Nil, 0, err
	}
	for i, x := range adds {
		minutes += x.DurationMinutes * max(addOns[i].Quantity, 1)
	}
	return pp.ServiceID, minutes, nil
}

// storeAt resolves the serving store when a location is given.
func (s *Service) storeAt(ctx context.Context, at *geo.Point) (uuid.UUID, error) {
	if at == nil {
		return uuid.Nil, nil
	}
	return s.ServingStore(ctx, *at)
}

// Browse is the storefront listing: published services with a package on sale (at the store
// serving f.At, else at list price) priced within [MinPrice, MaxPrice]; each offer carries
// those packages and the service's active add-ons.
func (s *Service) Browse(ctx context.Context, f BrowseFilter, p page.Request) (page.Result[Offer], error) {
	var v errs.Validation
	v.Check(f.MinPrice == nil || *f.MinPrice >= 0, "min_price", "must not be negative")
	v.Check(f.MaxPrice == nil || *f.MaxPrice >= 0, "max_price", "must not be negative")
	v.Check(f.MinPrice == nil || f.MaxPrice == nil || *f.MinPrice <= *f.MaxPrice, "max_price", "must not be below min_price")
	v.Check(len([]rune(f.Query)) <= 100, "q", "at most 100 characters")
	if f.At != nil {
		validatePoint(*f.At, &v)
	}
	if err := v.Err(); err != nil {
		return page.Result[Offer]{}, err
	}
	var out page.Result[Offer]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		store, err := s.storeAt(ctx, f.At)
		if err != nil {
			return err
		}
		svcs, err := s.repo.Browse(ctx, f, store, p.Normalize())
		if err != nil {
			return err
		}
		out.Total = svcs.Total
		out.Items, err = s.offers(ctx, svcs.Items, store, func(pp PricedPackage) bool {
			return (f.MinPrice == nil || pp.Price >= *f.MinPrice) && (f.MaxPrice == nil || pp.Price <= *f.MaxPrice)
		})
		return err
	})
	return out, err
}

// Offer is one published service as the storefront shows it at an address (nil: list prices).
func (s *Service) Offer(ctx context.Context, serviceID uuid.UUID, at *geo.Point) (Offer, error) {
	if at != nil {
		var v errs.Validation
		validatePoint(*at, &v)
		if err := v.Err(); err != nil {
			return Offer{}, err
		}
	}
	var out Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		store, err := s.storeAt(ctx, at)
		if err != nil {
			return err
		}
		sv, err := s.repo.GetService(ctx, serviceID)
		if err != nil {
			return err
		}
		if sv.Status != Published {
			return ErrServiceNotFound
		}
		offers, err := s.offers(ctx, []Item{sv}, store, func(PricedPackage) bool { return true })
		if err != nil {
			return err
		}
		out = offers[0]
		return nil
	})
	return out, err
}

func (s *Service) offers(ctx context.Context, svcs []Item, store uuid.UUID, keep func(PricedPackage) bool) ([]Offer, error) {
	ids := make([]uuid.UUID, len(svcs))
	for i, sv := range svcs {
		ids[i] = sv.ID
	}
	pkgs, err := s.repo.PricedPackages(ctx, ids, store, true)
	if err != nil {
		return nil, err
	}
	adds, err := s.repo.AddOns(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Offer, len(svcs))
	idx := map[uuid.UUID]int{}
	for i, sv := range svcs {
		out[i] = Offer{Service: sv, StoreID: store, Packages: []PricedPackage{}, AddOns: []AddOn{}}
		idx[sv.ID] = i
	}
	for _, pp := range pkgs {
		if !keep(pp) {
			continue
		}
		o := &out[idx[pp.ServiceID]]
		if len(o.Packages) == 0 || pp.Price < o.From {
			o.From = pp.Price
		}
		o.Packages = append(o.Packages, pp)
	}
	for _, a := range adds {
		if a.Active {
			o := &out[idx[a.ServiceID]]
			o.AddOns = append(o.AddOns, a)
		}
	}
	return out, nil
}
