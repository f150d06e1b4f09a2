package catalogdb_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/auth"
	"doorstep/app/catalog"
	"doorstep/app/catalog/catalogdb"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
	"doorstep/app/org"
	"doorstep/app/org/orgdb"
	"doorstep/tenant"
)

// world is one database with a catalogue service and, per tenant, an HQ context.
type world struct {
	t   *testing.T
	d   *dbtest.DB
	svc *catalog.Service
	org *org.Service
}

func newWorld(t *testing.T) *world {
	d := dbtest.New(t)
	log := audit.New(d.Tx, auditdb.New(d.Tx))
	orgs := org.NewService(d.Tx, orgdb.New(d.Tx), log)
	return &world{t: t, d: d, org: orgs, svc: catalog.NewService(d.Tx, catalogdb.New(d.Tx), orgs, log)}
}

// shop is a tenant with two stores whose territories overlap in the middle, a franchisee
// owning the second, and reference data (a staff level, certificate types).
type shop struct {
	ID             uuid.UUID
	HQ             context.Context
	West, East     uuid.UUID // stores
	Franchisee     uuid.UUID
	Level          uuid.UUID
	Category       uuid.UUID
	tenant         *tenant.Tenant
	westPt, eastPt geo.Point
}

func square(lng0, lat0, lng1, lat1 float64) *geo.Polygon {
	return &geo.Polygon{Type: "Polygon", Coordinates: [][][2]float64{{{lng0, lat0}, {lng1, lat0}, {lng1, lat1}, {lng0, lat1}, {lng0, lat0}}}}
}

func (w *world) shop(slug string) *shop {
	t := w.t
	s := &shop{ID: uuid.New()}
	require.NoError(t, w.d.Owner.Exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, s.ID, slug, slug).Error)
	s.tenant = &tenant.Tenant{ID: s.ID, Slug: slug, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	s.HQ = w.as(s, auth.ScopeTenant, uuid.Nil, uuid.Nil)
	s.Level = uuid.New()
	require.NoError(t, w.d.Owner.Exec(`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank) values (?, ?, 'senior', '高级', 'Senior', 2)`, s.ID, s.Level).Error)
	require.NoError(t, w.d.Owner.Exec(`insert into certificate_types (tenant_id, code, name_zh, name_en) values (?, 'health', '健康证', 'Health'), (?, 'electrician', '电工证', 'Electrician')`, s.ID, s.ID).Error)
	fr, err := w.org.CreateFranchisee(s.HQ, org.NewFranchisee{Name: slug + " franchise"})
	require.NoError(t, err)
	s.Franchisee = fr.ID
	// West covers 121.40–121.48, East 121.46–121.55: they overlap between 121.46 and 121.48.
	west, err := w.org.CreateStore(s.HQ, org.Store{Code: "W", Name: "West", TimeZone: "Asia/Shanghai",
		Location: &geo.Point{Lng: 121.41, Lat: 31.20}, Territory: square(121.40, 31.15, 121.48, 31.25)})
	require.NoError(t, err)
	east, err := w.org.CreateStore(s.HQ, org.Store{Code: "E", Name: "East", TimeZone: "Asia/Shanghai", FranchiseeID: fr.ID,
		Location: &geo.Point{Lng: 121.54, Lat: 31.20}, Territory: square(121.46, 31.15, 121.55, 31.25)})
	require.NoError(t, err)
	s.West, s.East = west.ID, east.ID
	s.westPt, s.eastPt = geo.Point{Lng: 121.42, Lat: 31.20}, geo.Point{Lng: 121.53, Lat: 31.20}
	c, err := w.svc.CreateCategory(s.HQ, catalog.NewCategory{NameZh: "保洁", NameEn: "Cleaning"})
	require.NoError(t, err)
	s.Category = c.ID
	return s
}

func (w *world) as(s *shop, sc auth.Scope, fr, store uuid.UUID) context.Context {
	ctx := tenant.WithTenant(context.Background(), s.tenant)
	return auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.User, TenantID: s.ID, SubjectID: uuid.New(), Scope: sc, FranchiseeID: fr, StoreID: store})
}

