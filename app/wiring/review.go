package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/org/orgdb"
	"doorstep/app/review"
	"doorstep/app/review/reviewapi"
	"doorstep/app/review/reviewdb"
)

// wireReview builds reviews and rating aggregates and registers their API.
func (a *App) wireReview(api huma.API) {
	a.Review = review.NewService(a.DB, reviewdb.New(a.DB), a.Outbox, orgdb.New(a.DB).StoresOfFranchisee, clock.System{})
	reviewapi.Register(api, a.Review)
}

// reviewTasks registers the area's job handlers.
func (w *Worker) reviewTasks(mux *asynq.ServeMux) { w.a.Review.RegisterTasks(mux) }

// reviewPeriodic registers the area's periodic tasks.
func reviewPeriodic(s *asynq.Scheduler) error { return review.RegisterPeriodic(s) }
