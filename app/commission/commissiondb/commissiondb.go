// Package commissiondb stores commission rules, settings, splits and the refunds the
// clawback saw, in PostgreSQL.
package commissiondb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/commission"
	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
)

// Repo implements commission.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ commission.Repo = (*Repo)(nil)

// staffLineJSON is a staff line as stored in commission_rule_versions.staff_lines.
type staffLineJSON struct {
	ServiceID      *uuid.UUID `json:"service_id,omitempty"`
	CategoryID     *uuid.UUID `json:"category_id,omitempty"`
	LevelID        *uuid.UUID `json:"level_id,omitempty"`
	StaffID        *uuid.UUID `json:"staff_id,omitempty"`
	Kind           string     `json:"kind"`
	Value          int64      `json:"value"`
	BonusBP        int        `json:"bonus_bp,omitempty"`
	BonusMinRating float64    `json:"bonus_min_rating,omitempty"`
}

func optID(id uuid.UUID) *uuid.UUID {
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

func linesToDB(ls []commission.StaffLine) ([]byte, error) {
	out := make([]staffLineJSON, len(ls))
	for i, l := range ls {
		out[i] = staffLineJSON{ServiceID: optID(l.ServiceID), CategoryID: optID(l.CategoryID), LevelID: optID(l.LevelID), StaffID: optID(l.StaffID),
			Kind: string(l.Kind), Value: l.Value, BonusBP: l.BonusBP, BonusMinRating: l.BonusMinRating}
	}
	return json.Marshal(out)
}

func linesToCore(b []byte) ([]commission.StaffLine, error) {
	var in []staffLineJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("commissiondb: staff lines: %w", err)
	}
	out := make([]commission.StaffLine, len(in))
	for i, l := range in {
		out[i] = commission.StaffLine{ServiceID: id(l.ServiceID), CategoryID: id(l.CategoryID), LevelID: id(l.LevelID), StaffID: id(l.StaffID),
			Kind: commission.StaffKind(l.Kind), Value: l.Value, BonusBP: l.BonusBP, BonusMinRating: l.BonusMinRating}
	}
	return out, nil
}

// InsertRules implements commission.Repo.
func (r *Repo) InsertRules(ctx context.Context, v *commission.Rules) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	lines, err := linesToDB(v.StaffLines)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Raw(`insert into commission_rule_versions (tenant_id, id, version, effective_from, platform_fee_bp, royalty_bp,
		marketplace_take_bp, staff_lines, note, created_by, created_at)
		select ?, ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? from commission_rule_versions
		returning version`, tenant, v.ID, v.EffectiveFrom, v.PlatformFeeBP, v.RoyaltyBP, v.MarketplaceTakeBP, string(lines), v.Note,
		v.CreatedBy, v.CreatedAt).Scan(&v.Version).Error
	if dbx.IsConstraint(err, "commission_rule_versions_version_key") {
		return commission.ErrPublishConflict
	}
	return dbx.Err(err)
}

type rulesRow struct {
	ID                                          uuid.UUID
	Version                                     int
	EffectiveFrom                               time.Time
	PlatformFeeBP, RoyaltyBP, MarketplaceTakeBP int
	StaffLines                                  []byte
	Note, CreatedBy                             string
	CreatedAt                                   time.Time
}

const rulesColumns = `id, version, effective_from, platform_fee_bp, royalty_bp, marketplace_take_bp, staff_lines, note, created_by, created_at`

func (x rulesRow) core() (commission.Rules, error) {
	ls, err := linesToCore(x.StaffLines)
	return commission.Rules{ID: x.ID, Version: x.Version, EffectiveFrom: x.EffectiveFrom, PlatformFeeBP: x.PlatformFeeBP, RoyaltyBP: x.RoyaltyBP,
		MarketplaceTakeBP: x.MarketplaceTakeBP, StaffLines: ls, Note: x.Note, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}, err
}

