package wiring_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/card"
	"doorstep/app/commission"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
)

// visitCard buys f's customer a card of visits visits (any service) for price and returns it.
func visitCard(e *env, f *fixture, visits int, price int64) uuid.UUID {
	id := probeCardProduct(e, f, card.NewProduct{Kind: card.Visits, NameZh: "测试次卡", NameEn: "Test visits", Price: price, Visits: &visits,
		ValidityDays: 3650}, true) // probe orders start ever later in a long run
	return buyCard(e, f, id).CardID
}

func (e *env) card(t testing.TB, f *fixture, id uuid.UUID) (card.Card, []card.Redemption) {
	c, rs, _, err := e.app.Card.GetCard(hqContext(f), id)
	require.NoError(t, err)
	return c, rs
}

func (e *env) orderTotal(t testing.TB, f *fixture, id uuid.UUID) int64 {
	var n int64
	require.NoError(t, e.db.Owner.Raw(`select total from orders where tenant_id = ? and id = ?`, f.Tenant.ID, id).Row().Scan(&n))
	return n
}

// visitPayments lists the order's visit-card payments.
func (e *env) visitPayments(t testing.TB, f *fixture, orderID uuid.UUID) []payment.Payment {
	m, err := e.app.Payment.ForOrder(hqContext(f), orderID)
	require.NoError(t, err)
	var out []payment.Payment
	for _, p := range m.Payments {
		if p.Channel == payment.ChannelVisitCard {
			out = append(out, p)
		}
	}
	return out
}

// requireBooksBalance runs the ledger consistency check over every tenant.
func (e *env) requireBooksBalance(t testing.TB) {
	fs, err := e.app.LedgerCheck.CheckAll(context.Background())
	require.NoError(t, err)
	require.Empty(t, fs)
}

