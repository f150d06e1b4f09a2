package commissiondb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/commission"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
	"doorstep/tenant"
)

func startClock() *clock.Manual {
	// 10:00 in Shanghai: the local day is unambiguous.
	return clock.NewManual(time.Date(2030, 5, 6, 2, 0, 0, 0, time.UTC))
}

func rulesFor(w *world) commission.NewRules {
	return commission.NewRules{PlatformFeeBP: 1000, RoyaltyBP: 500, StaffLines: []commission.StaffLine{
		{Kind: commission.StaffPercent, Value: 1000},
		{LevelID: w.level, Kind: commission.StaffPercent, Value: 2000, BonusBP: 300, BonusMinRating: 4.5},
	}}
}

type lineView struct {
	Share    commission.Share
	Amount   int64
	Rate     int
	RuleLine int
	Clawed   int64
}

func view(sp commission.Split) []lineView {
	out := make([]lineView, len(sp.Lines))
	for i, l := range sp.Lines {
		out[i] = lineView{l.Share, l.Amount, l.RateBP, l.RuleLine, l.ClawedBack}
	}
	return out
}

func TestSplitOnCompletionAndPayment(t *testing.T) {
	db := dbtest.New(t)
	clk := startClock()
	w := newWorld(t, db, "cma", clk)
	other := newWorld(t, db, "cmb", clk)
	v1 := w.publish(rulesFor(w))
	require.Equal(t, 1, v1.Version)
	staff := w.member(w.frStore, true)
	w.rate(staff, 5)

	o := w.order(w.frStore, "completed", staff, 10000)
	done, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.False(t, done, "not paid yet: no split")
	_, err = w.svc.SplitOf(w.ctx(), o)
	require.ErrorIs(t, err, commission.ErrSplitNotFound)

	w.pay(o, 10000)
	done, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.True(t, done)
	done, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.False(t, done, "split exactly once")

	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, v1.ID, sp.RuleVersionID)
	require.Equal(t, 1, sp.RuleVersion)
	require.Equal(t, int64(10000), sp.Total)
	require.Equal(t, []lineView{
		{commission.SharePlatformFee, 1000, 1000, -1, 0},
		{commission.ShareRoyalty, 500, 500, -1, 0},
		{commission.ShareStaff, 2300, 2300, 1, 0}, // the level's line with the rating bonus
		{commission.ShareFranchisee, 6200, 0, -1, 0},
	}, view(sp))
	require.Equal(t, staff, sp.Lines[2].OwnerID)
	require.Equal(t, 300, sp.Lines[2].BonusBP)

	tx, err := w.ledger.Get(w.system(), sp.LedgerTxID)
	require.NoError(t, err)
	require.Equal(t, commission.KindSplit, tx.Kind)
	require.Equal(t, "split:"+o.String(), tx.Key)
	require.Equal(t, int64(1000), w.balance(ledger.Platform().Account(ledger.Pending, "CNY")))
	require.Equal(t, int64(500), w.balance(ledger.HQ().Account(ledger.Revenue, "CNY")))
	require.Equal(t, int64(2300), w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))
	require.Equal(t, int64(6200), w.balance(ledger.Franchisee(w.franchisee).Account(ledger.Pending, "CNY")))
	require.Equal(t, int64(0), w.balance(ledger.HQ().Account(ledger.OrderFunds, "CNY")))

	// Data scope: another franchisee's owner and another store's manager do not see it; the
	// store's own manager does; another tenant never does.
	scoped := func(p auth.Principal) context.Context {
		p.Kind, p.TenantID = auth.User, w.tn.ID
		return auth.WithPrincipal(tenant.WithTenant(context.Background(), w.tn), &p)
	}
	_, err = w.svc.SplitOf(scoped(auth.Principal{Scope: auth.ScopeFranchisee, FranchiseeID: uuid.New()}), o)
	require.ErrorIs(t, err, commission.ErrSplitNotFound)
	_, err = w.svc.SplitOf(scoped(auth.Principal{Scope: auth.ScopeStore, StoreID: w.hqStore}), o)
	require.ErrorIs(t, err, commission.ErrSplitNotFound)
	_, err = w.svc.SplitOf(scoped(auth.Principal{Scope: auth.ScopeFranchisee, FranchiseeID: w.franchisee}), o)
	require.NoError(t, err)
	_, err = other.svc.SplitOf(other.ctx(), o)
	require.ErrorIs(t, err, commission.ErrSplitNotFound)

	// Paid but not completed: nothing; the version in effect at completion decides.
	busy := w.order(w.hqStore, "in_service", staff, 5000)
	w.pay(busy, 5000)
	done, err = w.svc.Split(w.system(), busy)
	require.NoError(t, err)
	require.False(t, done)
	later := rulesFor(w)
	later.PlatformFeeBP, later.EffectiveFrom = 2000, clk.Now().Add(time.Hour)
	v2 := w.publish(later)
	require.Equal(t, 2, v2.Version)
	early := w.order(w.hqStore, "completed", uuid.Nil, 5000) // completed now, before v2
	w.pay(early, 5000)
	_, err = w.svc.Split(w.system(), early)
	require.NoError(t, err)
	sp, err = w.svc.SplitOf(w.ctx(), early)
	require.NoError(t, err)
	require.Equal(t, 1, sp.RuleVersion)
	require.Equal(t, []lineView{{commission.SharePlatformFee, 500, 1000, -1, 0}, {commission.ShareHQ, 4500, 0, -1, 0}}, view(sp))
	clk.Advance(2 * time.Hour)
	late := w.order(w.hqStore, "closed", uuid.Nil, 5000)
	w.pay(late, 5000)
	_, err = w.svc.Split(w.system(), late)
	require.NoError(t, err)
	sp, err = w.svc.SplitOf(w.ctx(), late)
	require.NoError(t, err)
	require.Equal(t, 2, sp.RuleVersion)
	require.Equal(t, int64(1000), sp.Lines[0].Amount)
	w.checkBooks()

	vs, err := w.svc.Versions(w.ctx())
	require.NoError(t, err)
	require.Len(t, vs, 2)
	require.Equal(t, 2, vs[0].Version)
	ovs, err := other.svc.Versions(other.ctx())
	require.NoError(t, err)
	require.Empty(t, ovs, "another tenant's rules are invisible")
	_, err = other.svc.Version(other.ctx(), v1.ID)
	require.ErrorIs(t, err, commission.ErrRulesNotFound)
}

