package bookingapi

import (
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/geo"
)

// VisitStaffDTO is who is coming to the door (F4.3).
type VisitStaffDTO struct {
	ID          uuid.UUID `json:"id"`
	DisplayName string    `json:"display_name"`
	PhotoURL    string    `json:"photo_url,omitempty"`
	BadgeNo     string    `json:"badge_no"`
}

// OrderExtraDTO is an extra item found on site.
type OrderExtraDTO struct {
	ID     uuid.UUID `json:"id"`
	Name   string    `json:"name"`
	Price  int64     `json:"price" doc:"Minor units"`
	Status string    `json:"status" enum:"proposed,approved,declined"`
}

// OrderReportDTO is a completion report.
type OrderReportDTO struct {
	ID          uuid.UUID           `json:"id"`
	Checklist   []booking.CheckItem `json:"checklist"`
	Photos      []string            `json:"photos"`
	Notes       string              `json:"notes,omitempty"`
	SubmittedAt time.Time           `json:"submitted_at"`
}

// OrderDTO is an order.
type OrderDTO struct {
	ID               uuid.UUID            `json:"id"`
	Number           string               `json:"number" example:"AL20261123-0007"`
	Status           string               `json:"status"`
	CustomerID       uuid.UUID            `json:"customer_id"`
	StoreID          uuid.UUID            `json:"store_id"`
	ServiceID        uuid.UUID            `json:"service_id"`
	PackageID        uuid.UUID            `json:"package_id"`
	QuoteID          uuid.UUID            `json:"quote_id"`
	Start            time.Time            `json:"start"`
	End              time.Time            `json:"end"`
	Location         geo.Point            `json:"location"`
	Address          string               `json:"address"`
	Contact          booking.Contact      `json:"contact"`
	Property         booking.Property     `json:"property"`
	Notes            booking.SpecialNotes `json:"notes"`
	CustomerNotes    string               `json:"customer_notes,omitempty"`
	PreferredStaffID *uuid.UUID           `json:"preferred_staff_id,omitempty"`
	BookedOnBehalf   bool                 `json:"booked_on_behalf"`
	Currency         string               `json:"currency"`
	QuotedTotal      int64                `json:"quoted_total" doc:"What the quote charged, minor units"`
	Total            int64                `json:"total" doc:"Quoted total plus approved extras, minor units"`
	CancelFee        int64                `json:"cancel_fee" doc:"Owed for a late cancellation, minor units"`
	ArrivedAt        *time.Time           `json:"arrived_at,omitempty"`
	ArrivalDistanceM *float64             `json:"arrival_distance_m,omitempty"`
	CompletedAt      *time.Time           `json:"completed_at,omitempty"`
	AcceptanceCode   string               `json:"acceptance_code,omitempty" doc:"Shown to the customer only; they read it to the staff member to accept the work"`
	AcceptedVia      string               `json:"accepted_via,omitempty"`
	AcceptedAt       *time.Time           `json:"accepted_at,omitempty"`
	Staff            *VisitStaffDTO       `json:"staff,omitempty"`
	Extras           []OrderExtraDTO      `json:"extras,omitempty"`
	Reports          []OrderReportDTO     `json:"reports,omitempty"`
	StaffLocation    *geo.Point           `json:"staff_location,omitempty" doc:"On the way: the staff member's last reported position"`
	StaffSeenAt      *time.Time           `json:"staff_seen_at,omitempty" doc:"When that position was reported"`
	ETAMinutes       *int                 `json:"eta_minutes,omitempty" doc:"On the way: minutes from the last position to the address at the tenant's travel speed"`
	CreatedAt        time.Time            `json:"created_at"`
}

func toOrderDTO(o booking.Order) OrderDTO {
	d := OrderDTO{ID: o.ID, Number: o.Number, Status: string(o.Status), CustomerID: o.CustomerID, StoreID: o.StoreID, ServiceID: o.ServiceID,
		PackageID: o.PackageID, QuoteID: o.QuoteID, Start: o.Start, End: o.End, Location: o.Location, Address: o.Address, Contact: o.Contact,
		Property: o.Property, Notes: o.Notes, CustomerNotes: o.CustomerNotes, BookedOnBehalf: o.BookedOnBehalfBy != "", Currency: o.Currency,
		QuotedTotal: o.QuotedTotal, Total: o.Total, CancelFee: o.CancelFee, ArrivedAt: o.ArrivedAt, ArrivalDistanceM: o.ArrivalDistanceM,
		CompletedAt: o.CompletedAt, AcceptedVia: o.AcceptedVia, AcceptedAt: o.AcceptedAt, CreatedAt: o.CreatedAt}
	if o.PreferredStaffID != uuid.Nil {
		id := o.PreferredStaffID
		d.PreferredStaffID = &id
	}
	return d
}

// toSummaryDTO is a list row: no code, no staff, extras or reports.
func toSummaryDTO(o booking.Order) OrderDTO { return toOrderDTO(o) }

func toDetailDTO(x booking.Detail) OrderDTO {
	d := toOrderDTO(x.Order)
	d.AcceptanceCode = x.AcceptanceCode
	d.StaffLocation, d.StaffSeenAt, d.ETAMinutes = x.StaffLocation, x.StaffSeenAt, x.ETAMinutes
	if x.Staff != nil {
		d.Staff = &VisitStaffDTO{ID: x.Staff.ID, DisplayName: x.Staff.DisplayName, PhotoURL: x.Staff.PhotoURL, BadgeNo: x.Staff.BadgeNo}
	}
	for _, e := range x.Extras {
		d.Extras = append(d.Extras, OrderExtraDTO{ID: e.ID, Name: e.Name, Price: e.Price, Status: e.Status})
	}
	for _, r := range x.Reports {
		d.Reports = append(d.Reports, OrderReportDTO{ID: r.ID, Checklist: r.Checklist, Photos: r.Photos, Notes: r.Notes, SubmittedAt: r.SubmittedAt})
	}
	return d
}

