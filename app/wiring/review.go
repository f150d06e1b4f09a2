package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"
)

// wireReview builds reviews and rating aggregates and registers their API.
func (a *App) wireReview(api huma.API) {}

// reviewTasks registers the area's job handlers.
func (w *Worker) reviewTasks(mux *asynq.ServeMux) {}

// reviewPeriodic registers the area's periodic tasks.
func reviewPeriodic(s *asynq.Scheduler) error { return nil }
