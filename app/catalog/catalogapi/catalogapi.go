// Package catalogapi exposes the catalogue: the console's CRUD for HQ, stores' price
// overrides, and the storefront's browsing at a customer's address.
package catalogapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
	"doorstep/tenant"
)

type api struct{ svc *catalog.Service }

// Register adds the catalogue operations.
func Register(h huma.API, svc *catalog.Service) {
	a := api{svc: svc}
	staff := func(op huma.Operation, perm string) huma.Operation {
		return httpx.Op(op, httpx.Access{Audience: httpx.Staff, Permission: perm})
	}
	const read, write, price = "catalog:read", "catalog:write", "catalog:price"
	tag := []string{"Catalogue"}
	huma.Register(h, staff(huma.Operation{OperationID: "list-catalog-categories", Method: http.MethodGet, Path: "/api/v1/catalog/categories", Summary: "The category tree, depth first", Tags: tag}, read), a.listCategories)
	huma.Register(h, staff(huma.Operation{OperationID: "create-catalog-category", Method: http.MethodPost, Path: "/api/v1/catalog/categories", Summary: "Create a category", Tags: tag, DefaultStatus: http.StatusCreated}, write), a.createCategory)
	huma.Register(h, staff(huma.Operation{OperationID: "update-catalog-category", Method: http.MethodPatch, Path: "/api/v1/catalog/categories/{id}", Summary: "Rename, reorder or move a category", Tags: tag}, write), a.updateCategory)
	huma.Register(h, staff(huma.Operation{OperationID: "delete-catalog-category", Method: http.MethodDelete, Path: "/api/v1/catalog/categories/{id}", Summary: "Delete an empty category", Tags: tag, DefaultStatus: http.StatusNoContent}, write), a.deleteCategory)

	huma.Register(h, staff(huma.Operation{OperationID: "list-catalog-services", Method: http.MethodGet, Path: "/api/v1/catalog/services", Summary: "List services in any state", Tags: tag}, read), a.listServices)
	huma.Register(h, staff(huma.Operation{OperationID: "create-catalog-service", Method: http.MethodPost, Path: "/api/v1/catalog/services", Summary: "Create a draft service", Tags: tag, DefaultStatus: http.StatusCreated}, write), a.createService)
	huma.Register(h, staff(huma.Operation{OperationID: "get-catalog-service", Method: http.MethodGet, Path: "/api/v1/catalog/services/{id}", Summary: "Get a service with its packages and add-ons", Tags: tag}, read), a.getService)
	huma.Register(h, staff(huma.Operation{OperationID: "update-catalog-service", Method: http.MethodPatch, Path: "/api/v1/catalog/services/{id}", Summary: "Change a service", Tags: tag}, write), a.updateService)
	huma.Register(h, staff(huma.Operation{OperationID: "delete-catalog-service", Method: http.MethodDelete, Path: "/api/v1/catalog/services/{id}", Summary: "Delete a draft service", Tags: tag, DefaultStatus: http.StatusNoContent}, write), a.deleteService)
	huma.Register(h, staff(huma.Operation{OperationID: "publish-catalog-service", Method: http.MethodPost, Path: "/api/v1/catalog/services/{id}/publish", Summary: "Put a service on sale", Tags: tag}, write), a.publish)
	huma.Register(h, staff(huma.Operation{OperationID: "unpublish-catalog-service", Method: http.MethodPost, Path: "/api/v1/catalog/services/{id}/unpublish", Summary: "Take a service off sale", Tags: tag}, write), a.unpublish)

	huma.Register(h, staff(huma.Operation{OperationID: "create-catalog-package", Method: http.MethodPost, Path: "/api/v1/catalog/services/{id}/packages", Summary: "Add a package to a service", Tags: tag, DefaultStatus: http.StatusCreated}, write), a.createPackage)
	huma.Register(h, staff(huma.Operation{OperationID: "get-catalog-package", Method: http.MethodGet, Path: "/api/v1/catalog/packages/{id}", Summary: "Get a package", Tags: tag}, read), a.getPackage)
	huma.Register(h, staff(huma.Operation{OperationID: "update-catalog-package", Method: http.MethodPatch, Path: "/api/v1/catalog/packages/{id}", Summary: "Change a package; moving its bounds clamps store overrides", Tags: tag}, write), a.updatePackage)
	huma.Register(h, staff(huma.Operation{OperationID: "delete-catalog-package", Method: http.MethodDelete, Path: "/api/v1/catalog/packages/{id}", Summary: "Delete a package and its store overrides", Tags: tag, DefaultStatus: http.StatusNoContent}, write), a.deletePackage)
	huma.Register(h, staff(huma.Operation{OperationID: "create-catalog-add-on", Method: http.MethodPost, Path: "/api/v1/catalog/services/{id}/add-ons", Summary: "Add an add-on to a service", Tags: tag, DefaultStatus: http.StatusCreated}, write), a.createAddOn)
	huma.Register(h, staff(huma.Operation{OperationID: "update-catalog-add-on", Method: http.MethodPatch, Path: "/api/v1/catalog/add-ons/{id}", Summary: "Change an add-on", Tags: tag}, write), a.updateAddOn)
	huma.Register(h, staff(huma.Operation{OperationID: "delete-catalog-add-on", Method: http.MethodDelete, Path: "/api/v1/catalog/add-ons/{id}", Summary: "Delete an add-on", Tags: tag, DefaultStatus: http.StatusNoContent}, write), a.deleteAddOn)

	st := []string{"Store prices"}
	huma.Register(h, staff(huma.Operation{OperationID: "list-store-prices", Method: http.MethodGet, Path: "/api/v1/catalog/stores/{store_id}/prices", Summary: "A store's package overrides", Tags: st}, read), a.listStorePrices)
	huma.Register(h, staff(huma.Operation{OperationID: "set-store-price", Method: http.MethodPut, Path: "/api/v1/catalog/stores/{store_id}/prices/{package_id}", Summary: "Override a package's price or availability at a store, within HQ's bounds", Tags: st}, price), a.setStorePrice)
	huma.Register(h, staff(huma.Operation{OperationID: "delete-store-price", Method: http.MethodDelete, Path: "/api/v1/catalog/stores/{store_id}/prices/{package_id}", Summary: "Remove a store's override", Tags: st, DefaultStatus: http.StatusNoContent}, price), a.deleteStorePrice)

	pub := httpx.Access{Audience: httpx.Public, TenantFromHost: true}
	sf := []string{"Storefront"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "storefront-catalog-categories", Method: http.MethodGet, Path: "/api/v1/storefront/catalog/categories", Summary: "Categories (storefront)", Tags: sf}, pub), a.storefrontCategories)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "storefront-catalog-services", Method: http.MethodGet, Path: "/api/v1/storefront/catalog/services", Summary: "Browse and search services at an address (storefront)", Tags: sf}, pub), a.browse)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "storefront-catalog-service", Method: http.MethodGet, Path: "/api/v1/storefront/catalog/services/{id}", Summary: "A service at an address (storefront)", Tags: sf}, pub), a.offer)
}

