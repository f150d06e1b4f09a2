// Package payoutdb stores payout accounts, settings, withdrawals and their history in
// PostgreSQL.
package payoutdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/page"
	"doorstep/app/payout"
)

// Repo implements payout.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ payout.Repo = (*Repo)(nil)

// Tenant implements payout.Repo.
func (r *Repo) Tenant(ctx context.Context) (payout.TenantFacts, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return payout.TenantFacts{}, err
	}
	var row struct{ Currency, TimeZone, BrandName, Name, Locale string }
	res := r.db.Conn(ctx).Raw(`select currency, time_zone, brand_name, name, locale from tenants where id = ?`, tid).Scan(&row)
	if res.Error != nil {
		return payout.TenantFacts{}, dbx.Err(res.Error)
	}
	brand := row.BrandName
	if brand == "" {
		brand = row.Name
	}
	return payout.TenantFacts{Currency: row.Currency, TimeZone: row.TimeZone, Brand: brand, Locale: row.Locale}, nil
}

// Settings implements payout.Repo.
func (r *Repo) Settings(ctx context.Context) (payout.Settings, error) {
	var row struct {
		MinAmount, FeeFixed, DailyLimit int64
		FeeBP                           int
		UpdatedBy                       string
		UpdatedAt                       time.Time
	}
	res := r.db.Conn(ctx).Raw(`select min_amount, fee_fixed, fee_bp, daily_limit, updated_by, updated_at from payout_settings`).Scan(&row)
	if res.Error != nil {
		return payout.Settings{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return payout.DefaultSettings(), nil
	}
	return payout.Settings{MinAmount: row.MinAmount, FeeFixed: row.FeeFixed, FeeBP: row.FeeBP, DailyLimit: row.DailyLimit,
		UpdatedBy: row.UpdatedBy, UpdatedAt: row.UpdatedAt}, nil
}

// SaveSettings implements payout.Repo.
func (r *Repo) SaveSettings(ctx context.Context, s payout.Settings) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into payout_settings (tenant_id, min_amount, fee_fixed, fee_bp, daily_limit, updated_by, updated_at)
		values (?, ?, ?, ?, ?, ?, ?)
		on conflict (tenant_id, singleton) do update set min_amount = excluded.min_amount, fee_fixed = excluded.fee_fixed,
		  fee_bp = excluded.fee_bp, daily_limit = excluded.daily_limit, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		tid, s.MinAmount, s.FeeFixed, s.FeeBP, s.DailyLimit, s.UpdatedBy, s.UpdatedAt).Error)
}

type accountRow struct {
	ID                                               uuid.UUID
	OwnerKind                                        string
	OwnerID                                          uuid.UUID
	IdempotencyKey                                   string
	StripeAccountID                                  *string
	State                                            string
	PayoutsEnabled, ChargesEnabled, DetailsSubmitted bool
	DisabledReason                                   string
	StripeUpdatedAt                                  *time.Time
	CreatedAt, UpdatedAt                             time.Time
}

const accountColumns = `id, owner_kind, owner_id, idempotency_key, stripe_account_id, state, payouts_enabled, charges_enabled,
	details_submitted, disabled_reason, stripe_updated_at, created_at, updated_at`

