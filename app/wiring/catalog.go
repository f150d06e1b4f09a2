package wiring

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/catalog/catalogapi"
	"doorstep/app/catalog/catalogdb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/app/pricing/pricingapi"
	"doorstep/app/pricing/pricingdb"
)

// wireCatalog builds the catalogue service and registers its API, then prices quotes
// against it (the pricing service needs the catalogue and the roster).
func (a *App) wireCatalog(api huma.API) {
	a.Catalog = catalog.NewService(a.DB, catalogdb.New(a.DB), a.Org, a.Audit)
	catalogapi.Register(api, a.Catalog)
	a.Pricing = pricing.NewService(a.DB, pricingdb.New(a.DB), pricingCatalog{a.Catalog}, a.staffLevels(), a.Audit, clock.System{}).WithStores(a.Org)
	pricingapi.Register(api, a.Pricing)
}

// pricingCatalog is pricing's view of the catalogue.
type pricingCatalog struct{ c *catalog.Service }

var _ pricing.Catalog = pricingCatalog{}

func (p pricingCatalog) ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, error) {
	return p.c.ServingStore(ctx, at)
}

func (p pricingCatalog) QuotePackage(ctx context.Context, packageID, storeID uuid.UUID) (pricing.PackageInfo, error) {
	pp, err := p.c.PackageAt(ctx, packageID, storeID)
	if err != nil {
		return pricing.PackageInfo{}, err
	}
	return pricing.PackageInfo{ServiceID: pp.ServiceID, LabelZh: pp.NameZh, LabelEn: pp.NameEn, Price: pp.Price, DurationMinutes: pp.DurationMinutes}, nil
}

func (p pricingCatalog) QuoteAddOns(ctx context.Context, serviceID uuid.UUID, ids []uuid.UUID) ([]pricing.AddOnInfo, error) {
	adds, err := p.c.AddOnsFor(ctx, serviceID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]pricing.AddOnInfo, len(adds))
	for i, x := range adds {
		out[i] = pricing.AddOnInfo{ID: x.ID, LabelZh: x.NameZh, LabelEn: x.NameEn, Price: x.Price}
	}
	return out, nil
}
