package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"
)

// wireAvailability builds the availability service and registers its API.
func (a *App) wireAvailability(api huma.API) {}

// availTasks registers the area's job handlers.
func (w *Worker) availTasks(mux *asynq.ServeMux) {}

// availPeriodic registers the area's periodic tasks.
func availPeriodic(s *asynq.Scheduler) error { return nil }