func (x accountRow) core() payout.Account {
	a := payout.Account{ID: x.ID, Owner: payout.Owner{Kind: payout.OwnerKind(x.OwnerKind), ID: x.OwnerID}, Key: x.IdempotencyKey,
		State: payout.AccountState(x.State), PayoutsEnabled: x.PayoutsEnabled, ChargesEnabled: x.ChargesEnabled,
		DetailsSubmitted: x.DetailsSubmitted, DisabledReason: x.DisabledReason, StripeUpdatedAt: x.StripeUpdatedAt,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
	if x.StripeAccountID != nil {
		a.StripeID = *x.StripeAccountID
	}
	return a
}

func (r *Repo) account(ctx context.Context, where string, args ...any) (payout.Account, error) {
	var x accountRow
	res := r.db.Conn(ctx).Raw(`select `+accountColumns+` from payout_accounts where `+where, args...).Scan(&x)
	if res.Error != nil {
		return payout.Account{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return payout.Account{}, payout.ErrAccountNotFound
	}
	return x.core(), nil
}

// Account implements payout.Repo.
func (r *Repo) Account(ctx context.Context, owner payout.Owner, lock bool) (payout.Account, error) {
	q := `owner_kind = ? and owner_id = ?`
	if lock {
		q += ` for update`
	}
	return r.account(ctx, q, owner.Kind, owner.ID)
}

// AccountByStripeID implements payout.Repo.
func (r *Repo) AccountByStripeID(ctx context.Context, stripeID string) (payout.Account, error) {
	return r.account(ctx, `stripe_account_id = ? for update`, stripeID)
}

// AccountByID implements payout.Repo.
func (r *Repo) AccountByID(ctx context.Context, id uuid.UUID) (payout.Account, error) {
	return r.account(ctx, `id = ? for update`, id)
}

// InsertAccount implements payout.Repo.
func (r *Repo) InsertAccount(ctx context.Context, a payout.Account) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into payout_accounts (tenant_id, id, owner_kind, owner_id, idempotency_key, state, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id, owner_kind, owner_id) do nothing`,
		tid, a.ID, a.Owner.Kind, a.Owner.ID, a.Key, a.State, a.CreatedAt, a.UpdatedAt).Error)
}

// SaveAccount implements payout.Repo. A recorded Stripe account id is also mapped to the
// tenant in stripe_connected_accounts, which the webhook reads to place payout.* events.
func (r *Repo) SaveAccount(ctx context.Context, a payout.Account) error {
	db := r.db.Conn(ctx)
	if err := db.Exec(`update payout_accounts set stripe_account_id = coalesce(stripe_account_id, ?), state = ?,
		payouts_enabled = ?, charges_enabled = ?, details_submitted = ?, disabled_reason = ?, stripe_updated_at = ?, updated_at = ?
		where id = ?`, nilStr(a.StripeID), a.State, a.PayoutsEnabled, a.ChargesEnabled, a.DetailsSubmitted, a.DisabledReason,
		a.StripeUpdatedAt, a.UpdatedAt, a.ID).Error; err != nil || a.StripeID == "" {
		return dbx.Err(err)
	}
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(db.Exec(`insert into stripe_connected_accounts (stripe_account_id, tenant_id)
		select stripe_account_id, tenant_id from payout_accounts where tenant_id = ? and id = ? and stripe_account_id is not null
		on conflict (stripe_account_id) do nothing`, tid, a.ID).Error)
}

func nilStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func id(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// InsertWithdrawal implements payout.Repo.
func (r *Repo) InsertWithdrawal(ctx context.Context, w payout.Withdrawal) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into withdrawals (tenant_id, id, owner_kind, owner_id, account_id, amount, fee, currency,
		status, local_day, requested_by, request_key, request_tx_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::date, ?, ?, ?, ?, ?)`,
		tid, w.ID, w.Owner.Kind, w.Owner.ID, w.AccountID, w.Amount, w.Fee, w.Currency, w.Status, w.Day, w.RequestedBy, nilStr(w.RequestKey),
		w.RequestTxID, w.CreatedAt, w.UpdatedAt).Error)
}

// WithdrawalByRequestKey implements payout.Repo.
func (r *Repo) WithdrawalByRequestKey(ctx context.Context, requestedBy uuid.UUID, key string) (payout.Withdrawal, bool, error) {
	var ids []uuid.UUID
	if err := r.db.Conn(ctx).Raw(`select id from withdrawals where requested_by = ? and request_key = ?`, requestedBy, key).
		Scan(&ids).Error; err != nil || len(ids) == 0 {
		return payout.Withdrawal{}, false, dbx.Err(err)
	}
	w, err := r.Withdrawal(ctx, ids[0], false)
	return w, err == nil, err
}

type withdrawalRow struct {
	ID                                 uuid.UUID
	OwnerKind                          string
	OwnerID, AccountID                 uuid.UUID
	StripeAccountID                    *string
	Amount, Fee                        int64
	Currency, Status                   string
	LocalDay                           string
	RequestedBy, RequestTxID           uuid.UUID
	PaidTxID, ReversalTxID, FailedTxID *uuid.UUID
	TransferKey, TransferID            *string
	RequestKey                         *string
	Reversed                           int64
	Reason, DecidedBy                  string
	DecidedAt                          *time.Time
	CreatedAt, UpdatedAt               time.Time
}

const withdrawalColumns = `w.id, w.owner_kind, w.owner_id, w.account_id, a.stripe_account_id, w.amount, w.fee, w.currency, w.status,
	to_char(w.local_day, 'YYYY-MM-DD') as local_day, w.requested_by, w.request_tx_id, w.paid_tx_id, w.reversal_tx_id, w.failed_tx_id,
	w.transfer_key, w.transfer_id, w.request_key, w.reversed, w.reason, w.decided_by, w.decided_at, w.created_at, w.updated_at`

const withdrawalFrom = ` from withdrawals w join payout_accounts a on a.tenant_id = w.tenant_id and a.id = w.account_id`

