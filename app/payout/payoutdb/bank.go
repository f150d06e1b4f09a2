package payoutdb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/payout"
)

// TenantOfStripeAccount implements payout.Repo.
func (r *Repo) TenantOfStripeAccount(ctx context.Context, stripeID string) (uuid.UUID, bool, error) {
	var ids []uuid.UUID
	if err := r.db.Conn(ctx).Raw(`select tenant_id from stripe_connected_accounts where stripe_account_id = ?`, stripeID).
		Scan(&ids).Error; err != nil || len(ids) == 0 {
		return uuid.Nil, false, dbx.Err(err)
	}
	return ids[0], true, nil
}

type bankRow struct {
	ID              uuid.UUID
	StripePayoutID  string
	AccountID       uuid.UUID
	Amount          int64
	Currency        string
	Status          string
	ArrivalDate     *time.Time
	FailureCode     string
	FailureMessage  string
	StripeUpdatedAt time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

const bankColumns = `id, stripe_payout_id, account_id, amount, currency, status, arrival_date, failure_code, failure_message,
	stripe_updated_at, created_at, updated_at`

func (x bankRow) core() payout.BankPayout {
	p := payout.BankPayout{ID: x.ID, StripeID: x.StripePayoutID, AccountID: x.AccountID, Amount: x.Amount, Currency: x.Currency,
		Status: payout.BankStatus(x.Status), FailureCode: x.FailureCode, FailureMessage: x.FailureMessage,
		StripeUpdated: x.StripeUpdatedAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
	if x.ArrivalDate != nil {
		p.ArrivalDate = x.ArrivalDate.Format(time.DateOnly)
	}
	return p
}

func arrival(p payout.BankPayout) *string { return nilStr(p.ArrivalDate) }

// BankPayout implements payout.Repo.
func (r *Repo) BankPayout(ctx context.Context, stripeID string, lock bool) (payout.BankPayout, bool, error) {
	q := `select ` + bankColumns + ` from bank_payouts where stripe_payout_id = ?`
	if lock {
		q += ` for update`
	}
	var x bankRow
	res := r.db.Conn(ctx).Raw(q, stripeID).Scan(&x)
	if res.Error != nil || res.RowsAffected == 0 {
		return payout.BankPayout{}, false, dbx.Err(res.Error)
	}
	return x.core(), true, nil
}

// InsertBankPayout implements payout.Repo.
func (r *Repo) InsertBankPayout(ctx context.Context, p payout.BankPayout) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into bank_payouts (tenant_id, id, stripe_payout_id, account_id, amount, currency, status,
		arrival_date, failure_code, failure_message, stripe_updated_at, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?::date, ?, ?, ?, ?, ?)`,
		tid, p.ID, p.StripeID, p.AccountID, p.Amount, p.Currency, p.Status, arrival(p), p.FailureCode, p.FailureMessage,
		p.StripeUpdated, p.CreatedAt, p.UpdatedAt).Error)
}

// SaveBankPayout implements payout.Repo.
func (r *Repo) SaveBankPayout(ctx context.Context, p payout.BankPayout) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update bank_payouts set amount = ?, currency = ?, status = ?, arrival_date = ?::date,
		failure_code = ?, failure_message = ?, stripe_updated_at = ?, updated_at = ? where id = ?`,
		p.Amount, p.Currency, p.Status, arrival(p), p.FailureCode, p.FailureMessage, p.StripeUpdated, p.UpdatedAt, p.ID).Error)
}

// BankPayouts implements payout.Repo.
func (r *Repo) BankPayouts(ctx context.Context, accountID uuid.UUID, limit int) ([]payout.BankPayout, error) {
	var xs []bankRow
	if err := r.db.Conn(ctx).Raw(`select `+bankColumns+` from bank_payouts where account_id = ? order by created_at desc, id desc limit ?`,
		accountID, limit).Scan(&xs).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]payout.BankPayout, len(xs))
	for i, x := range xs {
		out[i] = x.core()
	}
	return out, nil
}

// OwnerUsers implements payout.Repo.
func (r *Repo) OwnerUsers(ctx context.Context, owner payout.Owner) ([]uuid.UUID, error) {
	q := `select user_id from staff where id = ?`
	if owner.Kind == payout.OwnerFranchisee {
		q = `select id from users where franchisee_id = ? and store_id is null and status = 'active' order by id`
	}
	var ids []uuid.UUID
	return ids, dbx.Err(r.db.Conn(ctx).Raw(q, owner.ID).Scan(&ids).Error)
}
