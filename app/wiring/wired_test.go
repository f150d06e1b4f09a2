package wiring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/wiring"
)

// TestAppRefusesUnwiredHooks: New checks that every cross-domain hook, handler and subscriber
// was handed in (App.CheckWired); each one left out is named, and a complete app passes.
func TestAppRefusesUnwiredHooks(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	_, ropt := dbtest.Redis(t)
	cfg, err := wiring.LoadConfig()
	require.NoError(t, err)
	cfg.DatabaseURL, cfg.AppDatabaseURL = d.OwnerURL, d.AppURL
	cfg.RedisURL = fmt.Sprintf("redis://%s/%d", ropt.Addr, ropt.DB)
	cfg.StripeAPIURL = os.Getenv("STRIPE_MOCK_URL")
	build := func() *wiring.App {
		a, err := wiring.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), wiring.Options{})
		require.NoError(t, err, "a completely wired app starts")
		t.Cleanup(a.Close)
		return a
	}
	a := build()
	require.NoError(t, a.CheckWired())

	for _, c := range []struct {
		unwire func(a *wiring.App)
		want   string
	}{
		{func(a *wiring.App) { a.Booking.SetDispatcher(nil) }, "booking: no dispatcher"},
		{func(a *wiring.App) { a.Booking.SetCompletionHook(nil) }, "booking: no completion hook"},
		{func(a *wiring.App) { a.Booking.SetCancelHook(nil) }, "booking: no cancel hook"},
		{func(a *wiring.App) { a.Card.SetPayments(nil) }, "card: no payments"},
	} {
		a := build()
		c.unwire(a)
		err := a.CheckWired()
		require.ErrorContains(t, err, c.want)
		require.ErrorContains(t, err, "wiring: unwired hooks")
	}
}
