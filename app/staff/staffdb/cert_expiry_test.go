package staffdb_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/staff"
	"doorstep/jobs"
	"doorstep/tenant"
	"doorstep/tenant/tenantdb"
)

// TestCertExpiryJob runs staff:cert_expiry through a real asynq server: 30 days ahead it
// warns (once) the staff member and their store; after the expiry day it marks the
// certificate expired, and the eligibility query stops offering its holder.
func TestCertExpiryJob(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "alpha")
	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB, Password: ropt.Password, Username: ropt.Username}
	log := slog.New(slog.DiscardHandler)

	mux := jobs.NewServeMux(log, nil, tenant.NewResolver(tenantdb.New(db.Tx), "", false))
	w.svc.RegisterTasks(mux)
	srv := jobs.NewServer(redis, log, 4)
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redis)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspector(redis)
	t.Cleanup(func() { _ = insp.Close() })

	run := func(taskType string, payload any) {
		t.Helper()
		body, err := json.Marshal(payload)
		require.NoError(t, err)
		info, err := client.Enqueue(asynq.NewTask(taskType, body), asynq.Retention(time.Hour), asynq.MaxRetry(0))
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			ti, err := insp.GetTaskInfo(info.Queue, info.ID)
			return err == nil && ti.State == asynq.TaskStateCompleted
		}, 15*time.Second, 20*time.Millisecond, "%s did not complete", taskType)
	}
	tenantPayload := &staff.CertExpiryPayload{Meta: jobs.Meta{TenantID: w.tenant}}
	// notices counts template messages to a staff member's user plus those to the store.
	notices := func(template string, staffUser uuid.UUID) int {
		var n int
		require.NoError(t, db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = 'notify:send'
			and payload->'message'->>'template' = ? and payload->'message'->>'to' in (?, ?)`,
			w.tenant, template, staffUser.String(), "store:"+w.store.String()).Scan(&n).Error)
		return n
	}
	to := func(template string, recipient string) int {
		var n int
		require.NoError(t, db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = 'notify:send'
			and payload->'message'->>'template' = ? and payload->'message'->>'to' = ?`, w.tenant, template, recipient).Scan(&n).Error)
		return n
	}

	// X's health certificate is valid through Monday 7 January 2030; Y's through 1 June.
	x := w.member(nil)
	w.exec(`update staff_certificates set expires_on = '2030-01-07' where staff_id = ? and type = 'health'`, x)
	y := w.member(nil)
	w.exec(`update staff_certificates set expires_on = '2030-06-01' where staff_id = ? and type = 'health'`, y)
	xs, err := w.svc.Get(w.ctx, x)
	require.NoError(t, err)
	ys, err := w.svc.Get(w.ctx, y)
	require.NoError(t, err)
	q := staff.EligibleQuery{ServiceID: w.s1, At: inside, Start: shanghai(2030, 1, 7, 10, 0), End: shanghai(2030, 1, 7, 12, 0)}
	eligible := func(id uuid.UUID) bool {
		got, err := w.svc.Eligible(w.ctx, q)
		require.NoError(t, err)
		for _, c := range got {
			if c.StaffID == id {
				return true
			}
		}
		return false
	}
	require.True(t, eligible(x))

	// 1 January: X's certificate expires within 30 days, so X and the store are warned; Y's is not.
	run(staff.TypeCertExpiry, tenantPayload)
	require.Equal(t, 1, to("staff_cert_expiring", xs.UserID.String()), "staff member warned")
	require.Equal(t, 1, to("staff_cert_expiring", "store:"+w.store.String()), "store warned")
	require.Zero(t, to("staff_cert_expiring", ys.UserID.String()))
	// A second run the same day (a duplicate, a retry) warns nobody again.
	run(staff.TypeCertExpiry, tenantPayload)
	require.Equal(t, 2, notices("staff_cert_expiring", xs.UserID), "warned once per certificate")
	require.True(t, eligible(x), "a warning does not change eligibility")

	// 00:30 on Tuesday 8 January in Shanghai: the certificate has expired.
	w.clk.Advance(shanghai(2030, 1, 8, 0, 30).Sub(w.clk.Now()))
	run(staff.TypeCertExpiry, tenantPayload)
	var status string
	require.NoError(t, db.Owner.Raw(`select status from staff_certificates where staff_id = ? and type = 'health'`, x).Scan(&status).Error)
	require.Equal(t, staff.CertExpired, status)
	require.False(t, eligible(x), "an expired mandatory certificate makes its holder ineligible")
	require.True(t, eligible(y))
	require.Equal(t, 2, notices("staff_cert_expired", xs.UserID))
	run(staff.TypeCertExpiry, tenantPayload)
	require.Equal(t, 2, notices("staff_cert_expired", xs.UserID), "expiry is announced once")

	// The daily sweep (a platform task without tenant) queues one check per tenant through the outbox.
	run(staff.TypeCertExpirySweep, nil)
	var queued int
	require.NoError(t, db.Owner.Raw(`select count(*) from outbox where tenant_id = ? and task_type = ?`, w.tenant, staff.TypeCertExpiry).Scan(&queued).Error)
	require.Equal(t, 1, queued)
}

func TestRegisterPeriodic(t *testing.T) {
	_, ropt := dbtest.Redis(t)
	redis := asynq.RedisClientOpt{Addr: ropt.Addr, DB: ropt.DB}
	s := jobs.NewScheduler(redis, slog.New(slog.DiscardHandler), time.UTC)
	require.NoError(t, staff.RegisterPeriodic(s))
}