// TestVisitPaysPrepaidOrder: under prepay, a visit redeemed on an order waiting for payment is
// its payment (visit_card, the whole total, ledger tx = the card.redeem posting): the order is
// confirmed and the open Stripe payment cancelled. Refunding it gives the visit back, the order
// owes again and takes another visit; a partial refund is a 422 and changes nothing.
func TestVisitPaysPrepaidOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	setPaymentMode(t, e, f, "prepay", 30)
	cardID := visitCard(e, f, 4, 40000)
	orderID := probeOrder(e, f, booking.PendingPayment, false)
	require.Equal(t, "pending_payment", e.orderStatus(t, f, orderID))
	open, err := e.app.Payment.StartPayment(customerContext(f), orderID)
	require.NoError(t, err)

	r, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	require.EqualValues(t, 10000, r.Amount)
	require.Equal(t, "confirmed", e.orderStatus(t, f, orderID))
	ps := e.visitPayments(t, f, orderID)
	require.Len(t, ps, 1)
	vp := ps[0]
	require.Equal(t, payment.StatusSucceeded, vp.Status)
	require.Equal(t, payment.KindFull, vp.Kind)
	require.Equal(t, "visit_card", vp.Method)
	require.Equal(t, e.orderTotal(t, f, orderID), vp.Amount)
	require.Equal(t, r.LedgerTxID, vp.LedgerTxID)
	require.Equal(t, "visit:"+r.ID.String(), vp.IdempotencyKey)
	require.Equal(t, payment.StatusCanceled, e.paymentRow(t, f, open.ID).Status, "the open Stripe payment is pointless now")
	tx, err := e.app.Ledger.Get(dbx.WithTenant(context.Background(), f.Tenant.ID), r.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "card.redeem", tx.Kind)
	require.Equal(t, "card_redeem:"+r.ID.String(), tx.Key)
	c, _ := e.card(t, f, cardID)
	require.Equal(t, 3, *c.VisitsRemaining)

	// A second visit on the paid order: nothing is due, nothing is written.
	_, err = e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.True(t, errors.Is(err, card.ErrAlreadyRedeemed), "%v", err)

	// Partial refund: 422 with a stable code, nothing written.
	refunds := "/api/v1/orders/" + orderID.String() + "/refunds"
	owner := f.Tokens["owner"]
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": vp.ID, "amount": vp.Amount - 1, "reason": "goodwill"}).
		wantProblem(http.StatusUnprocessableEntity, "visit_refund_partial")
	require.Zero(t, e.paymentRow(t, f, vp.ID).Refunded)

	visitsBefore := e.balance(t, f, ledger.Customer(f.CustomerID).Account(ledger.Visits, ledger.AssetVisits))
	var ref struct {
		ID         uuid.UUID
		Amount     int64
		Status     string
		LedgerTxID uuid.UUID
	}
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": vp.ID, "amount": vp.Amount, "reason": "wrong card"}).
		status(http.StatusCreated).ok(&ref)
	require.Equal(t, "succeeded", ref.Status)
	require.Equal(t, vp.Amount, ref.Amount)
	require.NoError(t, e.db.Owner.Raw(`select ledger_tx_id from refunds where id = ?`, ref.ID).Row().Scan(&ref.LedgerTxID))
	rev, err := e.app.Ledger.Get(dbx.WithTenant(context.Background(), f.Tenant.ID), ref.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, "card.redeem.reversal", rev.Kind)
	require.Equal(t, r.LedgerTxID, rev.Reverses)
	require.Equal(t, ledger.Ref{Kind: "refund", ID: ref.ID}, rev.Ref)
	c, rs := e.card(t, f, cardID)
	require.Equal(t, 4, *c.VisitsRemaining)
	require.EqualValues(t, 40000, c.FundsRemaining)
	require.Len(t, rs, 1)
	require.NotNil(t, rs[0].ReturnedAt)
	require.Equal(t, ref.LedgerTxID, rs[0].ReturnTxID)
	require.Equal(t, visitsBefore+1, e.balance(t, f, ledger.Customer(f.CustomerID).Account(ledger.Visits, ledger.AssetVisits)))
	e.do(http.MethodPost, refunds, owner, "", map[string]any{"payment_id": vp.ID, "amount": 1, "reason": "again"}).
		wantProblem(http.StatusConflict, "refund_exceeds_paid")

	// The visit went back: the order owes again and takes a visit again.
	r2, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	require.NotEqual(t, r.ID, r2.ID)
	require.Len(t, e.visitPayments(t, f, orderID), 2)
	e.requireBooksBalance(t)
}

