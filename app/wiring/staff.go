package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/pricing"
)

// wireStaff builds the staff roster service and registers its API.
func (a *App) wireStaff(api huma.API) {}

// staffLevels tells pricing a staff member's level (nil until the roster exists).
func (a *App) staffLevels() pricing.Staff { return nil }

// staffTasks registers the roster's job handlers.
func (w *Worker) staffTasks(mux *asynq.ServeMux) {}

// staffPeriodic registers the roster's periodic tasks.
func staffPeriodic(s *asynq.Scheduler) error { return nil }