func TestPublishRejectsSharesAboveTheOrderValue(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cmv", startClock())
	_, err := w.svc.Publish(w.ctx(), commission.NewRules{PlatformFeeBP: 9000, StaffLines: []commission.StaffLine{{Kind: commission.StaffPercent, Value: 1500}}})
	e, ok := errs.As(err)
	require.True(t, ok)
	require.Equal(t, errs.Invalid, e.Kind)
	require.Equal(t, "staff_lines[0].value", e.Fields[0].Field)
	vs, err := w.svc.Versions(w.ctx())
	require.NoError(t, err)
	require.Empty(t, vs, "nothing was written")
}

func TestClawbackBeforeSettlement(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cmc", startClock())
	w.publish(rulesFor(w))
	staff := w.member(w.frStore, false) // no level: the 10% line
	o := w.order(w.frStore, "completed", staff, 9999)
	w.pay(o, 9999)
	_, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []lineView{
		{commission.SharePlatformFee, 999, 1000, -1, 0}, {commission.ShareRoyalty, 499, 500, -1, 0},
		{commission.ShareStaff, 999, 1000, 0, 0}, {commission.ShareFranchisee, 7502, 0, -1, 0}}, view(sp))

	// Two partial refunds, the second retried, then the rest.
	r1 := w.refund(o, 2500, 9999)
	w.refund(o, 2500, 9999)
	require.NoError(t, w.db.Tx.InTx(w.system(), func(ctx context.Context) error {
		return w.svc.BeforeRefund(ctx, paymentFacts(r1, o, 2500))
	}), "a retried refund claws back nothing more")
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(5000), sp.Refunded)
	// floor(line × 5000 / 9999)
	require.Equal(t, []int64{499, 249, 499, 3751}, clawed(sp))
	require.Equal(t, int64(999-499), w.balance(ledger.Platform().Account(ledger.Pending, "CNY")))
	require.Equal(t, int64(999-499), w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))

	w.refund(o, 4999, 9999)
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []int64{999, 499, 999, 7502}, clawed(sp), "a full refund takes back exactly the split")
	for _, a := range []ledger.Account{ledger.Platform().Account(ledger.Pending, "CNY"), ledger.HQ().Account(ledger.Revenue, "CNY"),
		ledger.Staff(staff).Account(ledger.Pending, "CNY"), ledger.Franchisee(w.franchisee).Account(ledger.Pending, "CNY"),
		ledger.HQ().Account(ledger.OrderFunds, "CNY")} {
		require.Zero(t, w.balance(a), "%s", a)
	}
	// A refund beyond the order value takes nothing more.
	w.refund(o, 1, 9999)
	sp2, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, clawed(sp), clawed(sp2))

	// Settling a fully refunded split moves nothing and marks it settled.
	w.clk.Advance(30 * 24 * time.Hour)
	n, err := w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, commission.StatusSettled, sp.Status)
	require.Equal(t, uuid.Nil, sp.SettleTxID)
	w.checkBooks()
}