// IDPath is the {id} path parameter (exported: huma only binds exported embedded fields).
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// StorePackagePath names a store's override of a package.
type StorePackagePath struct {
	StoreID   uuid.UUID `path:"store_id" format:"uuid"`
	PackageID uuid.UUID `path:"package_id" format:"uuid"`
}

// ---- categories ----

func (a api) listCategories(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]CategoryDTO], error) {
	cs, err := a.svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CategoryDTO, 0, len(cs))
	for _, c := range cs {
		out = append(out, toCategoryDTO(c))
	}
	return &httpx.Body[[]CategoryDTO]{Body: out}, nil
}

func (a api) storefrontCategories(ctx context.Context, in *httpx.Empty) (*httpx.Body[[]CategoryDTO], error) {
	return a.listCategories(ctx, in)
}

func (a api) createCategory(ctx context.Context, in *struct{ Body NewCategoryDTO }) (*httpx.Body[CategoryDTO], error) {
	b := in.Body
	c, err := a.svc.CreateCategory(ctx, catalog.NewCategory{ParentID: idOr(b.ParentID), Position: b.Position, NameZh: b.NameZh, NameEn: b.NameEn})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CategoryDTO]{Body: toCategoryDTO(c)}, nil
}

func (a api) updateCategory(ctx context.Context, in *struct {
	IDPath
	Body CategoryPatch
}) (*httpx.Body[CategoryDTO], error) {
	b := in.Body
	c, err := a.svc.UpdateCategory(ctx, in.ID, catalog.CategoryUpdate{SetParent: b.ParentID.Set, ParentID: b.ParentID.Value,
		Position: b.Position, NameZh: b.NameZh, NameEn: b.NameEn})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CategoryDTO]{Body: toCategoryDTO(c)}, nil
}

