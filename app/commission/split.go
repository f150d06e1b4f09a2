package commission

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/ledger"
	"doorstep/app/payment"
)

// Ledger kinds and the business object they reference (docs/money.md).
const (
	KindSplit    = "commission.split"
	KindSettle   = "commission.settle"
	KindClawback = "commission.clawback"
	refOrder     = "order"
	refRefund    = "refund"
)

// OrderPaid implements payment.PaidHook: the order is fully paid; it is split once it is also
// completed. Runs in the payment's transaction; the split itself is a task (commission:split).
func (s *Service) OrderPaid(ctx context.Context, orderID uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.MarkPaid(ctx, orderID, s.clock.Now()); err != nil {
			return err
		}
		return s.enqueueSplit(ctx, orderID)
	})
}

// OrderCompleted is booking's hook: the order reached completed (accepted by the customer or
// automatically); it is split once it is also paid.
func (s *Service) OrderCompleted(ctx context.Context, orderID uuid.UUID) error {
	return s.enqueueSplit(ctx, orderID)
}

// Split splits a completed, fully paid order once: posts commission.split (key
// split:<order id>) and stores the split with its lines; an order split before that has since
// brought in more (see grow) has its split grown. The split shares out everything the
// order brought in; refunds seen before it are clawed back in the same posting (each line
// nets its share less ⌊amount × refunded / total⌋), so the outcome does not depend on whether
// a refund came before or after the split. An order not yet completed and paid,
// or split before, is left alone, so the task may run any number of times. It returns whether
// it split the order now.
func (s *Service) Split(ctx context.Context, orderID uuid.UUID) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, orderID) // the row lock orders the split after refunds in flight
		if err != nil {
			return err
		}
		if !o.Paid || (o.Status != "completed" && o.Status != "closed") {
			return nil
		}
		if sp, err := s.repo.Split(ctx, orderID, true); err == nil {
			done, err = s.grow(ctx, o, &sp, nil)
			return err
		} else if !errors.Is(err, ErrSplitNotFound) {
			return err
		}
		total, err := s.paidInto(ctx, orderID)
		if err != nil {
			return err
		}
		refunded, err := s.repo.RefundedBeforeSplit(ctx, orderID)
		if err != nil {
			return err
		}
		if total <= 0 || refunded >= total {
			return nil // nothing was paid, or it has all been refunded: nothing to share (a failed refund splits again)
		}
		rules, err := s.repo.RulesAt(ctx, o.CompletedAt)
		if err != nil {
			return err
		}
		sp := Split{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, StoreID: o.StoreID, FranchiseeID: o.FranchiseeID, StaffID: o.StaffID,
			Total: total, Refunded: refunded, Currency: o.Currency, Status: StatusPending, CreatedAt: s.clock.Now(), Lines: Compute(rules, o, total)}
		tx := ledger.Transaction{Kind: KindSplit, Ref: ledger.Ref{Kind: refOrder, ID: o.ID}, Key: "split:" + o.ID.String(),
			Memo: "no commission rules", CreatedBy: "system"}
		if rules != nil {
			sp.RuleVersionID, sp.RuleVersion = rules.ID, rules.Version
			tx.Memo = fmt.Sprintf("commission rules v%d", rules.Version)
		}
		// Refunds seen before the split are clawed back in it, exactly as if they came after.
		var net int64
		for i, l := range sp.Lines {
			sp.Lines[i].ClawedBack = mulDiv(l.Amount, refunded, total)
			if share := l.Amount - sp.Lines[i].ClawedBack; share > 0 {
				tx.Entries = append(tx.Entries, ledger.Entry{Account: pendingAccount(l, o.Currency), Amount: share})
				net += share
			}
		}
		tx.Entries = append(tx.Entries, ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, o.Currency), Amount: -net})
		posted, err := s.ledger.Post(ctx, tx)
		if err != nil {
			return err
		}
		sp.LedgerTxID = posted.ID
		if err := s.repo.InsertSplit(ctx, sp); err != nil {
			return err
		}
		if err := s.repo.AttachRefunds(ctx, o.ID, sp.ID); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}

