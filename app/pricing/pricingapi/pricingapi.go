// Package pricingapi exposes quotes to the storefront and to staff booking for customers, and
// the tenant's pricing rules, holiday calendar and travel-fee policy to HQ.
package pricingapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
	"doorstep/app/pricing"
)

// QuoteInput asks for a price.
type QuoteInput struct {
	PackageID  uuid.UUID             `json:"package_id"`
	AddOns     []pricing.AddOnChoice `json:"add_ons,omitempty" maxItems:"20"`
	Location   geo.Point             `json:"location"`
	Start      time.Time             `json:"start" doc:"Visit start (RFC 3339)"`
	StaffID    *uuid.UUID            `json:"staff_id,omitempty" doc:"Preferred staff member"`
	CustomerID *uuid.UUID            `json:"customer_id,omitempty" doc:"Staff booking on behalf of this customer"`
}

// QuoteDTO is a stored quote.
type QuoteDTO struct {
	ID        uuid.UUID      `json:"id"`
	StoreID   uuid.UUID      `json:"store_id"`
	PackageID uuid.UUID      `json:"package_id"`
	Start     time.Time      `json:"start"`
	Currency  string         `json:"currency"`
	Lines     []pricing.Line `json:"lines"`
	Subtotal  int64          `json:"subtotal" doc:"Package and add-ons, minor units"`
	Total     int64          `json:"total" doc:"What the booking will charge, minor units"`
	ExpiresAt time.Time      `json:"expires_at"`
	Used      bool           `json:"used"`
}

func toQuoteDTO(q pricing.Quote) QuoteDTO {
	return QuoteDTO{ID: q.ID, StoreID: q.StoreID, PackageID: q.PackageID, Start: q.Start, Currency: q.Breakdown.Currency,
		Lines: q.Breakdown.Lines, Subtotal: q.Breakdown.Subtotal, Total: q.Breakdown.Total, ExpiresAt: q.ExpiresAt, Used: q.UsedAt != nil}
}

func toRequest(in QuoteInput) pricing.QuoteRequest {
	r := pricing.QuoteRequest{PackageID: in.PackageID, AddOns: in.AddOns, Location: in.Location, Start: in.Start}
	if in.StaffID != nil {
		r.StaffID = *in.StaffID
	}
	if in.CustomerID != nil {
		r.CustomerID = *in.CustomerID
	}
	return r
}

// RuleDTO is a surcharge rule.
type RuleDTO struct {
	ID        uuid.UUID   `json:"id"`
	Kind      string      `json:"kind" enum:"level,time,weekend,holiday,region"`
	NameZh    string      `json:"name_zh"`
	NameEn    string      `json:"name_en"`
	PercentBP int64       `json:"percent_bp" doc:"Basis points of the items subtotal (1500 = 15%)"`
	Fixed     int64       `json:"fixed" doc:"Minor units"`
	LevelID   *uuid.UUID  `json:"level_id,omitempty"`
	Weekdays  []int       `json:"weekdays,omitempty"`
	Start     string      `json:"start,omitempty" doc:"HH:MM local, time rules"`
	End       string      `json:"end,omitempty" doc:"HH:MM local, exclusive; before start wraps midnight"`
	StoreIDs  []uuid.UUID `json:"store_ids,omitempty"`
	Active    bool        `json:"active"`
}

// RuleInput creates or replaces a rule.
type RuleInput struct {
	Kind      string      `json:"kind" enum:"level,time,weekend,holiday,region"`
	NameZh    string      `json:"name_zh" minLength:"1" maxLength:"100"`
	NameEn    string      `json:"name_en" minLength:"1" maxLength:"100"`
	PercentBP int64       `json:"percent_bp,omitempty" minimum:"0" maximum:"50000"`
	Fixed     int64       `json:"fixed,omitempty" minimum:"0" maximum:"10000000000" doc:"Minor units (at most money.MaxInput)"`
	LevelID   *uuid.UUID  `json:"level_id,omitempty"`
	Weekdays  []int       `json:"weekdays,omitempty" maxItems:"7"`
	Start     string      `json:"start,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	End       string      `json:"end,omitempty" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"`
	StoreIDs  []uuid.UUID `json:"store_ids,omitempty" maxItems:"100"`
	Active    *bool       `json:"active,omitempty"`
}

func hhmm(m int) string {
	if m == 0 {
		return ""
	}
	return time.Date(0, 1, 1, 0, m, 0, 0, time.UTC).Format("15:04")
}

func minutes(s string) int {
	if s == "24:00" {
		return 1440
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0
	}
	return t.Hour()*60 + t.Minute()
}

func toRuleDTO(r pricing.Rule) RuleDTO {
	d := RuleDTO{ID: r.ID, Kind: string(r.Kind), NameZh: r.NameZh, NameEn: r.NameEn, PercentBP: r.PercentBP, Fixed: r.Fixed,
		StoreIDs: r.StoreIDs, Active: r.Active}
	if r.LevelID != uuid.Nil {
		id := r.LevelID
		d.LevelID = &id
	}
	for _, w := range r.Weekdays {
		d.Weekdays = append(d.Weekdays, int(w))
	}
	if r.Kind == pricing.RuleTime {
		d.Start, d.End = hhmm(r.StartMin), hhmm(r.EndMin)
		if d.Start == "" {
			d.Start = "00:00"
		}
	}
	return d
}