func (a api) deleteCategory(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteCategory(ctx, in.ID)
}

// ---- services ----

func (a api) listServices(ctx context.Context, in *struct {
	httpx.PageQuery
	CategoryID string `query:"category_id" format:"uuid" doc:"Only this category and its subcategories"`
	Status     string `query:"status" enum:"draft,published,unpublished,"`
	Q          string `query:"q" maxLength:"100" doc:"Search names and descriptions (zh-CN and en)"`
}) (*httpx.Body[httpx.List[ServiceDTO]], error) {
	p := in.Page()
	f := catalog.ServiceFilter{Status: catalog.Status(in.Status), Query: in.Q}
	if in.CategoryID != "" {
		f.CategoryID = uuid.MustParse(in.CategoryID) // validated by format:"uuid"
	}
	r, err := a.svc.ListServices(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[ServiceDTO]]{Body: httpx.ListOf(r, p, toServiceDTO)}, nil
}

func (a api) createService(ctx context.Context, in *struct{ Body NewServiceDTO }) (*httpx.Body[ServiceDTO], error) {
	b := in.Body
	s, err := a.svc.CreateService(ctx, catalog.Item{CategoryID: b.CategoryID, NameZh: b.NameZh, NameEn: b.NameEn,
		DescriptionZh: b.DescriptionZh, DescriptionEn: b.DescriptionEn, Images: b.Images, DurationMinutes: b.DurationMinutes,
		Skill: b.Skill, MinLevelID: idOr(b.MinLevelID), CertificateTypes: b.CertificateTypes, Checklist: toSteps(b.Checklist), Position: b.Position})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ServiceDTO]{Body: toServiceDTO(s)}, nil
}

