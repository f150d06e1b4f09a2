// Package finance owns the finance reports (F8.4), read from the ledger as docs/money.md books
// it: daily revenue by store, by service and by payment method, and commission statements per
// staff member and per franchisee, each within the caller's data scope (store, franchisee or
// head office) and in the tenant's time zone.
package finance

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

// Errors with stable codes (docs/problems.md, "Finance").
var (
	ErrStaffNotFound      = errs.New(errs.NotFound, "staff_not_found", "no such staff member")
	ErrFranchiseeNotFound = errs.New(errs.NotFound, "franchisee_not_found", "no such franchisee")
)

// MaxDays is the longest period a report covers.
const MaxDays = 366

// GroupBy is a revenue report's dimension.
type GroupBy string

const (
	ByStore   GroupBy = "store"
	ByService GroupBy = "service"
	ByMethod  GroupBy = "method"
)

// Movement is one ledger transaction that moved an order's money: a payment (kind payment.*),
// a refund (refund, refund.stored_value) or a visit card redemption (card.redeem), with what it
// added to HQ's order funds (negative for refunds and reversals).
type Movement struct {
	TxID     uuid.UUID
	Kind     string
	RefKind  string
	RefID    uuid.UUID
	At       time.Time
	Amount   int64
	Currency string
}

// OrderFacts is what the reports show of an order.
type OrderFacts struct {
	ID                         uuid.UUID
	StoreID                    uuid.UUID
	StoreName                  string
	ServiceID                  uuid.UUID
	ServiceNameZh, ServiceName string
}

// RefundRef is the order (and the payment method) a refund belongs to.
type RefundRef struct {
	OrderID uuid.UUID
	Method  string // card, alipay, wechat_pay, cash, stored_value; "" when unknown
}

// RefundOrders resolves refunds to their orders (the payment area's refunds, at wiring).
type RefundOrders interface {
	RefundOrders(ctx context.Context, refundIDs []uuid.UUID) (map[uuid.UUID]RefundRef, error)
}

// Line is one posting on a statement's account.
type Line struct {
	TxID    uuid.UUID
	Kind    string
	RefKind string
	RefID   uuid.UUID
	At      time.Time
	Purpose string // pending or available
	Amount  int64
}

// Repo reads the books. Every method runs in the transaction of ctx.
type Repo interface {
	// Tenant returns the tenant's currency and time zone.
	Tenant(ctx context.Context) (currency, timeZone string, err error)
	// Movements lists order-money movements in [from, to).
	Movements(ctx context.Context, from, to time.Time) ([]Movement, error)
	// Orders returns the facts of the given orders (absent ones are left out).
	Orders(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]OrderFacts, error)
	// Lines lists the owner's postings on its pending and available accounts in the currency
	// within [from, to), oldest first, and the balances of both before from.
	Lines(ctx context.Context, ownerKind string, ownerID uuid.UUID, currency string, from, to time.Time) (opening map[string]int64, lines []Line, err error)
	// StaffStore returns a staff member's store (ErrStaffNotFound).
	StaffStore(ctx context.Context, staffID uuid.UUID) (uuid.UUID, string, error)
	// Franchisee returns a franchisee's name (ErrFranchiseeNotFound).
	Franchisee(ctx context.Context, id uuid.UUID) (string, error)
}

// Service builds the reports.
type Service struct {
	db      *dbx.DB
	repo    Repo
	refunds RefundOrders
	stores  auth.StoresOf
}

// NewService wires the reports; refunds may be nil until the payment area is wired (refunds
// then stay unattributed: only head office sees them, under no store); storesOf lists a
// franchisee's stores (org's query), for the data scope.
func NewService(db *dbx.DB, repo Repo, refunds RefundOrders, storesOf auth.StoresOf) *Service {
	if storesOf == nil {
		panic("finance: storesOf is required")
	}
	return &Service{db: db, repo: repo, refunds: refunds, stores: storesOf}
}

// Period is a range of local days, both inclusive.
type Period struct {
	From, To string // YYYY-MM-DD
}

func (p Period) bounds(loc *time.Location) (time.Time, time.Time, error) {
	var v errs.Validation
	from, err1 := time.ParseInLocation(time.DateOnly, p.From, loc)
	to, err2 := time.ParseInLocation(time.DateOnly, p.To, loc)
	v.Check(err1 == nil, "from", "a date YYYY-MM-DD")
	v.Check(err2 == nil, "to", "a date YYYY-MM-DD")
	if err1 == nil && err2 == nil {
		v.Check(!to.Before(from), "to", "on or after from")
		v.Check(to.Sub(from) < MaxDays*24*time.Hour, "to", "at most 366 days after from")
	}
	if err := v.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from, time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc), nil
}

// RevenueRow is one day's revenue of one store, service or payment method.
type RevenueRow struct {
	Day      string // YYYY-MM-DD in the tenant's time zone
	Key      string // store id, service id, or method
	Label    string // store name, service name (en), or method
	LabelZh  string // service name (zh); store name; method
	Payments int64  // money in (payments and card visits)
	Refunds  int64  // money back out (positive)
	Net      int64
	Count    int // transactions
}