// TestVisitPaidOrderIsSplitAndClawedBack: a completed order paid by a visit is split through
// the PaidHook (the split's total is the visit's value, what reached order funds); refunding
// the visit payment gives the visit back and claws the whole split back.
func TestVisitPaidOrderIsSplitAndClawedBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cardID := visitCard(e, f, 3, 30001) // 10000 a visit, the last one 10001
	orderID := probeOrder(e, f, booking.Completed, true)
	r, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	require.EqualValues(t, 10000, r.Amount)
	vp := e.visitPayments(t, f, orderID)[0]
	require.Equal(t, payment.KindBalance, vp.Kind)
	require.Equal(t, e.orderTotal(t, f, orderID), vp.Amount)

	var sp commission.Split
	require.Eventually(t, func() bool {
		sp, err = e.app.Commission.SplitOf(hqContext(f), orderID)
		return err == nil
	}, 20*time.Second, 50*time.Millisecond, "the PaidHook's split task splits the order")
	require.Equal(t, r.Amount, sp.Total, "the split shares the visit's value")
	var sum int64
	for _, l := range sp.Lines {
		sum += l.Amount
	}
	require.Equal(t, sp.Total, sum)

	rf, err := e.app.Payment.Refund(hqContext(f), payment.RefundRequest{OrderID: orderID, PaymentID: vp.ID, Amount: vp.Amount, Reason: "complaint"})
	require.NoError(t, err)
	require.Equal(t, payment.StatusSucceeded, rf.Status)
	sp, err = e.app.Commission.SplitOf(hqContext(f), orderID)
	require.NoError(t, err)
	require.Equal(t, sp.Total, sp.Refunded, "the clawback saw the visit's value")
	var back int64
	for _, l := range sp.Lines {
		back += l.ClawedBack
	}
	require.Equal(t, sp.Total, back, "a whole refund claws the whole split back")
	c, rs := e.card(t, f, cardID)
	require.Equal(t, 3, *c.VisitsRemaining)
	require.EqualValues(t, 30001, c.FundsRemaining)
	require.NotNil(t, rs[0].ReturnedAt)
	// nothing of the order is left in order funds: in (redeem) − split + clawback − return = 0
	hq := ledger.HQ()
	posts, err := e.app.Ledger.Postings(dbx.WithTenant(context.Background(), f.Tenant.ID), ledger.Filter{Owner: &hq})
	require.NoError(t, err)
	var left int64
	for _, p := range posts {
		if p.Account.Purpose == ledger.OrderFunds && (p.TxID == r.LedgerTxID || p.TxID == sp.LedgerTxID || p.TxID == rf.LedgerTxID ||
			p.Ref == ledger.Ref{Kind: "refund", ID: rf.ID}) {
			left += p.Amount
		}
	}
	require.Zero(t, left)
	e.requireBooksBalance(t)
}

// TestCancellingVisitPaidOrdersGivesVisitsBack: the store cancelling an order paid by a visit
// (booking's CancelHook → payment:refund_cancelled) gives the visit back; a customer cancelling
// inside the fee window a deposit-plus-visit order gets the deposit less the fee in money and
// the visit whole.
func TestCancellingVisitPaidOrdersGivesVisitsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cardID := visitCard(e, f, 5, 50000)
	orderID := probeOrder(e, f, booking.Confirmed, false)
	_, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	c, _ := e.card(t, f, cardID)
	require.Equal(t, 4, *c.VisitsRemaining)
	e.do(http.MethodPost, "/api/v1/orders/"+orderID.String()+"/cancel", f.Tokens["store_manager"], "", map[string]any{"reason": "staff shortage"}).ok(nil)
	require.Eventually(t, func() bool {
		c, _ := e.card(t, f, cardID)
		return *c.VisitsRemaining == 5
	}, 60*time.Second, 100*time.Millisecond, "the cancellation gave the visit back")
	vp := e.visitPayments(t, f, orderID)[0]
	require.Equal(t, vp.Amount, e.paymentRow(t, f, vp.ID).Refunded)
	// the job again finds nothing more to give back
	more, err := e.app.Payment.RefundCancelled(f.jobContext(), orderID)
	require.NoError(t, err)
	require.Empty(t, more)

	setPaymentMode(t, e, f, "deposit", 30)
	id := probeOrder(e, f, booking.PendingPayment, false)
	dep, err := e.app.Payment.StartPayment(customerContext(f), id)
	require.NoError(t, err)
	require.Equal(t, payment.KindDeposit, dep.Kind)
	e.settleIntent(f, dep, "payment_intent.succeeded", "card")
	require.Equal(t, "confirmed", e.orderStatus(t, f, id))
	_, err = e.app.Card.Redeem(customerContext(f), cardID, id)
	require.NoError(t, err)
	total := e.orderTotal(t, f, id)
	vp = e.visitPayments(t, f, id)[0]
	require.Equal(t, total-dep.Amount, vp.Amount, "the visit covers what the deposit left")
	require.NoError(t, e.db.Owner.Exec(`update orders set starts_at = now() + interval '3 hours', ends_at = now() + interval '5 hours'
		where tenant_id = ? and id = ?`, f.Tenant.ID, id).Error)
	var out struct {
		Refunds []struct {
			PaymentID uuid.UUID `json:"payment_id"`
			Amount    int64
			Status    string
		}
	}
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+id.String()+"/cancel-with-refund", f.CustomerToken, "", map[string]any{"reason": "plans changed"}).ok(&out)
	fee := total * 2000 / 10000
	got := map[uuid.UUID]int64{}
	for _, r := range out.Refunds {
		got[r.PaymentID] = r.Amount
	}
	require.Equal(t, map[uuid.UUID]int64{vp.ID: vp.Amount, dep.ID: dep.Amount - fee}, got)
	c, _ = e.card(t, f, cardID)
	require.Equal(t, 5, *c.VisitsRemaining)
	e.requireBooksBalance(t)
}

