package bookingapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
	"doorstep/app/pricing"
)

// SeriesInput starts a recurring booking.
type SeriesInput struct {
	PackageID        uuid.UUID             `json:"package_id"`
	AddOns           []pricing.AddOnChoice `json:"add_ons,omitempty" maxItems:"20"`
	Location         geo.Point             `json:"location"`
	Address          string                `json:"address" minLength:"1" maxLength:"500"`
	Contact          booking.Contact       `json:"contact,omitempty"`
	Property         booking.Property      `json:"property,omitempty"`
	Notes            booking.SpecialNotes  `json:"notes,omitempty"`
	PreferredStaffID *uuid.UUID            `json:"preferred_staff_id,omitempty"`
	Frequency        string                `json:"frequency" enum:"weekly,biweekly,monthly"`
	LocalTime        string                `json:"local_time" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" doc:"Visit start, tenant time zone"`
	FirstDate        string                `json:"first_date" pattern:"^\\d{4}-\\d{2}-\\d{2}$"`
}

// SeriesDTO is a recurring booking.
type SeriesDTO struct {
	ID        uuid.UUID `json:"id"`
	PackageID uuid.UUID `json:"package_id"`
	Address   string    `json:"address"`
	Frequency string    `json:"frequency"`
	LocalTime string    `json:"local_time"`
	FirstDate string    `json:"first_date"`
	NextDate  string    `json:"next_date" doc:"The next occurrence not yet booked"`
	SkipDates []string  `json:"skip_dates"`
	Paused    bool      `json:"paused"`
	LastError string    `json:"last_error,omitempty" doc:"Why the last occurrence that failed could not be booked"`
	CreatedAt time.Time `json:"created_at"`
}

func toSeriesDTO(s booking.Series) SeriesDTO {
	d := SeriesDTO{ID: s.ID, PackageID: s.PackageID, Address: s.Address, Frequency: s.Frequency, LocalTime: s.LocalTime,
		FirstDate: s.FirstDate.Format(time.DateOnly), NextDate: s.NextDate.Format(time.DateOnly), SkipDates: []string{},
		Paused: s.Paused, LastError: s.LastError, CreatedAt: s.CreatedAt}
	for _, x := range s.SkipDates {
		d.SkipDates = append(d.SkipDates, x.Format(time.DateOnly))
	}
	return d
}

func registerSeries(h huma.API, a api) {
	cust := httpx.Access{Audience: httpx.Customer}
	tags := []string{"My recurring bookings"}
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "create-my-series", Method: http.MethodPost, Path: "/api/v1/storefront/series",
		Summary: "Book a visit weekly, every two weeks or monthly", Tags: tags, DefaultStatus: http.StatusCreated}, cust), a.createSeries)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "list-my-series", Method: http.MethodGet, Path: "/api/v1/storefront/series",
		Summary: "Your recurring bookings", Tags: tags}, cust), a.listSeries)
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "update-my-series", Method: http.MethodPatch, Path: "/api/v1/storefront/series/{id}",
		Summary: "Pause, resume or skip a date of a recurring booking", Tags: tags}, cust), a.updateSeries)
}

func (a api) createSeries(ctx context.Context, in *struct{ Body SeriesInput }) (*httpx.Body[SeriesDTO], error) {
	b := in.Body
	n := booking.NewSeries{PackageID: b.PackageID, AddOns: b.AddOns, Location: b.Location, Address: b.Address, Contact: b.Contact,
		Property: b.Property, Notes: b.Notes, Frequency: b.Frequency, LocalTime: b.LocalTime, FirstDate: b.FirstDate}
	if b.PreferredStaffID != nil {
		n.PreferredStaffID = *b.PreferredStaffID
	}
	s, err := a.svc.CreateSeries(ctx, n)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[SeriesDTO]{Body: toSeriesDTO(s)}, nil
}

func (a api) listSeries(ctx context.Context, _ *httpx.Empty) (*httpx.Body[[]SeriesDTO], error) {
	ss, err := a.svc.MySeries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SeriesDTO, 0, len(ss))
	for _, s := range ss {
		out = append(out, toSeriesDTO(s))
	}
	return &httpx.Body[[]SeriesDTO]{Body: out}, nil
}

func (a api) updateSeries(ctx context.Context, in *struct {
	IDPath
	Body struct {
		Paused   *bool  `json:"paused,omitempty"`
		SkipDate string `json:"skip_date,omitempty" pattern:"^\\d{4}-\\d{2}-\\d{2}$"`
	}
}) (*httpx.Body[SeriesDTO], error) {
	s, err := a.svc.ChangeSeries(ctx, in.ID, in.Body.Paused, in.Body.SkipDate)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[SeriesDTO]{Body: toSeriesDTO(s)}, nil
}
