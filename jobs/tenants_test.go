package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/jobs"
)

// TestFanOutAndEachActiveTenant: a sweep reaches every active tenant (not suspended ones),
// each with its own tenant in context; one tenant's failure is reported by name and does not
// stop the others; FanOut writes one outbox task per active tenant, as that tenant.
func TestFanOutAndEachActiveTenant(t *testing.T) {
	t.Parallel()
	e := newDBEnv(t)
	a, b, c := e.tenant(t, "fan-a"), e.tenant(t, "fan-b"), e.tenant(t, "fan-c")
	require.NoError(t, e.db.Owner.Exec("update tenants set status = 'suspended' where id = ?", c).Error)

	boom := errors.New("boom")
	var seen []uuid.UUID
	n, err := jobs.EachActiveTenant(context.Background(), e.db.Tx, func(ctx context.Context) (int, error) {
		id, ok := dbx.TenantID(ctx)
		require.True(t, ok)
		seen = append(seen, id)
		if id == a {
			return 1, boom
		}
		return 2, nil
	})
	require.ElementsMatch(t, []uuid.UUID{a, b}, seen)
	require.Equal(t, 3, n)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, a.String())

	ob := jobs.NewOutbox(e.db.Tx, clock.System{})
	n, err = ob.FanOut(context.Background(), func() jobs.Payload { return &pingPayload{} })
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for _, id := range []uuid.UUID{a, b} {
		require.Equal(t, 1, e.count(t, "select count(*) from outbox where tenant_id = ? and task_type = 'test:ping'", id))
	}
	require.Zero(t, e.count(t, "select count(*) from outbox where tenant_id = ?", c))
}
