package wiring

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"doorstep/app/kit/clock"
	"doorstep/app/notify"
	"doorstep/app/notify/notifydb"
	"doorstep/jobs"
)

// Worker is the background side: asynq server, outbox relay and, in the one replica that
// holds the scheduler lease, the periodic scheduler.
type Worker struct {
	a      *App
	Server *asynq.Server
	Mux    *asynq.ServeMux
	Relay  *jobs.Relay
	leader *jobs.Leader
	client *asynq.Client
}

// NewWorker builds the worker; Run starts it.
func (a *App) NewWorker() (*Worker, error) {
	w := &Worker{a: a}
	w.Mux = jobs.NewServeMux(a.Log, a.JobMetric, a.Resolver, jobs.CloseOutboxRows(a.DB))
	notify.NewHandler(a.DB, a.Sender, notifydb.NewDeliveries(a.DB)).Register(w.Mux)
	jobs.NewOutboxCleanup(a.DB, clock.System{}, a.Log).Register(w.Mux)
	w.staffTasks(w.Mux)
	w.availTasks(w.Mux)
	w.bookingTasks(w.Mux)
	w.inboxTasks(w.Mux)
	w.reviewTasks(w.Mux)
	w.dispatchTasks(w.Mux)
	w.cardTasks(w.Mux)
	w.commissionTasks(w.Mux)
	w.payoutTasks(w.Mux)
	w.paymentTasks(w.Mux)
	w.Server = jobs.NewServer(a.RedisOpt, a.Log, a.Cfg.WorkerConcurrency)
	w.leader = jobs.NewLeader(a.Redis, "doorstep:scheduler:leader", 15*time.Second, a.Log)
	w.client = asynq.NewClient(a.RedisOpt)
	w.Relay = jobs.NewRelay(a.DB, w.client, a.Log, jobs.RelayOptions{Interval: a.Cfg.RelayInterval, Lease: a.Cfg.RelayLease,
		Horizon: a.Cfg.RelayHorizon})
	a.Outbox.OnCommit(w.Relay.Wake)
	return w, nil
}

// Run processes jobs until ctx ends, then shuts down gracefully.
func (w *Worker) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := w.Server.Start(w.Mux); err != nil {
		return err
	}
	g.Go(func() error { return w.Relay.Run(ctx) })
	g.Go(func() error { w.leader.Run(ctx, w.schedule); return nil })
	g.Go(func() error {
		<-ctx.Done()
		w.Server.Shutdown()
		_ = w.client.Close()
		return nil
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// schedule runs the periodic scheduler for as long as this worker holds the lease. An asynq
// scheduler cannot be restarted, so each term builds a new one.
func (w *Worker) schedule(ctx context.Context) {
	s := jobs.NewScheduler(w.a.RedisOpt, w.a.Log, time.UTC)
	for _, register := range w.periodic() {
		if err := register(s); err != nil {
			w.a.Log.Error("register periodic task", "err", err)
			return
		}
	}
	if err := s.Start(); err != nil {
		w.a.Log.Error("scheduler", "err", err)
		return
	}
	<-ctx.Done()
	s.Shutdown()
}

// periodic lists every package's periodic-task registration.
func (w *Worker) periodic() []func(*asynq.Scheduler) error {
	return []func(*asynq.Scheduler) error{jobs.RegisterPeriodic, staffPeriodic, availPeriodic, bookingPeriodic, inboxPeriodic, reviewPeriodic, dispatchPeriodic, cardPeriodic, commissionPeriodic, payoutPeriodic, paymentPeriodic}
}
