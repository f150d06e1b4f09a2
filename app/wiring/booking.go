package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"
)

// wireBooking builds the booking service (orders, lifecycle, recurring series) and registers its API.
func (a *App) wireBooking(api huma.API) {}

// bookingTasks registers the area's job handlers.
func (w *Worker) bookingTasks(mux *asynq.ServeMux) {}

// bookingPeriodic registers the area's periodic tasks.
func bookingPeriodic(s *asynq.Scheduler) error { return nil }
