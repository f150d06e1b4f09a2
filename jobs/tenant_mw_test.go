package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbx"
	"doorstep/jobs"
	"doorstep/tenant"
)

// clockPayload asks for a fixed instant rendered in the tenant's local time.
type clockPayload struct {
	jobs.Meta
	At time.Time `json:"at"`
}

func (*clockPayload) TaskType() string { return "test:local_time" }

// TestJobsSeeTheTenantsTimeZone runs a job for a tenant in Asia/Shanghai and one in
// America/New_York through real Redis and asynq, with tenants resolved from PostgreSQL as
// HTTP resolves them: each job formats the same instant in tenant.FromContext's zone, and
// sees the tenant's locale and currency too, without loading anything itself.
func TestJobsSeeTheTenantsTimeZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newTenant := func(slug, zone, locale, currency string) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		require.NoError(t, e.db.Owner.Exec(`insert into tenants (id, slug, name, time_zone, locale, currency) values (?, ?, ?, ?, ?, ?)`,
			id, slug, slug, zone, locale, currency).Error)
		return id
	}
	shanghai := newTenant("jiejia", "Asia/Shanghai", "zh-CN", "CNY")
	newYork := newTenant("fixit", "America/New_York", "en", "USD")

	type seen struct{ local, locale, currency string }
	var mu sync.Mutex
	got := map[uuid.UUID]seen{}
	mux := jobs.NewServeMux(e.log, nil, e.resolver())
	jobs.Handle(mux, func(ctx context.Context, p *clockPayload) error {
		tn, ok := tenant.FromContext(ctx)
		if !ok {
			return errors.New("no tenant in the job's context")
		}
		if id, _ := dbx.TenantID(ctx); id != tn.ID || id != p.TenantID {
			return errors.New("the context's tenant id is not the payload's")
		}
		mu.Lock()
		defer mu.Unlock()
		got[tn.ID] = seen{p.At.In(tn.Location()).Format("2006-01-02 15:04 MST"), tn.Locale, tn.Currency}
		return nil
	})
	startServer(t, e.redis, mux)

	at := time.Date(2026, 11, 25, 2, 30, 0, 0, time.UTC)
	for _, tn := range []uuid.UUID{shanghai, newYork} {
		body, err := json.Marshal(&clockPayload{Meta: jobs.Meta{TenantID: tn}, At: at})
		require.NoError(t, err)
		_, err = e.client.Enqueue(asynq.NewTask("test:local_time", body), asynq.Queue(jobs.QueueDefault))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, seen{"2026-11-25 10:30 CST", "zh-CN", "CNY"}, got[shanghai])
	require.Equal(t, seen{"2026-11-24 21:30 EST", "en", "USD"}, got[newYork])
}

// stubTenants resolves ids from a map; err, when set, is what every lookup fails with.
type stubTenants struct {
	byID map[uuid.UUID]*tenant.Tenant
	err  error
}

func (s stubTenants) ByID(_ context.Context, id uuid.UUID) (*tenant.Tenant, error) {
	if s.err != nil {
		return nil, s.err
	}
	t, ok := s.byID[id]
	switch {
	case !ok:
		return nil, tenant.ErrNotFound
	case t.Status == tenant.Suspended:
		return t, tenant.ErrSuspended
	}
	return t, nil
}

// TestRestoreTenantOutcomes: an unknown tenant is not retried and never reaches the handler; a
// suspended tenant's work still runs, with its tenant; a failing lookup is retried; a
// platform task (no tenant) runs without one; a mux without a resolver is a wiring error.
func TestRestoreTenantOutcomes(t *testing.T) {
	t.Parallel()
	active := &tenant.Tenant{ID: uuid.Must(uuid.NewV7()), Status: tenant.Active, TimeZone: "Asia/Shanghai"}
	suspended := &tenant.Tenant{ID: uuid.Must(uuid.NewV7()), Status: tenant.Suspended, TimeZone: "America/New_York"}
	tenants := stubTenants{byID: map[uuid.UUID]*tenant.Tenant{active.ID: active, suspended.ID: suspended}}

	var ran []string
	handler := func(ctx context.Context, _ *asynq.Task) error {
		if tn, ok := tenant.FromContext(ctx); ok {
			ran = append(ran, tn.TimeZone)
		} else {
			ran = append(ran, "none")
		}
		return nil
	}
	mux := jobs.NewServeMux(testLog(), nil, tenants)
	mux.HandleFunc("test:plain", handler)
	task := func(id uuid.UUID) *asynq.Task {
		if id == uuid.Nil {
			return asynq.NewTask("test:plain", []byte(`{}`))
		}
		return asynq.NewTask("test:plain", []byte(`{"tenant_id":"`+id.String()+`"}`))
	}
	ctx := context.Background()

	require.NoError(t, mux.ProcessTask(ctx, task(active.ID)))
	require.NoError(t, mux.ProcessTask(ctx, task(suspended.ID)))
	require.NoError(t, mux.ProcessTask(ctx, task(uuid.Nil)))
	require.ErrorIs(t, mux.ProcessTask(ctx, task(uuid.Must(uuid.NewV7()))), asynq.SkipRetry)
	require.Equal(t, []string{"Asia/Shanghai", "America/New_York", "none"}, ran)

	down := jobs.NewServeMux(testLog(), nil, stubTenants{err: errors.New("connection refused")})
	down.HandleFunc("test:plain", handler)
	err := down.ProcessTask(ctx, task(active.ID))
	require.ErrorContains(t, err, "connection refused")
	require.NotErrorIs(t, err, asynq.SkipRetry, "a database outage is no reason to drop the job")
	require.Len(t, ran, 3)

	require.Panics(t, func() { jobs.NewServeMux(testLog(), nil, nil) })
}