// Revenue is a revenue report.
type Revenue struct {
	From, To string
	By       GroupBy
	Currency string
	TimeZone string
	Rows     []RevenueRow
	Total    RevenueRow
}

// Method is a movement's payment method: the kind's suffix (payment.card → card), stored_value
// for refunds to stored value, visit_card for card visits; for refunds to a card or cash, what
// the payment area says (else "refund").
func Method(kind string, ref RefundRef) string {
	kind = strings.TrimSuffix(kind, ".reversal")
	switch {
	case kind == "card.redeem":
		return "visit_card"
	case strings.HasPrefix(kind, "payment."):
		return strings.TrimPrefix(kind, "payment.")
	case kind == "refund.stored_value":
		return "stored_value"
	case ref.Method != "":
		return ref.Method
	}
	return "refund"
}

// isRefund reports movements that give money back: refunds and their reversals, and visits
// given back (card.redeem reversed for a refund).
func isRefund(m Movement) bool { return strings.HasPrefix(m.Kind, "refund") || m.RefKind == "refund" }

// Revenue reports daily revenue grouped by store, service or payment method over a period of
// local days, within the caller's data scope.
func (s *Service) Revenue(ctx context.Context, p Period, by GroupBy) (Revenue, error) {
	if by != ByStore && by != ByService && by != ByMethod {
		return Revenue{}, errs.InvalidFields(errs.Field("by", "store, service or method"))
	}
	out := Revenue{From: p.From, To: p.To, By: by}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, tz, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			loc = time.UTC
		}
		out.Currency, out.TimeZone = cur, loc.String()
		from, to, err := p.bounds(loc)
		if err != nil {
			return err
		}
		scope, err := s.scope(ctx)
		if err != nil {
			return err
		}
		ms, err := s.repo.Movements(ctx, from, to)
		if err != nil {
			return err
		}
		orderOf, refs, err := s.resolve(ctx, ms)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, 0, len(orderOf))
		for _, id := range orderOf {
			ids = append(ids, id)
		}
		orders, err := s.repo.Orders(ctx, ids)
		if err != nil {
			return err
		}
		rows := map[[2]string]*RevenueRow{}
		for _, m := range ms {
			if m.Currency != cur {
				continue
			}
			o := orders[orderOf[m.TxID]]
			if !scope.covers(o.StoreID) {
				continue
			}
			r := RevenueRow{Day: m.At.In(loc).Format(time.DateOnly)}
			switch by {
			case ByStore:
				r.Key, r.Label, r.LabelZh = idKey(o.StoreID), o.StoreName, o.StoreName
			case ByService:
				r.Key, r.Label, r.LabelZh = idKey(o.ServiceID), o.ServiceName, o.ServiceNameZh
			case ByMethod:
				meth := Method(m.Kind, refs[m.RefID])
				r.Key, r.Label, r.LabelZh = meth, meth, methodZh[meth]
			}
			k := [2]string{r.Day, r.Key}
			row := rows[k]
			if row == nil {
				row = &r
				rows[k] = row
			}
			if isRefund(m) {
				row.Refunds -= m.Amount
			} else {
				row.Payments += m.Amount
			}
			row.Net += m.Amount
			row.Count++
		}
		out.Rows = make([]RevenueRow, 0, len(rows))
		for _, r := range rows {
			out.Rows = append(out.Rows, *r)
			out.Total.Payments += r.Payments
			out.Total.Refunds += r.Refunds
			out.Total.Net += r.Net
			out.Total.Count += r.Count
		}
		slices.SortFunc(out.Rows, func(a, b RevenueRow) int {
			return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Label, b.Label), cmp.Compare(a.Key, b.Key))
		})
		out.Total.Key, out.Total.Label, out.Total.LabelZh = "total", "Total", "合计"
		return nil
	})
	return out, err
}

var methodZh = map[string]string{"card": "银行卡", "alipay": "支付宝", "wechat_pay": "微信支付", "cash": "现金", "stored_value": "储值",
	"visit_card": "次卡", "refund": "退款"}

