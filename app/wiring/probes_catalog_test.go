package wiring_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/catalog"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/tenant"
)

// catalogObjects is one fresh service of a fixture with its category, a package (list 100.00,
// bounds 80.00–120.00) and an add-on.
type catalogObjects struct {
	Category, Service, Package, AddOn uuid.UUID
}

// hqContext acts in f's tenant with HQ reach, like the probes' newStore.
func hqContext(f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
}

// inTerritory is a point inside every fixture's franchised store's territory.
var inTerritory = geo.Point{Lng: 121.45, Lat: 31.15}

func newCatalog(e *env, f *fixture, publish bool) catalogObjects {
	ctx := hqContext(f)
	c, err := e.app.Catalog.CreateCategory(ctx, catalog.NewCategory{NameZh: "日常保洁", NameEn: "Daily cleaning"})
	require.NoError(e.t, err)
	s, err := e.app.Catalog.CreateService(ctx, catalog.Item{CategoryID: c.ID, NameZh: "日常保洁", NameEn: "Daily cleaning", DurationMinutes: 120,
		Checklist: []catalog.Step{{Zh: "擦拭", En: "Wipe"}}})
	require.NoError(e.t, err)
	p, err := e.app.Catalog.CreatePackage(ctx, s.ID, catalog.Package{NameZh: "两小时", NameEn: "Two hours", DurationMinutes: 120,
		ListPrice: 10000, FloorPrice: 8000, CeilingPrice: 12000, Active: true})
	require.NoError(e.t, err)
	a, err := e.app.Catalog.CreateAddOn(ctx, s.ID, catalog.AddOn{NameZh: "擦窗", NameEn: "Windows", Price: 3000, DurationMinutes: 30, Active: true})
	require.NoError(e.t, err)
	if publish {
		_, err = e.app.Catalog.Publish(ctx, s.ID)
		require.NoError(e.t, err)
	}
	return catalogObjects{Category: c.ID, Service: s.ID, Package: p.ID, AddOn: a.ID}
}

// A's real objects, made by the fixture before the walk fingerprints A.
func aCategory(e *env) uuid.UUID { return e.A.CategoryID }
func aService(e *env) uuid.UUID  { return e.A.ServiceID }
func aPackage(e *env) uuid.UUID  { return e.A.PackageID }
func aAddOn(e *env) uuid.UUID    { return e.A.AddOnID }
func aRule(e *env) uuid.UUID     { return e.A.RuleID }
func aQuote(e *env) uuid.UUID    { return e.A.QuoteID }

var holidaySeq atomic.Int64

func quoteBody(pkg, addOn uuid.UUID) map[string]any {
	return map[string]any{"package_id": pkg, "add_ons": []map[string]any{{"id": addOn, "quantity": 1}},
		"location": inTerritory, "start": time.Now().Add(72 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)}
}