func (r *Repo) rules(ctx context.Context, where string, args ...any) ([]commission.Rules, error) {
	var rows []rulesRow
	if err := r.db.Conn(ctx).Raw(`select `+rulesColumns+` from commission_rule_versions `+where, args...).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]commission.Rules, 0, len(rows))
	for _, x := range rows {
		v, err := x.core()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ListRules implements commission.Repo.
func (r *Repo) ListRules(ctx context.Context, limit int) ([]commission.Rules, error) {
	return r.rules(ctx, `order by version desc limit ?`, limit)
}

// GetRules implements commission.Repo.
func (r *Repo) GetRules(ctx context.Context, rid uuid.UUID) (commission.Rules, error) {
	vs, err := r.rules(ctx, `where id = ?`, rid)
	if err != nil {
		return commission.Rules{}, err
	}
	if len(vs) == 0 {
		return commission.Rules{}, commission.ErrRulesNotFound
	}
	return vs[0], nil
}

// RulesAt implements commission.Repo.
func (r *Repo) RulesAt(ctx context.Context, t time.Time) (*commission.Rules, error) {
	vs, err := r.rules(ctx, `where effective_from <= ? order by effective_from desc, version desc limit 1`, t)
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return &vs[0], nil
}

// Settings implements commission.Repo.
func (r *Repo) Settings(ctx context.Context) (commission.Settings, error) {
	var row struct {
		HoldingDays int
		UpdatedAt   time.Time
	}
	res := r.db.Conn(ctx).Raw(`select holding_days, updated_at from commission_settings`).Scan(&row)
	if res.Error != nil {
		return commission.Settings{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return commission.DefaultSettings, nil
	}
	return commission.Settings{HoldingDays: row.HoldingDays, UpdatedAt: row.UpdatedAt}, nil
}

// SaveSettings implements commission.Repo.
func (r *Repo) SaveSettings(ctx context.Context, s commission.Settings) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into commission_settings (tenant_id, holding_days, updated_at) values (?, ?, ?)
		on conflict (tenant_id, singleton) do update set holding_days = excluded.holding_days, updated_at = excluded.updated_at`,
		tenant, s.HoldingDays, s.UpdatedAt).Error)
}

// Order implements commission.Repo: the order's facts, its last serving staff member's level
// and rating, whether it was recorded as paid; the order row is locked.
func (r *Repo) Order(ctx context.Context, oid uuid.UUID) (commission.OrderFacts, error) {
	var row struct {
		ID, CustomerID, StoreID, ServiceID uuid.UUID
		CategoryID                         uuid.UUID
		FranchiseeID, StaffID, LevelID     *uuid.UUID
		Status, Currency                   string
		CompletedAt                        time.Time
		RatingCount                        int64
		RatingSum                          int64
		Paid                               bool
	}
	res := r.db.Conn(ctx).Raw(`with o as (
		  select o.* from orders o where o.id = ? for no key update of o),
		st as (
		  select a.staff_id from o join assignments a on a.tenant_id = o.tenant_id and a.order_id = o.id
		  where a.status <> 'released' order by a.created_at desc limit 1)
		select o.id, o.customer_id, o.store_id, o.service_id, cs.category_id, s.franchisee_id, st.staff_id, sf.level_id, o.status, o.currency,
		  coalesce(o.accepted_at, o.completed_at, o.updated_at) as completed_at,
		  coalesce(sr.count, 0) as rating_count, coalesce(sr.attitude_sum + sr.quality_sum + sr.punctuality_sum, 0) as rating_sum,
		  exists (select 1 from commission_paid_orders p where p.tenant_id = o.tenant_id and p.order_id = o.id) as paid
		from o
		join stores s on s.tenant_id = o.tenant_id and s.id = o.store_id
		join catalog_services cs on cs.tenant_id = o.tenant_id and cs.id = o.service_id
		left join st on true
		left join staff sf on sf.tenant_id = o.tenant_id and sf.id = st.staff_id
		left join staff_ratings sr on sr.tenant_id = o.tenant_id and sr.staff_id = st.staff_id`, oid).Scan(&row)
	if res.Error != nil {
		return commission.OrderFacts{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return commission.OrderFacts{}, commission.ErrOrderNotFound
	}
	f := commission.OrderFacts{ID: row.ID, CustomerID: row.CustomerID, Status: row.Status, StoreID: row.StoreID, FranchiseeID: id(row.FranchiseeID), StaffID: id(row.StaffID),
		ServiceID: row.ServiceID, CategoryID: row.CategoryID, LevelID: id(row.LevelID), Currency: row.Currency, CompletedAt: row.CompletedAt,
		Paid: row.Paid}
	if row.RatingCount > 0 {
		f.Rated, f.Rating = true, float64(row.RatingSum)/float64(3*row.RatingCount)
	}
	return f, nil
}

// MarkPaid implements commission.Repo.
func (r *Repo) MarkPaid(ctx context.Context, orderID uuid.UUID, at time.Time) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Exec(`insert into commission_paid_orders (tenant_id, order_id, paid_at) values (?, ?, ?) on conflict do nothing`,
		tenant, orderID, at).Error
	if dbx.IsConstraint(err, "commission_paid_orders_order_fk") {
		return commission.ErrOrderNotFound
	}
	return dbx.Err(err)
}

// RefundedBeforeSplit implements commission.Repo.
func (r *Repo) RefundedBeforeSplit(ctx context.Context, orderID uuid.UUID) (int64, error) {
	var n int64
	err := r.db.Conn(ctx).Raw(`select coalesce(sum(amount), 0) from commission_refunds where order_id = ? and split_id is null and failed_at is null`, orderID).Scan(&n).Error
	return n, dbx.Err(err)
}

// AttachRefunds implements commission.Repo.
func (r *Repo) AttachRefunds(ctx context.Context, orderID, splitID uuid.UUID) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update commission_refunds set split_id = ? where order_id = ? and split_id is null and failed_at is null`,
		splitID, orderID).Error)
}

