package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"doorstep/app/wiring"
)

func serve(ctx context.Context, cfg wiring.Config, log *slog.Logger) error {
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	return listen(ctx, cfg.HTTPAddr, a.Handler(), log)
}

func worker(ctx context.Context, cfg wiring.Config, log *slog.Logger) error {
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	w, err := a.NewWorker()
	if err != nil {
		return err
	}
	log.Info("worker started")
	return w.Run(ctx)
}

// dev runs everything in one process after making sure the database exists, is migrated and
// holds the demo.
func dev(ctx context.Context, cfg wiring.Config, log *slog.Logger, stdout io.Writer) error {
	if err := wiring.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := wiring.Migrate(ctx, cfg.DatabaseURL, "up", io.Discard); err != nil {
		return err
	}
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := seedDemo(ctx, a, stdout); err != nil {
		return err
	}
	w, err := a.NewWorker()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nDoorstep is running on http://localhost%s (API docs /api/docs, console /console)\n", cfg.HTTPAddr)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.Run(ctx) })
	g.Go(func() error { return listen(ctx, cfg.HTTPAddr, a.Handler(), log) })
	return g.Wait()
}

// listen serves until ctx ends, then drains for up to 15 s.
func listen(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("http listening", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