// catalogProbes covers the catalogue and pricing operations.
func catalogProbes() map[string]probe {
	path := func(format string, id func(*env) uuid.UUID) func(*env) call {
		return func(e *env) call { return call{path: fmt.Sprintf(format, id(e))} }
	}
	withBody := func(format string, id func(*env) uuid.UUID, body any) func(*env) call {
		return func(e *env) call { return call{path: fmt.Sprintf(format, id(e)), body: body} }
	}
	fixed := func(p string, body any) func(*env, *fixture) call {
		return func(*env, *fixture) call { return call{path: p, body: body} }
	}
	category := map[string]any{"name_zh": "家电清洗", "name_en": "Appliance cleaning"}
	servicePatch := map[string]any{"name_en": "Daily clean", "checklist": []map[string]string{{"zh": "拖地", "en": "Mop"}}}
	packagePatch := map[string]any{"list_price": 11000}
	addOnPatch := map[string]any{"price": 3500}
	rule := map[string]any{"kind": "weekend", "name_zh": "周末", "name_en": "Weekend", "percent_bp": 1000}
	newRule := func(e *env, f *fixture) uuid.UUID {
		r, err := e.app.Pricing.CreateRule(hqContext(f), pricing.Rule{Kind: pricing.RuleWeekend, NameZh: "周末", NameEn: "Weekend", PercentBP: 500, Active: true})
		require.NoError(e.t, err)
		return r.ID
	}
	return map[string]probe{
		// console: categories
		"list-catalog-categories": {own: fixed("/api/v1/catalog/categories", nil)},
		"create-catalog-category": {attack: func(e *env) call {
			return call{path: "/api/v1/catalog/categories", body: map[string]any{"parent_id": e.A.CategoryID, "name_zh": "x", "name_en": "x"}}
		}, own: fixed("/api/v1/catalog/categories", category)},
		"update-catalog-category": {object: true, attack: withBody("/api/v1/catalog/categories/%s", aCategory, category), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/categories/" + newCatalog(e, f, false).Category.String(), body: map[string]any{"position": 3}}
		}},
		"delete-catalog-category": {object: true, attack: path("/api/v1/catalog/categories/%s", aCategory), own: func(e *env, f *fixture) call {
			c, err := e.app.Catalog.CreateCategory(hqContext(f), catalog.NewCategory{NameZh: "空", NameEn: "Empty"})
			require.NoError(e.t, err)
			return call{path: "/api/v1/catalog/categories/" + c.ID.String()}
		}},

		// console: services
		"list-catalog-services": {attack: path("/api/v1/catalog/services?category_id=%s", aCategory), own: fixed("/api/v1/catalog/services?q=clean&limit=5", nil)},
		"create-catalog-service": {attack: func(e *env) call {
			return call{path: "/api/v1/catalog/services", body: map[string]any{"category_id": e.A.CategoryID, "name_zh": "x", "name_en": "x", "duration_minutes": 60}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services", body: map[string]any{"category_id": newCatalog(e, f, false).Category,
				"name_zh": "深度保洁", "name_en": "Deep cleaning", "duration_minutes": 240}}
		}},
		"get-catalog-service": {object: true, attack: path("/api/v1/catalog/services/%s", aService), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, true).Service.String()}
		}},
		"update-catalog-service": {object: true, attack: withBody("/api/v1/catalog/services/%s", aService, servicePatch), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, false).Service.String(), body: servicePatch}
		}},
		"delete-catalog-service": {object: true, attack: path("/api/v1/catalog/services/%s", aService), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, false).Service.String()}
		}},
		"publish-catalog-service": {object: true, attack: path("/api/v1/catalog/services/%s/publish", aService), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, false).Service.String() + "/publish"}
		}},
		"unpublish-catalog-service": {object: true, attack: path("/api/v1/catalog/services/%s/unpublish", aService), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, true).Service.String() + "/unpublish"}
		}},

		// console: packages and add-ons
		"create-catalog-package": {object: true, attack: withBody("/api/v1/catalog/services/%s/packages", aService,
			map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 60, "list_price": 100}), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, false).Service.String() + "/packages",
				body: map[string]any{"name_zh": "三居室", "name_en": "Three rooms", "duration_minutes": 300, "list_price": 49900, "floor_price": 45000, "ceiling_price": 55000}}
		}},
		"get-catalog-package": {object: true, attack: path("/api/v1/catalog/packages/%s", aPackage), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/packages/" + newCatalog(e, f, false).Package.String()}
		}},
		"update-catalog-package": {object: true, attack: withBody("/api/v1/catalog/packages/%s", aPackage, packagePatch), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/packages/" + newCatalog(e, f, false).Package.String(), body: packagePatch}
		}},
		"delete-catalog-package": {object: true, attack: path("/api/v1/catalog/packages/%s", aPackage), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/packages/" + newCatalog(e, f, false).Package.String()}
		}},
		"create-catalog-add-on": {object: true, attack: withBody("/api/v1/catalog/services/%s/add-ons", aService,
			map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 10, "price": 100}), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/services/" + newCatalog(e, f, false).Service.String() + "/add-ons",
				body: map[string]any{"name_zh": "冰箱清洁", "name_en": "Fridge", "duration_minutes": 45, "price": 8000}}
		}},
		"update-catalog-add-on": {object: true, attack: withBody("/api/v1/catalog/add-ons/%s", aAddOn, addOnPatch), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/add-ons/" + newCatalog(e, f, false).AddOn.String(), body: addOnPatch}
		}},
		"delete-catalog-add-on": {object: true, attack: path("/api/v1/catalog/add-ons/%s", aAddOn), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/add-ons/" + newCatalog(e, f, false).AddOn.String()}
		}},

		// store overrides: aimed at A's real store and its real override
		"list-store-prices": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/catalog/stores/" + e.A.PriceStoreID.String() + "/prices"}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/catalog/stores/" + f.FrStoreID.String() + "/prices"}
		}},
		"set-store-price": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/catalog/stores/" + e.A.PriceStoreID.String() + "/prices/" + e.A.PackageID.String(), body: map[string]any{"price": 9000}}
		}, own: func(e *env, f *fixture) call {
			pkg := newCatalog(e, f, true).Package
			return call{path: "/api/v1/catalog/stores/" + f.FrStoreID.String() + "/prices/" + pkg.String(), body: map[string]any{"price": 9000}}
		}},
		"delete-store-price": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/catalog/stores/" + e.A.PriceStoreID.String() + "/prices/" + e.A.PackageID.String()}
		}, own: func(e *env, f *fixture) call {
			pkg := newCatalog(e, f, true).Package
			price := int64(9500)
			_, err := e.app.Catalog.SetStorePrice(hqContext(f), f.FrStoreID, pkg, &price, true)
			require.NoError(e.t, err)
			return call{path: "/api/v1/catalog/stores/" + f.FrStoreID.String() + "/prices/" + pkg.String()}
		}},

		// storefront (public, tenant from the Host)
		"storefront-catalog-categories": {own: fixed("/api/v1/storefront/catalog/categories", nil)},
		"storefront-catalog-services": {attack: path("/api/v1/storefront/catalog/services?category_id=%s", aCategory), own: func(e *env, f *fixture) call {
			newCatalog(e, f, true)
			return call{path: fmt.Sprintf("/api/v1/storefront/catalog/services?lng=%v&lat=%v&max_price=50000", inTerritory.Lng, inTerritory.Lat)}
		}},
		"storefront-catalog-service": {object: true, attack: path("/api/v1/storefront/catalog/services/%s", aService), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/storefront/catalog/services/" + newCatalog(e, f, true).Service.String()}
		}},

		// quotes
		"storefront-quote": {attack: func(e *env) call {
			return call{path: "/api/v1/storefront/quotes", body: quoteBody(e.A.PackageID, e.A.AddOnID)}
		}, own: func(e *env, f *fixture) call {
			o := newCatalog(e, f, true)
			return call{path: "/api/v1/storefront/quotes", body: quoteBody(o.Package, o.AddOn)}
		}},
		"create-quote": {attack: func(e *env) call {
			o := newCatalog(e, e.B, true)
			b := quoteBody(o.Package, o.AddOn)
			b["customer_id"] = e.A.CustomerID
			return call{path: "/api/v1/quotes", body: b}
		}, own: func(e *env, f *fixture) call {
			o := newCatalog(e, f, true)
			return call{path: "/api/v1/quotes", body: quoteBody(o.Package, o.AddOn)}
		}},
		"get-quote": {object: true, attack: path("/api/v1/quotes/%s", aQuote), own: func(e *env, f *fixture) call {
			o := newCatalog(e, f, true)
			q, err := e.app.Pricing.Quote(hqContext(f), pricing.QuoteRequest{PackageID: o.Package, Location: inTerritory, Start: time.Now().Add(48 * time.Hour)})
			require.NoError(e.t, err)
			return call{path: "/api/v1/quotes/" + q.ID.String()}
		}},

		// pricing rules, holidays, travel
		"list-pricing-rules":  {own: fixed("/api/v1/pricing/rules", nil)},
		"create-pricing-rule": {own: fixed("/api/v1/pricing/rules", rule)},
		"update-pricing-rule": {object: true, attack: withBody("/api/v1/pricing/rules/%s", aRule, rule), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/pricing/rules/" + newRule(e, f).String(), body: rule}
		}},
		"delete-pricing-rule": {object: true, attack: path("/api/v1/pricing/rules/%s", aRule), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/pricing/rules/" + newRule(e, f).String()}
		}},
		"list-holidays": {own: fixed("/api/v1/pricing/holidays?from=2026-01-01&to=2027-12-31", nil)},
		"set-holiday":   {own: fixed("/api/v1/pricing/holidays/2026-10-01", map[string]any{"name": "国庆节"})},
		"delete-holiday": {object: true, attack: func(e *env) call { return call{path: "/api/v1/pricing/holidays/" + e.A.Holiday} }, own: func(e *env, f *fixture) call {
			day := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(holidaySeq.Add(1)))
			require.NoError(e.t, e.app.Pricing.SetHoliday(hqContext(f), day, "店庆"))
			return call{path: "/api/v1/pricing/holidays/" + day.Format(time.DateOnly)}
		}},
		"get-travel-policy": {attack: func(e *env) call { return call{path: "/api/v1/pricing/travel?store_id=" + e.A.StoreID.String()} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/pricing/travel?store_id=" + f.FrStoreID.String()}
			}},
		"set-travel-policy": {attack: func(e *env) call {
			return call{path: "/api/v1/pricing/travel", body: map[string]any{"store_id": e.A.FrStoreID, "free_meters": 0, "per_km": 99999, "max": 0}}
		}, own: fixed("/api/v1/pricing/travel", map[string]any{"free_meters": 5000, "per_km": 300, "max": 3000})},
	}
}
