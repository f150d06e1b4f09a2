package wiring_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/rbac"
)

// TestPermissionMatrix checks every role × permission cell of rbac/matrix.csv against what
// the API does: a role with the permission passes the permission check on every operation
// that requires it (whatever the data scope then says), a role without it gets 403
// permission_denied (customers, who may not use staff operations at all, get wrong_audience).
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	table := probes()
	byPerm := map[string][]operation{}
	for _, op := range operations(t, e) {
		if op.Access.Permission != "" {
			byPerm[op.Access.Permission] = append(byPerm[op.Access.Permission], op)
		}
	}
	f := e.A
	cells := 0
	for _, perm := range rbac.Permissions() {
		ops := byPerm[perm.Name]
		require.NotEmpty(t, ops, "permission %s is published but no operation requires it", perm.Name)
		for _, tpl := range rbac.Templates() {
			granted := false
			for _, p := range tpl.Permissions {
				granted = granted || p == perm.Name
			}
			for _, op := range ops {
				pr := table[op.ID]
				require.NotNil(t, pr.own, "operation %s needs an own-tenant probe for the matrix", op.ID)
				c := pr.own(e, f)
				r := e.do(op.Method, c.path, f.Tokens[tpl.Name], "", c.body)
				cells++
				if granted && tpl.Name == "owner" {
					// The owner reaches everything, so every probe must really succeed: this
					// catches operations that pass the check and then fail for another reason.
					require.True(t, r.code >= 200 && r.code < 300, "%s as owner: %d %s", op.ID, r.code, r.body)
				}
				if granted {
					require.NotEqual(t, http.StatusUnauthorized, r.code, "%s as %s: %s", op.ID, tpl.Name, r.body)
					require.NotContains(t, []string{"permission_denied", "wrong_audience"}, r.problem(),
						"%s as %s should pass %s: %d %s", op.ID, tpl.Name, perm.Name, r.code, r.body)
					require.Less(t, r.code, 500, "%s as %s: %s", op.ID, tpl.Name, r.body)
					continue
				}
				require.Equal(t, http.StatusForbidden, r.code, "%s as %s must be refused (%s): %s", op.ID, tpl.Name, perm.Name, r.body)
				want := "permission_denied"
				if tpl.Name == "customer" {
					want = "wrong_audience"
				}
				require.Equal(t, want, r.problem(), "%s as %s", op.ID, tpl.Name)
			}
		}
	}
	t.Logf("checked %d role × operation cells", cells)
}
