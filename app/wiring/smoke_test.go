package wiring_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEnvSmoke(t *testing.T) {
	e := newEnv(t)
	var me struct {
		Kind  string
		Roles []string
		Scope string
	}
	e.do(http.MethodGet, "/api/v1/me", e.A.Tokens["store_manager"], "", nil).ok(&me)
	require.Equal(t, []string{"store_manager"}, me.Roles)
	require.Equal(t, "store", me.Scope)
	e.do(http.MethodGet, "/api/v1/me", e.A.CustomerToken, e.A.Host, nil).ok(&me)
	require.Equal(t, "customer", me.Kind)
}