// TestVisitReturnedToExpiredCardLapses: a visit given back after its card expired lapses at
// once: the card stays empty, the customer's visits do not grow, the visit's value goes from
// order funds to revenue, and the books balance.
func TestVisitReturnedToExpiredCardLapses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cardID := visitCard(e, f, 2, 20000)
	orderID := probeOrder(e, f, booking.Completed, false)
	r, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	require.NoError(t, e.db.Owner.Exec(`update cards set starts_at = now() - interval '2 days', expires_at = now() - interval '1 minute' where id = ?`, cardID).Error)
	done, err := e.app.Card.Expire(f.jobContext(), cardID)
	require.NoError(t, err)
	require.True(t, done)
	cur := f.Tenant.Currency
	visits := ledger.Customer(f.CustomerID).Account(ledger.Visits, ledger.AssetVisits)
	revenue := ledger.HQ().Account(ledger.Revenue, cur)
	v0, rev0 := e.balance(t, f, visits), e.balance(t, f, revenue)

	vp := e.visitPayments(t, f, orderID)[0]
	_, err = e.app.Payment.Refund(hqContext(f), payment.RefundRequest{OrderID: orderID, PaymentID: vp.ID, Amount: vp.Amount, Reason: "no show of staff"})
	require.NoError(t, err)
	c, rs := e.card(t, f, cardID)
	require.Equal(t, card.Expired, c.Status)
	require.Equal(t, 0, *c.VisitsRemaining)
	require.Zero(t, c.FundsRemaining)
	require.NotNil(t, rs[0].ReturnedAt)
	require.Equal(t, v0, e.balance(t, f, visits))
	require.Equal(t, rev0+r.Amount, e.balance(t, f, revenue))
	// refunding again changes nothing (409), and the expiry does not run twice
	_, err = e.app.Payment.Refund(hqContext(f), payment.RefundRequest{OrderID: orderID, PaymentID: vp.ID, Amount: vp.Amount, Reason: "again"})
	require.Equal(t, "refund_exceeds_paid", codeOf(err))
	done, err = e.app.Card.Expire(f.jobContext(), cardID)
	require.NoError(t, err)
	require.False(t, done)
	require.Equal(t, rev0+r.Amount, e.balance(t, f, revenue))
	e.requireBooksBalance(t)
}

// TestConcurrentVisitRedemptionsOneWins: several redemptions of one order at once (the same
// card, and two cards): exactly one succeeds, the rest are 409, and one visit is used.
func TestConcurrentVisitRedemptionsOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cards := []uuid.UUID{visitCard(e, f, 10, 100000), visitCard(e, f, 10, 100000)}
	orderID := probeOrder(e, f, booking.Completed, false)
	const n = 8
	var wg sync.WaitGroup
	errsOut := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errsOut[i] = e.app.Card.Redeem(customerContext(f), cards[i%2], orderID)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errsOut {
		if err == nil {
			ok++
			continue
		}
		require.Contains(t, []string{"order_already_redeemed", "nothing_due"}, codeOf(err), "%v", err)
	}
	require.Equal(t, 1, ok)
	require.Len(t, e.visitPayments(t, f, orderID), 1)
	used := 0
	for _, id := range cards {
		c, _ := e.card(t, f, id)
		used += 10 - *c.VisitsRemaining
	}
	require.Equal(t, 1, used)
	e.requireBooksBalance(t)
}

func codeOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestVisitReturnedBeforeSplitLeavesSplitRight: a visit given back before the order is split
// (then paid in cash and accepted) is counted once: the split shares out everything the order
// brought in (the visit's value and the cash) and claws the returned visit back in the same
// posting, so what it pays out is the cash. The return's posting references the refund, so
// it is not also taken off what the order brought in.
func TestVisitReturnedBeforeSplitLeavesSplitRight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cardID := visitCard(e, f, 4, 40000)
	orderID := probeOrder(e, f, booking.AwaitingAcceptance, true)
	_, err := e.app.Card.Redeem(customerContext(f), cardID, orderID)
	require.NoError(t, err)
	vp := e.visitPayments(t, f, orderID)[0]
	_, err = e.app.Payment.Refund(hqContext(f), payment.RefundRequest{OrderID: orderID, PaymentID: vp.ID, Amount: vp.Amount, Reason: "pays cash instead"})
	require.NoError(t, err)
	total := e.orderTotal(t, f, orderID)
	cash, err := e.app.Payment.RecordCash(staffUserContext(e, f), orderID, total)
	require.NoError(t, err, "the order owes its total again")
	_, err = e.app.Payment.ConfirmCash(customerContext(f), orderID, cash.ID)
	require.NoError(t, err)
	e.do(http.MethodPost, "/api/v1/storefront/orders/"+orderID.String()+"/accept", f.CustomerToken, "", map[string]any{"code": "123456"}).ok(nil)
	var sp commission.Split
	require.Eventually(t, func() bool {
		sp, err = e.app.Commission.SplitOf(hqContext(f), orderID)
		return err == nil
	}, 20*time.Second, 50*time.Millisecond)
	const value = 40000 / 4 // the visit's value
	require.Equal(t, value+total, sp.Total)
	require.Equal(t, int64(value), sp.Refunded)
	var net int64
	for _, l := range sp.Lines {
		net += l.Amount - l.ClawedBack
	}
	require.GreaterOrEqual(t, net, total, "the cash is shared out whole")
	require.LessOrEqual(t, net, total+int64(len(sp.Lines)), "up to a rounding unit a line")
	e.requireBooksBalance(t)
}

// TestVisitRefundsAndRedemptionsOfOneCardRunTogether: refunds of split, visit-paid orders
// (which claw back, locking the customer's ledger accounts) run at the same time as
// redemptions of the same card on other orders (which lock the card, then post). Both take
// the card before any ledger row, so none of them deadlocks or fails.
func TestVisitRefundsAndRedemptionsOfOneCardRunTogether(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	cardID := visitCard(e, f, 40, 400000)
	const n = 6
	var paid, fresh []uuid.UUID
	var pays []payment.Payment
	for range n {
		id := probeOrder(e, f, booking.Completed, true)
		_, err := e.app.Card.Redeem(customerContext(f), cardID, id)
		require.NoError(t, err)
		_, err = e.app.Commission.Split(hqContext(f), id)
		require.NoError(t, err)
		paid, pays = append(paid, id), append(pays, e.visitPayments(t, f, id)[0])
		fresh = append(fresh, probeOrder(e, f, booking.AwaitingAcceptance, true))
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := e.app.Payment.Refund(hqContext(f), payment.RefundRequest{OrderID: paid[i], PaymentID: pays[i].ID, Amount: pays[i].Amount, Reason: "race"})
			errc <- err
		}()
		go func() {
			defer wg.Done()
			_, err := e.app.Card.Redeem(customerContext(f), cardID, fresh[i])
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	c, _ := e.card(t, f, cardID)
	require.Equal(t, 40-n, *c.VisitsRemaining, "n visits back, n used again")
	e.requireBooksBalance(t)
}
