package wiring_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/identity"
	"doorstep/app/ledger"
)

// TestIdempotencyKeysHTTP: buying a card, adjusting a card and requesting a withdrawal take an
// Idempotency-Key header; a retry gets the first answer's status and body, the key with
// another request is 422 idempotency_key_reused, and a key over 200 characters is 400
// invalid_parameter.
func TestIdempotencyKeysHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	c := cardOf(f)
	long := strings.Repeat("k", 201)
	same := func(path, token, key string, body map[string]any) *resp {
		t.Helper()
		first := doWithKey(e, path, token, key, body).status(http.StatusCreated)
		again := doWithKey(e, path, token, key, body).status(http.StatusCreated)
		require.JSONEq(t, string(first.body), string(again.body), path)
		return first
	}

	// Buying a card: the same purchase and client secret, no second row.
	buy := same("/api/v1/storefront/card-purchases", f.CustomerToken, "keys-buy-"+uuid.NewString(), map[string]any{"product_id": c.StoredProductID})
	var pu struct {
		ID           uuid.UUID
		ClientSecret string `json:"client_secret"`
	}
	buy.ok(&pu)
	require.NotEmpty(t, pu.ClientSecret)
	key := "keys-buy-reuse"
	doWithKey(e, "/api/v1/storefront/card-purchases", f.CustomerToken, key, map[string]any{"product_id": c.StoredProductID}).status(http.StatusCreated)
	doWithKey(e, "/api/v1/storefront/card-purchases", f.CustomerToken, key, map[string]any{"product_id": c.VisitProductID}).
		wantProblem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	doWithKey(e, "/api/v1/storefront/card-purchases", f.CustomerToken, long, map[string]any{"product_id": c.StoredProductID}).
		wantProblem(http.StatusBadRequest, "invalid_parameter")

	// Adjusting a card (head office): one adjustment.
	path := "/api/v1/cards/" + c.StoredCardID.String() + "/adjustments"
	key = "keys-adjust-" + uuid.NewString()
	var adj struct{ ID uuid.UUID }
	same(path, f.Tokens["owner"], key, map[string]any{"delta": 100, "reason": "goodwill"}).ok(&adj)
	doWithKey(e, path, f.Tokens["owner"], key, map[string]any{"delta": 200, "reason": "goodwill"}).
		wantProblem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	doWithKey(e, path, f.Tokens["owner"], long, map[string]any{"delta": 100, "reason": "goodwill"}).wantProblem(http.StatusBadRequest, "invalid_parameter")
	var detail struct{ Adjustments []struct{ ID uuid.UUID } }
	e.do(http.MethodGet, "/api/v1/cards/"+c.StoredCardID.String(), f.Tokens["owner"], "", nil).ok(&detail)
	n := 0
	for _, a := range detail.Adjustments {
		if a.ID == adj.ID {
			n++
		}
	}
	require.Equal(t, 1, n)

	// Requesting a withdrawal: taken once from the wallet.
	u, err := e.app.Identity.CreateUser(sysCtx(f), identity.NewUser{Email: "keys@alpha.test", Password: password, StoreID: f.FrStoreID,
		Roles: []string{"staff"}}, e.app.Roles)
	require.NoError(t, err)
	staff := probeProfile(e, f, u.ID)
	var login struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": "keys@alpha.test", "password": password}).ok(&login)
	fundWallet(e, f, ledger.Staff(staff), 5_000)
	enablePayoutAccount(e, f, walletContext(f, u.ID))
	key = "keys-withdraw-1"
	same("/api/v1/me/withdrawals", login.Token, key, map[string]any{"amount": 2_000})
	doWithKey(e, "/api/v1/me/withdrawals", login.Token, key, map[string]any{"amount": 2_500}).
		wantProblem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	doWithKey(e, "/api/v1/me/withdrawals", login.Token, long, map[string]any{"amount": 2_000}).wantProblem(http.StatusBadRequest, "invalid_parameter")
	var wl walletDTO
	e.do(http.MethodGet, "/api/v1/me/wallet", login.Token, "", nil).ok(&wl)
	require.EqualValues(t, 3_000, wl.Available)
}
