package booking

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/errs"
)

// TestStateMachineTable checks the pure table for every state × action pair: a legal pair
// leads to a known state, an illegal one is a Conflict illegal_transition naming both.
func TestStateMachineTable(t *testing.T) {
	known := map[State]bool{}
	for _, s := range States {
		known[s] = true
	}
	legal := 0
	for _, a := range Actions {
		require.NotEmpty(t, lifecycle[a], "action %s is never legal", a)
		for _, s := range States {
			next, err := Transition(s, a)
			if _, ok := lifecycle[a][s]; ok {
				legal++
				require.NoError(t, err)
				require.True(t, known[next], "%s × %s → %q", s, a, next)
				continue
			}
			e, ok := errs.As(err)
			require.True(t, ok)
			require.Equal(t, errs.Conflict, e.Kind)
			require.Equal(t, "illegal_transition", e.Code)
			require.True(t, strings.Contains(e.Detail, string(s)) && strings.Contains(e.Detail, string(a)), e.Detail)
		}
	}
	for a := range lifecycle {
		require.Contains(t, Actions, a, "table action %s missing from Actions", a)
	}
	require.Empty(t, ActionsFrom(Closed, ActorCustomer|ActorStaff|ActorStore|ActorSystem), "closed is final")
	_, err := Allowed(OnTheWay, Cancel, ActorCustomer)
	require.Equal(t, "action_not_allowed", err.(*errs.Error).Code)
	_, err = Allowed(Assigned, Cancel, ActorCustomer)
	require.NoError(t, err)
	t.Logf("%d legal pairs of %d", legal, len(States)*len(Actions))
}
