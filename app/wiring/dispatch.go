package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"
)

// wireDispatch builds dispatch (ranked candidates, order pool, auto-assign, accept timeouts, the board) and registers its API.
func (a *App) wireDispatch(api huma.API) {}

// dispatchTasks registers the area's job handlers.
func (w *Worker) dispatchTasks(mux *asynq.ServeMux) {}

// dispatchPeriodic registers the area's periodic tasks.
func dispatchPeriodic(s *asynq.Scheduler) error { return nil }
