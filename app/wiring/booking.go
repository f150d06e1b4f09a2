package wiring

import (
	"context"
	"errors"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/booking/bookingapi"
	"doorstep/app/booking/bookingdb"
	"doorstep/app/booking/slots"
	"doorstep/app/catalog"
	"doorstep/app/kit/clock"
	"doorstep/app/pricing"
	"doorstep/app/staff"
	"doorstep/tenant"
)

// wireBooking builds the booking service (orders, lifecycle, recurring series) and registers its API.
func (a *App) wireBooking(api huma.API) {
	a.Booking = booking.NewService(booking.Deps{DB: a.DB, Repo: bookingdb.New(a.DB), Quotes: a.Pricing, Catalog: bookingCatalog{a.Catalog},
		Staff: bookingStaff{a.Staff}, Stores: a.Org, Outbox: a.Outbox, Slots: bookingSlots{a.Availability}, Clock: clock.System{},
		Notify: bookingNotifier{a}})
	bookingapi.Register(api, a.Booking)
}

// bookingTasks registers the area's job handlers.
func (w *Worker) bookingTasks(mux *asynq.ServeMux) { w.a.Booking.RegisterTasks(mux) }

// bookingPeriodic registers the area's periodic tasks.
func bookingPeriodic(s *asynq.Scheduler) error { return booking.RegisterPeriodic(s) }

// bookingCatalog tells booking how long a visit lasts.
type bookingCatalog struct{ c *catalog.Service }

func (b bookingCatalog) VisitLength(ctx context.Context, packageID, storeID uuid.UUID, addOns []pricing.AddOnChoice) (uuid.UUID, int, error) {
	counts := make([]catalog.AddOnCount, len(addOns))
	for i, x := range addOns {
		counts[i] = catalog.AddOnCount{ID: x.ID, Quantity: x.Quantity}
	}
	return b.c.VisitLength(ctx, packageID, storeID, counts)
}

// bookingSlots checks a chosen start against availability.
type bookingSlots struct{ s *slots.Service }

func (b bookingSlots) Check(ctx context.Context, c booking.SlotCheck) error {
	var ids []uuid.UUID
	for _, x := range c.AddOns {
		for range max(x.Quantity, 1) {
			ids = append(ids, x.ID)
		}
	}
	_, err := b.s.FreeStaff(ctx, slots.Visit{PackageID: c.PackageID, AddOnIDs: ids, At: c.At, Start: c.Start, StaffID: c.StaffID,
		Known: &slots.Known{StoreID: c.StoreID, ServiceID: c.ServiceID, Minutes: c.Minutes}, Moving: c.Moving})
	return err
}

// bookingStaff is the roster as booking sees it. Card reads past the caller's data scope: a
// customer is shown who is coming (booking itself keeps assignments within the caller's scope).
type bookingStaff struct{ s *staff.Service }

func toCard(st staff.Staff) booking.StaffCard {
	return booking.StaffCard{ID: st.ID, UserID: st.UserID, StoreID: st.StoreID, DisplayName: st.DisplayName, PhotoURL: st.PhotoURL,
		BadgeNo: st.BadgeNo, Active: st.Status == staff.StatusActive}
}

func (b bookingStaff) Card(ctx context.Context, id uuid.UUID) (booking.StaffCard, error) {
	st, err := b.s.Get(auth.WithPrincipal(ctx, nil), id)
	if err != nil {
		return booking.StaffCard{}, err
	}
	return toCard(st), nil
}

func (b bookingStaff) Mine(ctx context.Context) (booking.StaffCard, error) {
	st, err := b.s.Me(ctx)
	if err != nil {
		return booking.StaffCard{}, err
	}
	return toCard(st), nil
}

// bookingNotifier supplies what order notifications show: the tenant's brand, time zone and
// locale, the service's name in the tenant's locale, and the staff member's user and location.
type bookingNotifier struct{ a *App }

func (b bookingNotifier) Facts(ctx context.Context, o booking.Order) (booking.OrderFacts, error) {
	t, ok := tenant.FromContext(ctx) // requests and jobs (the jobs middleware) both carry it
	if !ok {
		return booking.OrderFacts{}, errors.New("wiring: order facts without a tenant in the context")
	}
	f := booking.OrderFacts{Brand: t.BrandName(), Location: t.Location(), Locale: t.Locale}
	sv, err := b.a.Catalog.GetService(auth.WithPrincipal(ctx, nil), o.ServiceID)
	if err != nil {
		return f, err
	}
	f.Service = sv.NameZh
	if (t.Locale == "en" && sv.NameEn != "") || f.Service == "" {
		f.Service = sv.NameEn
	}
	return f, nil
}

func (b bookingNotifier) StaffFacts(ctx context.Context, id uuid.UUID) (booking.StaffFacts, error) {
	st, err := b.a.Staff.Get(auth.WithPrincipal(ctx, nil), id)
	if err != nil {
		return booking.StaffFacts{}, err
	}
	return booking.StaffFacts{UserID: st.UserID, Name: st.DisplayName, LastLocation: st.LastLocation, LocatedAt: st.LocatedAt}, nil
}
