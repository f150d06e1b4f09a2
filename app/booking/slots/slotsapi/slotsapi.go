// Package slotsapi exposes availability to the storefront (public, tenant from the Host) and
// to staff booking on a customer's behalf.
package slotsapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/booking/slots"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
)

// AvailabilityQuery is the operations' input (exported: huma ignores unexported embedded structs).
type AvailabilityQuery struct {
	PackageID string   `query:"package_id" required:"true" format:"uuid" doc:"Service package"`
	AddOns    []string `query:"add_on,explode" maxItems:"20" doc:"Add-on id (UUID); repeat the parameter for several, or for a quantity"`
	Lng       float64  `query:"lng" required:"true" minimum:"-180" maximum:"180" doc:"Longitude of the visit's address"`
	Lat       float64  `query:"lat" required:"true" minimum:"-90" maximum:"90" doc:"Latitude of the visit's address"`
	From      string   `query:"from" maxLength:"40" doc:"YYYY-MM-DD (the day's start in the serving store's zone) or RFC 3339; default now"`
	To        string   `query:"to" maxLength:"40" doc:"YYYY-MM-DD (inclusive) or RFC 3339 (exclusive); default from + 7 days; at most 31 days after from"`
	StaffID   string   `query:"staff_id" format:"uuid" doc:"Preferred staff member: each slot says whether they could serve it"`
}

// SlotDTO is one bookable start.
type SlotDTO struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Staff     int       `json:"staff" doc:"How many staff could serve this slot"`
	Preferred *bool     `json:"preferred,omitempty" doc:"Whether the preferred staff member could (with staff_id)"`
}

// AvailabilityDTO is the answer.
type AvailabilityDTO struct {
	StoreID         uuid.UUID `json:"store_id" doc:"The store serving the address"`
	ServiceID       uuid.UUID `json:"service_id"`
	TimeZone        string    `json:"time_zone" doc:"Slots are aligned to local midnight in this zone"`
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	SlotMinutes     int       `json:"slot_minutes"`
	DurationMinutes int       `json:"duration_minutes" doc:"Package plus add-ons"`
	EligibleStaff   int       `json:"eligible_staff" doc:"Staff qualified to serve the address, before their calendars"`
	PreferredKnown  *bool     `json:"preferred_eligible,omitempty" doc:"Whether the preferred staff member is qualified at all (with staff_id)"`
	Slots           []SlotDTO `json:"slots"`
}

// toRequest converts and validates the query, naming every bad field.
func toRequest(in AvailabilityQuery) (slots.Request, error) {
	var v errs.Validation
	r := slots.Request{At: geo.Point{Lng: in.Lng, Lat: in.Lat}}
	var err error
	r.PackageID, err = uuid.Parse(in.PackageID)
	v.Check(err == nil, "package_id", "a UUID")
	for i, s := range in.AddOns {
		id, err := uuid.Parse(s)
		v.Check(err == nil, fmt.Sprintf("add_on[%d]", i), "a UUID")
		r.AddOnIDs = append(r.AddOnIDs, id)
	}
	if in.StaffID != "" {
		r.PreferredStaffID, err = uuid.Parse(in.StaffID)
		v.Check(err == nil, "staff_id", "a UUID")
	}
	var ok bool
	r.From, ok = slots.ParseBound(in.From)
	v.Check(ok, "from", "YYYY-MM-DD or an RFC 3339 time")
	r.To, ok = slots.ParseBound(in.To)
	v.Check(ok, "to", "YYYY-MM-DD or an RFC 3339 time")
	return r, v.Err()
}

func toDTO(r slots.Result, preferred bool) AvailabilityDTO {
	d := AvailabilityDTO{StoreID: r.StoreID, ServiceID: r.ServiceID, TimeZone: r.TimeZone, From: r.From, To: r.To,
		SlotMinutes: r.SlotMinutes, DurationMinutes: r.DurationMinutes, EligibleStaff: r.Eligible, Slots: make([]SlotDTO, len(r.Slots))}
	if preferred {
		known := r.PreferredKnown
		d.PreferredKnown = &known
	}
	for i, s := range r.Slots {
		d.Slots[i] = SlotDTO{Start: s.Start, End: s.End, Staff: s.Staff}
		if preferred {
			p := s.Preferred
			d.Slots[i].Preferred = &p
		}
	}
	return d
}

type api struct{ svc *slots.Service }

// Register adds the availability operations.
func Register(h huma.API, svc *slots.Service) {
	a := api{svc: svc}
	tags := []string{"Availability"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "storefront-availability", Method: http.MethodGet, Path: "/api/v1/storefront/availability",
		Summary: "Bookable start times for a package at an address (storefront)", Tags: tags},
		httpx.Access{Audience: httpx.Public, TenantFromHost: true}), a.availability)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "get-availability", Method: http.MethodGet, Path: "/api/v1/availability",
		Summary: "Bookable start times for a package at an address (staff booking on a customer's behalf)", Tags: tags},
		httpx.Access{Audience: httpx.Staff, Permission: "orders:create"}), a.availability)
}

func (a api) availability(ctx context.Context, in *AvailabilityQuery) (*httpx.Body[AvailabilityDTO], error) {
	req, err := toRequest(*in)
	if err != nil {
		return nil, err
	}
	r, err := a.svc.Availability(ctx, req)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[AvailabilityDTO]{Body: toDTO(r, req.PreferredStaffID != uuid.Nil)}, nil
}
