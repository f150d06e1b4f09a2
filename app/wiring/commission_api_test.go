package wiring_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/ledger"
)

type splitView struct {
	OrderID     uuid.UUID `json:"order_id"`
	RuleVersion int       `json:"rule_version"`
	Total       int64
	Status      string
	LedgerTxID  uuid.UUID `json:"ledger_tx_id"`
	Lines       []struct {
		Party    string
		OwnerID  *uuid.UUID `json:"owner_id"`
		Share    string
		Basis    string
		RateBP   int  `json:"rate_bp"`
		RuleLine *int `json:"rule_line"`
		Amount   int64
	}
}

// TestCommissionHTTP runs the real app and worker: rules are validated and published; the
// customer accepting the work (booking's completion hook) and the payment (PaidHook) each
// enqueue commission:split through the outbox; the worker splits once both hold; the split is
// explained over HTTP and matches the ledger.
func TestCommissionHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	owner := f.Tokens["owner"]

	// Shares above the order value are a 422 naming the field; nothing is published.
	var before []struct{ Version int }
	e.do(http.MethodGet, "/api/v1/commission/rules", owner, "", nil).ok(&before)
	r := e.do(http.MethodPost, "/api/v1/commission/rules", owner, "", map[string]any{"platform_fee_bp": 2000, "royalty_bp": 500,
		"staff_lines": []map[string]any{{"kind": "percent", "value": 8000}}}).status(http.StatusUnprocessableEntity)
	require.Contains(t, r.fields(), "staff_lines[0].value")
	e.do(http.MethodPost, "/api/v1/commission/rules", owner, "", map[string]any{"platform_fee_bp": 10001}).status(http.StatusUnprocessableEntity)
	var after []struct{ Version int }
	e.do(http.MethodGet, "/api/v1/commission/rules", owner, "", nil).ok(&after)
	require.Equal(t, len(before), len(after))

	var v struct {
		ID      uuid.UUID
		Version int
	}
	e.do(http.MethodPost, "/api/v1/commission/rules", owner, "", map[string]any{"platform_fee_bp": 1200, "royalty_bp": 500,
		"staff_lines": []map[string]any{{"level_id": f.StaffLevelID, "kind": "fixed", "value": 1500}}}).status(http.StatusCreated).ok(&v)
	require.Equal(t, len(before)+1, v.Version)
	e.do(http.MethodPut, "/api/v1/commission/settings", owner, "", map[string]any{"holding_days": 91}).status(http.StatusUnprocessableEntity)
	e.do(http.MethodPut, "/api/v1/commission/settings", owner, "", map[string]any{"holding_days": 3}).ok(nil)

	// Paid first (as the payment area will: its posting and the PaidHook in one transaction);
	// the work is not accepted yet, so the split task leaves the order alone.
	orderID := probeOrder(e, f, booking.AwaitingAcceptance, true)
	ctx := hqContext(f)
	require.NoError(t, e.app.DB.InTx(ctx, func(ctx context.Context) error {
		_, err := e.app.Ledger.Post(ctx, ledger.Transaction{Kind: "payment.card", Ref: ledger.Ref{Kind: "order", ID: orderID},
			Key: "payment:" + orderID.String() + ":succeeded", Entries: []ledger.Entry{
				{Account: ledger.External().Account(ledger.Clearing, f.Tenant.Currency), Amount: -20000},
				{Account: ledger.HQ().Account(ledger.OrderFunds, f.Tenant.Currency), Amount: 20000}}})
		if err != nil {
			return err
		}
		return e.app.Commission.OrderPaid(ctx, orderID)
	}))
	time.Sleep(500 * time.Millisecond) // the worker runs that split task
	e.do(http.MethodGet, "/api/v1/orders/"+orderID.String()+"/split", owner, "", nil).wantProblem(http.StatusNotFound, "commission_split_not_found")

	// The customer accepts the work in the storefront: booking's hook enqueues the split.
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+orderID.String()+"/accept", f.CustomerToken, "", map[string]any{"code": "123456"}).ok(nil)
	var sp splitView
	require.Eventually(t, func() bool {
		res := e.do(http.MethodGet, "/api/v1/orders/"+orderID.String()+"/split", owner, "", nil)
		if res.code != http.StatusOK {
			return false
		}
		res.ok(&sp)
		return true
	}, 15*time.Second, 50*time.Millisecond)
	require.Equal(t, v.Version, sp.RuleVersion)
	require.Equal(t, int64(20000), sp.Total)
	require.Equal(t, "pending", sp.Status)
	var sum int64
	shares := map[string]int64{}
	for _, l := range sp.Lines {
		sum += l.Amount
		shares[l.Share] = l.Amount
	}
	require.Equal(t, sp.Total, sum)
	require.Equal(t, int64(2400), shares["platform_fee"])
	require.Equal(t, int64(1500), shares["staff_commission"])
	// The probe order is in the franchised store: HQ's royalty, the franchisee keeps the rest.
	require.Equal(t, int64(1000), shares["royalty"])
	require.Equal(t, int64(15100), shares["franchisee_share"])

	// The ledger read API shows the same money.
	var tx struct {
		Kind    string
		Entries []struct {
			Account struct {
				OwnerKind string `json:"owner_kind"`
				Purpose   string
			}
			Amount int64
		}
	}
	e.do(http.MethodGet, "/api/v1/ledger/transactions/"+sp.LedgerTxID.String(), owner, "", nil).ok(&tx)
	require.Equal(t, "commission.split", tx.Kind)
	var bals []struct {
		Purpose string
		Balance int64
	}
	e.do(http.MethodGet, "/api/v1/ledger/balances?owner_kind=staff&owner_id="+f.StaffID.String(), owner, "", nil).ok(&bals)
	pending := int64(0)
	for _, b := range bals {
		if b.Purpose == "pending" {
			pending = b.Balance
		}
	}
	require.GreaterOrEqual(t, pending, int64(1500))
	e.do(http.MethodGet, "/api/v1/ledger/balances?owner_kind=hq&owner_id="+f.StaffID.String(), owner, "", nil).status(http.StatusUnprocessableEntity)
	var check struct {
		OK         bool
		Mismatches []any
	}
	e.do(http.MethodPost, "/api/v1/ledger/check", owner, "", nil).ok(&check)
	require.True(t, check.OK)
	require.Empty(t, check.Mismatches)

	// Staff without commission:read are refused.
	e.do(http.MethodGet, "/api/v1/orders/"+orderID.String()+"/split", f.Tokens["staff"], "", nil).status(http.StatusForbidden)
}