// RefundedOnSplit implements commission.Repo.
func (r *Repo) RefundedOnSplit(ctx context.Context, splitID uuid.UUID) (int64, error) {
	var n int64
	err := r.db.Conn(ctx).Raw(`select coalesce(sum(amount), 0) from commission_refunds where split_id = ? and failed_at is null`, splitID).Scan(&n).Error
	return n, dbx.Err(err)
}

// Refund implements commission.Repo.
func (r *Repo) Refund(ctx context.Context, refundID uuid.UUID) (commission.Refund, error) {
	var row struct {
		RefundID, OrderID                 uuid.UUID
		Amount                            int64
		SplitID, LedgerTxID, ReversalTxID *uuid.UUID
		CreatedAt                         time.Time
		FailedAt                          *time.Time
	}
	res := r.db.Conn(ctx).Raw(`select refund_id, order_id, amount, split_id, ledger_tx_id, reversal_tx_id, created_at, failed_at
		from commission_refunds where refund_id = ? for update`, refundID).Scan(&row)
	if res.Error != nil {
		return commission.Refund{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return commission.Refund{}, commission.ErrRefundNotFound
	}
	return commission.Refund{RefundID: row.RefundID, OrderID: row.OrderID, Amount: row.Amount, SplitID: id(row.SplitID),
		LedgerTxID: id(row.LedgerTxID), CreatedAt: row.CreatedAt, FailedAt: row.FailedAt, ReversalTxID: id(row.ReversalTxID)}, nil
}

// MarkRefundFailed implements commission.Repo.
func (r *Repo) MarkRefundFailed(ctx context.Context, refundID uuid.UUID, at time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update commission_refunds set failed_at = ? where refund_id = ? and failed_at is null`, at, refundID).Error)
}

// SetRefundReversalTx implements commission.Repo.
func (r *Repo) SetRefundReversalTx(ctx context.Context, refundID, txID uuid.UUID) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update commission_refunds set reversal_tx_id = ? where refund_id = ?`, txID, refundID).Error)
}