func (a api) getService(ctx context.Context, in *IDPath) (*httpx.Body[ServiceDetailDTO], error) {
	s, err := a.svc.GetService(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	pkgs, err := a.svc.Packages(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	adds, err := a.svc.AddOns(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	d := ServiceDetailDTO{ServiceDTO: toServiceDTO(s), Packages: make([]PackageDTO, 0, len(pkgs)), AddOns: make([]AddOnDTO, 0, len(adds))}
	for _, p := range pkgs {
		d.Packages = append(d.Packages, toPackageDTO(p))
	}
	for _, x := range adds {
		d.AddOns = append(d.AddOns, toAddOnDTO(x))
	}
	return &httpx.Body[ServiceDetailDTO]{Body: d}, nil
}

func (a api) updateService(ctx context.Context, in *struct {
	IDPath
	Body ServicePatch
}) (*httpx.Body[ServiceDTO], error) {
	b := in.Body
	u := catalog.ServiceUpdate{CategoryID: b.CategoryID, NameZh: b.NameZh, NameEn: b.NameEn, DescriptionZh: b.DescriptionZh,
		DescriptionEn: b.DescriptionEn, Images: b.Images, DurationMinutes: b.DurationMinutes, Skill: b.Skill,
		SetMinLevel: b.MinLevelID.Set, MinLevelID: b.MinLevelID.Value, CertificateTypes: b.CertificateTypes, Position: b.Position}
	if b.Checklist != nil {
		steps := toSteps(*b.Checklist)
		u.Checklist = &steps
	}
	s, err := a.svc.UpdateService(ctx, in.ID, u)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ServiceDTO]{Body: toServiceDTO(s)}, nil
}

func (a api) deleteService(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteService(ctx, in.ID)
}

func (a api) publish(ctx context.Context, in *IDPath) (*httpx.Body[ServiceDTO], error) {
	s, err := a.svc.Publish(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ServiceDTO]{Body: toServiceDTO(s)}, nil
}

func (a api) unpublish(ctx context.Context, in *IDPath) (*httpx.Body[ServiceDTO], error) {
	s, err := a.svc.Unpublish(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ServiceDTO]{Body: toServiceDTO(s)}, nil
}

// ---- packages and add-ons ----

func (a api) createPackage(ctx context.Context, in *struct {
	IDPath
	Body NewPackageDTO
}) (*httpx.Body[PackageDTO], error) {
	b := in.Body
	p := catalog.Package{NameZh: b.NameZh, NameEn: b.NameEn, AreaMinSqm: b.AreaMinSqm, AreaMaxSqm: b.AreaMaxSqm, DirtLevel: b.DirtLevel,
		Frequency: b.Frequency, DurationMinutes: b.DurationMinutes, ListPrice: b.ListPrice, FloorPrice: b.ListPrice, CeilingPrice: b.ListPrice,
		Locked: b.Locked, Active: b.Active == nil || *b.Active, Position: b.Position}
	if b.FloorPrice != nil {
		p.FloorPrice = *b.FloorPrice
	}
	if b.CeilingPrice != nil {
		p.CeilingPrice = *b.CeilingPrice
	}
	out, err := a.svc.CreatePackage(ctx, in.ID, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PackageDTO]{Body: toPackageDTO(out)}, nil
}

func (a api) getPackage(ctx context.Context, in *IDPath) (*httpx.Body[PackageDTO], error) {
	p, err := a.svc.GetPackage(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PackageDTO]{Body: toPackageDTO(p)}, nil
}

func (a api) updatePackage(ctx context.Context, in *struct {
	IDPath
	Body PackagePatch
}) (*httpx.Body[PackageDTO], error) {
	b := in.Body
	u := catalog.PackageUpdate{NameZh: b.NameZh, NameEn: b.NameEn, DirtLevel: b.DirtLevel, Frequency: b.Frequency,
		DurationMinutes: b.DurationMinutes, ListPrice: b.ListPrice, FloorPrice: b.FloorPrice, CeilingPrice: b.CeilingPrice,
		Locked: b.Locked, Active: b.Active, Position: b.Position}
	if b.AreaMinSqm != nil || b.AreaMaxSqm != nil {
		cur, err := a.svc.GetPackage(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		u.SetArea, u.AreaMinSqm, u.AreaMaxSqm = true, cur.AreaMinSqm, cur.AreaMaxSqm
		if b.AreaMinSqm != nil {
			u.AreaMinSqm = *b.AreaMinSqm
		}
		if b.AreaMaxSqm != nil {
			u.AreaMaxSqm = *b.AreaMaxSqm
		}
	}
	p, err := a.svc.UpdatePackage(ctx, in.ID, u)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PackageDTO]{Body: toPackageDTO(p)}, nil
}

func (a api) deletePackage(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeletePackage(ctx, in.ID)
}

func (a api) createAddOn(ctx context.Context, in *struct {
	IDPath
	Body NewAddOnDTO
}) (*httpx.Body[AddOnDTO], error) {
	b := in.Body
	out, err := a.svc.CreateAddOn(ctx, in.ID, catalog.AddOn{NameZh: b.NameZh, NameEn: b.NameEn, Price: b.Price,
		DurationMinutes: b.DurationMinutes, Active: b.Active == nil || *b.Active, Position: b.Position})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[AddOnDTO]{Body: toAddOnDTO(out)}, nil
}

func (a api) updateAddOn(ctx context.Context, in *struct {
	IDPath
	Body AddOnPatch
}) (*httpx.Body[AddOnDTO], error) {
	b := in.Body
	out, err := a.svc.UpdateAddOn(ctx, in.ID, catalog.AddOnUpdate{NameZh: b.NameZh, NameEn: b.NameEn, Price: b.Price,
		DurationMinutes: b.DurationMinutes, Active: b.Active, Position: b.Position})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[AddOnDTO]{Body: toAddOnDTO(out)}, nil
}

func (a api) deleteAddOn(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteAddOn(ctx, in.ID)
}

// ---- store overrides ----

func (a api) listStorePrices(ctx context.Context, in *struct {
	StoreID uuid.UUID `path:"store_id" format:"uuid"`
}) (*httpx.Body[[]StorePriceDTO], error) {
	sps, err := a.svc.StorePrices(ctx, in.StoreID)
	if err != nil {
		return nil, err
	}
	out := make([]StorePriceDTO, 0, len(sps))
	for _, sp := range sps {
		out = append(out, toStorePriceDTO(sp))
	}
	return &httpx.Body[[]StorePriceDTO]{Body: out}, nil
}

func (a api) setStorePrice(ctx context.Context, in *struct {
	StorePackagePath
	Body StorePriceInput
}) (*httpx.Body[StorePriceDTO], error) {
	sp, err := a.svc.SetStorePrice(ctx, in.StoreID, in.PackageID, in.Body.Price, in.Body.Available == nil || *in.Body.Available)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StorePriceDTO]{Body: toStorePriceDTO(sp)}, nil
}

func (a api) deleteStorePrice(ctx context.Context, in *StorePackagePath) (*struct{}, error) {
	return nil, a.svc.DeleteStorePrice(ctx, in.StoreID, in.PackageID)
}

// ---- storefront ----

// AtQuery is an optional address as longitude and latitude.
type AtQuery struct {
	Lng string `query:"lng" pattern:"^-?[0-9]{1,3}(\\.[0-9]{1,12})?$" doc:"Longitude of the customer's address; with lat, prices at the serving store"`
	Lat string `query:"lat" pattern:"^-?[0-9]{1,2}(\\.[0-9]{1,12})?$" doc:"Latitude of the customer's address"`
}

func (q AtQuery) point() (*geo.Point, error) {
	if q.Lng == "" && q.Lat == "" {
		return nil, nil
	}
	lng, err1 := strconv.ParseFloat(q.Lng, 64)
	lat, err2 := strconv.ParseFloat(q.Lat, 64)
	if err1 != nil || err2 != nil {
		return nil, errs.InvalidFields(errs.Field("lng", "give both lng and lat, or neither"))
	}
	return &geo.Point{Lng: lng, Lat: lat}, nil
}

func currency(ctx context.Context) string {
	if t, ok := tenant.FromContext(ctx); ok {
		return t.Currency
	}
	return ""
}

func (a api) browse(ctx context.Context, in *struct {
	httpx.PageQuery
	AtQuery
	CategoryID string `query:"category_id" format:"uuid" doc:"This category and its subcategories"`
	Q          string `query:"q" maxLength:"100" doc:"Search names and descriptions (zh-CN and en)"`
	MinPrice   string `query:"min_price" pattern:"^[0-9]{1,12}$" doc:"Minor units"`
	MaxPrice   string `query:"max_price" pattern:"^[0-9]{1,12}$" doc:"Minor units"`
}) (*httpx.Body[httpx.List[OfferDTO]], error) {
	at, err := in.point()
	if err != nil {
		return nil, err
	}
	f := catalog.BrowseFilter{Query: in.Q, At: at}
	if in.CategoryID != "" {
		f.CategoryID = uuid.MustParse(in.CategoryID)
	}
	if in.MinPrice != "" {
		v, _ := strconv.ParseInt(in.MinPrice, 10, 64) // validated by the pattern
		f.MinPrice = &v
	}
	if in.MaxPrice != "" {
		v, _ := strconv.ParseInt(in.MaxPrice, 10, 64)
		f.MaxPrice = &v
	}
	p := in.Page()
	r, err := a.svc.Browse(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[OfferDTO]]{Body: httpx.ListOf(r, p, toOfferDTO(currency(ctx)))}, nil
}

func (a api) offer(ctx context.Context, in *struct {
	IDPath
	AtQuery
}) (*httpx.Body[OfferDTO], error) {
	at, err := in.point()
	if err != nil {
		return nil, err
	}
	o, err := a.svc.Offer(ctx, in.ID, at)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[OfferDTO]{Body: toOfferDTO(currency(ctx))(o)}, nil
}