func TestClawbackAfterSettlementBecomesDebtWhenWalletIsShort(t *testing.T) {
	db := dbtest.New(t)
	clk := startClock()
	w := newWorld(t, db, "cmd", clk)
	w.publish(rulesFor(w))
	_, err := w.svc.SaveSettings(w.ctx(), commission.Settings{HoldingDays: 2})
	require.NoError(t, err)
	staff := w.member(w.frStore, true)
	o := w.order(w.frStore, "completed", staff, 10000)
	w.pay(o, 10000)
	_, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)

	// Day D+1 (local): not yet; day D+2 after local midnight: settled.
	clk.Advance(24 * time.Hour)
	n, err := w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Zero(t, n)
	clk.Advance(14*time.Hour + time.Minute) // 00:01 on D+2 in Shanghai
	n, err = w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, commission.StatusSettled, sp.Status)
	settle, err := w.ledger.Get(w.system(), sp.SettleTxID)
	require.NoError(t, err)
	require.Equal(t, "settle:"+sp.LedgerTxID.String(), settle.Key)
	staffAvail := ledger.Staff(staff).Account(ledger.Available, "CNY")
	frAvail := ledger.Franchisee(w.franchisee).Account(ledger.Available, "CNY")
	require.Equal(t, int64(2000), w.balance(staffAvail)) // level line, no rating: no bonus
	require.Equal(t, int64(6500), w.balance(frAvail))
	require.Equal(t, int64(1000), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	require.Zero(t, w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))
	n, err = w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Zero(t, n, "settled once")

	// The staff member withdraws 1800 of 2000 (fee 100), then the order is refunded in two halves.
	_, err = w.ledger.Post(w.system(), ledger.Transaction{Kind: "payout.request", Ref: ledger.Ref{Kind: "withdrawal", ID: uuid.New()}, Key: "wd-1",
		Entries: []ledger.Entry{{Account: staffAvail, Amount: -1800}, {Account: ledger.Staff(staff).Account(ledger.Withdrawing, "CNY"), Amount: 1700},
			{Account: ledger.HQ().Account(ledger.Fees, "CNY"), Amount: 100}}})
	require.NoError(t, err)
	// Two partial refunds, then the rest.
	w.refund(o, 2500, 10000)
	staffDebt := ledger.Staff(staff).Account(ledger.Receivable, "CNY")
	require.Zero(t, w.balance(staffAvail), "the wallet's 200 went first")
	require.Equal(t, int64(-300), w.balance(staffDebt), "the rest of 500 is a debt")
	require.Equal(t, int64(4875), w.balance(frAvail))
	require.Equal(t, int64(750), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	w.refund(o, 2500, 10000)
	require.Equal(t, int64(-800), w.balance(staffDebt))
	require.Equal(t, int64(3250), w.balance(frAvail))
	require.Equal(t, int64(500), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	w.refund(o, 5000, 10000)
	require.Equal(t, int64(-1800), w.balance(staffDebt))
	require.Zero(t, w.balance(frAvail))
	require.Zero(t, w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	require.Zero(t, w.balance(ledger.HQ().Account(ledger.OrderFunds, "CNY")))
	w.checkBooks()

	// The next settlement repays the debt first.
	o2 := w.order(w.frStore, "completed", staff, 10000)
	w.pay(o2, 10000)
	_, err = w.svc.Split(w.system(), o2)
	require.NoError(t, err)
	clk.Advance(3 * 24 * time.Hour)
	n, err = w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, w.balance(staffDebt))
	require.Equal(t, int64(200), w.balance(staffAvail))
	w.checkBooks()
}

func TestRefundBeforeSplitIsClawedBackInTheSplit(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cme", startClock())
	w.publish(commission.NewRules{PlatformFeeBP: 1000})
	o := w.order(w.hqStore, "awaiting_acceptance", uuid.Nil, 10000)
	w.pay(o, 10000)
	w.refund(o, 4000, 10000)
	w.exec(`update orders set status = 'completed' where id = ?`, o)
	_, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(10000), sp.Total, "the split shares out what the order brought in")
	require.Equal(t, int64(4000), sp.Refunded)
	require.Equal(t, []int64{1000, 9000}, amounts(sp))
	require.Equal(t, []int64{400, 3600}, clawed(sp), "the earlier refund is clawed back in the split itself")
	require.Equal(t, int64(600), w.balance(ledger.Platform().Account(ledger.Pending, "CNY")))
	w.refund(o, 6000, 10000)
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []int64{1000, 9000}, clawed(sp))
	require.Zero(t, w.balance(ledger.HQ().Account(ledger.OrderFunds, "CNY")))
	require.Zero(t, w.balance(ledger.Platform().Account(ledger.Pending, "CNY")))
	w.checkBooks()
}

