package wiring

import (
	"context"
	"fmt"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/booking/slots"
	"doorstep/app/booking/slots/slotsapi"
	"doorstep/app/booking/slots/slotsdb"
	"doorstep/app/catalog"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// wireAvailability builds the availability service and registers its API.
func (a *App) wireAvailability(api huma.API) {
	a.Availability = slots.NewService(a.DB, slotsdb.New(a.DB), slotsCatalog{a.Catalog}, clock.System{})
	slotsapi.Register(api, a.Availability)
}

// availTasks registers the area's job handlers.
func (w *Worker) availTasks(mux *asynq.ServeMux) {}

// availPeriodic registers the area's periodic tasks.
func availPeriodic(s *asynq.Scheduler) error { return nil }

// slotsCatalog is availability's view of the catalogue.
type slotsCatalog struct{ c *catalog.Service }

var _ slots.Catalog = slotsCatalog{}

func (s slotsCatalog) ServingStore(ctx context.Context, at geo.Point) (uuid.UUID, error) {
	return s.c.ServingStore(ctx, at)
}

func (s slotsCatalog) VisitLength(ctx context.Context, packageID, storeID uuid.UUID, addOnIDs []uuid.UUID) (uuid.UUID, int, error) {
	counts := make([]catalog.AddOnCount, len(addOnIDs))
	for i, id := range addOnIDs {
		counts[i] = catalog.AddOnCount{ID: id, Quantity: 1}
	}
	svc, minutes, err := s.c.VisitLength(ctx, packageID, storeID, counts)
	return svc, minutes, renameAddOnFields(err)
}

// renameAddOnFields turns the catalogue's add_ons[i].id into the query's add_on[i].
func renameAddOnFields(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = make([]errs.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		var n int
		if _, scanErr := fmt.Sscanf(f.Field, "add_ons[%d].id", &n); scanErr == nil && strings.HasSuffix(f.Field, "].id") {
			f.Field = fmt.Sprintf("add_on[%d]", n)
		}
		c.Fields[i] = f
	}
	return &c
}
