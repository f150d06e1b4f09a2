package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"
)

// wireInbox builds the in-app inbox and registers its API.
func (a *App) wireInbox(api huma.API) {}

// inboxTasks registers the area's job handlers.
func (w *Worker) inboxTasks(mux *asynq.ServeMux) {}

// inboxPeriodic registers the area's periodic tasks.
func inboxPeriodic(s *asynq.Scheduler) error { return nil }