// A refund that fails gives back what it clawed back: exactly, whichever of several partial
// refunds fails, before and after settlement (repaying a debt first).
func TestFailedRefundGivesTheClawbackBack(t *testing.T) {
	db := dbtest.New(t)
	clk := startClock()
	w := newWorld(t, db, "cmg", clk)
	w.publish(rulesFor(w))
	_, err := w.svc.SaveSettings(w.ctx(), commission.Settings{HoldingDays: 1})
	require.NoError(t, err)
	staff := w.member(w.frStore, false) // the 10% line
	o := w.order(w.frStore, "completed", staff, 9999)
	w.pay(o, 9999)
	_, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []int64{999, 499, 999, 7502}, amounts(sp))
	platformPending := ledger.Platform().Account(ledger.Pending, "CNY")
	staffPending := ledger.Staff(staff).Account(ledger.Pending, "CNY")

	// Two partial refunds: ⌊line × 2500/9999⌋, then ⌊line × 5000/9999⌋ in all.
	r1 := w.refund(o, 2500, 9999)
	w.refund(o, 2500, 9999)
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []int64{499, 249, 499, 3751}, clawed(sp))

	// The first fails: the clawback falls to ⌊line × 2500/9999⌋ — what one refund alone takes,
	// not 499 − 249 (the first refund's own claw), which would leave a unit behind.
	w.failRefund(r1, o, 2500)
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(2500), sp.Refunded)
	require.Equal(t, []int64{249, 124, 249, 1875}, clawed(sp))
	require.Equal(t, int64(999-249), w.balance(platformPending))
	require.Equal(t, int64(999-249), w.balance(staffPending))
	require.Equal(t, -(2500 - (249 + 124 + 249 + 1875)), int(w.balance(ledger.HQ().Account(ledger.OrderFunds, "CNY"))),
		"order funds carry only the rounding of what stands refunded (HQ's, as with any partial refund)")
	w.checkBooks()
	w.failRefund(r1, o, 2500) // a second failure of the same refund changes nothing
	sp2, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, clawed(sp), clawed(sp2))

	// Settled; the staff member withdraws everything, then a refund of the rest claws back
	// into a debt, and fails: the debt is repaid first, and nothing reaches the wallet.
	clk.Advance(3 * 24 * time.Hour)
	n, err := w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	staffAvail := ledger.Staff(staff).Account(ledger.Available, "CNY")
	staffDebt := ledger.Staff(staff).Account(ledger.Receivable, "CNY")
	require.Equal(t, int64(999-249), w.balance(staffAvail))
	_, err = w.ledger.Post(w.system(), ledger.Transaction{Kind: "payout.request", Ref: ledger.Ref{Kind: "withdrawal", ID: uuid.New()}, Key: "wd-all",
		Entries: []ledger.Entry{{Account: staffAvail, Amount: -750}, {Account: ledger.Staff(staff).Account(ledger.Withdrawing, "CNY"), Amount: 750}}})
	require.NoError(t, err)
	r3 := w.refund(o, 7499, 9999)
	require.Equal(t, int64(-750), w.balance(staffDebt))
	frAvail := ledger.Franchisee(w.franchisee).Account(ledger.Available, "CNY")
	require.Zero(t, w.balance(frAvail))
	w.failRefund(r3, o, 7499)
	require.Zero(t, w.balance(staffDebt), "the debt is repaid first")
	require.Zero(t, w.balance(staffAvail), "the rest of 750 was all debt")
	require.Equal(t, int64(7502-1875), w.balance(frAvail))
	require.Equal(t, int64(999-249), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, []int64{249, 124, 249, 1875}, clawed(sp))
	w.checkBooks()
}

