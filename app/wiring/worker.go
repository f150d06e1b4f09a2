package wiring

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"doorstep/app/kit/clock"
	"doorstep/app/notify"
	"doorstep/jobs"
)

// Worker is the background side: asynq server, periodic scheduler and outbox relay.
type Worker struct {
	a         *App
	Server    *asynq.Server
	Mux       *asynq.ServeMux
	Scheduler *asynq.Scheduler
	Relay     *jobs.Relay
	client    *asynq.Client
}

// NewWorker builds the worker; Run starts it.
func (a *App) NewWorker() (*Worker, error) {
	w := &Worker{a: a}
	w.Mux = jobs.NewServeMux(a.Log, a.JobMetric)
	notify.NewHandler(a.Sender).Register(w.Mux)
	jobs.NewOutboxCleanup(a.DB, clock.System{}, a.Log).Register(w.Mux)
	w.Server = jobs.NewServer(a.RedisOpt, a.Log, a.Cfg.WorkerConcurrency)
	w.Scheduler = jobs.NewScheduler(a.RedisOpt, a.Log, time.UTC)
	if err := jobs.RegisterPeriodic(w.Scheduler); err != nil {
		return nil, err
	}
	w.client = asynq.NewClient(a.RedisOpt)
	w.Relay = jobs.NewRelay(a.DB, w.client, a.Log, jobs.RelayOptions{Interval: a.Cfg.RelayInterval})
	a.Outbox.OnCommit(w.Relay.Wake)
	return w, nil
}

// Run processes jobs until ctx ends, then shuts down gracefully.
func (w *Worker) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := w.Server.Start(w.Mux); err != nil {
		return err
	}
	if err := w.Scheduler.Start(); err != nil {
		w.Server.Shutdown()
		return err
	}
	g.Go(func() error { return w.Relay.Run(ctx) })
	g.Go(func() error {
		<-ctx.Done()
		w.Scheduler.Shutdown()
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