func (x withdrawalRow) core() payout.Withdrawal {
	return payout.Withdrawal{ID: x.ID, Owner: payout.Owner{Kind: payout.OwnerKind(x.OwnerKind), ID: x.OwnerID}, AccountID: x.AccountID,
		StripeID: str(x.StripeAccountID), Amount: x.Amount, Fee: x.Fee, Currency: x.Currency, Status: payout.Status(x.Status), Day: x.LocalDay,
		RequestedBy: x.RequestedBy, RequestTxID: x.RequestTxID, PaidTxID: id(x.PaidTxID), ReversalTxID: id(x.ReversalTxID),
		FailedTxID: id(x.FailedTxID), TransferKey: str(x.TransferKey), TransferID: str(x.TransferID),
		RequestKey: str(x.RequestKey), Reversed: x.Reversed, Reason: x.Reason,
		DecidedBy: x.DecidedBy, DecidedAt: x.DecidedAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// Withdrawal implements payout.Repo.
func (r *Repo) Withdrawal(ctx context.Context, wid uuid.UUID, lock bool) (payout.Withdrawal, error) {
	q := `select ` + withdrawalColumns + withdrawalFrom + ` where w.id = ?`
	if lock {
		q += ` for update of w`
	}
	var x withdrawalRow
	res := r.db.Conn(ctx).Raw(q, wid).Scan(&x)
	if res.Error != nil {
		return payout.Withdrawal{}, dbx.ErrOr(res.Error, payout.ErrWithdrawalNotFound)
	}
	if res.RowsAffected == 0 {
		return payout.Withdrawal{}, payout.ErrWithdrawalNotFound
	}
	w := x.core()
	var evs []struct {
		Seq                   int
		Status, Reason, Actor string
		At                    time.Time
	}
	if err := r.db.Conn(ctx).Raw(`select seq, status, reason, actor, at from withdrawal_events where withdrawal_id = ? order by seq`, wid).
		Scan(&evs).Error; err != nil {
		return w, dbx.Err(err)
	}
	for _, e := range evs {
		w.History = append(w.History, payout.Event{Seq: e.Seq, Status: payout.Status(e.Status), Reason: e.Reason, Actor: e.Actor, At: e.At})
	}
	return w, nil
}

// SaveWithdrawal implements payout.Repo.
func (r *Repo) SaveWithdrawal(ctx context.Context, w payout.Withdrawal) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update withdrawals set status = ?, paid_tx_id = ?, reversal_tx_id = ?, failed_tx_id = ?,
		transfer_key = ?, transfer_id = ?, reversed = ?, reason = ?, decided_by = ?, decided_at = ?, updated_at = ? where id = ?`,
		w.Status, nilID(w.PaidTxID), nilID(w.ReversalTxID), nilID(w.FailedTxID), nilStr(w.TransferKey), nilStr(w.TransferID), w.Reversed,
		w.Reason, w.DecidedBy, w.DecidedAt, w.UpdatedAt, w.ID).Error)
}

// AddEvent implements payout.Repo.
func (r *Repo) AddEvent(ctx context.Context, wid uuid.UUID, e payout.Event) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into withdrawal_events (tenant_id, withdrawal_id, seq, status, reason, actor, at)
		values (?, ?, ?, ?, ?, ?, ?)`, tid, wid, e.Seq, e.Status, e.Reason, e.Actor, e.At).Error)
}

// List implements payout.Repo. Rows come without history (Withdrawal has it).
func (r *Repo) List(ctx context.Context, f payout.Filter, p page.Request) (page.Result[payout.Withdrawal], error) {
	q := r.db.Conn(ctx).Table("withdrawals w").Joins("join payout_accounts a on a.tenant_id = w.tenant_id and a.id = w.account_id")
	if f.Owner != nil {
		q = q.Where("w.owner_kind = ? and w.owner_id = ?", f.Owner.Kind, f.Owner.ID)
	}
	if f.Status != "" {
		q = q.Where("w.status = ?", f.Status)
	}
	var out page.Result[payout.Withdrawal]
	if err := q.Session(&gorm.Session{}).Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []withdrawalRow
	if err := q.Select(withdrawalColumns).Order("w.created_at desc, w.id desc").Limit(p.Limit).Offset(p.Offset).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]payout.Withdrawal, 0, len(rows))
	for _, x := range rows {
		out.Items = append(out.Items, x.core())
	}
	return out, nil
}

// DayTotal implements payout.Repo.
func (r *Repo) DayTotal(ctx context.Context, owner payout.Owner, day string) (int64, error) {
	var n int64
	err := r.db.Conn(ctx).Raw(`select coalesce(sum(amount), 0) from withdrawals where owner_kind = ? and owner_id = ? and local_day = ?::date
		and status in ('requested', 'approved', 'paid')`, owner.Kind, owner.ID, day).Scan(&n).Error
	return n, dbx.Err(err)
}

// Stuck implements payout.Repo.
func (r *Repo) Stuck(ctx context.Context, cutoff time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.Conn(ctx).Raw(`select id from withdrawals where status = 'approved' and decided_at < ? order by decided_at limit 500`, cutoff).
		Scan(&ids).Error
	return ids, dbx.Err(err)
}