// A refund seen before the split that fails no longer lowers it: before the split it is left
// out; one that had refunded everything lets the order be split after all; one that fails
// after the split gives its clawback back.
func TestFailedRefundBeforeTheSplit(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cmh", startClock())
	w.publish(commission.NewRules{PlatformFeeBP: 1000})

	// Fully refunded before completion: nothing to split, until the refund fails.
	o := w.order(w.hqStore, "completed", uuid.Nil, 10000)
	w.pay(o, 10000)
	r := w.refund(o, 10000, 10000)
	ok, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.False(t, ok)
	w.failRefund(r, o, 10000)
	ok, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.True(t, ok, "the failed refund no longer stops the split")
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(0), sp.Refunded)
	require.Equal(t, []int64{1000, 9000}, amounts(sp))
	require.Equal(t, []int64{0, 0}, clawed(sp))

	// Refunded in part before the split, which then fails after it.
	o2 := w.order(w.hqStore, "completed", uuid.Nil, 5000)
	w.pay(o2, 5000)
	r2 := w.refund(o2, 2000, 5000)
	_, err = w.svc.Split(w.system(), o2)
	require.NoError(t, err)
	sp, err = w.svc.SplitOf(w.ctx(), o2)
	require.NoError(t, err)
	require.Equal(t, []int64{200, 1800}, clawed(sp))
	w.failRefund(r2, o2, 2000)
	sp, err = w.svc.SplitOf(w.ctx(), o2)
	require.NoError(t, err)
	require.Equal(t, int64(0), sp.Refunded)
	require.Equal(t, []int64{0, 0}, clawed(sp))
	require.Equal(t, int64(1000+500), w.balance(ledger.Platform().Account(ledger.Pending, "CNY")))
	require.Zero(t, w.balance(ledger.HQ().Account(ledger.OrderFunds, "CNY")))
	w.checkBooks()
}

// Concurrent partial refunds (and retries of each) never claw back more than the split.
func TestConcurrentRefundsNeverClawBackMoreThanTheSplit(t *testing.T) {
	db := dbtest.New(t)
	w := newWorld(t, db, "cmf", startClock())
	w.publish(rulesFor(w))
	staff := w.member(w.hqStore, true)
	o := w.order(w.hqStore, "completed", staff, 10007)
	w.pay(o, 10007)
	_, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	ids := make([]uuid.UUID, 12)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(ids))
	for i := range 2 * len(ids) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[i%len(ids)]
			err := w.refundWith(id, o, 1000, 10007)
			if errs.KindOf(err) == errs.Conflict { // the retry lost the race for the ledger key: the payment area retries
				err = nil
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, sp.Total, sp.Refunded)
	require.Equal(t, amounts(sp), clawed(sp))
	require.Zero(t, w.balance(ledger.Staff(staff).Account(ledger.Pending, "CNY")))
	w.checkBooks()
}

func clawed(sp commission.Split) []int64 {
	out := make([]int64, len(sp.Lines))
	for i, l := range sp.Lines {
		out[i] = l.ClawedBack
	}
	return out
}

func amounts(sp commission.Split) []int64 {
	out := make([]int64, len(sp.Lines))
	for i, l := range sp.Lines {
		out[i] = l.Amount
	}
	return out
}