func code(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	e, ok := errs.As(err)
	require.True(t, ok, "not a domain error: %v", err)
	return e.Code
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	e, ok := errs.As(err)
	require.True(t, ok, "not a domain error: %v", err)
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func deepClean() catalog.Item {
	return catalog.Item{NameZh: "深度保洁", NameEn: "Deep cleaning", DescriptionZh: "全屋深度清洁", DescriptionEn: "Whole-home deep clean",
		Images: []string{"https://img.example.com/deep.jpg"}, DurationMinutes: 240, Skill: "cleaning",
		Checklist: []catalog.Step{{Zh: "卧室：整理床铺", En: "Bedroom: make the bed"}, {Zh: "擦拭家具", En: "Wipe furniture"}, {Zh: "拖地", En: "Mop the floor"}}}
}

func twoRooms() catalog.Package {
	return catalog.Package{NameZh: "两居室", NameEn: "Two rooms", AreaMinSqm: 60, AreaMaxSqm: 90, DirtLevel: "normal", Frequency: "once",
		DurationMinutes: 240, ListPrice: 39900, FloorPrice: 35000, CeilingPrice: 45000, Active: true}
}

// published creates a published service with one package and one add-on.
func (w *world) published(s *shop) (catalog.Item, catalog.Package, catalog.AddOn) {
	t := w.t
	in := deepClean()
	in.CategoryID = s.Category
	sv, err := w.svc.CreateService(s.HQ, in)
	require.NoError(t, err)
	p, err := w.svc.CreatePackage(s.HQ, sv.ID, twoRooms())
	require.NoError(t, err)
	a, err := w.svc.CreateAddOn(s.HQ, sv.ID, catalog.AddOn{NameZh: "冰箱清洁", NameEn: "Fridge", Price: 8000, DurationMinutes: 30, Active: true})
	require.NoError(t, err)
	sv, err = w.svc.Publish(s.HQ, sv.ID)
	require.NoError(t, err)
	return sv, p, a
}

func TestCategoriesAndServices(t *testing.T) {
	w := newWorld(t)
	s := w.shop("alpha")
	ctx := s.HQ

	child, err := w.svc.CreateCategory(ctx, catalog.NewCategory{ParentID: s.Category, Position: 2, NameZh: "深度保洁", NameEn: "Deep"})
	require.NoError(t, err)
	first, err := w.svc.CreateCategory(ctx, catalog.NewCategory{ParentID: s.Category, Position: 1, NameZh: "日常保洁", NameEn: "Daily"})
	require.NoError(t, err)
	repair, err := w.svc.CreateCategory(ctx, catalog.NewCategory{Position: 5, NameZh: "维修", NameEn: "Repair"})
	require.NoError(t, err)
	tree, err := w.svc.Categories(ctx)
	require.NoError(t, err)
	var order []uuid.UUID
	for _, c := range tree {
		order = append(order, c.ID)
	}
	require.Equal(t, []uuid.UUID{s.Category, first.ID, child.ID, repair.ID}, order, "depth first, siblings by position")

	_, err = w.svc.CreateCategory(ctx, catalog.NewCategory{ParentID: uuid.New(), NameZh: "x", NameEn: "x"})
	require.Equal(t, []string{"parent_id"}, fields(t, err))
	_, err = w.svc.UpdateCategory(ctx, s.Category, catalog.CategoryUpdate{SetParent: true, ParentID: child.ID})
	require.Equal(t, "validation_failed", code(t, err), "no cycles")
	_, err = w.svc.CreateCategory(ctx, catalog.NewCategory{NameZh: " ", NameEn: ""})
	require.ElementsMatch(t, []string{"name_zh", "name_en"}, fields(t, err))

	// A service with every attribute.
	in := deepClean()
	in.CategoryID, in.MinLevelID, in.CertificateTypes = child.ID, s.Level, []string{"health"}
	sv, err := w.svc.CreateService(ctx, in)
	require.NoError(t, err)
	require.Equal(t, catalog.Draft, sv.Status)
	got, err := w.svc.GetService(ctx, sv.ID)
	require.NoError(t, err)
	require.Equal(t, in.Checklist, got.Checklist)
	require.Equal(t, []string{"health"}, got.CertificateTypes)
	require.Equal(t, s.Level, got.MinLevelID)
	require.Equal(t, in.Images, got.Images)

	// Validation: field details, nothing written.
	bad := deepClean()
	bad.CategoryID, bad.NameZh, bad.DurationMinutes, bad.Images = child.ID, "", 0, []string{"javascript:alert(1)"}
	_, err = w.svc.CreateService(ctx, bad)
	require.Equal(t, "validation_failed", code(t, err))
	require.ElementsMatch(t, []string{"name_zh", "duration_minutes", "images[0]"}, fields(t, err))
	bad = deepClean()
	bad.CategoryID = uuid.New()
	_, err = w.svc.CreateService(ctx, bad)
	require.Equal(t, []string{"category_id"}, fields(t, err))
	bad = deepClean()
	bad.CategoryID, bad.CertificateTypes = child.ID, []string{"pilot"}
	_, err = w.svc.CreateService(ctx, bad)
	require.Equal(t, []string{"certificate_types"}, fields(t, err))
	bad.CertificateTypes, bad.MinLevelID = nil, uuid.New()
	_, err = w.svc.CreateService(ctx, bad)
	require.Equal(t, []string{"min_level_id"}, fields(t, err))

	// Update replaces lists; a failed update changes nothing.
	sv, err = w.svc.UpdateService(ctx, sv.ID, catalog.ServiceUpdate{CertificateTypes: &[]string{"electrician", "health"},
		Checklist: &[]catalog.Step{{Zh: "检查", En: "Inspect"}}, NameEn: ptr("Deep clean")})
	require.NoError(t, err)
	require.Equal(t, []string{"electrician", "health"}, sv.CertificateTypes)
	_, err = w.svc.UpdateService(ctx, sv.ID, catalog.ServiceUpdate{NameEn: ptr("Changed"), CertificateTypes: &[]string{"nope"}})
	require.Equal(t, []string{"certificate_types"}, fields(t, err))
	got, err = w.svc.GetService(ctx, sv.ID)
	require.NoError(t, err)
	require.Equal(t, "Deep clean", got.NameEn)
	require.Equal(t, []string{"electrician", "health"}, got.CertificateTypes)

	// Packages and add-ons: non-negative prices, floor ≤ list ≤ ceiling, durations > 0.
	for _, tc := range []struct {
		mut  func(*catalog.Package)
		want []string
	}{
		{func(p *catalog.Package) { p.ListPrice = -1; p.FloorPrice = -2 }, []string{"list_price", "floor_price"}},
		{func(p *catalog.Package) { p.FloorPrice = 40000 }, []string{"floor_price"}},
		{func(p *catalog.Package) { p.CeilingPrice = 30000 }, []string{"ceiling_price"}},
		{func(p *catalog.Package) { p.DurationMinutes = 0 }, []string{"duration_minutes"}},
		{func(p *catalog.Package) { p.AreaMinSqm, p.AreaMaxSqm = 90, 60 }, []string{"area_max_sqm"}},
		{func(p *catalog.Package) { p.DirtLevel, p.Frequency = "filthy", "hourly" }, []string{"dirt_level", "frequency"}},
	} {
		p := twoRooms()
		tc.mut(&p)
		_, err := w.svc.CreatePackage(ctx, sv.ID, p)
		require.Equal(t, "validation_failed", code(t, err))
		require.ElementsMatch(t, tc.want, fields(t, err))
	}
	_, err = w.svc.CreatePackage(ctx, uuid.New(), twoRooms())
	require.Equal(t, "service_not_found", code(t, err))
	pkg, err := w.svc.CreatePackage(ctx, sv.ID, twoRooms())
	require.NoError(t, err)
	_, err = w.svc.UpdatePackage(ctx, pkg.ID, catalog.PackageUpdate{ListPrice: ptr(int64(50000))})
	require.Equal(t, []string{"ceiling_price"}, fields(t, err))
	_, err = w.svc.CreateAddOn(ctx, sv.ID, catalog.AddOn{NameZh: "加项", NameEn: "Extra", Price: -5, DurationMinutes: 0})
	require.ElementsMatch(t, []string{"price", "duration_minutes"}, fields(t, err))
	add, err := w.svc.CreateAddOn(ctx, sv.ID, catalog.AddOn{NameZh: "加项", NameEn: "Extra", Price: 500, DurationMinutes: 15, Active: true})
	require.NoError(t, err)
	add, err = w.svc.UpdateAddOn(ctx, add.ID, catalog.AddOnUpdate{Price: ptr(int64(700))})
	require.NoError(t, err)
	require.EqualValues(t, 700, add.Price)

	// Listing: filters and pagination; the parent category includes its subcategories.
	for i := range 3 {
		x := deepClean()
		x.CategoryID, x.NameEn, x.NameZh = repair.ID, "Repair "+string(rune('A'+i)), "维修"
		_, err := w.svc.CreateService(ctx, x)
		require.NoError(t, err)
	}
	list, err := w.svc.ListServices(ctx, catalog.ServiceFilter{CategoryID: s.Category}, page.Request{Limit: 10})
	require.NoError(t, err)
	require.EqualValues(t, 1, list.Total)
	list, err = w.svc.ListServices(ctx, catalog.ServiceFilter{Query: "repair"}, page.Request{Limit: 2, Offset: 2})
	require.NoError(t, err)
	require.EqualValues(t, 3, list.Total)
	require.Len(t, list.Items, 1)
	list, err = w.svc.ListServices(ctx, catalog.ServiceFilter{Query: "深度保洁"}, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, list.Total)
	list, err = w.svc.ListServices(ctx, catalog.ServiceFilter{Status: catalog.Published}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, list.Total)

	// Publishing needs an active package; deleting needs a draft; categories in use stay.
	empty := deepClean()
	empty.CategoryID = repair.ID
	e, err := w.svc.CreateService(ctx, empty)
	require.NoError(t, err)
	_, err = w.svc.Publish(ctx, e.ID)
	require.Equal(t, "service_incomplete", code(t, err))
	require.NoError(t, w.svc.DeleteService(ctx, e.ID))
	_, err = w.svc.Publish(ctx, sv.ID)
	require.NoError(t, err)
	require.Equal(t, "service_not_draft", code(t, w.svc.DeleteService(ctx, sv.ID)))
	require.Equal(t, "category_in_use", code(t, w.svc.DeleteCategory(ctx, s.Category)))
	empty2, err := w.svc.CreateCategory(ctx, catalog.NewCategory{NameZh: "空", NameEn: "Empty"})
	require.NoError(t, err)
	require.NoError(t, w.svc.DeleteCategory(ctx, empty2.ID))

	// HQ only: a store manager with catalog:write in a custom role still cannot edit.
	mgr := w.as(s, auth.ScopeStore, uuid.Nil, s.West)
	_, err = w.svc.CreateCategory(mgr, catalog.NewCategory{NameZh: "x", NameEn: "x"})
	require.Equal(t, "out_of_scope", code(t, err))

	var n int64
	require.NoError(t, w.d.Owner.Raw(`select count(*) from audit_log where tenant_id = ? and action like 'catalog.%'`, s.ID).Scan(&n).Error)
	require.GreaterOrEqual(t, n, int64(10), "every catalogue change is audited")
}

func TestStoreOverrides(t *testing.T) {
	w := newWorld(t)
	s := w.shop("alpha")
	_, pkg, _ := w.published(s)
	hq := s.HQ

	// In bounds: 200; a store manager for their own store, a franchisee owner for theirs.
	sp, err := w.svc.SetStorePrice(hq, s.West, pkg.ID, ptr(int64(36000)), true)
	require.NoError(t, err)
	require.EqualValues(t, 36000, *sp.Price)
	eastMgr := w.as(s, auth.ScopeStore, s.Franchisee, s.East)
	_, err = w.svc.SetStorePrice(eastMgr, s.East, pkg.ID, ptr(int64(44000)), true)
	require.NoError(t, err)
	_, err = w.svc.SetStorePrice(eastMgr, s.West, pkg.ID, ptr(int64(40000)), true)
	require.Equal(t, "store_not_found", code(t, err), "another store is outside a manager's scope")
	frOwner := w.as(s, auth.ScopeFranchisee, s.Franchisee, uuid.Nil)
	_, err = w.svc.SetStorePrice(frOwner, s.East, pkg.ID, ptr(int64(43000)), true)
	require.NoError(t, err)
	_, err = w.svc.SetStorePrice(frOwner, s.West, pkg.ID, ptr(int64(43000)), true)
	require.Equal(t, "store_not_found", code(t, err))

	// Out of bounds, either side, and negative.
	for _, price := range []int64{34999, 45001} {
		_, err = w.svc.SetStorePrice(hq, s.West, pkg.ID, &price, true)
		require.Equal(t, "price_out_of_bounds", code(t, err))
		require.Equal(t, []string{"price"}, fields(t, err))
	}
	_, err = w.svc.SetStorePrice(hq, s.West, pkg.ID, ptr(int64(-1)), true)
	require.Equal(t, "validation_failed", code(t, err))
	_, err = w.svc.SetStorePrice(hq, s.West, uuid.New(), ptr(int64(36000)), true)
	require.Equal(t, "package_not_found", code(t, err))
	prices, err := w.svc.StorePrices(hq, s.West)
	require.NoError(t, err)
	require.Len(t, prices, 1)
	require.EqualValues(t, 36000, *prices[0].Price, "refused overrides wrote nothing")

	// Locked: refused, and existing overrides are ignored while locked.
	_, err = w.svc.UpdatePackage(hq, pkg.ID, catalog.PackageUpdate{Locked: ptr(true)})
	require.NoError(t, err)
	_, err = w.svc.SetStorePrice(hq, s.West, pkg.ID, ptr(int64(36000)), true)
	require.Equal(t, "package_locked", code(t, err))
	require.Equal(t, "package_locked", code(t, w.svc.DeleteStorePrice(hq, s.West, pkg.ID)))
	pp, err := w.svc.PackageAt(hq, pkg.ID, s.West)
	require.NoError(t, err)
	require.EqualValues(t, 39900, pp.Price)
	require.False(t, pp.Overridden)
	_, err = w.svc.UpdatePackage(hq, pkg.ID, catalog.PackageUpdate{Locked: ptr(false)})
	require.NoError(t, err)
	pp, err = w.svc.PackageAt(hq, pkg.ID, s.West)
	require.NoError(t, err)
	require.EqualValues(t, 36000, pp.Price)
	require.True(t, pp.Overridden)

	// HQ narrows the bounds to 37000–42000: West's 36000 and East's 43000 are stranded and
	// clamped in the same transaction, each with an audit row.
	_, err = w.svc.UpdatePackage(hq, pkg.ID, catalog.PackageUpdate{FloorPrice: ptr(int64(37000)), CeilingPrice: ptr(int64(42000))})
	require.NoError(t, err)
	west, err := w.svc.StorePrices(hq, s.West)
	require.NoError(t, err)
	require.EqualValues(t, 37000, *west[0].Price)
	east, err := w.svc.StorePrices(hq, s.East)
	require.NoError(t, err)
	require.EqualValues(t, 42000, *east[0].Price)
	var clamps []struct {
		ObjectID string
		Before   string
		After    string
	}
	require.NoError(t, w.d.Owner.Raw(`select object_id, before::text, after::text from audit_log
		where tenant_id = ? and action = 'catalog.store_price.clamp' order by object_id`, s.ID).Scan(&clamps).Error)
	require.Len(t, clamps, 2)
	for _, c := range clamps {
		require.Contains(t, []string{s.West.String() + "/" + pkg.ID.String(), s.East.String() + "/" + pkg.ID.String()}, c.ObjectID)
		require.NotEqual(t, c.Before, c.After)
	}
	// A bounds change that would break the list price fails whole: nothing is clamped.
	_, err = w.svc.UpdatePackage(hq, pkg.ID, catalog.PackageUpdate{FloorPrice: ptr(int64(41000))})
	require.Equal(t, []string{"floor_price"}, fields(t, err))
	west, err = w.svc.StorePrices(hq, s.West)
	require.NoError(t, err)
	require.EqualValues(t, 37000, *west[0].Price)

	// A store takes the package off sale; clearing the override restores list price.
	_, err = w.svc.SetStorePrice(hq, s.West, pkg.ID, nil, false)
	require.NoError(t, err)
	_, err = w.svc.PackageAt(hq, pkg.ID, s.West)
	require.Equal(t, "package_unavailable", code(t, err))
	require.NoError(t, w.svc.DeleteStorePrice(hq, s.West, pkg.ID))
	pp, err = w.svc.PackageAt(hq, pkg.ID, s.West)
	require.NoError(t, err)
	require.EqualValues(t, 39900, pp.Price)
	require.Equal(t, "store_price_not_found", code(t, w.svc.DeleteStorePrice(hq, s.West, pkg.ID)))
}

func TestPublishingAndStorefront(t *testing.T) {
	w := newWorld(t)
	s := w.shop("alpha")
	hq := s.HQ
	sv, pkg, add := w.published(s)
	cheap, err := w.svc.CreatePackage(hq, sv.ID, catalog.Package{NameZh: "一居室", NameEn: "One room", DurationMinutes: 120,
		ListPrice: 19900, FloorPrice: 15000, CeilingPrice: 25000, Active: true, Frequency: "weekly"})
	require.NoError(t, err)
	_, err = w.svc.SetStorePrice(hq, s.East, pkg.ID, ptr(int64(42000)), true)
	require.NoError(t, err)

	// Storefront context: no principal, tenant from the Host.
	pub := tenant.WithTenant(context.Background(), s.tenant)
	res, err := w.svc.Browse(pub, catalog.BrowseFilter{At: &s.eastPt}, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Total)
	o := res.Items[0]
	require.Equal(t, s.East, o.StoreID)
	require.Len(t, o.Packages, 2)
	prices := map[uuid.UUID]int64{}
	for _, p := range o.Packages {
		prices[p.ID] = p.Price
	}
	require.EqualValues(t, 42000, prices[pkg.ID], "East's override")
	require.EqualValues(t, 19900, o.From)
	require.Len(t, o.AddOns, 1)

	// Without an address: list prices. Price range filters packages and services.
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{MinPrice: ptr(int64(30000))}, page.Request{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	require.Len(t, res.Items[0].Packages, 1)
	require.EqualValues(t, 39900, res.Items[0].Packages[0].Price)
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{MinPrice: ptr(int64(40000)), At: &s.eastPt}, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Total, "the East override (42000) is in range")
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{MinPrice: ptr(int64(40000))}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, res.Total, "at list price nothing costs 400 or more")
	_, err = w.svc.Browse(pub, catalog.BrowseFilter{MinPrice: ptr(int64(5)), MaxPrice: ptr(int64(1))}, page.Request{})
	require.Equal(t, []string{"max_price"}, fields(t, err))
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{Query: "deep", CategoryID: s.Category}, page.Request{})
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Total)
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{Query: "plumbing"}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, res.Total)
	_, err = w.svc.Browse(pub, catalog.BrowseFilter{At: &geo.Point{Lng: 100, Lat: 20}}, page.Request{})
	require.Equal(t, "address_not_served", code(t, err))

	// Pricing's view.
	pp, err := w.svc.PackageAt(pub, pkg.ID, s.East)
	require.NoError(t, err)
	require.EqualValues(t, 42000, pp.Price)
	require.Equal(t, 240, pp.DurationMinutes)
	adds, err := w.svc.AddOnsFor(pub, sv.ID, []uuid.UUID{add.ID})
	require.NoError(t, err)
	require.Equal(t, 30, adds[0].DurationMinutes)
	_, err = w.svc.AddOnsFor(pub, sv.ID, []uuid.UUID{add.ID, uuid.New()})
	require.Equal(t, []string{"add_ons[1].id"}, fields(t, err))
	_, err = w.svc.PackageAt(pub, uuid.New(), s.East)
	require.Equal(t, "package_not_found", code(t, err))

	// An inactive package is gone from the storefront and unquotable.
	_, err = w.svc.UpdatePackage(hq, cheap.ID, catalog.PackageUpdate{Active: ptr(false)})
	require.NoError(t, err)
	_, err = w.svc.PackageAt(pub, cheap.ID, s.East)
	require.Equal(t, "package_unavailable", code(t, err))
	o, err = w.svc.Offer(pub, sv.ID, &s.eastPt)
	require.NoError(t, err)
	require.Len(t, o.Packages, 1)

	// Unpublish: gone from the storefront, quotes fail; publish again: back.
	_, err = w.svc.Unpublish(hq, sv.ID)
	require.NoError(t, err)
	_, err = w.svc.PackageAt(pub, pkg.ID, s.East)
	require.Equal(t, "package_unavailable", code(t, err))
	res, err = w.svc.Browse(pub, catalog.BrowseFilter{}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, res.Total)
	_, err = w.svc.Offer(pub, sv.ID, nil)
	require.Equal(t, "service_not_found", code(t, err))
	_, err = w.svc.Publish(hq, sv.ID)
	require.NoError(t, err)
	_, err = w.svc.PackageAt(pub, pkg.ID, s.East)
	require.NoError(t, err)
}