// OrderEventDTO is one row of an order's history.
type OrderEventDTO struct {
	ID       uuid.UUID      `json:"id"`
	Action   string         `json:"action"`
	From     string         `json:"from,omitempty"`
	To       string         `json:"to"`
	Actor    string         `json:"actor"`
	Reason   string         `json:"reason,omitempty"`
	Location *geo.Point     `json:"location,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	At       time.Time      `json:"at"`
}

func toEventDTO(e booking.Event) OrderEventDTO {
	return OrderEventDTO{ID: e.ID, Action: e.Action, From: string(e.From), To: string(e.To), Actor: e.Actor, Reason: e.Reason,
		Location: e.Location, Data: e.Data, At: e.At}
}

// NewOrderInput books a visit.
type NewOrderInput struct {
	QuoteID          uuid.UUID            `json:"quote_id"`
	CustomerID       *uuid.UUID           `json:"customer_id,omitempty" doc:"Staff booking on behalf: the customer (required there; ignored for customers)"`
	Address          string               `json:"address" minLength:"1" maxLength:"500" doc:"Street address text; the location is the quote's"`
	Contact          booking.Contact      `json:"contact,omitempty"`
	Property         booking.Property     `json:"property,omitempty"`
	Notes            booking.SpecialNotes `json:"notes,omitempty"`
	CustomerNotes    string               `json:"customer_notes,omitempty" maxLength:"2000"`
	PreferredStaffID *uuid.UUID           `json:"preferred_staff_id,omitempty"`
	StaffID          *uuid.UUID           `json:"staff_id,omitempty" doc:"Staff booking only: assign this staff member directly"`
}

func toNewOrder(in NewOrderInput) booking.NewOrder {
	n := booking.NewOrder{QuoteID: in.QuoteID, Address: in.Address, Contact: in.Contact, Property: in.Property, Notes: in.Notes,
		CustomerNotes: in.CustomerNotes}
	if in.CustomerID != nil {
		n.CustomerID = *in.CustomerID
	}
	if in.PreferredStaffID != nil {
		n.PreferredStaffID = *in.PreferredStaffID
	}
	if in.StaffID != nil {
		n.StaffID = *in.StaffID
	}
	return n
}

// BookingSettingsDTO are the tenant's booking rules.
type BookingSettingsDTO struct {
	SlotMinutes          int    `json:"slot_minutes" doc:"5, 10, 15, 20, 30 or 60"`
	TravelKmh            int    `json:"travel_kmh" minimum:"1" maximum:"200"`
	BufferMinutes        int    `json:"buffer_minutes" minimum:"0" maximum:"240" doc:"Travel buffer held before every visit"`
	PaymentMode          string `json:"payment_mode" enum:"prepay,deposit,pay_after"`
	FreeCancelHours      int    `json:"free_cancel_hours" minimum:"0" maximum:"720"`
	CancelFeeBP          int    `json:"cancel_fee_bp" minimum:"0" maximum:"10000" doc:"Basis points of the total owed for a late cancellation"`
	AutoAcceptHours      int    `json:"auto_accept_hours" minimum:"1" maximum:"720"`
	AcceptTimeoutMinutes int    `json:"accept_timeout_minutes" minimum:"1" maximum:"1440"`
	AutoReviewDays       *int   `json:"auto_review_days,omitempty" minimum:"1" maximum:"90"`
	ReworkDays           int    `json:"rework_days" minimum:"0" maximum:"90"`
}

func toSettingsDTO(s booking.Settings) BookingSettingsDTO {
	return BookingSettingsDTO{SlotMinutes: s.SlotMinutes, TravelKmh: s.TravelKmh, BufferMinutes: s.BufferMinutes, PaymentMode: s.PaymentMode,
		FreeCancelHours: s.FreeCancelHours, CancelFeeBP: s.CancelFeeBP, AutoAcceptHours: s.AutoAcceptHours,
		AcceptTimeoutMinutes: s.AcceptTimeoutMinutes, AutoReviewDays: s.AutoReviewDays, ReworkDays: s.ReworkDays}
}

func toSettings(d BookingSettingsDTO) booking.Settings {
	return booking.Settings{SlotMinutes: d.SlotMinutes, TravelKmh: d.TravelKmh, BufferMinutes: d.BufferMinutes, PaymentMode: d.PaymentMode,
		FreeCancelHours: d.FreeCancelHours, CancelFeeBP: d.CancelFeeBP, AutoAcceptHours: d.AutoAcceptHours,
		AcceptTimeoutMinutes: d.AcceptTimeoutMinutes, AutoReviewDays: d.AutoReviewDays, ReworkDays: d.ReworkDays}
}

// DispatchSettingsDTO is a store's dispatch mode.
type DispatchSettingsDTO struct {
	Mode     string `json:"mode" enum:"manual,pool,auto"`
	PoolSize int    `json:"pool_size" minimum:"1" maximum:"100" doc:"Pool mode: how many staff get each offer"`
	// PoolRounds: 0 (or absent) keeps the default of 3.
	PoolRounds int `json:"pool_rounds,omitempty" minimum:"0" maximum:"20" doc:"Pool mode: offer rounds (each to the next pool_size staff not yet offered) before the order is flagged at risk; default 3"`
}
