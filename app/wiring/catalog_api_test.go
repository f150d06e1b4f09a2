package wiring_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

type idOnly struct {
	ID uuid.UUID `json:"id"`
}

type offerBody struct {
	ID       uuid.UUID  `json:"id"`
	StoreID  *uuid.UUID `json:"store_id"`
	Currency string     `json:"currency"`
	From     int64      `json:"from_price"`
	Packages []struct {
		ID              uuid.UUID `json:"id"`
		Price           int64     `json:"price"`
		ListPrice       int64     `json:"list_price"`
		DurationMinutes int       `json:"duration_minutes"`
	} `json:"packages"`
	AddOns []struct {
		ID    uuid.UUID `json:"id"`
		Price int64     `json:"price"`
	} `json:"add_ons"`
}

type problemBody struct {
	Code   string `json:"code"`
	Errors []struct {
		Location string `json:"location"`
	} `json:"errors"`
}

func (r *resp) fields() []string {
	var p problemBody
	_ = json.Unmarshal(r.body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

// TestCatalogAPI walks the catalogue from HQ's console to a customer's quote.
func TestCatalogAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	hq, mgr := f.Tokens["owner"], f.Tokens["store_manager"] // the manager runs the franchised store
	at := fmt.Sprintf("lng=%v&lat=%v", inTerritory.Lng, inTerritory.Lat)
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)

	// HQ builds the catalogue.
	var root, child idOnly
	e.do(http.MethodPost, "/api/v1/catalog/categories", hq, "", map[string]any{"name_zh": "保洁", "name_en": "Cleaning"}).status(http.StatusCreated).ok(&root)
	e.do(http.MethodPost, "/api/v1/catalog/categories", hq, "", map[string]any{"parent_id": root.ID, "name_zh": "深度保洁", "name_en": "Deep cleaning", "position": 1}).
		status(http.StatusCreated).ok(&child)
	var moved struct {
		ParentID *uuid.UUID `json:"parent_id"`
	}
	e.do(http.MethodPatch, "/api/v1/catalog/categories/"+child.ID.String(), hq, "", map[string]any{"parent_id": nil}).ok(&moved)
	require.Nil(t, moved.ParentID, "null moves a category to the root")
	e.do(http.MethodPatch, "/api/v1/catalog/categories/"+child.ID.String(), hq, "", map[string]any{"parent_id": root.ID}).ok(&moved)
	require.Equal(t, root.ID, *moved.ParentID)
	var svc idOnly
	e.do(http.MethodPost, "/api/v1/catalog/services", hq, "", map[string]any{
		"category_id": child.ID, "name_zh": "深度保洁", "name_en": "Deep cleaning",
		"description_zh": "厨房、卫生间重点清洁", "description_en": "Kitchen and bathroom focus",
		"images": []string{"https://img.example.com/deep.jpg"}, "duration_minutes": 240, "skill": "cleaning",
		"checklist": []map[string]string{{"zh": "卧室：整理床铺", "en": "Bedroom: make the bed"}, {"zh": "擦拭家具", "en": "Wipe furniture"}, {"zh": "拖地", "en": "Mop"}},
	}).status(http.StatusCreated).ok(&svc)
	var pkg idOnly
	e.do(http.MethodPost, "/api/v1/catalog/services/"+svc.ID.String()+"/packages", hq, "", map[string]any{
		"name_zh": "两居室 60–90㎡", "name_en": "Two rooms 60–90 m²", "area_min_sqm": 60, "area_max_sqm": 90, "dirt_level": "normal",
		"duration_minutes": 240, "list_price": 39900, "floor_price": 35000, "ceiling_price": 45000,
	}).status(http.StatusCreated).ok(&pkg)
	var add idOnly
	e.do(http.MethodPost, "/api/v1/catalog/services/"+svc.ID.String()+"/add-ons", hq, "", map[string]any{
		"name_zh": "冰箱清洁", "name_en": "Fridge cleaning", "price": 8000, "duration_minutes": 30,
	}).status(http.StatusCreated).ok(&add)

	// Drafts are invisible to the storefront and unquotable.
	var list struct {
		Items []offerBody `json:"items"`
		Total int64       `json:"total"`
	}
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services", "", f.Host, nil).ok(&list)
	require.EqualValues(t, 1, list.Total, "only the fixture's published service")
	require.Equal(t, f.ServiceID, list.Items[0].ID)
	quote := map[string]any{"package_id": pkg.ID, "add_ons": []map[string]any{{"id": add.ID, "quantity": 2}}, "location": inTerritory, "start": start}
	e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, quote).wantProblem(http.StatusUnprocessableEntity, "package_unavailable")
	e.do(http.MethodPost, "/api/v1/catalog/services/"+svc.ID.String()+"/publish", hq, "", nil).status(http.StatusOK)

	// The store manager overrides the price of their own store, within HQ's bounds.
	price := func(store uuid.UUID) string {
		return "/api/v1/catalog/stores/" + store.String() + "/prices/" + pkg.ID.String()
	}
	var sp struct {
		Price     *int64 `json:"price"`
		Available bool   `json:"available"`
	}
	e.do(http.MethodPut, price(f.FrStoreID), mgr, "", map[string]any{"price": 42000}).status(http.StatusOK).ok(&sp)
	require.EqualValues(t, 42000, *sp.Price)
	require.True(t, sp.Available)
	e.do(http.MethodPut, price(f.FrStoreID), mgr, "", map[string]any{"price": 45001}).wantProblem(http.StatusUnprocessableEntity, "price_out_of_bounds")
	e.do(http.MethodPut, price(f.FrStoreID), mgr, "", map[string]any{"price": 34999}).wantProblem(http.StatusUnprocessableEntity, "price_out_of_bounds")
	e.do(http.MethodPut, price(f.StoreID), mgr, "", map[string]any{"price": 40000}).wantProblem(http.StatusNotFound, "store_not_found")
	e.do(http.MethodPatch, "/api/v1/catalog/packages/"+pkg.ID.String(), hq, "", map[string]any{"locked": true}).status(http.StatusOK)
	e.do(http.MethodPut, price(f.FrStoreID), mgr, "", map[string]any{"price": 41000}).wantProblem(http.StatusUnprocessableEntity, "package_locked")
	e.do(http.MethodPatch, "/api/v1/catalog/packages/"+pkg.ID.String(), mgr, "", map[string]any{"locked": false}).wantProblem(http.StatusForbidden, "permission_denied")
	e.do(http.MethodPatch, "/api/v1/catalog/packages/"+pkg.ID.String(), hq, "", map[string]any{"locked": false}).status(http.StatusOK)

	// The storefront at an address in the franchised store's territory shows its price.
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services?"+at+"&category_id="+root.ID.String()+"&q=deep", "", f.Host, nil).ok(&list)
	require.EqualValues(t, 1, list.Total)
	o := list.Items[0]
	require.Equal(t, f.FrStoreID, *o.StoreID)
	require.Equal(t, "CNY", o.Currency)
	require.EqualValues(t, 42000, o.Packages[0].Price)
	require.EqualValues(t, 39900, o.Packages[0].ListPrice)
	require.Len(t, o.AddOns, 1)
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services?min_price=40000", "", f.Host, nil).ok(&list)
	require.Zero(t, list.Total, "at list price (no address) nothing costs 400 or more")
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services?min_price=40000&"+at, "", f.Host, nil).ok(&list)
	require.EqualValues(t, 1, list.Total)
	var one offerBody
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services/"+svc.ID.String()+"?"+at, "", f.Host, nil).ok(&one)
	require.EqualValues(t, 42000, one.From)

	// A quote there charges the override and the add-on lines.
	var q struct {
		ID       uuid.UUID `json:"id"`
		StoreID  uuid.UUID `json:"store_id"`
		Subtotal int64     `json:"subtotal"`
		Total    int64     `json:"total"`
		Lines    []struct {
			Kind     string    `json:"kind"`
			RefID    uuid.UUID `json:"ref_id"`
			Quantity int       `json:"quantity"`
			Amount   int64     `json:"amount"`
		} `json:"lines"`
	}
	e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, quote).status(http.StatusCreated).ok(&q)
	require.Equal(t, f.FrStoreID, q.StoreID)
	require.EqualValues(t, 42000+2*8000, q.Subtotal)
	require.Equal(t, "package", q.Lines[0].Kind)
	require.EqualValues(t, 42000, q.Lines[0].Amount)
	require.Equal(t, "addon", q.Lines[1].Kind)
	require.Equal(t, add.ID, q.Lines[1].RefID)
	require.EqualValues(t, 16000, q.Lines[1].Amount)
	require.Equal(t, 2, q.Lines[1].Quantity)

	// HQ lowers the ceiling below the override: it is clamped and audited.
	e.do(http.MethodPatch, "/api/v1/catalog/packages/"+pkg.ID.String(), hq, "", map[string]any{"ceiling_price": 41000}).status(http.StatusOK)
	var prices []struct {
		PackageID uuid.UUID `json:"package_id"`
		Price     *int64    `json:"price"`
	}
	e.do(http.MethodGet, "/api/v1/catalog/stores/"+f.FrStoreID.String()+"/prices", mgr, "", nil).ok(&prices)
	require.Len(t, prices, 1)
	require.EqualValues(t, 41000, *prices[0].Price)
	var clamped int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from audit_log where tenant_id = ? and action = 'catalog.store_price.clamp' and object_id = ?`,
		f.Tenant.ID, f.FrStoreID.String()+"/"+pkg.ID.String()).Scan(&clamped).Error)
	require.EqualValues(t, 1, clamped)
	var changes int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from audit_log where tenant_id = ? and action like 'catalog.%'`, f.Tenant.ID).Scan(&changes).Error)
	require.GreaterOrEqual(t, changes, int64(9), "every catalogue and price change is audited")

	// Unpublished: gone from the storefront, quotes refused.
	e.do(http.MethodPost, "/api/v1/catalog/services/"+svc.ID.String()+"/unpublish", hq, "", nil).status(http.StatusOK)
	e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, quote).wantProblem(http.StatusUnprocessableEntity, "package_unavailable")
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services", "", f.Host, nil).ok(&list)
	require.EqualValues(t, 1, list.Total, "only the fixture's published service")
	require.Equal(t, f.ServiceID, list.Items[0].ID)
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services/"+svc.ID.String(), "", f.Host, nil).wantProblem(http.StatusNotFound, "service_not_found")
	e.do(http.MethodPost, "/api/v1/catalog/services/"+svc.ID.String()+"/publish", hq, "", nil).status(http.StatusOK)

	// An address no territory covers.
	far := map[string]any{"package_id": pkg.ID, "location": map[string]any{"lng": 122.5, "lat": 31.15}, "start": start}
	e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, far).wantProblem(http.StatusUnprocessableEntity, "address_not_served")
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services?lng=122.5&lat=31.15", "", f.Host, nil).wantProblem(http.StatusUnprocessableEntity, "address_not_served")
	foreignAddOn := map[string]any{"package_id": pkg.ID, "add_ons": []map[string]any{{"id": uuid.New(), "quantity": 1}}, "location": inTerritory, "start": start}
	r := e.do(http.MethodPost, "/api/v1/storefront/quotes", "", f.Host, foreignAddOn).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, []string{"add_ons[0].id"}, r.fields())

	// Bad input: 4xx with a stable code and fields, never a 500, never a partial write.
	packagesBefore := count(t, e, "catalog_packages")
	servicesBefore := count(t, e, "catalog_services")
	pkgPath := "/api/v1/catalog/services/" + svc.ID.String() + "/packages"
	for _, tc := range []struct {
		name, method, path string
		token              string
		body               any
		status             int
		code               string
		fields             []string
	}{
		{"negative price", "POST", pkgPath, hq, map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 60, "list_price": -1}, 422, "validation_failed", []string{"body.list_price"}},
		{"floor above list", "POST", pkgPath, hq, map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 60, "list_price": 100, "floor_price": 200}, 422, "validation_failed", []string{"floor_price"}},
		{"list above ceiling", "POST", pkgPath, hq, map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 60, "list_price": 300, "ceiling_price": 200}, 422, "validation_failed", []string{"ceiling_price"}},
		{"zero duration", "POST", pkgPath, hq, map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 0, "list_price": 100}, 422, "validation_failed", []string{"body.duration_minutes"}},
		{"unknown service", "POST", "/api/v1/catalog/services/" + uuid.NewString() + "/packages", hq, map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 60, "list_price": 100}, 404, "service_not_found", nil},
		{"unknown category", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": uuid.New(), "name_zh": "x", "name_en": "x", "duration_minutes": 60}, 422, "validation_failed", []string{"category_id"}},
		{"unknown certificate", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": child.ID, "name_zh": "x", "name_en": "x", "duration_minutes": 60, "certificate_types": []string{"pilot"}}, 422, "validation_failed", []string{"certificate_types"}},
		{"unknown level", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": child.ID, "name_zh": "x", "name_en": "x", "duration_minutes": 60, "min_level_id": uuid.New()}, 422, "validation_failed", []string{"min_level_id"}},
		{"bad image url", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": child.ID, "name_zh": "x", "name_en": "x", "duration_minutes": 60, "images": []string{"ftp://x"}}, 422, "validation_failed", []string{"images[0]"}},
		{"blank name", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": child.ID, "name_zh": "  ", "name_en": "x", "duration_minutes": 60}, 422, "validation_failed", []string{"name_zh"}},
		{"unknown field", "POST", "/api/v1/catalog/services", hq, map[string]any{"category_id": child.ID, "name_zh": "x", "name_en": "x", "duration_minutes": 60, "price": 1}, 422, "unknown_field", nil},
		{"bounds break list", "PATCH", "/api/v1/catalog/packages/" + pkg.ID.String(), hq, map[string]any{"floor_price": 40000}, 422, "validation_failed", []string{"floor_price"}},
		{"negative override", "PUT", price(f.FrStoreID), mgr, map[string]any{"price": -5}, 422, "validation_failed", []string{"body.price"}},
		{"override unknown package", "PUT", "/api/v1/catalog/stores/" + f.FrStoreID.String() + "/prices/" + uuid.NewString(), mgr, map[string]any{"price": 5}, 404, "package_not_found", nil},
		{"lng without lat", "GET", "/api/v1/storefront/catalog/services?lng=121.4", "", nil, 422, "validation_failed", []string{"lng"}},
		{"lng out of range", "GET", "/api/v1/storefront/catalog/services?lng=999&lat=31", "", nil, 422, "validation_failed", []string{"lng"}},
		{"lng not a number", "GET", "/api/v1/storefront/catalog/services?lng=abc&lat=31", "", nil, 400, "invalid_parameter", nil},
		{"min above max", "GET", "/api/v1/storefront/catalog/services?min_price=10&max_price=5", "", nil, 422, "validation_failed", []string{"max_price"}},
		{"negative min", "GET", "/api/v1/storefront/catalog/services?min_price=-1", "", nil, 400, "invalid_parameter", nil},
		{"bad category id", "GET", "/api/v1/catalog/services?category_id=nope", hq, nil, 400, "invalid_parameter", nil},
		{"category cycle", "PATCH", "/api/v1/catalog/categories/" + root.ID.String(), hq, map[string]any{"parent_id": child.ID}, 422, "validation_failed", []string{"parent_id"}},
		{"category in use", "DELETE", "/api/v1/catalog/categories/" + root.ID.String(), hq, nil, 409, "category_in_use", nil},
		{"delete published", "DELETE", "/api/v1/catalog/services/" + svc.ID.String(), hq, nil, 409, "service_not_draft", nil},
		{"quote zero quantity", "POST", "/api/v1/storefront/quotes", "", map[string]any{"package_id": pkg.ID, "add_ons": []map[string]any{{"id": add.ID, "quantity": 0}}, "location": inTerritory, "start": start}, 422, "validation_failed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := ""
			if tc.token == "" {
				host = f.Host
			}
			r := e.do(tc.method, tc.path, tc.token, host, tc.body).wantProblem(tc.status, tc.code)
			if tc.fields != nil {
				require.Equal(t, tc.fields, r.fields(), "%s", r.body)
			}
		})
	}
	require.Equal(t, packagesBefore, count(t, e, "catalog_packages"))
	require.Equal(t, servicesBefore, count(t, e, "catalog_services"))
	e.do(http.MethodGet, "/api/v1/catalog/stores/"+f.FrStoreID.String()+"/prices", mgr, "", nil).ok(&prices)
	require.EqualValues(t, 41000, *prices[0].Price, "refused writes changed nothing")
}

// TestCatalogAPICrossTenant aims tenant B at tenant A's real catalogue objects: every answer is
// 404 and A's rows do not change.
func TestCatalogAPICrossTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newCatalog(e, e.A, true)
	price := int64(9000)
	_, err := e.app.Catalog.SetStorePrice(hqContext(e.A), e.A.FrStoreID, a.Package, &price, true)
	require.NoError(t, err)
	own := newCatalog(e, e.B, true)
	e.stopWorker() // no job of A's world changes A's rows under the checksum
	before := tenantChecksum(t, e, e.A)
	b := e.B.Tokens["owner"]
	start := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		method, path, token, host string
		body                      any
		code                      string
	}{
		{"GET", "/api/v1/catalog/services/" + a.Service.String(), b, "", nil, "service_not_found"},
		{"PATCH", "/api/v1/catalog/services/" + a.Service.String(), b, "", map[string]any{"name_en": "pwned"}, "service_not_found"},
		{"DELETE", "/api/v1/catalog/services/" + a.Service.String(), b, "", nil, "service_not_found"},
		{"POST", "/api/v1/catalog/services/" + a.Service.String() + "/unpublish", b, "", nil, "service_not_found"},
		{"POST", "/api/v1/catalog/services/" + a.Service.String() + "/packages", b, "", map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 1, "list_price": 1}, "service_not_found"},
		{"POST", "/api/v1/catalog/services/" + a.Service.String() + "/add-ons", b, "", map[string]any{"name_zh": "x", "name_en": "x", "duration_minutes": 1, "price": 1}, "service_not_found"},
		{"GET", "/api/v1/catalog/packages/" + a.Package.String(), b, "", nil, "package_not_found"},
		{"PATCH", "/api/v1/catalog/packages/" + a.Package.String(), b, "", map[string]any{"floor_price": 0, "list_price": 1}, "package_not_found"},
		{"DELETE", "/api/v1/catalog/packages/" + a.Package.String(), b, "", nil, "package_not_found"},
		{"PATCH", "/api/v1/catalog/add-ons/" + a.AddOn.String(), b, "", map[string]any{"price": 1}, "add_on_not_found"},
		{"DELETE", "/api/v1/catalog/add-ons/" + a.AddOn.String(), b, "", nil, "add_on_not_found"},
		{"PATCH", "/api/v1/catalog/categories/" + a.Category.String(), b, "", map[string]any{"name_en": "pwned"}, "category_not_found"},
		{"DELETE", "/api/v1/catalog/categories/" + a.Category.String(), b, "", nil, "category_not_found"},
		{"PUT", "/api/v1/catalog/stores/" + e.B.FrStoreID.String() + "/prices/" + a.Package.String(), b, "", map[string]any{"price": 1}, "package_not_found"},
		{"PUT", "/api/v1/catalog/stores/" + e.A.FrStoreID.String() + "/prices/" + own.Package.String(), b, "", map[string]any{"price": 9000}, "store_not_found"},
		{"DELETE", "/api/v1/catalog/stores/" + e.A.FrStoreID.String() + "/prices/" + a.Package.String(), b, "", nil, "store_not_found"},
		{"GET", "/api/v1/catalog/stores/" + e.A.FrStoreID.String() + "/prices", b, "", nil, "store_not_found"},
		{"GET", "/api/v1/storefront/catalog/services/" + a.Service.String(), "", e.B.Host, nil, "service_not_found"},
		{"POST", "/api/v1/storefront/quotes", "", e.B.Host, map[string]any{"package_id": a.Package, "location": inTerritory, "start": start}, "package_not_found"},
	} {
		e.do(tc.method, tc.path, tc.token, tc.host, tc.body).wantProblem(http.StatusNotFound, tc.code)
	}
	var list struct {
		Total int64 `json:"total"`
	}
	e.do(http.MethodGet, "/api/v1/catalog/services?category_id="+a.Category.String(), b, "", nil).ok(&list)
	require.Zero(t, list.Total)
	e.do(http.MethodGet, "/api/v1/storefront/catalog/services?category_id="+a.Category.String(), "", e.B.Host, nil).ok(&list)
	require.Zero(t, list.Total)
	// B's add-on on A's package and A's add-on on B's package are both refused.
	r := e.do(http.MethodPost, "/api/v1/storefront/quotes", "", e.B.Host, map[string]any{"package_id": own.Package,
		"add_ons": []map[string]any{{"id": a.AddOn, "quantity": 1}}, "location": inTerritory, "start": start})
	r.wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	require.Equal(t, before, tenantChecksum(t, e, e.A), "tenant A's rows changed")
}
