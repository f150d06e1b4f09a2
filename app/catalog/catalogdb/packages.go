package catalogdb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// ---- packages ----

type packageRow struct {
	TenantID        uuid.UUID
	ID              uuid.UUID
	ServiceID       uuid.UUID
	NameZh          string
	NameEn          string
	AreaMinSqm      *int
	AreaMaxSqm      *int
	DirtLevel       string
	Frequency       string
	DurationMinutes int
	ListPrice       int64
	FloorPrice      int64
	CeilingPrice    int64
	Locked          bool
	Active          bool
	Position        int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (packageRow) TableName() string { return "catalog_packages" }

func zeroNil(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

func nilZero(v *int) int {
	if v == nil {
		return 0
	}
	return *v
}

func packageToCore(r packageRow) catalog.Package {
	return catalog.Package{ID: r.ID, ServiceID: r.ServiceID, NameZh: r.NameZh, NameEn: r.NameEn, AreaMinSqm: nilZero(r.AreaMinSqm),
		AreaMaxSqm: nilZero(r.AreaMaxSqm), DirtLevel: r.DirtLevel, Frequency: r.Frequency, DurationMinutes: r.DurationMinutes,
		ListPrice: r.ListPrice, FloorPrice: r.FloorPrice, CeilingPrice: r.CeilingPrice, Locked: r.Locked, Active: r.Active,
		Position: r.Position, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func packageToRow(tid uuid.UUID, p catalog.Package) packageRow {
	return packageRow{TenantID: tid, ID: p.ID, ServiceID: p.ServiceID, NameZh: p.NameZh, NameEn: p.NameEn, AreaMinSqm: zeroNil(p.AreaMinSqm),
		AreaMaxSqm: zeroNil(p.AreaMaxSqm), DirtLevel: p.DirtLevel, Frequency: p.Frequency, DurationMinutes: p.DurationMinutes,
		ListPrice: p.ListPrice, FloorPrice: p.FloorPrice, CeilingPrice: p.CeilingPrice, Locked: p.Locked, Active: p.Active,
		Position: p.Position, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r *Repo) CreatePackage(ctx context.Context, p catalog.Package) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := packageToRow(tid, p)
	return refError(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) getPackage(ctx context.Context, id uuid.UUID, lock bool) (packageRow, error) {
	var rows []packageRow
	q := "select * from catalog_packages where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return packageRow{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return packageRow{}, catalog.ErrPackageNotFound
	}
	return rows[0], nil
}

func (r *Repo) GetPackage(ctx context.Context, id uuid.UUID) (catalog.Package, error) {
	row, err := r.getPackage(ctx, id, false)
	return packageToCore(row), err
}

func (r *Repo) UpdatePackage(ctx context.Context, id uuid.UUID, fn func(*catalog.Package) error) (catalog.Package, error) {
	row, err := r.getPackage(ctx, id, true)
	if err != nil {
		return catalog.Package{}, err
	}
	p := packageToCore(row)
	if err := fn(&p); err != nil {
		return catalog.Package{}, err
	}
	row = packageToRow(row.TenantID, p)
	err = r.db.Conn(ctx).Exec(`update catalog_packages set name_zh = ?, name_en = ?, area_min_sqm = ?, area_max_sqm = ?, dirt_level = ?,
		frequency = ?, duration_minutes = ?, list_price = ?, floor_price = ?, ceiling_price = ?, locked = ?, active = ?, position = ?,
		updated_at = ? where id = ?`,
		row.NameZh, row.NameEn, row.AreaMinSqm, row.AreaMaxSqm, row.DirtLevel, row.Frequency, row.DurationMinutes, row.ListPrice,
		row.FloorPrice, row.CeilingPrice, row.Locked, row.Active, row.Position, row.UpdatedAt, id).Error
	if err != nil {
		return catalog.Package{}, refError(err)
	}
	return p, nil
}

func (r *Repo) DeletePackage(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from catalog_packages where id = ?", id)
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return catalog.ErrPackageNotFound
	}
	return nil
}

func (r *Repo) Packages(ctx context.Context, serviceIDs []uuid.UUID) ([]catalog.Package, error) {
	out := []catalog.Package{}
	if len(serviceIDs) == 0 {
		return out, nil
	}
	var rows []packageRow
	if err := r.db.Conn(ctx).Raw("select * from catalog_packages where service_id in ? order by position, list_price, id", serviceIDs).
		Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, row := range rows {
		out = append(out, packageToCore(row))
	}
	return out, nil
}

// ---- add-ons ----

type addOnRow struct {
	TenantID        uuid.UUID
	ID              uuid.UUID
	ServiceID       uuid.UUID
	NameZh          string
	NameEn          string
	Price           int64
	DurationMinutes int
	Active          bool
	Position        int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (addOnRow) TableName() string { return "catalog_add_ons" }

func addOnToCore(r addOnRow) catalog.AddOn {
	return catalog.AddOn{ID: r.ID, ServiceID: r.ServiceID, NameZh: r.NameZh, NameEn: r.NameEn, Price: r.Price,
		DurationMinutes: r.DurationMinutes, Active: r.Active, Position: r.Position, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *Repo) CreateAddOn(ctx context.Context, a catalog.AddOn) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := addOnRow{TenantID: tid, ID: a.ID, ServiceID: a.ServiceID, NameZh: a.NameZh, NameEn: a.NameEn, Price: a.Price,
		DurationMinutes: a.DurationMinutes, Active: a.Active, Position: a.Position, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	return refError(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) getAddOn(ctx context.Context, id uuid.UUID, lock bool) (catalog.AddOn, error) {
	var rows []addOnRow
	q := "select * from catalog_add_ons where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return catalog.AddOn{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return catalog.AddOn{}, catalog.ErrAddOnNotFound
	}
	return addOnToCore(rows[0]), nil
}

func (r *Repo) GetAddOn(ctx context.Context, id uuid.UUID) (catalog.AddOn, error) {
	return r.getAddOn(ctx, id, false)
}

func (r *Repo) UpdateAddOn(ctx context.Context, id uuid.UUID, fn func(*catalog.AddOn) error) (catalog.AddOn, error) {
	a, err := r.getAddOn(ctx, id, true)
	if err != nil {
		return catalog.AddOn{}, err
	}
	if err := fn(&a); err != nil {
		return catalog.AddOn{}, err
	}
	err = r.db.Conn(ctx).Exec(`update catalog_add_ons set name_zh = ?, name_en = ?, price = ?, duration_minutes = ?, active = ?,
		position = ?, updated_at = ? where id = ?`, a.NameZh, a.NameEn, a.Price, a.DurationMinutes, a.Active, a.Position, a.UpdatedAt, id).Error
	if err != nil {
		return catalog.AddOn{}, refError(err)
	}
	return a, nil
}

func (r *Repo) DeleteAddOn(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from catalog_add_ons where id = ?", id)
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return catalog.ErrAddOnNotFound
	}
	return nil
}

func (r *Repo) AddOns(ctx context.Context, serviceIDs []uuid.UUID) ([]catalog.AddOn, error) {
	out := []catalog.AddOn{}
	if len(serviceIDs) == 0 {
		return out, nil
	}
	var rows []addOnRow
	if err := r.db.Conn(ctx).Raw("select * from catalog_add_ons where service_id in ? order by position, price, id", serviceIDs).
		Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, row := range rows {
		out = append(out, addOnToCore(row))
	}
	return out, nil
}

// ---- store overrides ----

type storePriceRow struct {
	TenantID  uuid.UUID
	StoreID   uuid.UUID
	PackageID uuid.UUID
	Price     *int64
	Available bool
	UpdatedAt time.Time
	UpdatedBy string
}

func storePriceToCore(r storePriceRow) catalog.StorePrice {
	return catalog.StorePrice{StoreID: r.StoreID, PackageID: r.PackageID, Price: r.Price, Available: r.Available, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy}
}

func (r *Repo) GetStorePrice(ctx context.Context, storeID, packageID uuid.UUID, lock bool) (catalog.StorePrice, error) {
	var rows []storePriceRow
	q := "select * from catalog_store_prices where store_id = ? and package_id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, storeID, packageID).Scan(&rows).Error; err != nil {
		return catalog.StorePrice{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return catalog.StorePrice{}, catalog.ErrStorePriceNotFound
	}
	return storePriceToCore(rows[0]), nil
}

func (r *Repo) SaveStorePrice(ctx context.Context, sp catalog.StorePrice) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Exec(`insert into catalog_store_prices (tenant_id, store_id, package_id, price, available, updated_at, updated_by)
		values (?, ?, ?, ?, ?, ?, ?)
		on conflict (tenant_id, store_id, package_id) do update
		set price = excluded.price, available = excluded.available, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		tid, sp.StoreID, sp.PackageID, sp.Price, sp.Available, sp.UpdatedAt, sp.UpdatedBy).Error
	return refError(err)
}

func (r *Repo) DeleteStorePrice(ctx context.Context, storeID, packageID uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from catalog_store_prices where store_id = ? and package_id = ?", storeID, packageID)
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return catalog.ErrStorePriceNotFound
	}
	return nil
}

func (r *Repo) StorePrices(ctx context.Context, storeID uuid.UUID) ([]catalog.StorePrice, error) {
	var rows []storePriceRow
	if err := r.db.Conn(ctx).Raw(`select sp.* from catalog_store_prices sp
		join catalog_packages p on p.tenant_id = sp.tenant_id and p.id = sp.package_id
		where sp.store_id = ? order by p.service_id, p.position, p.id`, storeID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]catalog.StorePrice, 0, len(rows))
	for _, row := range rows {
		out = append(out, storePriceToCore(row))
	}
	return out, nil
}

func (r *Repo) OverridesOutside(ctx context.Context, packageID uuid.UUID, floor, ceiling int64) ([]catalog.StorePrice, error) {
	var rows []storePriceRow
	if err := r.db.Conn(ctx).Raw(`select * from catalog_store_prices
		where package_id = ? and price is not null and (price < ? or price > ?) order by store_id for update`,
		packageID, floor, ceiling).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]catalog.StorePrice, 0, len(rows))
	for _, row := range rows {
		out = append(out, storePriceToCore(row))
	}
	return out, nil
}

// ---- storefront ----

func (r *Repo) ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, bool, error) {
	var rows []struct{ ID uuid.UUID }
	err := r.db.Conn(ctx).Raw(`select id from stores
		where status = 'active' and territory is not null
		  and st_covers(territory, st_setsrid(st_makepoint(?, ?), 4326))
		order by st_distance(location, st_setsrid(st_makepoint(?, ?), 4326)::geography) nulls last, code, id
		limit 1`, at.Lng, at.Lat, at.Lng, at.Lat).Scan(&rows).Error
	if err != nil {
		return uuid.Nil, false, dbx.Err(err)
	}
	if len(rows) == 0 {
		return uuid.Nil, false, nil
	}
	return rows[0].ID, true, nil
}

// pricedSelect prices packages at one store: a locked package or one without an override
// sells at list price; availability is the override's unless the package is locked.
const pricedSelect = `select p.*,
	case when p.locked or sp.price is null then p.list_price else sp.price end as price,
	(not p.locked and sp.price is not null) as overridden,
	(p.active and (p.locked or coalesce(sp.available, true))) as on_sale
	from catalog_packages p
	left join catalog_store_prices sp on sp.tenant_id = p.tenant_id and sp.package_id = p.id and sp.store_id = ?`

type pricedRow struct {
	Pkg        packageRow `gorm:"embedded"`
	Price      int64
	Overridden bool
	OnSale     bool
}

func (r *Repo) PricedPackages(ctx context.Context, serviceIDs []uuid.UUID, store uuid.UUID, onSale bool) ([]catalog.PricedPackage, error) {
	out := []catalog.PricedPackage{}
	if len(serviceIDs) == 0 {
		return out, nil
	}
	var rows []pricedRow
	q := "select * from (" + pricedSelect + " where p.service_id in ?) x"
	if onSale {
		q += " where on_sale"
	}
	if err := r.db.Conn(ctx).Raw(q+" order by position, price, id", store, serviceIDs).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, row := range rows {
		out = append(out, catalog.PricedPackage{Package: packageToCore(row.Pkg), StoreID: store, Price: row.Price, Overridden: row.Overridden})
	}
	return out, nil
}

func (r *Repo) Browse(ctx context.Context, f catalog.BrowseFilter, store uuid.UUID, p page.Request) (page.Result[catalog.Item], error) {
	w := where{sql: "s.status = 'published'"}
	prefix := ""
	var prefixArgs []any
	if f.CategoryID != uuid.Nil {
		prefix, prefixArgs = subtreeCTE, []any{f.CategoryID}
		w.add("s.category_id in (select id from subtree)")
	}
	sale := where{sql: "o.on_sale and o.service_id = s.id"}
	if f.MinPrice != nil {
		sale.add("o.price >= ?", *f.MinPrice)
	}
	if f.MaxPrice != nil {
		sale.add("o.price <= ?", *f.MaxPrice)
	}
	w.add("exists (select 1 from ("+pricedSelect+") o where "+sale.sql+")", append([]any{store}, sale.args...)...)
	w.search(f.Query)
	return r.listServices(ctx, prefix, prefixArgs, w, p)
}