func paymentFacts(refundID, orderID uuid.UUID, amount int64) payment.RefundFacts {
	return payment.RefundFacts{RefundID: refundID, OrderID: orderID, Amount: amount, Paid: amount}
}

// payMore posts another payment of an order (a balance, a visit redeemed again, a late
// intent) under its own key, and runs the PaidHook, as payment does.
func (w *world) payMore(orderID uuid.UUID, amount int64) {
	w.t.Helper()
	require.NoError(w.t, w.db.Tx.InTx(w.system(), func(ctx context.Context) error {
		_, err := w.ledger.Post(ctx, ledger.Transaction{Kind: "payment.card", Ref: ledger.Ref{Kind: "order", ID: orderID},
			Key: "payment:" + uuid.NewString() + ":succeeded", Entries: []ledger.Entry{
				{Account: ledger.External().Account(ledger.Clearing, "CNY"), Amount: -amount},
				{Account: ledger.HQ().Account(ledger.OrderFunds, "CNY"), Amount: amount}}})
		if err != nil {
			return err
		}
		return w.svc.OrderPaid(ctx, orderID)
	}))
}

// Money an order brings in after its split is shared out too: the split grows (the lines are
// computed again for the new total, clawbacks kept in proportion), whether the money stays
// (a balance), is refunded at once (an overpayment: the clawback is measured after growing),
// or comes after settlement (straight to the wallet).
func TestSplitGrowsWithMoneyPaidAfterIt(t *testing.T) {
	db := dbtest.New(t)
	clk := startClock()
	w := newWorld(t, db, "cmi", clk)
	w.publish(rulesFor(w))
	_, err := w.svc.SaveSettings(w.ctx(), commission.Settings{HoldingDays: 1})
	require.NoError(t, err)
	staff := w.member(w.frStore, false) // the 10% line
	o := w.order(w.frStore, "completed", staff, 10000)
	w.pay(o, 10000)
	_, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	platformPending := ledger.Platform().Account(ledger.Pending, "CNY")
	staffPending := ledger.Staff(staff).Account(ledger.Pending, "CNY")
	orderFunds := ledger.HQ().Account(ledger.OrderFunds, "CNY")
	require.Equal(t, int64(1000), w.balance(platformPending))

	// A late payment of 5000 refunded at once as an overpayment: shared, then clawed back.
	w.payMore(o, 5000)
	w.refund(o, 5000, 15000)
	sp, err := w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(15000), sp.Total)
	require.Equal(t, int64(5000), sp.Refunded)
	require.Equal(t, []int64{1500, 750, 1500, 11250}, amounts(sp))
	require.Equal(t, []int64{500, 250, 500, 3750}, clawed(sp))
	require.Equal(t, int64(1000), w.balance(platformPending), "the fee is still 10% of what stayed")
	require.Equal(t, int64(1000), w.balance(staffPending))
	require.Zero(t, w.balance(orderFunds))

	// A balance of 2000 for an extra: the split grows to 17000 (12000 kept).
	w.payMore(o, 2000)
	ok, err := w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.False(t, ok, "growing twice does nothing")
	sp, err = w.svc.SplitOf(w.ctx(), o)
	require.NoError(t, err)
	require.Equal(t, int64(17000), sp.Total)
	require.Equal(t, int64(1200), w.balance(platformPending))
	require.Equal(t, int64(1200), w.balance(staffPending))
	require.Zero(t, w.balance(orderFunds))
	w.checkBooks()

	// Settled; then 1000 more: its shares go straight to the wallets.
	clk.Advance(3 * 24 * time.Hour)
	n, err := w.svc.SettleDue(w.system())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	staffAvail := ledger.Staff(staff).Account(ledger.Available, "CNY")
	availBefore := w.balance(staffAvail)
	w.payMore(o, 1000)
	_, err = w.svc.Split(w.system(), o)
	require.NoError(t, err)
	require.Equal(t, availBefore+100, w.balance(staffAvail))
	require.Equal(t, int64(1300), w.balance(ledger.Platform().Account(ledger.Revenue, "CNY")))
	require.Zero(t, w.balance(staffPending))
	w.checkBooks()
}
