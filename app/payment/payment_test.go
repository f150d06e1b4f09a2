package payment

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
)

// TestDue: what an order takes depends on its state and the tenant's mode, less what it paid.
func TestDue(t *testing.T) {
	set := DefaultSettings()
	paid := func(amounts ...int64) []Payment {
		var ps []Payment
		for _, a := range amounts {
			ps = append(ps, Payment{Amount: a, Status: StatusSucceeded}, Payment{Amount: 999, Status: StatusFailed})
		}
		return ps
	}
	for _, c := range []struct {
		name   string
		status booking.State
		mode   string
		ps     []Payment
		kind   string
		amount int64
		err    error
	}{
		{"prepay", booking.PendingPayment, "prepay", nil, KindFull, 10000, nil},
		{"deposit", booking.PendingPayment, "deposit", nil, KindDeposit, 3000, nil},
		{"deposit paid, confirmation on its way", booking.PendingPayment, "deposit", paid(3000), KindDeposit, 0, ErrNothingDue},
		{"balance after deposit", booking.AwaitingAcceptance, "deposit", paid(3000), KindBalance, 7000, nil},
		{"pay after service", booking.Completed, "pay_after", nil, KindBalance, 10000, nil},
		{"closed and paid", booking.Closed, "pay_after", paid(6000, 4000), KindBalance, 0, ErrNothingDue},
		{"before service under pay after", booking.Confirmed, "pay_after", nil, "", 0, ErrPaymentNotDue},
		{"cancelled", booking.Cancelled, "prepay", nil, "", 0, ErrPaymentNotDue},
	} {
		t.Run(c.name, func(t *testing.T) {
			set.Mode = c.mode
			kind, amount, err := due(OrderFacts{Status: c.status, Total: 10000}, set, c.ps)
			require.ErrorIs(t, err, c.err)
			if c.err == nil {
				require.Equal(t, c.kind, kind)
				require.Equal(t, c.amount, amount)
			}
		})
	}
}

// TestRefundRankConverges: applying Stripe's refund statuses in any order ends in the same
// status, the highest ranked (a failure after success wins; nothing goes back to pending).
func TestRefundRankConverges(t *testing.T) {
	seqs := [][]string{{"pending", "succeeded", "failed"}, {"failed", "succeeded", "pending"}, {"succeeded", "failed", "pending"}, {"pending", "failed"}}
	for _, seq := range seqs {
		st := StatusPending
		for _, s := range seq {
			want := map[string]string{"pending": StatusPending, "succeeded": StatusSucceeded, "failed": StatusFailed}[s]
			if rank(want) > rank(st) {
				st = want
			}
		}
		require.Equal(t, StatusFailed, st, "%v", seq)
	}
}

// TestIntentMethod: the method comes from the expanded charge, else the one method type.
func TestIntentMethod(t *testing.T) {
	var in intentObject
	require.NoError(t, json.Unmarshal([]byte(`{"payment_method_types":["card","alipay"],"latest_charge":{"payment_method_details":{"type":"alipay"}}}`), &in))
	require.Equal(t, "alipay", in.method())
	require.NoError(t, json.Unmarshal([]byte(`{"payment_method_types":["wechat_pay"],"latest_charge":"ch_1"}`), &in))
	require.Equal(t, "wechat_pay", in.method())
	require.NoError(t, json.Unmarshal([]byte(`{"payment_method_types":["klarna"],"latest_charge":"ch_1"}`), &in))
	require.Equal(t, "card", in.method())
}

// TestWiredNamesEveryMissingRegistration: a payment service given none of its collaborators
// names each one, so the app refuses to start without them.
func TestWiredNamesEveryMissingRegistration(t *testing.T) {
	s := NewService(Deps{StoresOf: func(context.Context, uuid.UUID) ([]uuid.UUID, error) { return nil, nil }})
	err := s.Wired()
	for _, want := range []string{"intent handler for card purchases", "visit returner", "paid hook", "refund hook", "event handler", "tenant resolver"} {
		require.ErrorContains(t, err, want)
	}
}
