package ledgercheck_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgercheck"
	"doorstep/app/ledger/ledgerdb"
)

// The job checks every tenant through the runtime role, logs each mismatch at error level and
// sets the gauge; consistent books set it back to zero.
func TestRunLogsMismatchesAndSetsTheGauge(t *testing.T) {
	db := dbtest.New(t)
	var tenants []uuid.UUID
	for _, slug := range []string{"lca", "lcb"} {
		id := uuid.Must(uuid.NewV7())
		require.NoError(t, db.Owner.Exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, id, slug, slug).Error)
		tenants = append(tenants, id)
	}
	l := ledger.New(db.Tx, ledgerdb.New(db.Tx), nil)
	for i, tn := range tenants {
		_, err := l.Post(dbx.WithTenant(context.Background(), tn), ledger.Transaction{Kind: "payment.card", Ref: ledger.Ref{Kind: "order", ID: uuid.New()},
			Key: "p", Entries: []ledger.Entry{{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: -int64(100 + i)},
				{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: int64(100 + i)}}})
		require.NoError(t, err)
	}
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	c := ledgercheck.New(db.Tx, l, slog.New(slog.NewJSONHandler(&logs, nil)), reg)

	fs, err := c.Run(context.Background())
	require.NoError(t, err)
	require.Empty(t, fs)
	require.Zero(t, gauge(t, c.Gauge()))

	// Tamper with tenant B's cached balance, as only the owner can.
	require.NoError(t, db.Owner.Exec(`update ledger_accounts set balance = balance + 7 where tenant_id = ? and purpose = 'order_funds'`, tenants[1]).Error)
	fs, err = c.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, fs, 1)
	require.Equal(t, tenants[1], fs[0].TenantID)
	require.Equal(t, "balance", fs[0].Kind)
	require.Equal(t, int64(108), fs[0].Cached)
	require.Equal(t, int64(101), fs[0].Computed)
	require.Equal(t, float64(1), gauge(t, c.Gauge()))
	require.Contains(t, logs.String(), `"level":"ERROR","msg":"ledger mismatch"`)
	require.Contains(t, logs.String(), tenants[1].String())
	mfs, err := reg.Gather()
	require.NoError(t, err)
	exported := false
	for _, mf := range mfs {
		exported = exported || (mf.GetName() == "doorstep_ledger_check_mismatches" && mf.GetMetric()[0].GetGauge().GetValue() == 1)
	}
	require.True(t, exported, "the gauge is on the registry /metrics serves")
}

func gauge(t *testing.T, g prometheus.Gauge) float64 {
	var m dto.Metric
	require.NoError(t, g.Write(&m))
	return m.GetGauge().GetValue()
}
