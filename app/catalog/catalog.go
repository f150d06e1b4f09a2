// Package catalog owns a tenant's catalogue: an ordered category tree, services (names and
// descriptions in zh-CN and en, images, duration, required skill, minimum staff level,
// required certificate types, a service-standard checklist), their packages (tiers by floor
// area, dirt level, frequency and duration, with an HQ list price between a floor and a
// ceiling) and add-ons, and the stores' overrides of package price and availability.
//
// HQ owns the catalogue (catalog:write). A store may override a package's price and
// availability inside the package's floor and ceiling (catalog:price, within the caller's data
// scope) unless HQ locks the package; a locked package sells at its list price everywhere and
// existing overrides are ignored (but kept) while it is locked.
//
// When HQ moves a package's floor or ceiling so that existing store overrides fall outside the
// new bounds, the stranded overrides are CLAMPED into the new bounds in the same transaction
// (an override below the new floor becomes the floor, one above the new ceiling becomes the
// ceiling) and every clamped override gets its own audit row ("catalog.store_price.clamp"
// with the override before and after). The bounds change therefore never fails because of
// store overrides and never leaves a store selling outside HQ's bounds.
//
// The storefront sees only published services and active packages available at the store
// whose territory covers the customer's address, at that store's price. The package also
// answers pricing's questions (ServingStore, PackageAt, AddOnsFor) and booking's (durations).
package catalog

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/money"
	"doorstep/app/kit/page"
	"doorstep/app/org"
)

// Status is a service's publication state.
type Status string

const (
	Draft       Status = "draft"
	Published   Status = "published"
	Unpublished Status = "unpublished"
)