// KindSplitGrow is the posting that grows a split (see grow).
const KindSplitGrow = "commission.split.grow"

// grow brings an order's split (locked, with the order) up to what the order has brought in
// since it was split — a visit redeemed again after one was returned, a balance paid for an
// extra, a late payment whose excess is refunded — so that no money sits in order funds
// unshared. The lines are computed again for the new total by the split's rule version (a
// line may appear), each keeps its clawback at ⌊amount × refunded / total⌋, and the change in
// each line's net share is posted as commission.split.grow (key split:<order id>:<total>):
// to pending while the split waits, else straight to the owner's wallet (its debt first), a
// drop (rounding) taken back like a clawback. also are accounts to lock with the split's own
// (the caller's next posting). It returns whether it grew the split.
func (s *Service) grow(ctx context.Context, o OrderFacts, sp *Split, also []ledger.Account) (bool, error) {
	total, err := s.paidInto(ctx, sp.OrderID)
	if err != nil || total <= sp.Total {
		return false, err
	}
	var rules *Rules
	if sp.RuleVersionID != uuid.Nil {
		r, err := s.repo.GetRules(ctx, sp.RuleVersionID)
		if err != nil {
			return false, err
		}
		rules = &r
	}
	standing, err := s.repo.RefundedOnSplit(ctx, sp.ID)
	if err != nil {
		return false, err
	}
	refunded := min(total, standing)
	type key struct {
		party ledger.OwnerKind
		owner uuid.UUID
		share Share
	}
	at := map[key]int{}
	for i, l := range sp.Lines {
		at[key{l.Party, l.OwnerID, l.Share}] = i
	}
	lines := slices.Clone(sp.Lines)
	deltas := make([]int64, len(lines))
	kept := make([]bool, len(lines))
	for _, nl := range Compute(rules, o, total) {
		nl.ClawedBack = mulDiv(nl.Amount, refunded, total)
		if i, ok := at[key{nl.Party, nl.OwnerID, nl.Share}]; ok {
			nl.No = lines[i].No
			deltas[i] = (nl.Amount - nl.ClawedBack) - (lines[i].Amount - lines[i].ClawedBack)
			lines[i], kept[i] = nl, true
			continue
		}
		nl.No = len(lines)
		lines, deltas, kept = append(lines, nl), append(deltas, nl.Amount-nl.ClawedBack), append(kept, true)
	}
	for i := range sp.Lines {
		if !kept[i] { // a share the larger total no longer has (it cannot grow into nothing, but be exact)
			deltas[i] = -(lines[i].Amount - lines[i].ClawedBack)
			lines[i].Amount, lines[i].ClawedBack = 0, 0
		}
	}
	touched := append(slices.Clone(also), ledger.HQ().Account(ledger.OrderFunds, sp.Currency))
	for _, l := range lines {
		touched = append(touched, lineAccounts(*sp, l)...)
	}
	bal, err := s.lockBalances(ctx, touched)
	if err != nil {
		return false, err
	}
	tx := ledger.Transaction{Kind: KindSplitGrow, Ref: ledger.Ref{Kind: refOrder, ID: sp.OrderID},
		Key: fmt.Sprintf("split:%s:%d", sp.OrderID, total), Memo: fmt.Sprintf("split grown from %d to %d", sp.Total, total), CreatedBy: "system"}
	var net int64
	for i, l := range lines {
		if deltas[i] != 0 {
			tx.Entries = append(tx.Entries, lineEntries(*sp, l, deltas[i], bal)...)
		}
		net += deltas[i]
	}
	if net != 0 || len(tx.Entries) > 0 {
		tx.Entries = append(tx.Entries, ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, sp.Currency), Amount: -net})
		if _, err := s.ledger.Post(ctx, tx); err != nil {
			return false, err
		}
	}
	sp.Total, sp.Refunded, sp.Lines = total, refunded, lines
	return true, s.repo.ResizeSplit(ctx, *sp)
}