func TestServingStore(t *testing.T) {
	w := newWorld(t)
	s := w.shop("alpha")
	pub := tenant.WithTenant(context.Background(), s.tenant)
	id, err := w.svc.ServingStore(pub, s.westPt)
	require.NoError(t, err)
	require.Equal(t, s.West, id)
	id, err = w.svc.ServingStore(pub, s.eastPt)
	require.NoError(t, err)
	require.Equal(t, s.East, id)
	// 121.475 is inside both territories: West's location (121.41) is 6.5 km away, East's
	// (121.54) 6.5 km too; 121.47 is nearer West, 121.478 nearer East.
	id, err = w.svc.ServingStore(pub, geo.Point{Lng: 121.47, Lat: 31.20})
	require.NoError(t, err)
	require.Equal(t, s.West, id)
	id, err = w.svc.ServingStore(pub, geo.Point{Lng: 121.479, Lat: 31.20})
	require.NoError(t, err)
	require.Equal(t, s.East, id)
	_, err = w.svc.ServingStore(pub, geo.Point{Lng: 121.60, Lat: 31.20})
	require.Equal(t, "address_not_served", code(t, err))
	_, err = w.svc.ServingStore(pub, geo.Point{Lng: 500, Lat: 31.20})
	require.Equal(t, []string{"lng"}, fields(t, err))
	// An inactive store serves nobody.
	inactive := "inactive"
	_, err = w.org.UpdateStore(s.HQ, s.West, org.StoreUpdate{Status: &inactive})
	require.NoError(t, err)
	_, err = w.svc.ServingStore(pub, s.westPt)
	require.Equal(t, "address_not_served", code(t, err))
}

