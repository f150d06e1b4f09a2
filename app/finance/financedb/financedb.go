// Package financedb reads the ledger, orders, stores and services for the finance reports.
package financedb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/finance"
	"doorstep/app/kit/dbx"
)

// Repo implements finance.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ finance.Repo = (*Repo)(nil)

// Tenant implements finance.Repo.
func (r *Repo) Tenant(ctx context.Context) (string, string, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return "", "", err
	}
	var cur, tz string
	err = r.db.Conn(ctx).Raw(`select currency, time_zone from tenants where id = ?`, tid).Row().Scan(&cur, &tz)
	return cur, tz, dbx.Err(err)
}

// Movements implements finance.Repo: each transaction's net amount on HQ's order funds. The
// plan starts from the transactions' (tenant_id, created_at) index.
func (r *Repo) Movements(ctx context.Context, from, to time.Time) ([]finance.Movement, error) {
	var rows []struct {
		TxID     uuid.UUID
		Kind     string
		RefKind  string
		RefID    *uuid.UUID
		At       time.Time
		Amount   int64
		Currency string
	}
	err := r.db.Conn(ctx).Raw(`select t.id as tx_id, t.kind, t.ref_kind, t.ref_id, t.created_at as at, sum(p.amount) as amount, a.asset as currency
		from ledger_transactions t
		join ledger_postings p on p.tenant_id = t.tenant_id and p.transaction_id = t.id
		join ledger_accounts a on a.tenant_id = p.tenant_id and a.id = p.account_id
		where t.created_at >= ? and t.created_at < ?
		  and (t.kind like 'payment.%' or t.kind like 'refund%' or t.kind like 'card.redeem%')
		  and a.owner_kind = 'hq' and a.purpose = 'order_funds'
		group by t.id, t.kind, t.ref_kind, t.ref_id, t.created_at, a.asset
		having sum(p.amount) <> 0
		order by t.created_at, t.id`, from, to).Scan(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]finance.Movement, 0, len(rows))
	for _, x := range rows {
		m := finance.Movement{TxID: x.TxID, Kind: x.Kind, RefKind: x.RefKind, At: x.At, Amount: x.Amount, Currency: x.Currency}
		if x.RefID != nil {
			m.RefID = *x.RefID
		}
		out = append(out, m)
	}
	return out, nil
}

// Orders implements finance.Repo.
func (r *Repo) Orders(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]finance.OrderFacts, error) {
	out := map[uuid.UUID]finance.OrderFacts{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID, StoreID, ServiceID       uuid.UUID
		StoreName                    string
		ServiceNameZh, ServiceNameEn string
	}
	err := r.db.Conn(ctx).Raw(`select o.id, o.store_id, s.name as store_name, o.service_id, cs.name_zh as service_name_zh, cs.name_en as service_name_en
		from orders o join stores s on s.tenant_id = o.tenant_id and s.id = o.store_id
		join catalog_services cs on cs.tenant_id = o.tenant_id and cs.id = o.service_id
		where o.id in ?`, ids).Scan(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	for _, x := range rows {
		en := x.ServiceNameEn
		if en == "" {
			en = x.ServiceNameZh
		}
		out[x.ID] = finance.OrderFacts{ID: x.ID, StoreID: x.StoreID, StoreName: x.StoreName, ServiceID: x.ServiceID,
			ServiceNameZh: x.ServiceNameZh, ServiceName: en}
	}
	return out, nil
}

// Lines implements finance.Repo.
func (r *Repo) Lines(ctx context.Context, ownerKind string, ownerID uuid.UUID, currency string, from, to time.Time) (map[string]int64, []finance.Line, error) {
	var open []struct {
		Purpose string
		Total   int64
	}
	err := r.db.Conn(ctx).Raw(`select a.purpose, coalesce(sum(p.amount), 0) as total
		from ledger_accounts a
		join ledger_postings p on p.tenant_id = a.tenant_id and p.account_id = a.id
		join ledger_transactions t on t.tenant_id = p.tenant_id and t.id = p.transaction_id
		where a.owner_kind = ? and a.owner_id = ? and a.asset = ? and a.purpose in ('pending', 'available') and t.created_at < ?
		group by a.purpose`, ownerKind, ownerID, currency, from).Scan(&open).Error
	if err != nil {
		return nil, nil, dbx.Err(err)
	}
	opening := map[string]int64{}
	for _, o := range open {
		opening[o.Purpose] = o.Total
	}
	var rows []struct {
		TxID    uuid.UUID
		Kind    string
		RefKind string
		RefID   *uuid.UUID
		At      time.Time
		Purpose string
		Amount  int64
	}
	err = r.db.Conn(ctx).Raw(`select t.id as tx_id, t.kind, t.ref_kind, t.ref_id, t.created_at as at, a.purpose, p.amount
		from ledger_accounts a
		join ledger_postings p on p.tenant_id = a.tenant_id and p.account_id = a.id
		join ledger_transactions t on t.tenant_id = p.tenant_id and t.id = p.transaction_id
		where a.owner_kind = ? and a.owner_id = ? and a.asset = ? and a.purpose in ('pending', 'available')
		  and t.created_at >= ? and t.created_at < ?
		order by t.created_at, t.id, p.line`, ownerKind, ownerID, currency, from, to).Scan(&rows).Error
	if err != nil {
		return nil, nil, dbx.Err(err)
	}
	lines := make([]finance.Line, 0, len(rows))
	for _, x := range rows {
		l := finance.Line{TxID: x.TxID, Kind: x.Kind, RefKind: x.RefKind, At: x.At, Purpose: x.Purpose, Amount: x.Amount}
		if x.RefID != nil {
			l.RefID = *x.RefID
		}
		lines = append(lines, l)
	}
	return opening, lines, nil
}

// StaffStore implements finance.Repo.
func (r *Repo) StaffStore(ctx context.Context, staffID uuid.UUID) (uuid.UUID, string, error) {
	var row struct {
		StoreID     uuid.UUID
		DisplayName string
	}
	res := r.db.Conn(ctx).Raw(`select store_id, display_name from staff where id = ?`, staffID).Scan(&row)
	if res.Error != nil {
		return uuid.Nil, "", dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return uuid.Nil, "", finance.ErrStaffNotFound
	}
	return row.StoreID, row.DisplayName, nil
}

// Franchisee implements finance.Repo.
func (r *Repo) Franchisee(ctx context.Context, id uuid.UUID) (string, error) {
	var names []string
	if err := r.db.Conn(ctx).Raw(`select name from franchisees where id = ?`, id).Scan(&names).Error; err != nil {
		return "", dbx.Err(err)
	}
	if len(names) == 0 {
		return "", finance.ErrFranchiseeNotFound
	}
	return names[0], nil
}

// PaymentRefunds resolves refunds through the payment area's refunds and payments tables
// (migration 00014), for finance.NewService.
type PaymentRefunds struct{ DB *dbx.DB }

// RefundOrders implements finance.RefundOrders.
func (p PaymentRefunds) RefundOrders(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]finance.RefundRef, error) {
	var rows []struct {
		ID, OrderID uuid.UUID
		Method      string
	}
	err := p.DB.Conn(ctx).Raw(`select r.id, r.order_id, coalesce(nullif(p.method, ''), p.channel) as method
		from refunds r join payments p on p.tenant_id = r.tenant_id and p.id = r.payment_id where r.id in ?`, ids).Scan(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]finance.RefundRef, len(rows))
	for _, x := range rows {
		out[x.ID] = finance.RefundRef{OrderID: x.OrderID, Method: x.Method}
	}
	return out, nil
}