// InsertSplit implements commission.Repo.
func (r *Repo) InsertSplit(ctx context.Context, s commission.Split) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	c := r.db.Conn(ctx)
	if err := c.Exec(`insert into commission_splits (tenant_id, id, order_id, rule_version_id, store_id, franchisee_id, staff_id, total, refunded,
		currency, status, ledger_tx_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, s.ID, s.OrderID, optID(s.RuleVersionID), s.StoreID, optID(s.FranchiseeID), optID(s.StaffID), s.Total, s.Refunded,
		s.Currency, s.Status, s.LedgerTxID, s.CreatedAt).Error; err != nil {
		return dbx.Err(err)
	}
	return putLines(c, tenant, s)
}

// putLines writes s's lines, replacing what a line held before (a split that grew).
func putLines(c *gorm.DB, tenant uuid.UUID, s commission.Split) error {
	for _, l := range s.Lines {
		var rl *int
		if l.RuleLine >= 0 {
			rl = &l.RuleLine
		}
		if err := c.Exec(`insert into commission_split_lines (tenant_id, split_id, line, party, owner_id, share, basis, rate_bp, bonus_bp, fixed,
			rule_line, capped, amount, clawed_back) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			on conflict (tenant_id, split_id, line) do update set basis = excluded.basis, rate_bp = excluded.rate_bp,
			bonus_bp = excluded.bonus_bp, fixed = excluded.fixed, rule_line = excluded.rule_line, capped = excluded.capped,
			amount = excluded.amount, clawed_back = excluded.clawed_back`,
			tenant, s.ID, l.No, string(l.Party), optID(l.OwnerID), string(l.Share), string(l.Basis), l.RateBP, l.BonusBP, l.Fixed, rl,
			l.Capped, l.Amount, l.ClawedBack).Error; err != nil {
			return dbx.Err(err)
		}
	}
	return nil
}

// Split implements commission.Repo.
func (r *Repo) Split(ctx context.Context, orderID uuid.UUID, lock bool) (commission.Split, error) {
	q := `select s.id, s.order_id, s.rule_version_id, coalesce(v.version, 0) as rule_version, s.store_id, s.franchisee_id, s.staff_id,
		s.total, s.refunded, s.currency, s.status, s.ledger_tx_id, s.settle_tx_id, s.created_at, s.settled_at
		from commission_splits s left join commission_rule_versions v on v.tenant_id = s.tenant_id and v.id = s.rule_version_id
		where s.order_id = ?`
	if lock {
		q += ` for update of s`
	}
	var row struct {
		ID, OrderID, StoreID, LedgerTxID                 uuid.UUID
		RuleVersionID, FranchiseeID, StaffID, SettleTxID *uuid.UUID
		RuleVersion                                      int
		Total, Refunded                                  int64
		Currency, Status                                 string
		CreatedAt                                        time.Time
		SettledAt                                        *time.Time
	}
	res := r.db.Conn(ctx).Raw(q, orderID).Scan(&row)
	if res.Error != nil {
		return commission.Split{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return commission.Split{}, commission.ErrSplitNotFound
	}
	s := commission.Split{ID: row.ID, OrderID: row.OrderID, RuleVersionID: id(row.RuleVersionID), RuleVersion: row.RuleVersion, StoreID: row.StoreID,
		FranchiseeID: id(row.FranchiseeID), StaffID: id(row.StaffID), Total: row.Total, Refunded: row.Refunded, Currency: row.Currency,
		Status: row.Status, LedgerTxID: row.LedgerTxID, SettleTxID: id(row.SettleTxID), CreatedAt: row.CreatedAt, SettledAt: row.SettledAt}
	var lines []struct {
		Line                int
		Party, Share, Basis string
		OwnerID             *uuid.UUID
		RateBP, BonusBP     int
		Fixed               int64
		RuleLine            *int
		Capped              bool
		Amount, ClawedBack  int64
	}
	if err := r.db.Conn(ctx).Raw(`select line, party, owner_id, share, basis, rate_bp, bonus_bp, fixed, rule_line, capped, amount, clawed_back
		from commission_split_lines where split_id = ? order by line`, s.ID).Scan(&lines).Error; err != nil {
		return commission.Split{}, dbx.Err(err)
	}
	for _, l := range lines {
		rl := -1
		if l.RuleLine != nil {
			rl = *l.RuleLine
		}
		s.Lines = append(s.Lines, commission.Line{No: l.Line, Party: ledger.OwnerKind(l.Party), OwnerID: id(l.OwnerID), Share: commission.Share(l.Share),
			Basis: commission.Basis(l.Basis), RateBP: l.RateBP, BonusBP: l.BonusBP, Fixed: l.Fixed, RuleLine: rl, Capped: l.Capped,
			Amount: l.Amount, ClawedBack: l.ClawedBack})
	}
	return s, nil
}

// ResizeSplit implements commission.Repo.
func (r *Repo) ResizeSplit(ctx context.Context, s commission.Split) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	c := r.db.Conn(ctx)
	if err := c.Exec(`update commission_splits set total = ?, refunded = ? where id = ?`, s.Total, s.Refunded, s.ID).Error; err != nil {
		return dbx.Err(err)
	}
	return putLines(c, tenant, s)
}

// SaveSplit implements commission.Repo.
func (r *Repo) SaveSplit(ctx context.Context, s commission.Split) error {
	c := r.db.Conn(ctx)
	if err := c.Exec(`update commission_splits set status = ?, settle_tx_id = ?, settled_at = ?, refunded = ? where id = ?`,
		s.Status, optID(s.SettleTxID), s.SettledAt, s.Refunded, s.ID).Error; err != nil {
		return dbx.Err(err)
	}
	for _, l := range s.Lines {
		if err := c.Exec(`update commission_split_lines set clawed_back = ? where split_id = ? and line = ? and clawed_back <> ?`,
			l.ClawedBack, s.ID, l.No, l.ClawedBack).Error; err != nil {
			return dbx.Err(err)
		}
	}
	return nil
}

// InsertRefund implements commission.Repo.
func (r *Repo) InsertRefund(ctx context.Context, v commission.Refund) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	res := r.db.Conn(ctx).Exec(`insert into commission_refunds (tenant_id, refund_id, order_id, amount, split_id, ledger_tx_id, created_at)
		values (?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id, refund_id) do nothing`,
		tenant, v.RefundID, v.OrderID, v.Amount, optID(v.SplitID), optID(v.LedgerTxID), v.CreatedAt)
	if res.Error != nil {
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return commission.ErrRefundSeen
	}
	return nil
}

// SetRefundTx implements commission.Repo.
func (r *Repo) SetRefundTx(ctx context.Context, refundID, txID uuid.UUID) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update commission_refunds set ledger_tx_id = ? where refund_id = ?`, txID, refundID).Error)
}

// DueSplits implements commission.Repo: a split made on the tenant's local day D is due from
// local day D + holding_days.
func (r *Repo) DueSplits(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.Conn(ctx).Raw(`select s.order_id from commission_splits s
		join tenants t on t.id = s.tenant_id
		left join commission_settings cs on cs.tenant_id = s.tenant_id
		where s.status = 'pending'
		  and (s.created_at at time zone t.time_zone)::date + coalesce(cs.holding_days, ?) <= (?::timestamptz at time zone t.time_zone)::date
		order by s.created_at limit ?`, commission.DefaultSettings.HoldingDays, now, limit).Scan(&ids).Error
	return ids, dbx.Err(err)
}

// LockBalance implements commission.Repo. It takes the same row lock the ledger's posting
// takes, so the balance cannot change before this transaction posts.
func (r *Repo) LockBalance(ctx context.Context, a ledger.Account) (int64, error) {
	var rows []int64
	err := r.db.Conn(ctx).Raw(`select balance from ledger_accounts where owner_kind = ? and owner_id = ? and purpose = ? and asset = ? for update`,
		string(a.Owner.Kind), a.Owner.ID, string(a.Purpose), a.Asset).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return 0, dbx.Err(err)
	}
	return rows[0], nil
}