func TestTenantIsolation(t *testing.T) {
	w := newWorld(t)
	a := w.shop("alpha")
	b := w.shop("bravo")
	sv, pkg, add := w.published(a)
	_, err := w.svc.SetStorePrice(a.HQ, a.West, pkg.ID, ptr(int64(36000)), true)
	require.NoError(t, err)

	cats, err := w.svc.Categories(b.HQ)
	require.NoError(t, err)
	require.Len(t, cats, 1, "only B's own category")
	require.NotEqual(t, a.Category, cats[0].ID)
	list, err := w.svc.ListServices(b.HQ, catalog.ServiceFilter{}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, list.Total)
	_, err = w.svc.GetService(b.HQ, sv.ID)
	require.Equal(t, "service_not_found", code(t, err))
	_, err = w.svc.GetPackage(b.HQ, pkg.ID)
	require.Equal(t, "package_not_found", code(t, err))
	_, err = w.svc.UpdatePackage(b.HQ, pkg.ID, catalog.PackageUpdate{ListPrice: ptr(int64(1))})
	require.Equal(t, "package_not_found", code(t, err))
	_, err = w.svc.UpdateAddOn(b.HQ, add.ID, catalog.AddOnUpdate{Price: ptr(int64(1))})
	require.Equal(t, "add_on_not_found", code(t, err))
	_, err = w.svc.Unpublish(b.HQ, sv.ID)
	require.Equal(t, "service_not_found", code(t, err))
	_, err = w.svc.SetStorePrice(b.HQ, a.West, pkg.ID, ptr(int64(36000)), true)
	require.Equal(t, "store_not_found", code(t, err))
	_, err = w.svc.SetStorePrice(b.HQ, b.West, pkg.ID, ptr(int64(36000)), true)
	require.Equal(t, "package_not_found", code(t, err))
	_, err = w.svc.StorePrices(b.HQ, a.West)
	require.Equal(t, "store_not_found", code(t, err))
	_, err = w.svc.CreateService(b.HQ, catalog.Item{CategoryID: a.Category, NameZh: "x", NameEn: "x", DurationMinutes: 60})
	require.Equal(t, []string{"category_id"}, fields(t, err))
	_, err = w.svc.CreatePackage(b.HQ, sv.ID, twoRooms())
	require.Equal(t, "service_not_found", code(t, err))

	pub := tenant.WithTenant(context.Background(), b.tenant)
	res, err := w.svc.Browse(pub, catalog.BrowseFilter{}, page.Request{})
	require.NoError(t, err)
	require.Zero(t, res.Total)
	_, err = w.svc.PackageAt(pub, pkg.ID, a.West)
	require.Equal(t, "package_not_found", code(t, err))
	_, err = w.svc.AddOnsFor(pub, sv.ID, []uuid.UUID{add.ID})
	require.Equal(t, []string{"add_ons[0].id"}, fields(t, err))
	// A's West territory covers this point, B's does too (same shapes): B gets its own store.
	id, err := w.svc.ServingStore(pub, a.westPt)
	require.NoError(t, err)
	require.Equal(t, b.West, id)

	// A is untouched.
	p, err := w.svc.GetPackage(a.HQ, pkg.ID)
	require.NoError(t, err)
	require.EqualValues(t, 39900, p.ListPrice)
}

