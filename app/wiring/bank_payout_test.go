package wiring_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bankPayoutEvent is a payout.* event of a connected account, created at `at`.
func bankPayoutEvent(id, typ, account string, at time.Time, obj map[string]any) []byte {
	obj["object"] = "payout"
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": at.Unix(), "account": account,
		"api_version": "2023-10-16", "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		panic(err)
	}
	return b
}

type myPayoutAccountDTO struct {
	StripeAccountID string `json:"stripe_account_id"`
	BankPayouts     []struct {
		StripePayoutID string `json:"stripe_payout_id"`
		Amount         int64
		Currency       string
		Status         string
		ArrivalDate    string `json:"arrival_date"`
		FailureCode    string `json:"failure_code"`
		FailureMessage string `json:"failure_message"`
	} `json:"bank_payouts"`
}

// TestBankPayoutsReachTheOwner: Stripe's payout.* events of a staff member's connected account,
// signed and delivered to the real webhook endpoint and processed by the real worker, show as
// bank payouts on GET /me/payout-account: a paid payout, one that fails after it was paid
// (the owner is told once, in the tenant's language), duplicates and a shuffled delivery
// converge on the latest state; another tenant's staff member sees none of it, an unknown
// connected account's event is acknowledged and dropped, and nothing is posted to the ledger.
func TestBankPayoutsReachTheOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	tok := f.Tokens["staff"]
	var me myPayoutAccountDTO
	e.do(http.MethodGet, "/api/v1/me/payout-account", tok, "", nil).ok(&me)
	acct := me.StripeAccountID
	require.NotEmpty(t, acct)
	require.Empty(t, me.BankPayouts)
	var postings int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from ledger_transactions where tenant_id = ?`, f.Tenant.ID).Row().Scan(&postings))

	suffix := strings.ReplaceAll(f.Tenant.ID.String(), "-", "")[:10]
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	arrive := func(days int) int64 { return t0.AddDate(0, 0, days).Unix() }
	day := func(days int) string { return time.Unix(arrive(days), 0).UTC().Format(time.DateOnly) }

	// po1 is paid, delivered twice; then the bank returns it (payout.failed after paid), twice.
	po1 := "po_one" + suffix
	one := func(evt, typ, status string, at time.Time, extra map[string]any) []byte {
		obj := map[string]any{"id": po1, "amount": 12_000, "currency": "cny", "status": status, "arrival_date": arrive(2),
			"failure_code": nil, "failure_message": nil}
		for k, v := range extra {
			obj[k] = v
		}
		return bankPayoutEvent(evt+suffix, typ, acct, at, obj)
	}
	e.deliverSigned(t, one("evt_po1c", "payout.created", "pending", t0, nil))
	paid := one("evt_po1p", "payout.paid", "paid", t0.Add(time.Minute), nil)
	e.deliverSigned(t, paid)
	e.deliverSigned(t, paid)
	waitBank(t, e, tok, po1, "paid")

	failed := one("evt_po1f", "payout.failed", "failed", t0.Add(2*time.Minute), map[string]any{"failure_code": "account_closed",
		"failure_message": "The bank account has been closed."})
	e.deliverSigned(t, failed)
	e.deliverSigned(t, failed)
	// A late payout.updated from before the failure changes nothing.
	e.deliverSigned(t, one("evt_po1u", "payout.updated", "in_transit", t0.Add(30*time.Second), nil))
	p := waitBank(t, e, tok, po1, "failed")
	require.Equal(t, "account_closed", p.FailureCode)
	require.Equal(t, "The bank account has been closed.", p.FailureMessage)
	require.EqualValues(t, 12_000, p.Amount)
	require.Equal(t, "CNY", p.Currency)
	require.Equal(t, day(2), p.ArrivalDate)

	// The owner is told once, in the tenant's language, to check their bank details.
	var told []string
	require.Eventually(t, func() bool {
		var in inboxPage
		e.do(http.MethodGet, "/api/v1/me/inbox?limit=100", tok, "", nil).ok(&in)
		told = told[:0]
		for _, it := range in.Items {
			if it.Template == "bank_payout_failed" {
				told = append(told, it.Title+"|"+it.Body)
			}
		}
		return len(told) > 0
	}, 30*time.Second, 100*time.Millisecond, "the owner was told of the failed bank payout")
	time.Sleep(500 * time.Millisecond) // a second message would have been relayed by now
	var in inboxPage
	e.do(http.MethodGet, "/api/v1/me/inbox?limit=100", tok, "", nil).ok(&in)
	n := 0
	for _, it := range in.Items {
		if it.Template == "bank_payout_failed" {
			n++
			require.Equal(t, "银行出款失败", it.Title)
			require.Contains(t, it.Body, "CNY 120.00")
			require.Contains(t, it.Body, "The bank account has been closed.")
			require.Contains(t, it.Body, "核对您的银行信息")
		}
	}
	require.Equal(t, 1, n, "one message for one failure, whatever the duplicates")

	// po2's events arrive shuffled, some twice: it ends paid with the paid event's facts.
	po2 := "po_two" + suffix
	two := func(evt, typ, status string, min int, arrival int) []byte {
		return bankPayoutEvent(evt+suffix, typ, acct, t0.Add(time.Duration(min)*time.Minute), map[string]any{"id": po2, "amount": 3_456,
			"currency": "cny", "status": status, "arrival_date": arrive(arrival)})
	}
	evs := [][]byte{
		two("evt_po2c", "payout.created", "pending", 10, 3),
		two("evt_po2u", "payout.updated", "in_transit", 11, 3),
		two("evt_po2v", "payout.updated", "in_transit", 12, 4), // Stripe moved the arrival date
		two("evt_po2p", "payout.paid", "paid", 13, 4),
	}
	evs = append(evs, evs[0], evs[3])
	rand.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for _, b := range evs {
		e.deliverSigned(t, b)
	}
	p = waitBank(t, e, tok, po2, "paid")
	require.Equal(t, day(4), p.ArrivalDate)
	require.EqualValues(t, 3_456, p.Amount)
	require.Empty(t, p.FailureCode)

	// An unknown connected account's event is acknowledged and dropped: nothing is recorded.
	e.deliverSigned(t, bankPayoutEvent("evt_unknown"+suffix, "payout.paid", "acct_unknown"+suffix, t0, map[string]any{
		"id": "po_unknown" + suffix, "amount": 1, "currency": "cny", "status": "paid"}))
	var stray int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from payment_webhook_events where event_id = ?`, "evt_unknown"+suffix).Row().Scan(&stray))
	require.Zero(t, stray)

	// The history is the owner's: newest first, two rows, in the right tenant only.
	e.do(http.MethodGet, "/api/v1/me/payout-account", tok, "", nil).ok(&me)
	require.Len(t, me.BankPayouts, 2)
	require.Equal(t, po2, me.BankPayouts[0].StripePayoutID)
	var rows struct{ Mine, Others int64 }
	require.NoError(t, e.db.Owner.Raw(`select count(*) filter (where tenant_id = ?) as mine, count(*) filter (where tenant_id <> ?) as others
		from bank_payouts`, f.Tenant.ID, f.Tenant.ID).Scan(&rows).Error)
	require.EqualValues(t, 2, rows.Mine)
	require.Zero(t, rows.Others)

	// Another tenant's staff member, and this tenant's franchisee wallet, see none of it.
	for _, c := range []struct{ tok, query string }{{e.B.Tokens["staff"], ""}, {f.Tokens["franchisee_owner"], ""}} {
		r := e.do(http.MethodGet, "/api/v1/me/payout-account"+c.query, c.tok, "", nil).status(http.StatusOK)
		require.NotContains(t, string(r.body), po1)
		require.NotContains(t, string(r.body), po2)
		var other myPayoutAccountDTO
		r.ok(&other)
		require.Empty(t, other.BankPayouts)
	}

	// Money left Doorstep's books with the transfer: bank payouts post nothing.
	var after int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from ledger_transactions where tenant_id = ?`, f.Tenant.ID).Row().Scan(&after))
	require.Equal(t, postings, after)
}

// waitBank waits until the owner of tok sees po in status and returns it.
func waitBank(t *testing.T, e *env, tok, po, status string) (out struct {
	StripePayoutID string `json:"stripe_payout_id"`
	Amount         int64
	Currency       string
	Status         string
	ArrivalDate    string `json:"arrival_date"`
	FailureCode    string `json:"failure_code"`
	FailureMessage string `json:"failure_message"`
}) {
	t.Helper()
	require.Eventually(t, func() bool {
		var me myPayoutAccountDTO
		e.do(http.MethodGet, "/api/v1/me/payout-account", tok, "", nil).ok(&me)
		for _, p := range me.BankPayouts {
			if p.StripePayoutID == po && p.Status == status {
				out = p
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "%s never became %s", po, status)
	return out
}
