package wiring_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/identity"
	"doorstep/app/ledger"
)

type walletDTO struct {
	OwnerKind     string    `json:"owner_kind"`
	OwnerID       uuid.UUID `json:"owner_id"`
	Currency      string
	Available     int64
	Pending       int64
	Withdrawing   int64
	PayoutAccount *struct{ State string } `json:"payout_account"`
}

type withdrawalDTO struct {
	ID         uuid.UUID
	Status     string
	Amount     int64
	Fee        int64
	Net        int64
	TransferID string `json:"transfer_id"`
	History    []struct {
		Status string
		Reason string
		At     time.Time
	}
}

// TestPayoutAPI walks a second staff member of tenant A through the API: their wallet and
// statement are their own (another staff member's withdrawal is not found, and nothing of it
// leaks), a withdrawal is refused below the minimum, beyond the balance and beyond the daily
// limit, finance approves one (the worker pays it through stripe-mock) and rejects another,
// and every step is in the requester's history and inbox.
func TestPayoutAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	first := payoutOf(f).WithdrawalID

	u, err := e.app.Identity.CreateUser(sysCtx(f), identity.NewUser{Email: "second@alpha.test", Password: password, StoreID: f.FrStoreID,
		Roles: []string{"staff"}}, e.app.Roles)
	require.NoError(t, err)
	second := probeProfile(e, f, u.ID)
	var login struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": "second@alpha.test", "password": password}).ok(&login)
	tok := login.Token
	fundWallet(e, f, ledger.Staff(second), 5_000)

	// Own wallet only; the first staff member's withdrawal is not found and does not leak.
	var wl walletDTO
	e.do(http.MethodGet, "/api/v1/me/wallet", tok, "", nil).ok(&wl)
	require.Equal(t, "staff", wl.OwnerKind)
	require.Equal(t, second, wl.OwnerID)
	require.EqualValues(t, 5_000, wl.Available)
	require.Nil(t, wl.PayoutAccount)
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+first.String(), tok, "", nil).wantProblem(http.StatusNotFound, "withdrawal_not_found")
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+first.String(), f.Tokens["staff"], "", nil).wantProblem(http.StatusNotFound, "withdrawal_not_found")
	for _, path := range []string{"/api/v1/me/withdrawals", "/api/v1/me/wallet", "/api/v1/me/wallet/statement", "/api/v1/me/payout-account"} {
		r := e.do(http.MethodGet, path, tok, "", nil)
		require.Less(t, r.code, 500)
		for _, other := range []uuid.UUID{first, f.StaffID, f.FranchiseeID} {
			require.NotContains(t, string(r.body), other.String(), path)
		}
	}
	var mine struct{ Total int64 }
	e.do(http.MethodGet, "/api/v1/me/withdrawals", tok, "", nil).ok(&mine)
	require.Zero(t, mine.Total)
	var fw walletDTO
	e.do(http.MethodGet, "/api/v1/me/wallet", f.Tokens["franchisee_owner"], "", nil).ok(&fw)
	require.Equal(t, "franchisee", fw.OwnerKind)
	require.Equal(t, f.FranchiseeID, fw.OwnerID)
	var frw withdrawalDTO
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+first.String(), f.Tokens["franchisee_owner"], "", nil).ok(&frw)
	require.Equal(t, "requested", frw.Status, "the franchisee's withdrawal is seen by its owners")
	e.do(http.MethodGet, "/api/v1/me/wallet", f.Tokens["owner"], "", nil).wantProblem(http.StatusForbidden, "permission_denied")

	// Requests: no payout account yet, then refusals with their codes.
	e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 2_000}).wantProblem(http.StatusConflict, "payout_account_not_ready")
	var onb struct {
		URL     string
		Account struct{ State string }
	}
	e.do(http.MethodPost, "/api/v1/me/payout-account", tok, "", map[string]any{"return_url": "https://console.test/w", "refresh_url": "https://console.test/r"}).ok(&onb)
	require.NotEmpty(t, onb.URL)
	require.Equal(t, "pending", onb.Account.State)
	enablePayoutAccount(e, f, walletContext(f, u.ID))
	r := e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 50}).wantProblem(http.StatusUnprocessableEntity, "below_minimum")
	require.Contains(t, string(r.body), `"location":"amount"`)
	e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 6_000}).wantProblem(http.StatusConflict, "insufficient_balance")
	var wd withdrawalDTO
	e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 2_000}).status(http.StatusCreated).ok(&wd)
	require.Equal(t, "requested", wd.Status)

	// Finance approves; the worker transfers through stripe-mock; the requester sees each step.
	e.do(http.MethodPost, "/api/v1/withdrawals/"+wd.ID.String()+"/approve", tok, "", nil).wantProblem(http.StatusForbidden, "permission_denied")
	e.do(http.MethodPost, "/api/v1/withdrawals/"+wd.ID.String()+"/approve", f.Tokens["finance"], "", nil).ok(&wd)
	require.Equal(t, "approved", wd.Status)
	require.Eventually(t, func() bool {
		e.do(http.MethodGet, "/api/v1/me/withdrawals/"+wd.ID.String(), tok, "", nil).ok(&wd)
		return wd.Status == "paid"
	}, 20*time.Second, 50*time.Millisecond)
	require.NotEmpty(t, wd.TransferID)
	require.Equal(t, []string{"requested", "approved", "paid"}, historyOf(wd))
	e.do(http.MethodGet, "/api/v1/me/wallet", tok, "", nil).ok(&wl)
	require.EqualValues(t, 3_000, wl.Available)
	require.Zero(t, wl.Withdrawing)

	// Finance tightens the daily limit (payouts:approve); 2,000 paid today + 1,000 is too much.
	e.do(http.MethodPut, "/api/v1/payout-settings", tok, "", map[string]any{"min_amount": 100, "fee_fixed": 0, "fee_bp": 0, "daily_limit": 2_500}).
		wantProblem(http.StatusForbidden, "permission_denied")
	e.do(http.MethodPut, "/api/v1/payout-settings", f.Tokens["finance"], "", map[string]any{"min_amount": 100, "fee_fixed": 0, "fee_bp": 0, "daily_limit": 2_500}).
		status(http.StatusOK)
	e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 1_000}).wantProblem(http.StatusUnprocessableEntity, "daily_limit_exceeded")
	var rj withdrawalDTO
	e.do(http.MethodPost, "/api/v1/me/withdrawals", tok, "", map[string]any{"amount": 300}).ok(&rj)
	e.do(http.MethodPost, "/api/v1/withdrawals/"+rj.ID.String()+"/reject", f.Tokens["finance"], "", map[string]any{"reason": "账户待核实"}).ok(&rj)
	require.Equal(t, "rejected", rj.Status)
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+rj.ID.String(), tok, "", nil).ok(&rj)
	require.Equal(t, []string{"requested", "rejected"}, historyOf(rj))
	require.Equal(t, "账户待核实", rj.History[1].Reason)
	e.do(http.MethodGet, "/api/v1/me/wallet", tok, "", nil).ok(&wl)
	require.EqualValues(t, 3_000, wl.Available)
	e.do(http.MethodPost, "/api/v1/withdrawals/"+rj.ID.String()+"/approve", f.Tokens["finance"], "", nil).wantProblem(http.StatusConflict, "withdrawal_not_pending")

	// The statement shows the wallet's postings, newest first.
	var st struct {
		Items []struct {
			Kind    string
			Account string
			Amount  int64
		}
		HasMore bool `json:"has_more"`
	}
	e.do(http.MethodGet, "/api/v1/me/wallet/statement?limit=2", tok, "", nil).ok(&st)
	require.Len(t, st.Items, 2)
	require.True(t, st.HasMore)
	require.Equal(t, "payout.failed", st.Items[0].Kind)

	// Every step reached the requester's inbox, in the tenant's language.
	p := e.waitInbox(tok, "", 5)
	var titles []string
	for _, it := range p.Items {
		titles = append(titles, it.Title)
		require.Equal(t, "user", it.RecipientKind)
		if it.Title == "提现已驳回" {
			require.True(t, strings.Contains(it.Body, "账户待核实"), it.Body)
		}
	}
	slices.Sort(titles)
	require.Equal(t, []string{"提现已到账", "提现已审核通过", "提现已驳回", "提现申请已提交", "提现申请已提交"}, titles)
}

