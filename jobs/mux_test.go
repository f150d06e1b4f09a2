package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
	"doorstep/jobs"
)

func TestHandleRestoresTenantAndRejectsBadPayloads(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	mux := jobs.NewServeMux(testLog(), jobs.NewMetrics(reg), anyTenant{})
	var got uuid.UUID
	calls := 0
	jobs.Handle(mux, func(ctx context.Context, p *pingPayload) error {
		calls++
		got, _ = dbx.TenantID(ctx)
		return nil
	})
	tenant := uuid.Must(uuid.NewV7())

	err := mux.ProcessTask(context.Background(), asynq.NewTask("test:ping", []byte(`{"tenant_id":"`+tenant.String()+`","n":1}`)))
	require.NoError(t, err)
	require.Equal(t, tenant, got)

	for name, payload := range map[string]string{
		"nil tenant":     `{"tenant_id":"00000000-0000-0000-0000-000000000000","n":1}`,
		"no tenant":      `{"n":1}`,
		"malformed json": `{"tenant_id":`,
		"wrong type":     `{"tenant_id":"` + tenant.String() + `","n":"one"}`,
		"bad uuid":       `{"tenant_id":"acme"}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := mux.ProcessTask(context.Background(), asynq.NewTask("test:ping", []byte(payload)))
			require.ErrorIs(t, err, asynq.SkipRetry)
		})
	}
	require.Equal(t, 1, calls, "the handler never sees a bad payload")
	require.Equal(t, 1.0, counter(t, reg, "test:ping", "ok"))
	require.Equal(t, 5.0, counter(t, reg, "test:ping", "skip"))
}

func TestMuxRecoversPanicsAndRestoresTenantForPlainHandlers(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	mux := jobs.NewServeMux(testLog(), jobs.NewMetrics(reg), anyTenant{})
	mux.HandleFunc("test:panic", func(context.Context, *asynq.Task) error { panic("kaboom") })
	var got uuid.UUID
	mux.HandleFunc("test:plain", func(ctx context.Context, _ *asynq.Task) error {
		got, _ = dbx.TenantID(ctx)
		return errors.New("temporary")
	})

	err := mux.ProcessTask(context.Background(), asynq.NewTask("test:panic", nil))
	require.ErrorContains(t, err, "kaboom")
	require.NotErrorIs(t, err, asynq.SkipRetry, "a panic is retried like any failure")

	tenant := uuid.Must(uuid.NewV7())
	err = mux.ProcessTask(context.Background(), asynq.NewTask("test:plain", []byte(`{"tenant_id":"`+tenant.String()+`"}`)))
	require.EqualError(t, err, "temporary")
	require.Equal(t, tenant, got)

	require.Equal(t, 1.0, counter(t, reg, "test:panic", "panic"))
	require.Equal(t, 1.0, counter(t, reg, "test:plain", "error"))
	require.Equal(t, uint64(1), observations(t, reg, "test:plain"))
}

func TestHandlePanicsOnPayloadWithoutMeta(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() {
		jobs.Handle(asynq.NewServeMux(), func(context.Context, *noMeta) error { return nil })
	})
}

type noMeta struct{ N int }

func (*noMeta) TaskType() string { return "test:nometa" }

func counter(t *testing.T, reg *prometheus.Registry, typ, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "doorstep_jobs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] == typ && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func observations(t *testing.T, reg *prometheus.Registry, typ string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "doorstep_job_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == typ {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}
