package catalogapi

import (
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/catalog"
)

// CategoryDTO is a category; the list is the tree depth first.
type CategoryDTO struct {
	ID        uuid.UUID  `json:"id"`
	ParentID  *uuid.UUID `json:"parent_id"`
	Position  int        `json:"position"`
	NameZh    string     `json:"name_zh"`
	NameEn    string     `json:"name_en"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func toCategoryDTO(c catalog.Category) CategoryDTO {
	return CategoryDTO{ID: c.ID, ParentID: optID(c.ParentID), Position: c.Position, NameZh: c.NameZh, NameEn: c.NameEn,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func optID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func idOr(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

// NewCategoryDTO creates a category.
type NewCategoryDTO struct {
	ParentID *uuid.UUID `json:"parent_id,omitempty" doc:"Absent: a root category"`
	Position int        `json:"position,omitempty" minimum:"0" maximum:"100000"`
	NameZh   string     `json:"name_zh" minLength:"1" maxLength:"100"`
	NameEn   string     `json:"name_en" minLength:"1" maxLength:"100"`
}

// CategoryPatch changes a category; "parent_id": null moves it to the root.
type CategoryPatch struct {
	ParentID OptionalUUID `json:"parent_id,omitempty"`
	Position *int         `json:"position,omitempty" minimum:"0" maximum:"100000"`
	NameZh   *string      `json:"name_zh,omitempty" minLength:"1" maxLength:"100"`
	NameEn   *string      `json:"name_en,omitempty" minLength:"1" maxLength:"100"`
}

// OptionalUUID tells "absent" (keep) from null (clear) from a value (replace) in a PATCH.
type OptionalUUID struct {
	Set   bool
	Value uuid.UUID
}

func (o *OptionalUUID) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = uuid.Nil
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Schema documents the field as a nullable UUID.
func (o OptionalUUID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{AnyOf: []*huma.Schema{{Type: "string", Format: "uuid"}, {Type: "null"}}}
}

// StepDTO is a checklist step.
type StepDTO struct {
	Zh string `json:"zh" minLength:"1" maxLength:"200"`
	En string `json:"en" minLength:"1" maxLength:"200"`
}

func toSteps(in []StepDTO) []catalog.Step {
	out := make([]catalog.Step, len(in))
	for i, s := range in {
		out[i] = catalog.Step{Zh: s.Zh, En: s.En}
	}
	return out
}

func toStepDTOs(in []catalog.Step) []StepDTO {
	out := make([]StepDTO, len(in))
	for i, s := range in {
		out[i] = StepDTO{Zh: s.Zh, En: s.En}
	}
	return out
}

// ServiceDTO is a service in the console.
type ServiceDTO struct {
	ID               uuid.UUID  `json:"id"`
	CategoryID       uuid.UUID  `json:"category_id"`
	NameZh           string     `json:"name_zh"`
	NameEn           string     `json:"name_en"`
	DescriptionZh    string     `json:"description_zh"`
	DescriptionEn    string     `json:"description_en"`
	Images           []string   `json:"images"`
	DurationMinutes  int        `json:"duration_minutes"`
	Skill            string     `json:"skill"`
	MinLevelID       *uuid.UUID `json:"min_level_id"`
	CertificateTypes []string   `json:"certificate_types"`
	Checklist        []StepDTO  `json:"checklist"`
	Status           string     `json:"status" enum:"draft,published,unpublished"`
	Position         int        `json:"position"`
	PublishedAt      *time.Time `json:"published_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func toServiceDTO(s catalog.Item) ServiceDTO {
	return ServiceDTO{ID: s.ID, CategoryID: s.CategoryID, NameZh: s.NameZh, NameEn: s.NameEn, DescriptionZh: s.DescriptionZh,
		DescriptionEn: s.DescriptionEn, Images: s.Images, DurationMinutes: s.DurationMinutes, Skill: s.Skill, MinLevelID: optID(s.MinLevelID),
		CertificateTypes: s.CertificateTypes, Checklist: toStepDTOs(s.Checklist), Status: string(s.Status), Position: s.Position,
		PublishedAt: s.PublishedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// ServiceDetailDTO is a service with its packages and add-ons.
type ServiceDetailDTO struct {
	ServiceDTO
	Packages []PackageDTO `json:"packages"`
	AddOns   []AddOnDTO   `json:"add_ons"`
}

// NewServiceDTO creates a draft service.
type NewServiceDTO struct {
	CategoryID       uuid.UUID  `json:"category_id"`
	NameZh           string     `json:"name_zh" minLength:"1" maxLength:"100"`
	NameEn           string     `json:"name_en" minLength:"1" maxLength:"100"`
	DescriptionZh    string     `json:"description_zh,omitempty" maxLength:"4000"`
	DescriptionEn    string     `json:"description_en,omitempty" maxLength:"4000"`
	Images           []string   `json:"images,omitempty" maxItems:"20" doc:"Image URLs"`
	DurationMinutes  int        `json:"duration_minutes" minimum:"1" maximum:"1440"`
	Skill            string     `json:"skill,omitempty" maxLength:"32" doc:"Skill code the staff member needs"`
	MinLevelID       *uuid.UUID `json:"min_level_id,omitempty" doc:"Lowest staff level allowed to perform it"`
	CertificateTypes []string   `json:"certificate_types,omitempty" maxItems:"20"`
	Checklist        []StepDTO  `json:"checklist,omitempty" maxItems:"100" doc:"Service standard, in order"`
	Position         int        `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// ServicePatch changes a service; lists replace the whole list; "min_level_id": null clears it.
type ServicePatch struct {
	CategoryID       *uuid.UUID   `json:"category_id,omitempty"`
	NameZh           *string      `json:"name_zh,omitempty" minLength:"1" maxLength:"100"`
	NameEn           *string      `json:"name_en,omitempty" minLength:"1" maxLength:"100"`
	DescriptionZh    *string      `json:"description_zh,omitempty" maxLength:"4000"`
	DescriptionEn    *string      `json:"description_en,omitempty" maxLength:"4000"`
	Images           *[]string    `json:"images,omitempty" maxItems:"20"`
	DurationMinutes  *int         `json:"duration_minutes,omitempty" minimum:"1" maximum:"1440"`
	Skill            *string      `json:"skill,omitempty" maxLength:"32"`
	MinLevelID       OptionalUUID `json:"min_level_id,omitempty"`
	CertificateTypes *[]string    `json:"certificate_types,omitempty" maxItems:"20"`
	Checklist        *[]StepDTO   `json:"checklist,omitempty" maxItems:"100"`
	Position         *int         `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// PackageDTO is a package in the console, with HQ's bounds.
type PackageDTO struct {
	ID              uuid.UUID `json:"id"`
	ServiceID       uuid.UUID `json:"service_id"`
	NameZh          string    `json:"name_zh"`
	NameEn          string    `json:"name_en"`
	AreaMinSqm      int       `json:"area_min_sqm" doc:"0: no lower bound"`
	AreaMaxSqm      int       `json:"area_max_sqm" doc:"0: no upper bound"`
	DirtLevel       string    `json:"dirt_level" enum:",light,normal,heavy"`
	Frequency       string    `json:"frequency" enum:"once,weekly,biweekly,monthly"`
	DurationMinutes int       `json:"duration_minutes"`
	ListPrice       int64     `json:"list_price" doc:"Minor units"`
	FloorPrice      int64     `json:"floor_price" doc:"Lowest store override, minor units"`
	CeilingPrice    int64     `json:"ceiling_price" doc:"Highest store override, minor units"`
	Locked          bool      `json:"locked" doc:"Stores may not override"`
	Active          bool      `json:"active"`
	Position        int       `json:"position"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func toPackageDTO(p catalog.Package) PackageDTO {
	return PackageDTO{ID: p.ID, ServiceID: p.ServiceID, NameZh: p.NameZh, NameEn: p.NameEn, AreaMinSqm: p.AreaMinSqm, AreaMaxSqm: p.AreaMaxSqm,
		DirtLevel: p.DirtLevel, Frequency: p.Frequency, DurationMinutes: p.DurationMinutes, ListPrice: p.ListPrice, FloorPrice: p.FloorPrice,
		CeilingPrice: p.CeilingPrice, Locked: p.Locked, Active: p.Active, Position: p.Position, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// NewPackageDTO creates a package. Prices are minor units; floor ≤ list ≤ ceiling.
type NewPackageDTO struct {
	NameZh          string `json:"name_zh" minLength:"1" maxLength:"100"`
	NameEn          string `json:"name_en" minLength:"1" maxLength:"100"`
	AreaMinSqm      int    `json:"area_min_sqm,omitempty" minimum:"0"`
	AreaMaxSqm      int    `json:"area_max_sqm,omitempty" minimum:"0"`
	DirtLevel       string `json:"dirt_level,omitempty" enum:",light,normal,heavy"`
	Frequency       string `json:"frequency,omitempty" enum:"once,weekly,biweekly,monthly"`
	DurationMinutes int    `json:"duration_minutes" minimum:"1" maximum:"1440"`
	ListPrice       int64  `json:"list_price" minimum:"0" maximum:"10000000000"`
	FloorPrice      *int64 `json:"floor_price,omitempty" minimum:"0" maximum:"10000000000" doc:"Default: list_price"`
	CeilingPrice    *int64 `json:"ceiling_price,omitempty" minimum:"0" maximum:"10000000000" doc:"Default: list_price"`
	Locked          bool   `json:"locked,omitempty"`
	Active          *bool  `json:"active,omitempty" doc:"Default true"`
	Position        int    `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// PackagePatch changes a package. Moving floor or ceiling clamps store overrides left outside.
type PackagePatch struct {
	NameZh          *string `json:"name_zh,omitempty" minLength:"1" maxLength:"100"`
	NameEn          *string `json:"name_en,omitempty" minLength:"1" maxLength:"100"`
	AreaMinSqm      *int    `json:"area_min_sqm,omitempty" minimum:"0"`
	AreaMaxSqm      *int    `json:"area_max_sqm,omitempty" minimum:"0"`
	DirtLevel       *string `json:"dirt_level,omitempty" enum:",light,normal,heavy"`
	Frequency       *string `json:"frequency,omitempty" enum:"once,weekly,biweekly,monthly"`
	DurationMinutes *int    `json:"duration_minutes,omitempty" minimum:"1" maximum:"1440"`
	ListPrice       *int64  `json:"list_price,omitempty" minimum:"0" maximum:"10000000000"`
	FloorPrice      *int64  `json:"floor_price,omitempty" minimum:"0" maximum:"10000000000"`
	CeilingPrice    *int64  `json:"ceiling_price,omitempty" minimum:"0" maximum:"10000000000"`
	Locked          *bool   `json:"locked,omitempty"`
	Active          *bool   `json:"active,omitempty"`
	Position        *int    `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// AddOnDTO is an add-on in the console.
type AddOnDTO struct {
	ID              uuid.UUID `json:"id"`
	ServiceID       uuid.UUID `json:"service_id"`
	NameZh          string    `json:"name_zh"`
	NameEn          string    `json:"name_en"`
	Price           int64     `json:"price" doc:"Minor units"`
	DurationMinutes int       `json:"duration_minutes"`
	Active          bool      `json:"active"`
	Position        int       `json:"position"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func toAddOnDTO(a catalog.AddOn) AddOnDTO {
	return AddOnDTO{ID: a.ID, ServiceID: a.ServiceID, NameZh: a.NameZh, NameEn: a.NameEn, Price: a.Price, DurationMinutes: a.DurationMinutes,
		Active: a.Active, Position: a.Position, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// NewAddOnDTO creates an add-on.
type NewAddOnDTO struct {
	NameZh          string `json:"name_zh" minLength:"1" maxLength:"100"`
	NameEn          string `json:"name_en" minLength:"1" maxLength:"100"`
	Price           int64  `json:"price" minimum:"0" maximum:"10000000000"`
	DurationMinutes int    `json:"duration_minutes" minimum:"1" maximum:"1440"`
	Active          *bool  `json:"active,omitempty" doc:"Default true"`
	Position        int    `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// AddOnPatch changes an add-on.
type AddOnPatch struct {
	NameZh          *string `json:"name_zh,omitempty" minLength:"1" maxLength:"100"`
	NameEn          *string `json:"name_en,omitempty" minLength:"1" maxLength:"100"`
	Price           *int64  `json:"price,omitempty" minimum:"0" maximum:"10000000000"`
	DurationMinutes *int    `json:"duration_minutes,omitempty" minimum:"1" maximum:"1440"`
	Active          *bool   `json:"active,omitempty"`
	Position        *int    `json:"position,omitempty" minimum:"0" maximum:"100000"`
}

// StorePriceDTO is a store's override of a package.
type StorePriceDTO struct {
	StoreID   uuid.UUID `json:"store_id"`
	PackageID uuid.UUID `json:"package_id"`
	Price     *int64    `json:"price" doc:"Minor units; null: the list price"`
	Available bool      `json:"available"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

func toStorePriceDTO(sp catalog.StorePrice) StorePriceDTO {
	return StorePriceDTO{StoreID: sp.StoreID, PackageID: sp.PackageID, Price: sp.Price, Available: sp.Available, UpdatedAt: sp.UpdatedAt, UpdatedBy: sp.UpdatedBy}
}

// StorePriceInput sets a store's override.
type StorePriceInput struct {
	Price     *int64 `json:"price,omitempty" minimum:"0" maximum:"10000000000" doc:"Minor units within the package's floor and ceiling; absent: the list price"`
	Available *bool  `json:"available,omitempty" doc:"Default true; false takes the package off sale at this store"`
}

// OfferDTO is a published service as the storefront shows it.
type OfferDTO struct {
	ID              uuid.UUID         `json:"id"`
	CategoryID      uuid.UUID         `json:"category_id"`
	NameZh          string            `json:"name_zh"`
	NameEn          string            `json:"name_en"`
	DescriptionZh   string            `json:"description_zh"`
	DescriptionEn   string            `json:"description_en"`
	Images          []string          `json:"images"`
	DurationMinutes int               `json:"duration_minutes"`
	Checklist       []StepDTO         `json:"checklist"`
	StoreID         *uuid.UUID        `json:"store_id" doc:"The store serving the given address; null: list prices"`
	Currency        string            `json:"currency"`
	FromPrice       int64             `json:"from_price" doc:"Lowest package price shown, minor units"`
	Packages        []OfferPackageDTO `json:"packages"`
	AddOns          []OfferAddOnDTO   `json:"add_ons"`
}

// OfferPackageDTO is a package at a store's price.
type OfferPackageDTO struct {
	ID              uuid.UUID `json:"id"`
	NameZh          string    `json:"name_zh"`
	NameEn          string    `json:"name_en"`
	AreaMinSqm      int       `json:"area_min_sqm"`
	AreaMaxSqm      int       `json:"area_max_sqm"`
	DirtLevel       string    `json:"dirt_level"`
	Frequency       string    `json:"frequency"`
	DurationMinutes int       `json:"duration_minutes"`
	Price           int64     `json:"price" doc:"What this address pays, minor units"`
	ListPrice       int64     `json:"list_price" doc:"HQ list price, minor units"`
}

// OfferAddOnDTO is an add-on in the storefront.
type OfferAddOnDTO struct {
	ID              uuid.UUID `json:"id"`
	NameZh          string    `json:"name_zh"`
	NameEn          string    `json:"name_en"`
	Price           int64     `json:"price"`
	DurationMinutes int       `json:"duration_minutes"`
}

func toOfferDTO(currency string) func(o catalog.Offer) OfferDTO {
	return func(o catalog.Offer) OfferDTO {
		s := o.Service
		d := OfferDTO{ID: s.ID, CategoryID: s.CategoryID, NameZh: s.NameZh, NameEn: s.NameEn, DescriptionZh: s.DescriptionZh,
			DescriptionEn: s.DescriptionEn, Images: s.Images, DurationMinutes: s.DurationMinutes, Checklist: toStepDTOs(s.Checklist),
			StoreID: optID(o.StoreID), Currency: currency, FromPrice: o.From,
			Packages: make([]OfferPackageDTO, 0, len(o.Packages)), AddOns: make([]OfferAddOnDTO, 0, len(o.AddOns))}
		for _, p := range o.Packages {
			d.Packages = append(d.Packages, OfferPackageDTO{ID: p.ID, NameZh: p.NameZh, NameEn: p.NameEn, AreaMinSqm: p.AreaMinSqm,
				AreaMaxSqm: p.AreaMaxSqm, DirtLevel: p.DirtLevel, Frequency: p.Frequency, DurationMinutes: p.DurationMinutes,
				Price: p.Price, ListPrice: p.ListPrice})
		}
		for _, a := range o.AddOns {
			d.AddOns = append(d.AddOns, OfferAddOnDTO{ID: a.ID, NameZh: a.NameZh, NameEn: a.NameEn, Price: a.Price, DurationMinutes: a.DurationMinutes})
		}
		return d
	}
}
