package wiring

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"

	"doorstep/app/kit/clock"
	"doorstep/app/pricing"
	"doorstep/app/staff"
	"doorstep/app/staff/staffapi"
	"doorstep/app/staff/staffdb"
)

// wireStaff builds the staff roster service and registers its API.
func (a *App) wireStaff(api huma.API) {
	a.Staff = staff.NewService(staff.Deps{DB: a.DB, Repo: staffdb.New(a.DB), Audit: a.Audit, Outbox: a.Outbox,
		Perms: a.Roles, Clock: clock.System{}, Log: a.Log, Limiter: redis_rate.NewLimiter(a.Redis)})
	staffapi.Register(api, a.Staff)
}

// staffLevels tells pricing a staff member's level (an unknown one is a 422 on staff_id).
func (a *App) staffLevels() pricing.Staff { return a.Staff }

// staffTasks registers the roster's job handlers.
func (w *Worker) staffTasks(mux *asynq.ServeMux) { w.a.Staff.RegisterTasks(mux) }

// staffPeriodic registers the roster's periodic tasks.
func staffPeriodic(s *asynq.Scheduler) error { return staff.RegisterPeriodic(s) }