// paidInto is what the order brought into HQ's order funds: every posting to order_funds that
// references the order (payments, visits redeemed), commission's own aside. Money going back
// (refunds, visits returned) references the refund and is counted through commission_refunds.
func (s *Service) paidInto(ctx context.Context, orderID uuid.UUID) (int64, error) {
	hq := ledger.HQ()
	ps, err := s.ledger.Postings(ctx, ledger.Filter{Owner: &hq, Ref: &ledger.Ref{Kind: refOrder, ID: orderID}})
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, p := range ps {
		if p.Account.Purpose == ledger.OrderFunds && !strings.HasPrefix(p.Kind, "commission.") {
			sum += p.Amount
		}
	}
	return sum, nil
}

// pendingAccount is where a line's share waits for settlement (HQ's shares are earned at once).
func pendingAccount(l Line, cur string) ledger.Account {
	switch l.Party {
	case ledger.OwnerPlatform:
		return ledger.Platform().Account(ledger.Pending, cur)
	case ledger.OwnerHQ:
		return ledger.HQ().Account(ledger.Revenue, cur)
	}
	return ledger.Owner{Kind: l.Party, ID: l.OwnerID}.Account(ledger.Pending, cur)
}

// settledAccount is where a line's share is after settlement.
func settledAccount(l Line, cur string) ledger.Account {
	switch l.Party {
	case ledger.OwnerPlatform:
		return ledger.Platform().Account(ledger.Revenue, cur)
	case ledger.OwnerHQ:
		return ledger.HQ().Account(ledger.Revenue, cur)
	}
	return ledger.Owner{Kind: l.Party, ID: l.OwnerID}.Account(ledger.Available, cur)
}

func receivable(l Line, cur string) ledger.Account {
	return ledger.Owner{Kind: l.Party, ID: l.OwnerID}.Account(ledger.Receivable, cur)
}

// Settle releases an order's pending split: commission.settle (key settle:<split tx id>)
// moves each pending share, less what was clawed back, to the owner's available wallet (the
// platform's to its revenue), repaying any clawback debt first. Settling twice does nothing.
func (s *Service) Settle(ctx context.Context, orderID uuid.UUID) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		sp, err := s.repo.Split(ctx, orderID, true)
		if err != nil {
			return err
		}
		if sp.Status != StatusPending {
			return nil
		}
		tx := ledger.Transaction{Kind: KindSettle, Ref: ledger.Ref{Kind: refOrder, ID: orderID}, Key: "settle:" + sp.LedgerTxID.String(), CreatedBy: "system"}
		var touched []ledger.Account
		for _, l := range sp.Lines {
			if l.Party != ledger.OwnerHQ && l.Amount > l.ClawedBack {
				touched = append(touched, pendingAccount(l, sp.Currency), settledAccount(l, sp.Currency))
				if l.Party != ledger.OwnerPlatform {
					touched = append(touched, receivable(l, sp.Currency))
				}
			}
		}
		bal, err := s.lockBalances(ctx, touched) // every account of the posting, in the ledger's order
		if err != nil {
			return err
		}
		for _, l := range sp.Lines {
			left := l.Amount - l.ClawedBack
			if l.Party == ledger.OwnerHQ || left == 0 {
				continue
			}
			tx.Entries = append(tx.Entries, ledger.Entry{Account: pendingAccount(l, sp.Currency), Amount: -left})
			if l.Party == ledger.OwnerPlatform {
				tx.Entries = append(tx.Entries, ledger.Entry{Account: settledAccount(l, sp.Currency), Amount: left})
				continue
			}
			debt := bal[receivable(l, sp.Currency)]
			repay := min(left, max(0, -debt))
			if repay > 0 {
				tx.Entries = append(tx.Entries, ledger.Entry{Account: receivable(l, sp.Currency), Amount: repay})
			}
			if left > repay {
				tx.Entries = append(tx.Entries, ledger.Entry{Account: settledAccount(l, sp.Currency), Amount: left - repay})
			}
		}
		now := s.clock.Now()
		if len(tx.Entries) > 0 {
			posted, err := s.ledger.Post(ctx, tx)
			if err != nil {
				return err
			}
			sp.SettleTxID = posted.ID
		}
		sp.Status, sp.SettledAt = StatusSettled, &now
		done = true
		return s.repo.SaveSplit(ctx, sp)
	})
	return done, err
}