// Category is a node of the category tree; siblings are ordered by Position.
type Category struct {
	ID        uuid.UUID
	ParentID  uuid.UUID // uuid.Nil: a root
	Position  int
	NameZh    string
	NameEn    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Step is one step of a service standard checklist.
type Step struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Item is a service the tenant sells (服务项目); the API calls it a service. (The name
// Service is taken by the catalogue service itself.)
type Item struct {
	ID               uuid.UUID
	CategoryID       uuid.UUID
	NameZh           string
	NameEn           string
	DescriptionZh    string
	DescriptionEn    string
	Images           []string // URLs
	DurationMinutes  int      // the typical visit; each package states its own
	Skill            string   // skill code the staff member needs ("" = none beyond the service)
	MinLevelID       uuid.UUID
	CertificateTypes []string
	Checklist        []Step
	Status           Status
	Position         int
	PublishedAt      *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Package is a tier of a service. Prices are minor units; 0 area bounds mean unbounded.
type Package struct {
	ID              uuid.UUID
	ServiceID       uuid.UUID
	NameZh          string
	NameEn          string
	AreaMinSqm      int
	AreaMaxSqm      int
	DirtLevel       string // "", light, normal, heavy
	Frequency       string // once, weekly, biweekly, monthly
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

// AddOn is an extra item of a service.
type AddOn struct {
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

// StorePrice is a store's override of a package. Price nil keeps the list price.
type StorePrice struct {
	StoreID   uuid.UUID
	PackageID uuid.UUID
	Price     *int64
	Available bool
	UpdatedAt time.Time
	UpdatedBy string
}

// PricedPackage is a package as sold at one store (or at list price when StoreID is nil).
type PricedPackage struct {
	Package
	StoreID    uuid.UUID
	Price      int64 // what the customer pays for the package before surcharges
	Overridden bool  // Price comes from the store's override
}

// Offer is a published service as the storefront shows it.
type Offer struct {
	Service  Item
	StoreID  uuid.UUID // uuid.Nil: list prices
	Packages []PricedPackage
	AddOns   []AddOn
	From     int64 // lowest package price shown
}

// ServiceFilter narrows the console's service listing.
type ServiceFilter struct {
	CategoryID uuid.UUID // includes its subcategories
	Status     Status
	Query      string
}

// BrowseFilter narrows the storefront listing. At, when set, prices at the serving store.
type BrowseFilter struct {
	CategoryID uuid.UUID
	Query      string
	MinPrice   *int64
	MaxPrice   *int64
	At         *geo.Point
}

// Errors with stable codes.
var (
	ErrCategoryNotFound   = errs.New(errs.NotFound, "category_not_found", "no such category")
	ErrServiceNotFound    = errs.New(errs.NotFound, "service_not_found", "no such service")
	ErrPackageNotFound    = errs.New(errs.NotFound, "package_not_found", "no such package")
	ErrAddOnNotFound      = errs.New(errs.NotFound, "add_on_not_found", "no such add-on")
	ErrStorePriceNotFound = errs.New(errs.NotFound, "store_price_not_found", "the store has no override for this package")
	ErrCategoryInUse      = errs.New(errs.Conflict, "category_in_use", "the category still has subcategories or services")
	ErrServiceNotDraft    = errs.New(errs.Conflict, "service_not_draft", "only draft services can be deleted; unpublish instead")
	ErrPriceOutOfBounds   = errs.New(errs.Invalid, "price_out_of_bounds", "the price is outside the package's floor and ceiling")
	ErrPackageLocked      = errs.New(errs.Invalid, "package_locked", "HQ has locked this package's price and availability")
	ErrPackageUnavailable = errs.New(errs.Invalid, "package_unavailable", "the package is not on sale at this address")
	ErrAddressNotServed   = errs.New(errs.Invalid, "address_not_served", "no store serves this address")
	ErrNotPublishable     = errs.New(errs.Invalid, "service_incomplete", "a service needs names in both languages and an active package before it is published")
	ErrOutOfScope         = errs.New(errs.Forbidden, "out_of_scope", "this is outside your part of the organisation")
)

// Repo is the persistence the service needs.
type Repo interface {
	CreateCategory(ctx context.Context, c Category) error
	GetCategory(ctx context.Context, id uuid.UUID) (Category, error)
	UpdateCategory(ctx context.Context, id uuid.UUID, fn func(*Category) error) (Category, error)
	DeleteCategory(ctx context.Context, id uuid.UUID) error
	Categories(ctx context.Context) ([]Category, error)
	// IsDescendant reports whether id is ancestor or one of its descendants.
	IsDescendant(ctx context.Context, id, ancestor uuid.UUID) (bool, error)

	CreateService(ctx context.Context, s Item) error
	GetService(ctx context.Context, id uuid.UUID) (Item, error)
	UpdateService(ctx context.Context, id uuid.UUID, fn func(*Item) error) (Item, error)
	DeleteService(ctx context.Context, id uuid.UUID) error
	ListServices(ctx context.Context, f ServiceFilter, p page.Request) (page.Result[Item], error)

	CreatePackage(ctx context.Context, p Package) error
	GetPackage(ctx context.Context, id uuid.UUID) (Package, error)
	UpdatePackage(ctx context.Context, id uuid.UUID, fn func(*Package) error) (Package, error)
	DeletePackage(ctx context.Context, id uuid.UUID) error
	Packages(ctx context.Context, serviceIDs []uuid.UUID) ([]Package, error)

	CreateAddOn(ctx context.Context, a AddOn) error
	GetAddOn(ctx context.Context, id uuid.UUID) (AddOn, error)
	UpdateAddOn(ctx context.Context, id uuid.UUID, fn func(*AddOn) error) (AddOn, error)
	DeleteAddOn(ctx context.Context, id uuid.UUID) error
	AddOns(ctx context.Context, serviceIDs []uuid.UUID) ([]AddOn, error)

	GetStorePrice(ctx context.Context, storeID, packageID uuid.UUID, lock bool) (StorePrice, error)
	SaveStorePrice(ctx context.Context, sp StorePrice) error
	DeleteStorePrice(ctx context.Context, storeID, packageID uuid.UUID) error
	StorePrices(ctx context.Context, storeID uuid.UUID) ([]StorePrice, error)
	// OverridesOutside locks and returns a package's overrides priced outside [floor, ceiling].
	OverridesOutside(ctx context.Context, packageID uuid.UUID, floor, ceiling int64) ([]StorePrice, error)

	ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, bool, error)
	// PricedPackages returns packages of the services with the price and availability at
	// store (uuid.Nil: list price); onSale keeps only active, available packages.
	PricedPackages(ctx context.Context, serviceIDs []uuid.UUID, store uuid.UUID, onSale bool) ([]PricedPackage, error)
	// Browse lists published services with at least one package on sale at store whose price
	// lies within [min, max]; packages are returned separately by PricedPackages.
	Browse(ctx context.Context, f BrowseFilter, store uuid.UUID, p page.Request) (page.Result[Item], error)
}

// Stores is what the catalogue needs from the organisation: a store, if it is inside the
// caller's data scope (org.Service.GetStore answers store_not_found otherwise).
type Stores interface {
	GetStore(ctx context.Context, id uuid.UUID) (org.Store, error)
}

// Auditor records changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

var (
	skillRe = regexp.MustCompile(`^([a-z][a-z0-9_]{0,31})?$`)
	certRe  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

func name(v *errs.Validation, field, s string, max int) {
	n := len([]rune(strings.TrimSpace(s)))
	v.Check(n >= 1 && n <= max, field, fmt.Sprintf("1 to %d characters", max))
}

func validateCategory(c Category, v *errs.Validation) {
	name(v, "name_zh", c.NameZh, 100)
	name(v, "name_en", c.NameEn, 100)
	v.Check(c.Position >= 0 && c.Position <= 100000, "position", "0 to 100000")
	v.Check(c.ParentID != c.ID, "parent_id", "a category cannot be its own parent")
}

func validateService(s Item, v *errs.Validation) {
	name(v, "name_zh", s.NameZh, 100)
	name(v, "name_en", s.NameEn, 100)
	v.Check(len([]rune(s.DescriptionZh)) <= 4000, "description_zh", "at most 4000 characters")
	v.Check(len([]rune(s.DescriptionEn)) <= 4000, "description_en", "at most 4000 characters")
	v.Check(s.CategoryID != uuid.Nil, "category_id", "required")
	v.Check(s.DurationMinutes > 0 && s.DurationMinutes <= 1440, "duration_minutes", "1 to 1440 minutes")
	v.Check(skillRe.MatchString(s.Skill), "skill", "a skill code: lower-case letters, digits and underscores")
	v.Check(s.Position >= 0 && s.Position <= 100000, "position", "0 to 100000")
	v.Check(len(s.Images) <= 20, "images", "at most 20 images")
	for i, img := range s.Images {
		u, err := url.Parse(img)
		v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(img) <= 2000,
			fmt.Sprintf("images[%d]", i), "an http(s) URL")
	}
	v.Check(len(s.Checklist) <= 100, "checklist", "at most 100 steps")
	for i, st := range s.Checklist {
		name(v, fmt.Sprintf("checklist[%d].zh", i), st.Zh, 200)
		name(v, fmt.Sprintf("checklist[%d].en", i), st.En, 200)
	}
	seen := map[string]bool{}
	for i, c := range s.CertificateTypes {
		f := fmt.Sprintf("certificate_types[%d]", i)
		v.Check(certRe.MatchString(c), f, "a certificate type code")
		v.Check(!seen[c], f, "listed twice")
		seen[c] = true
	}
}

var (
	dirtLevels  = map[string]bool{"": true, "light": true, "normal": true, "heavy": true}
	frequencies = map[string]bool{"once": true, "weekly": true, "biweekly": true, "monthly": true}
)

// priceRange is the field message for a price outside 0..money.MaxInput.
var priceRange = fmt.Sprintf("0 to %d minor units", money.MaxInput)

func validatePackage(p Package, v *errs.Validation) {
	name(v, "name_zh", p.NameZh, 100)
	name(v, "name_en", p.NameEn, 100)
	v.Check(p.AreaMinSqm >= 0, "area_min_sqm", "must not be negative")
	v.Check(p.AreaMaxSqm >= 0, "area_max_sqm", "must not be negative")
	v.Check(p.AreaMaxSqm == 0 || p.AreaMinSqm < p.AreaMaxSqm, "area_max_sqm", "must be above area_min_sqm")
	v.Check(dirtLevels[p.DirtLevel], "dirt_level", "light, normal, heavy or empty")
	v.Check(frequencies[p.Frequency], "frequency", "once, weekly, biweekly or monthly")
	v.Check(p.DurationMinutes > 0 && p.DurationMinutes <= 1440, "duration_minutes", "1 to 1440 minutes")
	v.Check(p.ListPrice >= 0 && p.ListPrice <= money.MaxInput, "list_price", priceRange)
	v.Check(p.FloorPrice >= 0 && p.FloorPrice <= money.MaxInput, "floor_price", priceRange)
	v.Check(p.CeilingPrice >= 0 && p.CeilingPrice <= money.MaxInput, "ceiling_price", priceRange)
	v.Check(p.FloorPrice <= p.ListPrice, "floor_price", "must not be above list_price")
	v.Check(p.ListPrice <= p.CeilingPrice, "ceiling_price", "must not be below list_price")
	v.Check(p.Position >= 0 && p.Position <= 100000, "position", "0 to 100000")
}

func validateAddOn(a AddOn, v *errs.Validation) {
	name(v, "name_zh", a.NameZh, 100)
	name(v, "name_en", a.NameEn, 100)
	v.Check(a.Price >= 0 && a.Price <= money.MaxInput, "price", priceRange)
	v.Check(a.DurationMinutes > 0 && a.DurationMinutes <= 1440, "duration_minutes", "1 to 1440 minutes")
	v.Check(a.Position >= 0 && a.Position <= 100000, "position", "0 to 100000")
}

func validatePoint(at geo.Point, v *errs.Validation) {
	v.Check(at.Lng >= -180 && at.Lng <= 180, "lng", "-180 to 180")
	v.Check(at.Lat >= -90 && at.Lat <= 90, "lat", "-90 to 90")
}
