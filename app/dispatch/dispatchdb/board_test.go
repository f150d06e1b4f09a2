package dispatchdb_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
)

// TestBoard: unassigned orders, at-risk ones (within 2h, not accepted) and staff load.
func TestBoard(t *testing.T) {
	d := dbtest.New(t)
	now := time.Date(2030, 1, 10, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	w := newWorld(t, d, "board", now)
	a, _ := w.member()
	b, _ := w.member()
	soon := w.book(now.Add(time.Hour))            // confirmed, at risk
	assigned := w.book(now.Add(90 * time.Minute)) // assigned, not accepted: at risk
	later := w.book(now.Add(6 * time.Hour))       // confirmed, not at risk
	accepted := w.book(now.Add(30 * time.Minute)) // accepted: fine
	_ = w.book(now.Add(30 * time.Hour))           // another day
	_, err := w.booking.Assign(w.manager(), assigned.ID, a)
	require.NoError(t, err)
	_, err = w.booking.Assign(w.manager(), accepted.ID, b)
	require.NoError(t, err)
	_, err = w.booking.Accept(w.base, accepted.ID)
	require.NoError(t, err)

	bd, err := w.svc.Board(w.manager(), w.store, "2030-01-10")
	require.NoError(t, err)
	ids := func(xs []uuid.UUID) []uuid.UUID { return xs }
	var un, risk []uuid.UUID
	for _, o := range bd.Unassigned {
		un = append(un, o.ID)
	}
	for _, o := range bd.AtRisk {
		risk = append(risk, o.ID)
	}
	require.Equal(t, ids([]uuid.UUID{soon.ID, later.ID}), un)
	require.Equal(t, ids([]uuid.UUID{soon.ID, assigned.ID}), risk)
	require.Equal(t, a, bd.AtRisk[1].StaffID)
	require.Len(t, bd.Staff, 2)
	for _, s := range bd.Staff {
		require.Equal(t, 1, s.Visits)
		require.Equal(t, 135, s.Minutes, "120 minutes plus the 15-minute buffer")
	}

	_, err = w.svc.Board(w.manager(), w.store, "10/01/2030")
	require.Equal(t, "validation_failed", code(err))
	_, err = w.svc.Board(w.manager(), uuid.Nil, "2030-01-10")
	require.Equal(t, "validation_failed", code(err))
}