// SettleDue settles every split of the tenant whose holding period is over; each in its own
// transaction, so one failure does not hold the others back. It returns how many it settled.
func (s *Service) SettleDue(ctx context.Context) (int, error) {
	n := 0
	for {
		var due []uuid.UUID
		err := s.db.InTx(ctx, func(ctx context.Context) (err error) {
			due, err = s.repo.DueSplits(ctx, s.clock.Now(), 200)
			return err
		})
		if err != nil {
			return n, err
		}
		var all []error
		for _, id := range due {
			ok, err := s.Settle(ctx, id)
			if err != nil {
				all = append(all, fmt.Errorf("order %s: %w", id, err))
			}
			if ok {
				n++
			}
		}
		if len(all) > 0 || len(due) < 200 {
			return n, errors.Join(all...)
		}
	}
}

// BeforeRefund implements payment.RefundHook, in the refund's transaction. Each refund is seen
// once. Before the split it only lowers the value that will be split; after it,
// commission.clawback (key clawback:<refund id>) takes back each line's proportional share of
// the refunds so far, rounded down — cumulatively, so several partial refunds never take back
// more than the split, and a full refund takes back exactly all of it. Shares still pending
// come from pending (HQ's from revenue); settled ones from the owner's available wallet, and
// what that cannot cover becomes a debt on the owner's receivable account, repaid by later
// settlements.
func (s *Service) BeforeRefund(ctx context.Context, r payment.RefundFacts) error {
	if r.Amount <= 0 || r.RefundID == uuid.Nil || r.OrderID == uuid.Nil {
		return fmt.Errorf("commission: refund hook: malformed refund %+v", r)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, r.OrderID) // serialises with Split
		if err != nil {
			return err
		}
		rec := Refund{RefundID: r.RefundID, OrderID: r.OrderID, Amount: r.Amount, CreatedAt: s.clock.Now()}
		sp, err := s.repo.Split(ctx, r.OrderID, true)
		if errors.Is(err, ErrSplitNotFound) {
			return ignoreSeen(s.repo.InsertRefund(ctx, rec))
		}
		if err != nil {
			return err
		}
		// Money the order brought in after the split (e.g. the very payment this refund
		// returns, as an overpayment) joins the split before the clawback is measured.
		if _, err := s.grow(ctx, o, &sp, s.refundAccounts(o, sp)); err != nil {
			return err
		}
		rec.SplitID = sp.ID
		if err := s.repo.InsertRefund(ctx, rec); err != nil {
			return ignoreSeen(err)
		}
		before := sp.Refunded
		sp.Refunded = min(sp.Total, sp.Refunded+r.Amount)
		tx := ledger.Transaction{Kind: KindClawback, Ref: ledger.Ref{Kind: refRefund, ID: r.RefundID}, Key: "clawback:" + r.RefundID.String(),
			Memo: "order " + r.OrderID.String(), CreatedBy: "system"}
		claws := make([]int64, len(sp.Lines))
		// This posting comes before the refund's own in one transaction, so it also locks
		// what the refund posting may touch (docs/money.md: refund to card or stored value);
		// otherwise a payment holding the clearing account could wait for order funds held here
		// while the refund waits for it.
		touched := s.refundAccounts(o, sp)
		for i, l := range sp.Lines {
			claws[i] = mulDiv(l.Amount, sp.Refunded, sp.Total) - l.ClawedBack
			if claws[i] > 0 {
				touched = append(touched, lineAccounts(sp, l)...)
			}
		}
		bal, err := s.lockBalances(ctx, touched)
		if err != nil {
			return err
		}
		var back int64
		for i, l := range sp.Lines {
			if claws[i] <= 0 {
				continue
			}
			sp.Lines[i].ClawedBack += claws[i]
			back += claws[i]
			tx.Entries = append(tx.Entries, lineEntries(sp, l, -claws[i], bal)...)
		}
		if back > 0 {
			tx.Entries = append(tx.Entries, ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, sp.Currency), Amount: back})
			posted, err := s.ledger.Post(ctx, tx)
			if err != nil {
				return err
			}
			if err := s.repo.SetRefundTx(ctx, r.RefundID, posted.ID); err != nil {
				return err
			}
		}
		if sp.Refunded == before && back == 0 {
			return nil
		}
		return s.repo.SaveSplit(ctx, sp)
	})
}

