package wiring_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/rbac"
)

// TestCatalogPermissionMatrix is TestPermissionMatrix restricted to the catalogue, pricing and
// quote permissions, so that they are checked on a branch where another area's permissions
// have no operations yet (TestPermissionMatrix stops at the first such permission).
func TestCatalogPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	table := probes()
	byPerm := map[string][]operation{}
	for _, op := range operations(t, e) {
		if op.Access.Permission != "" {
			byPerm[op.Access.Permission] = append(byPerm[op.Access.Permission], op)
		}
	}
	f := e.A
	checked := 0
	for _, perm := range rbac.Permissions() {
		if !strings.HasPrefix(perm.Name, "catalog:") && !strings.HasPrefix(perm.Name, "pricing:") && perm.Name != "quotes:create" {
			continue
		}
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
				checked++
				if granted && tpl.Name == "owner" {
					require.True(t, r.code >= 200 && r.code < 300, "%s as owner: %d %s", op.ID, r.code, r.body)
				}
				if granted {
					require.NotContains(t, []string{"permission_denied", "wrong_audience"}, r.problem(), "%s as %s: %d %s", op.ID, tpl.Name, r.code, r.body)
					require.Less(t, r.code, 500, "%s as %s: %s", op.ID, tpl.Name, r.body)
					continue
				}
				require.Equal(t, http.StatusForbidden, r.code, "%s as %s must be refused (%s): %s", op.ID, tpl.Name, perm.Name, r.body)
			}
		}
	}
	t.Logf("checked %d role × operation cells", checked)
}