func idKey(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// resolve maps each movement to its order: its ref when that is an order, else through the
// payment area's refunds.
func (s *Service) resolve(ctx context.Context, ms []Movement) (map[uuid.UUID]uuid.UUID, map[uuid.UUID]RefundRef, error) {
	orderOf := map[uuid.UUID]uuid.UUID{}
	var refundIDs []uuid.UUID
	for _, m := range ms {
		switch m.RefKind {
		case "order":
			orderOf[m.TxID] = m.RefID
		case "refund":
			refundIDs = append(refundIDs, m.RefID)
		}
	}
	refs := map[uuid.UUID]RefundRef{}
	if len(refundIDs) > 0 && s.refunds != nil {
		var err error
		if refs, err = s.refunds.RefundOrders(ctx, refundIDs); err != nil {
			return nil, nil, err
		}
	}
	for _, m := range ms {
		if r, ok := refs[m.RefID]; ok && m.RefKind == "refund" {
			orderOf[m.TxID] = r.OrderID
		}
	}
	return orderOf, refs, nil
}

// scope is the caller's data scope: nil stores means every store (and unattributed money).
type scope struct{ stores map[uuid.UUID]bool }

func (c scope) covers(storeID uuid.UUID) bool { return c.stores == nil || c.stores[storeID] }

func (s *Service) scope(ctx context.Context) (scope, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p == nil || p.Kind == auth.Operator || p.Scope == auth.ScopeTenant {
		return scope{}, nil
	}
	stores := map[uuid.UUID]bool{}
	switch p.Scope {
	case auth.ScopeFranchisee:
		ids, err := s.stores(ctx, p.FranchiseeID)
		if err != nil {
			return scope{}, err
		}
		for _, id := range ids {
			stores[id] = true
		}
	case auth.ScopeStore:
		if p.StoreID != uuid.Nil {
			stores[p.StoreID] = true
		}
	}
	return scope{stores: stores}, nil
}

// StatementLine is a statement's line with running totals.
type StatementLine struct {
	TxID      uuid.UUID
	At        time.Time
	Day       string
	Kind      string
	OrderID   uuid.UUID // the order the posting belongs to (through its refund for clawbacks)
	RefKind   string
	RefID     uuid.UUID
	Purpose   string
	Amount    int64
	Pending   int64 // running balances after the line
	Available int64
	Total     int64
}

// Statement is a staff member's or franchisee's commission statement for a period.
type Statement struct {
	OwnerKind                    string // staff or franchisee
	OwnerID                      uuid.UUID
	OwnerName                    string
	From, To                     string
	Currency, TimeZone           string
	OpeningPending, OpeningAvail int64
	ClosingPending, ClosingAvail int64
	Earned                       int64 // commission.split and .grow lines
	ClawedBack                   int64 // commission.clawback lines (negative)
	Lines                        []StatementLine
}

// StaffStatement is a staff member's statement (their store must be in the caller's scope).
func (s *Service) StaffStatement(ctx context.Context, staffID uuid.UUID, p Period) (Statement, error) {
	return s.statement(ctx, "staff", staffID, p, func(ctx context.Context, sc scope) (string, error) {
		store, name, err := s.repo.StaffStore(ctx, staffID)
		if err != nil {
			return "", err
		}
		if !sc.covers(store) {
			return "", ErrStaffNotFound
		}
		return name, nil
	})
}

// FranchiseeStatement is a franchisee's statement (head office, or the franchisee itself).
func (s *Service) FranchiseeStatement(ctx context.Context, franchiseeID uuid.UUID, p Period) (Statement, error) {
	return s.statement(ctx, "franchisee", franchiseeID, p, func(ctx context.Context, _ scope) (string, error) {
		name, err := s.repo.Franchisee(ctx, franchiseeID)
		if err != nil {
			return "", err
		}
		if pr, ok := auth.FromContext(ctx); ok && pr != nil && pr.Kind == auth.User && pr.Scope != auth.ScopeTenant &&
			(pr.Scope != auth.ScopeFranchisee || pr.FranchiseeID != franchiseeID) {
			return "", ErrFranchiseeNotFound
		}
		return name, nil
	})
}

func (s *Service) statement(ctx context.Context, kind string, id uuid.UUID, p Period, check func(context.Context, scope) (string, error)) (Statement, error) {
	out := Statement{OwnerKind: kind, OwnerID: id, From: p.From, To: p.To}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, tz, err := s.repo.Tenant(ctx)
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			loc = time.UTC
		}
		out.Currency, out.TimeZone = cur, loc.String()
		from, to, err := p.bounds(loc)
		if err != nil {
			return err
		}
		sc, err := s.scope(ctx)
		if err != nil {
			return err
		}
		if out.OwnerName, err = check(ctx, sc); err != nil {
			return err
		}
		opening, lines, err := s.repo.Lines(ctx, kind, id, cur, from, to)
		if err != nil {
			return err
		}
		var ms []Movement
		for _, l := range lines {
			ms = append(ms, Movement{TxID: l.TxID, RefKind: l.RefKind, RefID: l.RefID})
		}
		orderOf, _, err := s.resolve(ctx, ms)
		if err != nil {
			return err
		}
		out.OpeningPending, out.OpeningAvail = opening["pending"], opening["available"]
		pend, avail := out.OpeningPending, out.OpeningAvail
		out.Lines = make([]StatementLine, 0, len(lines))
		for _, l := range lines {
			if l.Purpose == "pending" {
				pend += l.Amount
			} else {
				avail += l.Amount
			}
			switch strings.TrimSuffix(l.Kind, ".reversal") {
			case "commission.split", "commission.split.grow":
				out.Earned += l.Amount
			case "commission.clawback":
				out.ClawedBack += l.Amount
			}
			out.Lines = append(out.Lines, StatementLine{TxID: l.TxID, At: l.At, Day: l.At.In(loc).Format(time.DateOnly), Kind: l.Kind,
				OrderID: orderOf[l.TxID], RefKind: l.RefKind, RefID: l.RefID, Purpose: l.Purpose, Amount: l.Amount, Pending: pend,
				Available: avail, Total: pend + avail})
		}
		out.ClosingPending, out.ClosingAvail = pend, avail
		return nil
	})
	return out, err
}