func historyOf(w withdrawalDTO) []string {
	var out []string
	for _, h := range w.History {
		out = append(out, h.Status)
	}
	return out
}

// TestFranchiseeOwnerWhoWorksAsStaffReachesBothWallets: a franchisee owner who also has a
// staff profile sees the franchisee's wallet by default and their own with ?wallet=staff —
// balances, statement and withdrawals each of their own; a plain staff member asking for a
// franchisee wallet is refused, and an unknown choice is a 400 invalid_parameter.
func TestFranchiseeOwnerWhoWorksAsStaffReachesBothWallets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	u, err := e.app.Identity.CreateUser(sysCtx(f), identity.NewUser{Email: "owner-staff@alpha.test", Password: password, FranchiseeID: f.FranchiseeID,
		Roles: []string{"franchisee_owner"}}, e.app.Roles)
	require.NoError(t, err)
	profile := probeProfile(e, f, u.ID)
	fundWallet(e, f, ledger.Staff(profile), 4_321)
	var login struct{ Token string }
	e.do(http.MethodPost, "/api/v1/auth/login", "", f.Host, map[string]any{"login": "owner-staff@alpha.test", "password": password}).ok(&login)
	tok := login.Token

	var fw, sw, fw2 walletDTO
	e.do(http.MethodGet, "/api/v1/me/wallet", tok, "", nil).ok(&fw)
	require.Equal(t, "franchisee", fw.OwnerKind)
	require.Equal(t, f.FranchiseeID, fw.OwnerID)
	e.do(http.MethodGet, "/api/v1/me/wallet?wallet=franchisee", tok, "", nil).ok(&fw2)
	require.Equal(t, fw, fw2)
	e.do(http.MethodGet, "/api/v1/me/wallet?wallet=staff", tok, "", nil).ok(&sw)
	require.Equal(t, "staff", sw.OwnerKind)
	require.Equal(t, profile, sw.OwnerID)
	require.EqualValues(t, 4_321, sw.Available)

	var st struct{ Items []struct{ Amount int64 } }
	e.do(http.MethodGet, "/api/v1/me/wallet/statement?wallet=staff", tok, "", nil).ok(&st)
	require.NotEmpty(t, st.Items)
	var mine struct{ Total int64 }
	e.do(http.MethodGet, "/api/v1/me/withdrawals?wallet=staff", tok, "", nil).ok(&mine)
	require.Zero(t, mine.Total, "the franchisee's withdrawals are not the staff member's")
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+payoutOf(f).WithdrawalID.String()+"?wallet=staff", tok, "", nil).wantProblem(http.StatusNotFound, "withdrawal_not_found")
	e.do(http.MethodGet, "/api/v1/me/withdrawals/"+payoutOf(f).WithdrawalID.String(), tok, "", nil).status(http.StatusOK)

	e.do(http.MethodGet, "/api/v1/me/wallet?wallet=franchisee", f.Tokens["staff"], "", nil).wantProblem(http.StatusForbidden, "no_wallet")
	e.do(http.MethodGet, "/api/v1/me/wallet?wallet=platform", tok, "", nil).wantProblem(http.StatusBadRequest, "invalid_parameter")
}
