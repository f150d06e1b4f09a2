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
	"doorstep/app/staff"
)

// wireDispatch builds dispatch (ranked candidates, order pool, auto-assign, accept timeouts, the board) and registers its API.
// Ratings stay neutral until reviews plug theirs in with a.Dispatch.SetRatings.
func (a *App) wireDispatch(api huma.API) {
	a.Dispatch = dispatch.NewService(dispatch.Deps{DB: a.DB, Repo: dispatchdb.New(a.DB), Orders: a.Booking, Roster: a.Staff,
		Self: dispatchSelf{a.Staff}, Outbox: a.Outbox, Clock: clock.System{}})
	dispatchapi.Register(api, a.Dispatch)
}

// dispatchTasks registers the area's job handlers.
func (w *Worker) dispatchTasks(mux *asynq.ServeMux) { w.a.Dispatch.RegisterTasks(mux) }

// dispatchPeriodic registers the area's periodic tasks.
func dispatchPeriodic(s *asynq.Scheduler) error { return nil }

// dispatchSelf tells dispatch the caller's staff profile.
type dispatchSelf struct{ s *staff.Service }

func (d dispatchSelf) MyStaffID(ctx context.Context) (uuid.UUID, error) {
	st, err := d.s.Me(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	return st.ID, nil
}