// RefundFailed implements payment.RefundHook, in the transaction that fails a refund
// BeforeRefund saw (Stripe refused it, or failed it after it succeeded), before the refund's
// own posting is reversed. The refund stops counting: before the split it no longer lowers
// it (and an order it had fully refunded is split after all); after the split each line's
// clawback drops to ⌊amount × refunds still standing / total⌋ and the difference is given
// back by commission.clawback.reversal (key clawback:<refund id>:failed) — to pending while
// the split waits; after settlement to the owner's receivable debt first, then available.
// Computing the target rather than reversing the refund's own clawback leaves no rounding
// unit behind whichever of several partial refunds fails. Each refund fails once.
func (s *Service) RefundFailed(ctx context.Context, r payment.RefundFacts) error {
	if r.RefundID == uuid.Nil || r.OrderID == uuid.Nil {
		return fmt.Errorf("commission: refund-failed hook: malformed refund %+v", r)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Order(ctx, r.OrderID) // serialises with Split and BeforeRefund
		if err != nil {
			return err
		}
		rec, err := s.repo.Refund(ctx, r.RefundID)
		if errors.Is(err, ErrRefundNotFound) {
			return nil // never seen: nothing was clawed back for it
		}
		if err != nil || rec.FailedAt != nil {
			return err
		}
		now := s.clock.Now()
		if rec.SplitID == uuid.Nil {
			if err := s.repo.MarkRefundFailed(ctx, rec.RefundID, now); err != nil {
				return err
			}
			return s.enqueueSplit(ctx, r.OrderID)
		}
		sp, err := s.repo.Split(ctx, r.OrderID, true)
		if err != nil {
			return err
		}
		if err := s.repo.MarkRefundFailed(ctx, rec.RefundID, now); err != nil {
			return err
		}
		standing, err := s.repo.RefundedOnSplit(ctx, sp.ID)
		if err != nil {
			return err
		}
		sp.Refunded = min(sp.Total, standing)
		gives := make([]int64, len(sp.Lines))
		touched := s.refundAccounts(o, sp)
		for i, l := range sp.Lines {
			gives[i] = l.ClawedBack - mulDiv(l.Amount, sp.Refunded, sp.Total)
			if gives[i] > 0 {
				touched = append(touched, lineAccounts(sp, l)...)
			}
		}
		bal, err := s.lockBalances(ctx, touched)
		if err != nil {
			return err
		}
		tx := ledger.Transaction{Kind: KindClawback + ".reversal", Ref: ledger.Ref{Kind: refRefund, ID: r.RefundID},
			Key: "clawback:" + r.RefundID.String() + ":failed", Memo: "refund failed; order " + r.OrderID.String(), CreatedBy: "system"}
		var back int64
		for i, l := range sp.Lines {
			if gives[i] <= 0 {
				continue
			}
			sp.Lines[i].ClawedBack -= gives[i]
			back += gives[i]
			tx.Entries = append(tx.Entries, lineEntries(sp, l, gives[i], bal)...)
		}
		if back > 0 {
			tx.Entries = append(tx.Entries, ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, sp.Currency), Amount: -back})
			posted, err := s.ledger.Post(ctx, tx)
			if err != nil {
				return err
			}
			if err := s.repo.SetRefundReversalTx(ctx, rec.RefundID, posted.ID); err != nil {
				return err
			}
		}
		return s.repo.SaveSplit(ctx, sp)
	})
}

