package wiring

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/dispatch"
	"doorstep/app/dispatch/dispatchapi"
	"doorstep/app/dispatch/dispatchdb"
	"doorstep/app/kit/clock"
	"doorstep/app/review"
	"doorstep/app/staff"
)

// wireDispatch builds dispatch (ranked candidates, order pool, auto-assign, accept timeouts, the board) and registers its API.
// Ratings are the reviews' aggregates (wireReview runs first).
func (a *App) wireDispatch(api huma.API) {
	a.Dispatch = dispatch.NewService(dispatch.Deps{DB: a.DB, Repo: dispatchdb.New(a.DB), Orders: a.Booking, Roster: a.Staff,
		Self: dispatchSelf{a.Staff}, Ratings: dispatchRatings{a.Review}, Outbox: a.Outbox, Clock: clock.System{}})
	a.Booking.SetDispatcher(a.Dispatch) // confirmed and declined orders are dispatched by the store's mode, through the outbox
	dispatchapi.Register(api, a.Dispatch)
}

// dispatchTasks registers the area's job handlers.
func (w *Worker) dispatchTasks(mux *asynq.ServeMux) { w.a.Dispatch.RegisterTasks(mux) }

// dispatchPeriodic registers the area's periodic tasks.
func dispatchPeriodic(s *asynq.Scheduler) error { return nil }

// dispatchRatings gives dispatch the reviews' average ratings.
type dispatchRatings struct{ r *review.Service }

func (d dispatchRatings) Of(ctx context.Context, staffIDs []uuid.UUID) (map[uuid.UUID]float64, error) {
	return d.r.RatingsOf(ctx, staffIDs)
}

// dispatchSelf tells dispatch the caller's staff profile.
type dispatchSelf struct{ s *staff.Service }

func (d dispatchSelf) MyStaffID(ctx context.Context) (uuid.UUID, error) {
	st, err := d.s.Me(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	return st.ID, nil
}
