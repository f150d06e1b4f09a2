package bookingdb_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/kit/dbtest"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// TestAutoAcceptJob runs the booking:auto_accept handler through the jobs mux: it accepts an
// order still awaiting acceptance (declining undecided extras, so nothing unapproved is
// charged) and does nothing on a second delivery.
func TestAutoAcceptJob(t *testing.T) {
	d := dbtest.New(t)
	w := newWorld(t, d, "auto")
	staffID, staffUser := w.member()
	o := w.book(0, w.clk.Now().Add(30*time.Hour).Truncate(time.Hour))
	_, err := w.svc.Assign(w.manager(), o.ID, staffID)
	require.NoError(t, err)
	sc := w.staffCtx(staffUser)
	for _, step := range []func() error{
		func() error { _, err := w.svc.Accept(sc, o.ID); return err },
		func() error { _, err := w.svc.Depart(sc, o.ID); return err },
		func() error { _, err := w.svc.Arrive(sc, o.ID, here); return err },
		func() error { _, err := w.svc.Start(sc, o.ID); return err },
		func() error {
			_, err := w.svc.Complete(sc, o.ID, booking.Completion{Extras: []booking.ExtraInput{{Name: "fridge", Price: 4000}}})
			return err
		},
	} {
		require.NoError(t, step())
	}
	mux := jobs.NewServeMux(slog.New(slog.DiscardHandler), nil, tenant.NewResolver(tenantdb.New(d.Tx), "", false))
	w.svc.RegisterTasks(mux)
	body, err := json.Marshal(booking.AutoAcceptPayload{Meta: jobs.Meta{TenantID: w.tn.ID}, OrderID: o.ID})
	require.NoError(t, err)
	task := asynq.NewTask(booking.TypeAutoAccept, body)
	require.NoError(t, mux.ProcessTask(context.Background(), task))
	got, err := w.svc.Get(w.customer(0), o.ID)
	require.NoError(t, err)
	require.Equal(t, booking.Completed, got.Status)
	require.Equal(t, "auto", got.AcceptedVia)
	require.Equal(t, o.Total, got.Total, "the undecided extra is declined, not charged")
	require.Equal(t, booking.ExtraDeclined, got.Extras[0].Status)
	require.NoError(t, mux.ProcessTask(context.Background(), task), "a duplicate delivery is harmless")
}