// TestVisitLength: a package's minutes as sold at a store, plus each add-on's minutes times its
// quantity (a quantity below 1 counts once); a stranger add-on is a field error.
func TestVisitLength(t *testing.T) {
	w := newWorld(t)
	s := w.shop("alpha")
	sv, pkg, add := w.published(s)
	pub := tenant.WithTenant(context.Background(), s.tenant)
	svc, minutes, err := w.svc.VisitLength(pub, pkg.ID, s.East, nil)
	require.NoError(t, err)
	require.Equal(t, sv.ID, svc)
	require.Equal(t, 240, minutes)
	_, minutes, err = w.svc.VisitLength(pub, pkg.ID, s.East, []catalog.AddOnCount{{ID: add.ID, Quantity: 2}})
	require.NoError(t, err)
	require.Equal(t, 240+2*30, minutes)
	_, minutes, err = w.svc.VisitLength(pub, pkg.ID, s.East, []catalog.AddOnCount{{ID: add.ID}, {ID: add.ID, Quantity: 1}})
	require.NoError(t, err)
	require.Equal(t, 240+30+30, minutes)
	_, _, err = w.svc.VisitLength(pub, pkg.ID, s.East, []catalog.AddOnCount{{ID: add.ID}, {ID: uuid.New()}})
	require.Equal(t, []string{"add_ons[1].id"}, fields(t, err))
	_, _, err = w.svc.VisitLength(pub, uuid.New(), s.East, nil)
	require.Equal(t, "package_not_found", code(t, err))
}
