// Package paymentdb stores payments, refunds, payment settings and Stripe webhook events in
// PostgreSQL.
package paymentdb

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/payment"
)

// Repo implements payment.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ payment.Repo = (*Repo)(nil)

func (r *Repo) conn(ctx context.Context) *gorm.DB { return r.db.Conn(ctx) }

func tenantOf(ctx context.Context) (uuid.UUID, error) { return dbx.RequireTenant(ctx) }

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

// Tenant implements payment.Repo.
func (r *Repo) Tenant(ctx context.Context) (payment.TenantFacts, error) {
	tid, err := tenantOf(ctx)
	if err != nil {
		return payment.TenantFacts{}, err
	}
	var rows []struct{ BrandName, Name, Locale string }
	if err := r.conn(ctx).Raw(`select brand_name, name, locale from tenants where id = ?`, tid).Scan(&rows).Error; err != nil {
		return payment.TenantFacts{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return payment.TenantFacts{}, dbx.Err(gorm.ErrRecordNotFound)
	}
	t := payment.TenantFacts{Brand: rows[0].BrandName, Locale: rows[0].Locale}
	if t.Brand == "" {
		t.Brand = rows[0].Name
	}
	return t, nil
}

// Settings implements payment.Repo.
func (r *Repo) Settings(ctx context.Context) (payment.Settings, error) {
	out := payment.DefaultSettings()
	var mode []string
	if err := r.conn(ctx).Raw(`select payment_mode from booking_settings`).Scan(&mode).Error; err != nil {
		return out, dbx.Err(err)
	}
	if len(mode) == 1 {
		out.Mode = mode[0]
	}
	var rows []struct {
		DepositPercent       int
		MethodTypes          string
		UnpaidTimeoutMinutes int
		UpdatedAt            time.Time
	}
	if err := r.conn(ctx).Raw(`select deposit_percent, array_to_string(method_types, ',') as method_types, unpaid_timeout_minutes, updated_at from payment_settings`).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	if len(rows) == 1 {
		x := rows[0]
		out.DepositPercent, out.MethodTypes, out.UnpaidTimeoutMinutes, out.UpdatedAt = x.DepositPercent, strings.Split(x.MethodTypes, ","), x.UnpaidTimeoutMinutes, x.UpdatedAt
	}
	return out, nil
}

// SaveSettings implements payment.Repo: the mode goes to booking_settings (its one home).
func (r *Repo) SaveSettings(ctx context.Context, s payment.Settings) error {
	tid, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	if err := r.conn(ctx).Exec(`insert into booking_settings (tenant_id, payment_mode, updated_at) values (?, ?, ?)
		on conflict (tenant_id, singleton) do update set payment_mode = excluded.payment_mode, updated_at = excluded.updated_at`,
		tid, s.Mode, s.UpdatedAt).Error; err != nil {
		return dbx.Err(err)
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into payment_settings (tenant_id, deposit_percent, method_types, unpaid_timeout_minutes, updated_at)
		values (?, ?, string_to_array(?, ','), ?, ?)
		on conflict (tenant_id, singleton) do update set deposit_percent = excluded.deposit_percent, method_types = excluded.method_types,
		  unpaid_timeout_minutes = excluded.unpaid_timeout_minutes, updated_at = excluded.updated_at`,
		tid, s.DepositPercent, strings.Join(s.MethodTypes, ","), s.UnpaidTimeoutMinutes, s.UpdatedAt).Error)
}

// Order implements payment.Repo.
func (r *Repo) Order(ctx context.Context, id uuid.UUID, lock bool) (payment.OrderFacts, error) {
	q := `select id, number, customer_id, store_id, status, total, cancel_fee, currency, created_at from orders where id = ?`
	if lock {
		q += " for update"
	}
	var rows []struct {
		ID, CustomerID, StoreID uuid.UUID
		Number, Status          string
		Total, CancelFee        int64
		Currency                string
		CreatedAt               time.Time
	}
	if err := r.conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return payment.OrderFacts{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return payment.OrderFacts{}, dbx.Err(gorm.ErrRecordNotFound)
	}
	x := rows[0]
	return payment.OrderFacts{ID: x.ID, Number: x.Number, CustomerID: x.CustomerID, StoreID: x.StoreID, Status: booking.State(x.Status),
		Total: x.Total, CancelFee: x.CancelFee, Currency: x.Currency, CreatedAt: x.CreatedAt}, nil
}

// StaffOfUser implements payment.Repo.
func (r *Repo) StaffOfUser(ctx context.Context, userID uuid.UUID) (uuid.UUID, error) {
	var ids []uuid.UUID
	if err := r.conn(ctx).Raw(`select id from staff where user_id = ?`, userID).Scan(&ids).Error; err != nil {
		return uuid.Nil, dbx.Err(err)
	}
	if len(ids) == 0 {
		return uuid.Nil, dbx.Err(gorm.ErrRecordNotFound)
	}
	return ids[0], nil
}

// HeldBy implements payment.Repo.
func (r *Repo) HeldBy(ctx context.Context, orderID, staffID uuid.UUID) (bool, error) {
	var n int64
	err := r.conn(ctx).Raw(`select count(*) from assignments where order_id = ? and staff_id = ? and status <> 'released'`, orderID, staffID).Scan(&n).Error
	return n > 0, dbx.Err(err)
}

type paymentRow struct {
	TenantID       uuid.UUID
	ID             uuid.UUID
	OrderID        uuid.UUID
	CustomerID     uuid.UUID
	StoreID        uuid.UUID
	Kind           string
	Channel        string
	Method         string
	Amount         int64
	Currency       string
	Status         string
	Refunded       int64
	IdempotencyKey string
	IntentID       string
	ClientSecret   string
	FailureCode    string
	StaffID        *uuid.UUID
	RecordedBy     string
	LedgerTxID     *uuid.UUID
	PaidAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (paymentRow) TableName() string { return "payments" }

func toPaymentRow(tid uuid.UUID, p payment.Payment) paymentRow {
	return paymentRow{TenantID: tid, ID: p.ID, OrderID: p.OrderID, CustomerID: p.CustomerID, StoreID: p.StoreID, Kind: p.Kind, Channel: p.Channel,
		Method: p.Method, Amount: p.Amount, Currency: p.Currency, Status: p.Status, Refunded: p.Refunded, IdempotencyKey: p.IdempotencyKey,
		IntentID: p.IntentID, ClientSecret: p.ClientSecret, FailureCode: p.FailureCode, StaffID: nilIfZero(p.StaffID), RecordedBy: p.RecordedBy,
		LedgerTxID: nilIfZero(p.LedgerTxID), PaidAt: p.PaidAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (x paymentRow) model() payment.Payment {
	return payment.Payment{ID: x.ID, OrderID: x.OrderID, CustomerID: x.CustomerID, StoreID: x.StoreID, Kind: x.Kind, Channel: x.Channel,
		Method: x.Method, Amount: x.Amount, Currency: x.Currency, Status: x.Status, Refunded: x.Refunded, IdempotencyKey: x.IdempotencyKey,
		IntentID: x.IntentID, ClientSecret: x.ClientSecret, FailureCode: x.FailureCode, StaffID: deref(x.StaffID), RecordedBy: x.RecordedBy,
		LedgerTxID: deref(x.LedgerTxID), PaidAt: x.PaidAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// InsertPayment implements payment.Repo.
func (r *Repo) InsertPayment(ctx context.Context, p payment.Payment) error {
	tid, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	row := toPaymentRow(tid, p)
	return r.conn(ctx).Create(&row).Error
}

func (r *Repo) payments(ctx context.Context, where string, lock bool, args ...any) ([]payment.Payment, error) {
	q := `select * from payments where ` + where + ` order by created_at, id`
	if lock {
		q += " for update"
	}
	var rows []paymentRow
	if err := r.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]payment.Payment, len(rows))
	for i, x := range rows {
		out[i] = x.model()
	}
	return out, nil
}

// GetPayment implements payment.Repo.
func (r *Repo) GetPayment(ctx context.Context, id uuid.UUID, lock bool) (payment.Payment, error) {
	ps, err := r.payments(ctx, "id = ?", lock, id)
	if err != nil {
		return payment.Payment{}, err
	}
	if len(ps) == 0 {
		return payment.Payment{}, dbx.Err(gorm.ErrRecordNotFound)
	}
	return ps[0], nil
}

// OpenStripePayment implements payment.Repo.
func (r *Repo) OpenStripePayment(ctx context.Context, orderID uuid.UUID, kind string) (payment.Payment, bool, error) {
	ps, err := r.payments(ctx, "order_id = ? and kind = ? and channel = 'stripe' and status in ('pending', 'failed')", true, orderID, kind)
	if err != nil || len(ps) == 0 {
		return payment.Payment{}, false, err
	}
	return ps[0], true, nil
}

// UpdatePayment implements payment.Repo.
func (r *Repo) UpdatePayment(ctx context.Context, p payment.Payment) error {
	return dbx.Err(r.conn(ctx).Exec(`update payments set amount = ?, method = ?, status = ?, refunded = ?, intent_id = ?, client_secret = ?,
		failure_code = ?, ledger_tx_id = ?, paid_at = ?, updated_at = ? where id = ?`,
		p.Amount, p.Method, p.Status, p.Refunded, p.IntentID, p.ClientSecret, p.FailureCode, nilIfZero(p.LedgerTxID), p.PaidAt, p.UpdatedAt, p.ID).Error)
}

// OrderPayments implements payment.Repo.
func (r *Repo) OrderPayments(ctx context.Context, orderID uuid.UUID, lock bool) ([]payment.Payment, error) {
	return r.payments(ctx, "order_id = ?", lock, orderID)
}

type refundRow struct {
	TenantID       uuid.UUID
	ID             uuid.UUID
	PaymentID      uuid.UUID
	OrderID        uuid.UUID
	Amount         int64
	Currency       string
	Reason         string
	Source         string
	Status         string
	IdempotencyKey string
	RequestKey     *string
	StripeRefundID string
	FailureReason  string
	LedgerTxID     *uuid.UUID
	ReversalTxID   *uuid.UUID
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (refundRow) TableName() string { return "refunds" }

func (x refundRow) model() payment.Refund {
	rk := ""
	if x.RequestKey != nil {
		rk = *x.RequestKey
	}
	return payment.Refund{ID: x.ID, PaymentID: x.PaymentID, OrderID: x.OrderID, Amount: x.Amount, Currency: x.Currency, Reason: x.Reason,
		Source: x.Source, Status: x.Status, IdempotencyKey: x.IdempotencyKey, RequestKey: rk, StripeRefundID: x.StripeRefundID,
		FailureReason: x.FailureReason, LedgerTxID: deref(x.LedgerTxID), ReversalTxID: deref(x.ReversalTxID), CreatedBy: x.CreatedBy,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// InsertRefund implements payment.Repo.
func (r *Repo) InsertRefund(ctx context.Context, x payment.Refund) error {
	tid, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	var rk *string
	if x.RequestKey != "" {
		rk = &x.RequestKey
	}
	row := refundRow{TenantID: tid, ID: x.ID, PaymentID: x.PaymentID, OrderID: x.OrderID, Amount: x.Amount, Currency: x.Currency, Reason: x.Reason,
		Source: x.Source, Status: x.Status, IdempotencyKey: x.IdempotencyKey, RequestKey: rk, StripeRefundID: x.StripeRefundID,
		FailureReason: x.FailureReason, LedgerTxID: nilIfZero(x.LedgerTxID), ReversalTxID: nilIfZero(x.ReversalTxID), CreatedBy: x.CreatedBy,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
	return r.conn(ctx).Create(&row).Error
}

func (r *Repo) refunds(ctx context.Context, where string, lock bool, args ...any) ([]payment.Refund, error) {
	q := `select * from refunds where ` + where + ` order by created_at, id`
	if lock {
		q += " for update"
	}
	var rows []refundRow
	if err := r.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]payment.Refund, len(rows))
	for i, x := range rows {
		out[i] = x.model()
	}
	return out, nil
}

func one(rs []payment.Refund, err error) (payment.Refund, bool, error) {
	if err != nil || len(rs) == 0 {
		return payment.Refund{}, false, err
	}
	return rs[0], true, nil
}

// GetRefund implements payment.Repo.
func (r *Repo) GetRefund(ctx context.Context, id uuid.UUID, lock bool) (payment.Refund, error) {
	x, ok, err := one(r.refunds(ctx, "id = ?", lock, id))
	if err == nil && !ok {
		err = dbx.Err(gorm.ErrRecordNotFound)
	}
	return x, err
}

// RefundByRequestKey implements payment.Repo.
func (r *Repo) RefundByRequestKey(ctx context.Context, paymentID uuid.UUID, key string) (payment.Refund, bool, error) {
	return one(r.refunds(ctx, "payment_id = ? and request_key = ?", false, paymentID, key))
}

// RefundByStripeID implements payment.Repo.
func (r *Repo) RefundByStripeID(ctx context.Context, stripeID string) (payment.Refund, bool, error) {
	return one(r.refunds(ctx, "stripe_refund_id = ? and source = 'stripe'", false, stripeID))
}

// UpdateRefund implements payment.Repo.
func (r *Repo) UpdateRefund(ctx context.Context, x payment.Refund) error {
	return dbx.Err(r.conn(ctx).Exec(`update refunds set status = ?, stripe_refund_id = ?, failure_reason = ?, ledger_tx_id = ?,
		reversal_tx_id = ?, updated_at = ? where id = ?`,
		x.Status, x.StripeRefundID, x.FailureReason, nilIfZero(x.LedgerTxID), nilIfZero(x.ReversalTxID), x.UpdatedAt, x.ID).Error)
}

// OrderRefunds implements payment.Repo.
func (r *Repo) OrderRefunds(ctx context.Context, orderID uuid.UUID) ([]payment.Refund, error) {
	return r.refunds(ctx, "order_id = ?", false, orderID)
}

// PendingStripeRefunds implements payment.Repo.
func (r *Repo) PendingStripeRefunds(ctx context.Context, olderThan time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.conn(ctx).Raw(`select f.id from refunds f join payments p on p.tenant_id = f.tenant_id and p.id = f.payment_id
		where f.status = 'pending' and f.stripe_refund_id = '' and p.channel = 'stripe' and f.created_at < ?
		order by f.created_at limit 500`, olderThan).Scan(&ids).Error
	return ids, dbx.Err(err)
}

// InsertEvent implements payment.Repo.
func (r *Repo) InsertEvent(ctx context.Context, e payment.WebhookEvent) (bool, error) {
	tid, err := tenantOf(ctx)
	if err != nil {
		return false, err
	}
	res := r.conn(ctx).Exec(`insert into payment_webhook_events (tenant_id, event_id, type, payload, received_at)
		values (?, ?, ?, ?, ?) on conflict (tenant_id, event_id) do nothing`, tid, e.EventID, e.Type, string(e.Payload), e.ReceivedAt)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// GetEvent implements payment.Repo.
func (r *Repo) GetEvent(ctx context.Context, id string, lock bool) (payment.WebhookEvent, error) {
	q := `select event_id, type, payload::text as payload, received_at, processed_at, outcome from payment_webhook_events where event_id = ?`
	if lock {
		q += " for update"
	}
	var rows []struct {
		EventID, Type, Payload, Outcome string
		ReceivedAt                      time.Time
		ProcessedAt                     *time.Time
	}
	if err := r.conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return payment.WebhookEvent{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return payment.WebhookEvent{}, dbx.Err(gorm.ErrRecordNotFound)
	}
	x := rows[0]
	return payment.WebhookEvent{EventID: x.EventID, Type: x.Type, Payload: []byte(x.Payload), ReceivedAt: x.ReceivedAt, ProcessedAt: x.ProcessedAt, Outcome: x.Outcome}, nil
}

// MarkEvent implements payment.Repo.
func (r *Repo) MarkEvent(ctx context.Context, id, outcome string, at time.Time) error {
	if len(outcome) > 500 {
		outcome = outcome[:500]
	}
	return dbx.Err(r.conn(ctx).Exec(`update payment_webhook_events set processed_at = ?, outcome = ? where event_id = ?`, at, outcome, id).Error)
}

// OverdueUnpaid implements payment.Repo.
func (r *Repo) OverdueUnpaid(ctx context.Context, now time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.conn(ctx).Raw(`select o.id from orders o
		where o.status = 'pending_payment'
		  and o.created_at + make_interval(mins => coalesce((select unpaid_timeout_minutes from payment_settings), 30)) < ?
		order by o.created_at limit 500`, now).Scan(&ids).Error
	return ids, dbx.Err(err)
}