func applyRule(r *pricing.Rule, in RuleInput) {
	r.Kind, r.NameZh, r.NameEn, r.PercentBP, r.Fixed = pricing.RuleKind(in.Kind), in.NameZh, in.NameEn, in.PercentBP, in.Fixed
	r.LevelID = uuid.Nil
	if in.LevelID != nil {
		r.LevelID = *in.LevelID
	}
	r.Weekdays = nil
	for _, w := range in.Weekdays {
		r.Weekdays = append(r.Weekdays, time.Weekday(w))
	}
	r.StartMin, r.EndMin = minutes(in.Start), minutes(in.End)
	r.StoreIDs = in.StoreIDs
	r.Active = in.Active == nil || *in.Active
}

// TravelDTO is a travel-fee policy.
type TravelDTO struct {
	StoreID    *uuid.UUID `json:"store_id,omitempty" doc:"Absent: the tenant default"`
	FreeMeters int64      `json:"free_meters" minimum:"0" maximum:"1000000"`
	PerKm      int64      `json:"per_km" minimum:"0" maximum:"10000000000" doc:"Minor units per started kilometre beyond the free radius"`
	Max        int64      `json:"max" minimum:"0" maximum:"10000000000" doc:"Cap in minor units, 0 = none"`
}

type api struct{ svc *pricing.Service }

// Register adds the pricing operations.
func Register(h huma.API, svc *pricing.Service) {
	a := api{svc: svc}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	qt := []string{"Quotes"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "storefront-quote", Method: http.MethodPost, Path: "/api/v1/storefront/quotes",
		Summary: "Price a visit at an address (storefront)", Tags: qt, DefaultStatus: http.StatusCreated},
		httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.storefrontQuote)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-quote", Method: http.MethodPost, Path: "/api/v1/quotes",
		Summary: "Price a visit for a customer (staff booking on their behalf)", Tags: qt, DefaultStatus: http.StatusCreated}, staff("quotes:create")), a.createQuote)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-quote", Method: http.MethodGet, Path: "/api/v1/quotes/{id}",
		Summary: "Get a quote", Tags: qt}, staff("quotes:create")), a.getQuote)

	pt := []string{"Pricing"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-pricing-rules", Method: http.MethodGet, Path: "/api/v1/pricing/rules", Summary: "List surcharge rules", Tags: pt}, staff("pricing:read")), a.listRules)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-pricing-rule", Method: http.MethodPost, Path: "/api/v1/pricing/rules", Summary: "Create a surcharge rule", Tags: pt, DefaultStatus: http.StatusCreated}, staff("pricing:write")), a.createRule)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "update-pricing-rule", Method: http.MethodPut, Path: "/api/v1/pricing/rules/{id}", Summary: "Replace a surcharge rule (its kind stays)", Tags: pt}, staff("pricing:write")), a.updateRule)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "delete-pricing-rule", Method: http.MethodDelete, Path: "/api/v1/pricing/rules/{id}", Summary: "Delete a surcharge rule", Tags: pt, DefaultStatus: http.StatusNoContent}, staff("pricing:write")), a.deleteRule)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-holidays", Method: http.MethodGet, Path: "/api/v1/pricing/holidays", Summary: "Holiday calendar", Tags: pt}, staff("pricing:read")), a.listHolidays)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "set-holiday", Method: http.MethodPut, Path: "/api/v1/pricing/holidays/{day}", Summary: "Add or rename a holiday", Tags: pt}, staff("pricing:write")), a.setHoliday)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "delete-holiday", Method: http.MethodDelete, Path: "/api/v1/pricing/holidays/{day}", Summary: "Remove a holiday", Tags: pt, DefaultStatus: http.StatusNoContent}, staff("pricing:write")), a.deleteHoliday)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-travel-policy", Method: http.MethodGet, Path: "/api/v1/pricing/travel", Summary: "Travel-fee policy (tenant default or a store's)", Tags: pt}, staff("pricing:read")), a.getTravel)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "set-travel-policy", Method: http.MethodPut, Path: "/api/v1/pricing/travel", Summary: "Set the travel-fee policy", Tags: pt}, staff("pricing:write")), a.setTravel)
}

func (a api) storefrontQuote(ctx context.Context, in *struct{ Body QuoteInput }) (*httpx.Body[QuoteDTO], error) {
	req := toRequest(in.Body)
	req.CustomerID = uuid.Nil // only a signed-in customer's own id is used
	if p, ok := auth.FromContext(ctx); ok && p.Kind == auth.Customer {
		req.CustomerID = p.SubjectID
	}
	q, err := a.svc.Quote(ctx, req)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[QuoteDTO]{Body: toQuoteDTO(q)}, nil
}

