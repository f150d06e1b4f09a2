// Command doorstep is the whole product in one binary: the HTTP server, the job worker, both
// together for development, migrations, demo data and tenant administration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"doorstep/app/wiring"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "doorstep:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `doorstep — multi-tenant platform for chains of on-site services

Usage:
  doorstep serve                      run the HTTP API, console and storefronts
  doorstep worker                     run the job worker, scheduler and outbox relay
  doorstep dev                        serve + worker in one process; creates, migrates and
                                      seeds the database on first run (DEV_MODE on)
  doorstep migrate up|down|status     manage the schema (as the DATABASE_URL owner)
  doorstep seed demo                  create the demo tenants (idempotent)
  doorstep tenant create --name N --slug S --owner-email E [--owner-password P] [--locale zh-CN|en]
  doorstep operator create --email E [--password P]
                                      create or reset a platform operator
  doorstep ledger check               recompute every tenant's ledger balances from the
                                      postings; prints mismatches and fails on any

Environment (configuration comes from the environment only):
`

// run dispatches a subcommand; everything it needs is built here and handed down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage+wiring.EnvHelp())
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cfg, err := wiring.LoadConfig()
	if err != nil {
		return err
	}
	if args[0] == "dev" {
		cfg.DevMode = true
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log)
	case "dev":
		return dev(ctx, cfg, log, stdout)
	case "migrate":
		return migrate(ctx, cfg, args[1:], stdout)
	case "seed":
		if len(args) < 2 || args[1] != "demo" {
			fmt.Fprintln(stderr, "usage: doorstep seed demo")
			return errUsage
		}
		return seed(ctx, cfg, log, stdout)
	case "tenant":
		return tenantCmd(ctx, cfg, log, args[1:], stdout, stderr)
	case "operator":
		return operatorCmd(ctx, cfg, log, args[1:], stdout, stderr)
	case "ledger":
		return ledgerCmd(ctx, cfg, log, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
