package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"doorstep/app/wiring"
)

// ledgerCmd runs `doorstep ledger check`: every tenant's books recomputed from the postings
// (through the runtime role, one tenant at a time, so row-level security holds). Any mismatch
// is printed and makes the command fail.
func ledgerCmd(ctx context.Context, cfg wiring.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: doorstep ledger check")
		return errUsage
	}
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	fs, err := a.LedgerCheck.CheckAll(ctx)
	for _, f := range fs {
		fmt.Fprintln(stdout, "mismatch:", f)
	}
	if err != nil {
		return fmt.Errorf("ledger check: %w", err)
	}
	if len(fs) > 0 {
		return fmt.Errorf("ledger check: %d mismatches", len(fs))
	}
	fmt.Fprintln(stdout, "ledger check: every tenant's books are consistent")
	return nil
}