func (a api) createQuote(ctx context.Context, in *struct{ Body QuoteInput }) (*httpx.Body[QuoteDTO], error) {
	q, err := a.svc.Quote(ctx, toRequest(in.Body))
	if err != nil {
		return nil, err
	}
	return &httpx.Body[QuoteDTO]{Body: toQuoteDTO(q)}, nil
}

// IDPath is the {id} path parameter (exported: huma only binds exported embedded fields).
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) getQuote(ctx context.Context, in *IDPath) (*httpx.Body[QuoteDTO], error) {
	q, err := a.svc.GetQuote(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[QuoteDTO]{Body: toQuoteDTO(q)}, nil
}

func (a api) listRules(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]RuleDTO], error) {
	rs, err := a.svc.Rules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RuleDTO, 0, len(rs))
	for _, r := range rs {
		out = append(out, toRuleDTO(r))
	}
	return &httpx.Body[[]RuleDTO]{Body: out}, nil
}

func (a api) createRule(ctx context.Context, in *struct{ Body RuleInput }) (*httpx.Body[RuleDTO], error) {
	var r pricing.Rule
	applyRule(&r, in.Body)
	out, err := a.svc.CreateRule(ctx, r)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[RuleDTO]{Body: toRuleDTO(out)}, nil
}

func (a api) updateRule(ctx context.Context, in *struct {
	IDPath
	Body RuleInput
}) (*httpx.Body[RuleDTO], error) {
	out, err := a.svc.UpdateRule(ctx, in.ID, func(r *pricing.Rule) { applyRule(r, in.Body) })
	if err != nil {
		return nil, err
	}
	return &httpx.Body[RuleDTO]{Body: toRuleDTO(out)}, nil
}

func (a api) deleteRule(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteRule(ctx, in.ID)
}

// HolidayDTO is one holiday.
type HolidayDTO struct {
	Day  string `json:"day" example:"2026-10-01"`
	Name string `json:"name"`
}

func (a api) listHolidays(ctx context.Context, in *struct {
	From string `query:"from" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"Default: today"`
	To   string `query:"to" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"Default: a year after from"`
}) (*httpx.Body[[]HolidayDTO], error) {
	from, err := time.Parse(time.DateOnly, in.From)
	if err != nil {
		from = time.Now()
	}
	to, err := time.Parse(time.DateOnly, in.To)
	if err != nil {
		to = from.AddDate(1, 0, 0)
	}
	hs, err := a.svc.Holidays(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]HolidayDTO, 0, len(hs))
	for day, name := range hs {
		out = append(out, HolidayDTO{Day: day, Name: name})
	}
	sortHolidays(out)
	return &httpx.Body[[]HolidayDTO]{Body: out}, nil
}

// DayPath is the {day} path parameter.
type DayPath struct {
	Day string `path:"day" pattern:"^\\d{4}-\\d{2}-\\d{2}$" example:"2026-10-01"`
}

func (a api) setHoliday(ctx context.Context, in *struct {
	DayPath
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"100"`
	}
}) (*httpx.Body[HolidayDTO], error) {
	day, err := time.Parse(time.DateOnly, in.Day)
	if err != nil {
		return nil, badDay()
	}
	if err := a.svc.SetHoliday(ctx, day, in.Body.Name); err != nil {
		return nil, err
	}
	return &httpx.Body[HolidayDTO]{Body: HolidayDTO{Day: in.Day, Name: in.Body.Name}}, nil
}

func (a api) deleteHoliday(ctx context.Context, in *DayPath) (*struct{}, error) {
	day, err := time.Parse(time.DateOnly, in.Day)
	if err != nil {
		return nil, badDay()
	}
	return nil, a.svc.DeleteHoliday(ctx, day)
}

func (a api) getTravel(ctx context.Context, in *struct {
	StoreID string `query:"store_id" format:"uuid"`
}) (*httpx.Body[TravelDTO], error) {
	store := uuid.Nil
	if in.StoreID != "" {
		store = uuid.MustParse(in.StoreID)
	}
	t, err := a.svc.Travel(ctx, store)
	if err != nil {
		return nil, err
	}
	d := TravelDTO{FreeMeters: t.FreeMeters, PerKm: t.PerKm, Max: t.Max}
	if store != uuid.Nil {
		d.StoreID = &store
	}
	return &httpx.Body[TravelDTO]{Body: d}, nil
}

func (a api) setTravel(ctx context.Context, in *struct{ Body TravelDTO }) (*httpx.Body[TravelDTO], error) {
	store := uuid.Nil
	if in.Body.StoreID != nil {
		store = *in.Body.StoreID
	}
	if err := a.svc.SetTravel(ctx, store, pricing.Travel{FreeMeters: in.Body.FreeMeters, PerKm: in.Body.PerKm, Max: in.Body.Max}); err != nil {
		return nil, err
	}
	return &httpx.Body[TravelDTO]{Body: in.Body}, nil
}