// refundAccounts are the accounts a refund's own posting (or its reversal) may touch, which
// a commission posting in the same transaction locks first (see BeforeRefund).
func (s *Service) refundAccounts(o OrderFacts, sp Split) []ledger.Account {
	return []ledger.Account{ledger.Customer(o.CustomerID).Account(ledger.StoredValue, ledger.AssetStoredValue),
		ledger.Customer(o.CustomerID).Account(ledger.Visits, ledger.AssetVisits), ledger.HQ().Account(ledger.VisitsIssued, ledger.AssetVisits),
		ledger.External().Account(ledger.Clearing, sp.Currency), ledger.HQ().Account(ledger.CardFunds, sp.Currency),
		ledger.HQ().Account(ledger.OrderFunds, sp.Currency), ledger.HQ().Account(ledger.StoredValueIssued, ledger.AssetStoredValue),
		ledger.HQ().Account(ledger.Revenue, sp.Currency)}
}

// lineAccounts are the accounts a clawback of line l, or its reversal, may touch.
func lineAccounts(sp Split, l Line) []ledger.Account {
	out := []ledger.Account{pendingAccount(l, sp.Currency), settledAccount(l, sp.Currency)}
	if l.Party == ledger.OwnerStaff || l.Party == ledger.OwnerFranchisee {
		out = append(out, receivable(l, sp.Currency))
	}
	return out
}

// lineEntries moves d of line l's share (positive: to its owner; negative: back from them):
// while the split waits, on pending (HQ's and the platform's shares on their own accounts
// always); after settlement a gain repays the owner's receivable debt first and the rest
// reaches the available wallet, a loss comes from the wallet first and what it cannot cover
// becomes debt (balances locked in bal).
func lineEntries(sp Split, l Line, d int64, bal map[ledger.Account]int64) []ledger.Entry {
	if sp.Status == StatusPending || l.Party == ledger.OwnerHQ || l.Party == ledger.OwnerPlatform {
		acct := pendingAccount(l, sp.Currency)
		if sp.Status == StatusSettled {
			acct = settledAccount(l, sp.Currency)
		}
		return []ledger.Entry{{Account: acct, Amount: d}}
	}
	wallet, debt := settledAccount(l, sp.Currency), receivable(l, sp.Currency)
	first, rest, room, sign := wallet, debt, max(0, bal[wallet]), int64(-1)
	if d > 0 {
		first, rest, room, sign = debt, wallet, max(0, -bal[debt]), 1
	}
	size := d * sign
	part := min(size, room)
	var out []ledger.Entry
	if part > 0 {
		out = append(out, ledger.Entry{Account: first, Amount: sign * part})
	}
	if size > part {
		out = append(out, ledger.Entry{Account: rest, Amount: sign * (size - part)})
	}
	return out
}

// lockBalances locks the accounts' balance rows in the order every ledger posting locks them
// (owner kind, owner id, purpose, asset), so reading a balance before posting cannot deadlock
// with concurrent postings, and returns the balances.
func (s *Service) lockBalances(ctx context.Context, accts []ledger.Account) (map[ledger.Account]int64, error) {
	slices.SortFunc(accts, func(a, b ledger.Account) int {
		return cmp.Or(cmp.Compare(a.Owner.Kind, b.Owner.Kind), slices.Compare(a.Owner.ID[:], b.Owner.ID[:]),
			cmp.Compare(a.Purpose, b.Purpose), cmp.Compare(a.Asset, b.Asset))
	})
	out := make(map[ledger.Account]int64, len(accts))
	for _, a := range slices.Compact(accts) {
		b, err := s.repo.LockBalance(ctx, a)
		if err != nil {
			return nil, err
		}
		out[a] = b
	}
	return out, nil
}

func ignoreSeen(err error) error {
	if errors.Is(err, ErrRefundSeen) {
		return nil
	}
	return err
}

// isGone reports errors a split task treats as done (the order no longer exists).
func isGone(err error) bool { return errs.KindOf(err) == errs.NotFound }
