package wiring_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestDataScope: inside one tenant, HQ sees every store, a franchisee owner the franchisee's
// stores, store roles their own store; out-of-scope objects are "not found", and placing
// accounts outside one's scope is refused.
func TestDataScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	ids := func(token string) []uuid.UUID {
		var out struct{ Items []struct{ ID uuid.UUID } }
		e.do(http.MethodGet, "/api/v1/stores", token, "", nil).ok(&out)
		var r []uuid.UUID
		for _, it := range out.Items {
			r = append(r, it.ID)
		}
		return r
	}
	require.ElementsMatch(t, []uuid.UUID{f.StoreID, f.FrStoreID}, ids(f.Tokens["hq_admin"]))
	require.ElementsMatch(t, []uuid.UUID{f.FrStoreID}, ids(f.Tokens["franchisee_owner"]))
	require.ElementsMatch(t, []uuid.UUID{f.FrStoreID}, ids(f.Tokens["store_manager"]))
	require.ElementsMatch(t, []uuid.UUID{f.FrStoreID}, ids(f.Tokens["staff"]))

	// The HQ-run store is not visible to the franchise side.
	e.do(http.MethodGet, "/api/v1/stores/"+f.StoreID.String(), f.Tokens["store_manager"], "", nil).wantProblem(404, "store_not_found")
	e.do(http.MethodPatch, "/api/v1/stores/"+f.StoreID.String(), f.Tokens["franchisee_owner"], "", map[string]any{"phone": "1"}).wantProblem(404, "store_not_found")
	// A store manager may edit their store but not move it to another franchisee.
	e.do(http.MethodPatch, "/api/v1/stores/"+f.FrStoreID.String(), f.Tokens["store_manager"], "", map[string]any{"phone": "021-1234"}).status(http.StatusOK)
	e.do(http.MethodPatch, "/api/v1/stores/"+f.FrStoreID.String(), f.Tokens["store_manager"], "", map[string]any{"franchisee_id": nil, "code": "NEW"}).wantProblem(403, "out_of_scope")
	// Store creation: a franchisee owner's new store lands in their franchisee; a store manager cannot create one.
	var created struct {
		FranchiseeID *uuid.UUID `json:"franchisee_id"`
	}
	e.do(http.MethodPost, "/api/v1/stores", f.Tokens["franchisee_owner"], "", map[string]any{"code": "FR2", "name": "Second", "time_zone": "Asia/Shanghai"}).ok(&created)
	require.NotNil(t, created.FranchiseeID)
	require.Equal(t, f.FranchiseeID, *created.FranchiseeID)
	e.do(http.MethodPost, "/api/v1/stores", f.Tokens["store_manager"], "", map[string]any{"code": "SM1", "name": "No", "time_zone": "Asia/Shanghai"}).wantProblem(403, "out_of_scope")

	// Accounts: a store manager sees their store's people only and cannot place staff elsewhere.
	var users struct{ Items []struct{ ID uuid.UUID } }
	e.do(http.MethodGet, "/api/v1/users", f.Tokens["store_manager"], "", nil).ok(&users)
	seen := map[uuid.UUID]bool{}
	for _, u := range users.Items {
		seen[u.ID] = true
	}
	require.True(t, seen[f.UserIDs["staff"]])
	require.False(t, seen[f.UserIDs["hq_admin"]], "HQ accounts are outside a store's scope")
	e.do(http.MethodGet, "/api/v1/users/"+f.UserIDs["hq_admin"].String(), f.Tokens["store_manager"], "", nil).wantProblem(404, "user_not_found")
	e.do(http.MethodPost, "/api/v1/users", f.Tokens["store_manager"], "", map[string]any{"email": "elsewhere@alpha.test", "password": password, "store_id": f.StoreID}).wantProblem(403, "out_of_scope")
	e.do(http.MethodPost, "/api/v1/users", f.Tokens["store_manager"], "", map[string]any{"email": "mine@alpha.test", "password": password, "store_id": f.FrStoreID, "roles": []string{"staff"}}).status(http.StatusCreated)
	// ...nor hand out roles above their own.
	e.do(http.MethodPost, "/api/v1/users", f.Tokens["store_manager"], "", map[string]any{"email": "boss@alpha.test", "password": password, "store_id": f.FrStoreID, "roles": []string{"hq_admin"}}).wantProblem(403, "role_escalation")
	require.Zero(t, countWhere(t, e, "users", "email = 'boss@alpha.test'"), "a refused account creation left no row")

	// The last owner cannot be demoted.
	e.do(http.MethodPut, "/api/v1/users/"+f.UserIDs["owner"].String()+"/roles", f.Tokens["owner"], "", map[string]any{"roles": []string{"hq_admin"}}).wantProblem(409, "last_owner")
}

func countWhere(t *testing.T, e *env, table, where string) int64 {
	var n int64
	require.NoError(t, e.db.Owner.Table(table).Where(where).Count(&n).Error)
	return n
}
