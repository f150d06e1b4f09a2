// Package carddb stores card products, purchases, cards, redemptions and adjustments in
// PostgreSQL.
package carddb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/card"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// Repo implements card.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ card.Repo = (*Repo)(nil)

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func idOf(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

func strOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nilStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Tenant implements card.Repo.
func (r *Repo) Tenant(ctx context.Context) (card.TenantFacts, error) {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return card.TenantFacts{}, err
	}
	var t card.TenantFacts
	err = r.db.Conn(ctx).Raw(`select currency, time_zone from tenants where id = ?`, tid).Row().Scan(&t.Currency, &t.TimeZone)
	return t, dbx.Err(err)
}

func (r *Repo) exists(ctx context.Context, q string, id uuid.UUID) (bool, error) {
	var n int64
	err := r.db.Conn(ctx).Raw(q, id).Scan(&n).Error
	return n > 0, dbx.Err(err)
}

// ServiceExists implements card.Repo.
func (r *Repo) ServiceExists(ctx context.Context, id uuid.UUID) (bool, error) {
	return r.exists(ctx, `select count(*) from catalog_services where id = ?`, id)
}

// CustomerExists implements card.Repo.
func (r *Repo) CustomerExists(ctx context.Context, id uuid.UUID) (bool, error) {
	return r.exists(ctx, `select count(*) from customers where id = ?`, id)
}

// ---- products ----

type productRow struct {
	TenantID                     uuid.UUID
	ID                           uuid.UUID
	Kind                         string
	NameZh, NameEn               string
	DescriptionZh, DescriptionEn string
	Price                        int64
	Currency                     string
	Bonus                        int64
	Visits                       *int
	ServiceID                    *uuid.UUID
	ValidityDays                 int
	Status                       string
	PublishedAt, RetiredAt       *time.Time
	CreatedAt, UpdatedAt         time.Time
}

func (productRow) TableName() string { return "card_products" }

func toProductRow(tid uuid.UUID, p card.Product) productRow {
	return productRow{TenantID: tid, ID: p.ID, Kind: string(p.Kind), NameZh: p.NameZh, NameEn: p.NameEn, DescriptionZh: p.DescriptionZh,
		DescriptionEn: p.DescriptionEn, Price: p.Price, Currency: p.Currency, Bonus: p.Bonus, Visits: p.Visits, ServiceID: nilID(p.ServiceID),
		ValidityDays: p.ValidityDays, Status: string(p.Status), PublishedAt: p.PublishedAt, RetiredAt: p.RetiredAt, CreatedAt: p.CreatedAt,
		UpdatedAt: p.UpdatedAt}
}

func (x productRow) core() card.Product {
	return card.Product{ID: x.ID, Kind: card.Kind(x.Kind), NameZh: x.NameZh, NameEn: x.NameEn, DescriptionZh: x.DescriptionZh,
		DescriptionEn: x.DescriptionEn, Price: x.Price, Currency: x.Currency, Bonus: x.Bonus, Visits: x.Visits, ServiceID: idOf(x.ServiceID),
		ValidityDays: x.ValidityDays, Status: card.ProductStatus(x.Status), PublishedAt: x.PublishedAt, RetiredAt: x.RetiredAt,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// InsertProduct implements card.Repo.
func (r *Repo) InsertProduct(ctx context.Context, p card.Product) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toProductRow(tid, p)
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

// Product implements card.Repo.
func (r *Repo) Product(ctx context.Context, id uuid.UUID, lock bool) (card.Product, error) {
	q := `select * from card_products where id = ?`
	if lock {
		q += ` for update`
	}
	var x productRow
	res := r.db.Conn(ctx).Raw(q, id).Scan(&x)
	if res.Error != nil {
		return card.Product{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return card.Product{}, card.ErrProductNotFound
	}
	return x.core(), nil
}

// SaveProduct implements card.Repo.
func (r *Repo) SaveProduct(ctx context.Context, p card.Product) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toProductRow(tid, p)
	return dbx.Err(r.db.Conn(ctx).Model(&productRow{}).Where("tenant_id = ? and id = ?", tid, p.ID).
		Select("*").Omit("tenant_id", "id", "created_at").Updates(&row).Error)
}

// Products implements card.Repo.
func (r *Repo) Products(ctx context.Context, f card.ProductFilter, p page.Request) (page.Result[card.Product], error) {
	q := r.db.Conn(ctx).Table("card_products")
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	var out page.Result[card.Product]
	if err := q.Session(&gorm.Session{}).Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []productRow
	if err := q.Order("created_at desc, id desc").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]card.Product, 0, len(rows))
	for _, x := range rows {
		out.Items = append(out.Items, x.core())
	}
	return out, nil
}

// ---- purchases ----

type purchaseRow struct {
	TenantID, ID, CustomerID, ProductID uuid.UUID
	Amount                              int64
	Currency, Status, IdempotencyKey    string
	RequestKey, IntentID                *string
	ClientSecret                        string
	CardID, LedgerTxID                  *uuid.UUID
	LastEventID                         *string
	CreatedAt, UpdatedAt                time.Time
}

func (purchaseRow) TableName() string { return "card_purchases" }

func toPurchaseRow(tid uuid.UUID, p card.Purchase) purchaseRow {
	return purchaseRow{TenantID: tid, ID: p.ID, CustomerID: p.CustomerID, ProductID: p.ProductID, Amount: p.Amount, Currency: p.Currency,
		Status: string(p.Status), IdempotencyKey: p.Key, RequestKey: nilStr(p.RequestKey), IntentID: nilStr(p.IntentID), ClientSecret: p.ClientSecret,
		CardID: nilID(p.CardID), LedgerTxID: nilID(p.LedgerTxID),
		LastEventID: nilStr(p.LastEventID), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (x purchaseRow) core() card.Purchase {
	return card.Purchase{ID: x.ID, CustomerID: x.CustomerID, ProductID: x.ProductID, Amount: x.Amount, Currency: x.Currency,
		Status: card.PurchaseStatus(x.Status), Key: x.IdempotencyKey, RequestKey: strOf(x.RequestKey), IntentID: strOf(x.IntentID),
		ClientSecret: x.ClientSecret, CardID: idOf(x.CardID),
		LedgerTxID: idOf(x.LedgerTxID), LastEventID: strOf(x.LastEventID), CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// InsertPurchase implements card.Repo.
func (r *Repo) InsertPurchase(ctx context.Context, p card.Purchase) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toPurchaseRow(tid, p)
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

// Purchase implements card.Repo.
func (r *Repo) Purchase(ctx context.Context, id uuid.UUID, lock bool) (card.Purchase, error) {
	q := `select * from card_purchases where id = ?`
	if lock {
		q += ` for update`
	}
	var x purchaseRow
	res := r.db.Conn(ctx).Raw(q, id).Scan(&x)
	if res.Error != nil {
		return card.Purchase{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return card.Purchase{}, card.ErrPurchaseNotFound
	}
	return x.core(), nil
}

// SavePurchase implements card.Repo.
func (r *Repo) SavePurchase(ctx context.Context, p card.Purchase) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toPurchaseRow(tid, p)
	return dbx.Err(r.db.Conn(ctx).Model(&purchaseRow{}).Where("tenant_id = ? and id = ?", tid, p.ID).
		Select("status", "intent_id", "client_secret", "card_id", "ledger_tx_id", "last_event_id", "updated_at").Updates(&row).Error)
}

// PurchaseByRequestKey implements card.Repo.
func (r *Repo) PurchaseByRequestKey(ctx context.Context, customerID uuid.UUID, key string) (card.Purchase, bool, error) {
	var x purchaseRow
	res := r.db.Conn(ctx).Raw(`select * from card_purchases where customer_id = ? and request_key = ?`, customerID, key).Scan(&x)
	if res.Error != nil {
		return card.Purchase{}, false, dbx.Err(res.Error)
	}
	return x.core(), res.RowsAffected > 0, nil
}

// ---- cards ----

type cardRow struct {
	TenantID, ID, CustomerID, ProductID uuid.UUID
	PurchaseID                          *uuid.UUID
	Kind, NameZh, NameEn                string
	Price                               int64
	Currency                            string
	Bonus, Credited                     int64
	VisitsTotal, VisitsRemaining        *int
	FundsRemaining                      int64
	ServiceID                           *uuid.UUID
	Status                              string
	StartsAt, ExpiresAt                 time.Time
	LedgerTxID, ExpireTxID              *uuid.UUID
	ExpiredAt                           *time.Time
	CreatedAt, UpdatedAt                time.Time
}

func (cardRow) TableName() string { return "cards" }

func toCardRow(tid uuid.UUID, c card.Card) cardRow {
	return cardRow{TenantID: tid, ID: c.ID, CustomerID: c.CustomerID, ProductID: c.ProductID, PurchaseID: nilID(c.PurchaseID), Kind: string(c.Kind),
		NameZh: c.NameZh, NameEn: c.NameEn, Price: c.Price, Currency: c.Currency, Bonus: c.Bonus, Credited: c.Credited,
		VisitsTotal: c.VisitsTotal, VisitsRemaining: c.VisitsRemaining, FundsRemaining: c.FundsRemaining, ServiceID: nilID(c.ServiceID),
		Status: string(c.Status), StartsAt: c.StartsAt, ExpiresAt: c.ExpiresAt, LedgerTxID: nilID(c.LedgerTxID), ExpireTxID: nilID(c.ExpireTxID),
		ExpiredAt: c.ExpiredAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (x cardRow) core() card.Card {
	return card.Card{ID: x.ID, CustomerID: x.CustomerID, ProductID: x.ProductID, PurchaseID: idOf(x.PurchaseID), Kind: card.Kind(x.Kind),
		NameZh: x.NameZh, NameEn: x.NameEn, Price: x.Price, Currency: x.Currency, Bonus: x.Bonus, Credited: x.Credited,
		VisitsTotal: x.VisitsTotal, VisitsRemaining: x.VisitsRemaining, FundsRemaining: x.FundsRemaining, ServiceID: idOf(x.ServiceID),
		Status: card.Status(x.Status), StartsAt: x.StartsAt, ExpiresAt: x.ExpiresAt, LedgerTxID: idOf(x.LedgerTxID), ExpireTxID: idOf(x.ExpireTxID),
		ExpiredAt: x.ExpiredAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// InsertCard implements card.Repo.
func (r *Repo) InsertCard(ctx context.Context, c card.Card) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toCardRow(tid, c)
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

// Card implements card.Repo.
func (r *Repo) Card(ctx context.Context, id uuid.UUID, lock bool) (card.Card, error) {
	q := `select * from cards where id = ?`
	if lock {
		q += ` for update`
	}
	var x cardRow
	res := r.db.Conn(ctx).Raw(q, id).Scan(&x)
	if res.Error != nil {
		return card.Card{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return card.Card{}, card.ErrCardNotFound
	}
	return x.core(), nil
}

// SaveCard implements card.Repo.
func (r *Repo) SaveCard(ctx context.Context, c card.Card) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := toCardRow(tid, c)
	return dbx.Err(r.db.Conn(ctx).Model(&cardRow{}).Where("tenant_id = ? and id = ?", tid, c.ID).
		Select("credited", "visits_remaining", "funds_remaining", "status", "expire_tx_id", "expired_at", "updated_at").Updates(&row).Error)
}

// CustomerCards implements card.Repo.
func (r *Repo) CustomerCards(ctx context.Context, customerID uuid.UUID, lock bool) ([]card.Card, error) {
	var rows []cardRow
	if lock {
		if err := r.db.Conn(ctx).Raw(`select id from cards where customer_id = ? order by id for update`, customerID).Scan(&[]uuid.UUID{}).Error; err != nil {
			return nil, dbx.Err(err)
		}
	}
	if err := r.db.Conn(ctx).Raw(`select * from cards where customer_id = ? order by expires_at, id`, customerID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]card.Card, 0, len(rows))
	for _, x := range rows {
		out = append(out, x.core())
	}
	return out, nil
}

// DueCards implements card.Repo.
func (r *Repo) DueCards(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.Conn(ctx).Raw(`select id from cards where status = 'active' and expires_at <= ? order by expires_at, id limit ?`, now, limit).Scan(&ids).Error
	return ids, dbx.Err(err)
}

// ---- orders, redemptions, adjustments ----

// Order implements card.Repo.
func (r *Repo) Order(ctx context.Context, id uuid.UUID) (card.OrderFacts, error) {
	var o card.OrderFacts
	// for update, as the payment area locks orders: a share lock upgraded there would deadlock
	// two redemptions on one order
	res := r.db.Conn(ctx).Raw(`select id, customer_id, store_id, service_id, status, total, currency, starts_at from orders where id = ? for update`, id).Scan(&o)
	if res.Error != nil {
		return o, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return o, card.ErrOrderNotFound
	}
	return o, nil
}

type redemptionRow struct {
	TenantID, ID, CardID, OrderID uuid.UUID
	Amount                        int64
	LedgerTxID                    *uuid.UUID
	CreatedBy                     string
	CreatedAt                     time.Time
	ReturnedAt                    *time.Time
	ReturnTxID                    *uuid.UUID
}

func (redemptionRow) TableName() string { return "card_redemptions" }

func (x redemptionRow) core() card.Redemption {
	return card.Redemption{ID: x.ID, CardID: x.CardID, OrderID: x.OrderID, Amount: x.Amount, LedgerTxID: idOf(x.LedgerTxID),
		CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt, ReturnedAt: x.ReturnedAt, ReturnTxID: idOf(x.ReturnTxID)}
}

// InsertRedemption implements card.Repo.
func (r *Repo) InsertRedemption(ctx context.Context, x card.Redemption) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := redemptionRow{TenantID: tid, ID: x.ID, CardID: x.CardID, OrderID: x.OrderID, Amount: x.Amount, LedgerTxID: nilID(x.LedgerTxID),
		CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}
	err = r.db.Conn(ctx).Create(&row).Error
	if dbx.IsConstraint(err, "card_redemptions_order_key") {
		return card.ErrAlreadyRedeemed
	}
	return dbx.Err(err)
}

// SetRedemptionTx implements card.Repo.
func (r *Repo) SetRedemptionTx(ctx context.Context, id, txID uuid.UUID) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update card_redemptions set ledger_tx_id = ? where id = ?`, txID, id).Error)
}

// Redemptions implements card.Repo.
func (r *Repo) Redemptions(ctx context.Context, cardID uuid.UUID) ([]card.Redemption, error) {
	var rows []redemptionRow
	if err := r.db.Conn(ctx).Raw(`select * from card_redemptions where card_id = ? order by created_at, id`, cardID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]card.Redemption, 0, len(rows))
	for _, x := range rows {
		out = append(out, x.core())
	}
	return out, nil
}

// Redemption implements card.Repo.
func (r *Repo) Redemption(ctx context.Context, id uuid.UUID, lock bool) (card.Redemption, error) {
	q := `select * from card_redemptions where id = ?`
	if lock {
		q += ` for update`
	}
	var rows []redemptionRow
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return card.Redemption{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return card.Redemption{}, errs.New(errs.NotFound, "not_found", "no such redemption")
	}
	return rows[0].core(), nil
}

// SetRedemptionReturned implements card.Repo.
func (r *Repo) SetRedemptionReturned(ctx context.Context, id uuid.UUID, at time.Time, txID uuid.UUID) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update card_redemptions set returned_at = ?, return_tx_id = ? where id = ?`, at, nilID(txID), id).Error)
}

type adjustmentRow struct {
	TenantID, ID, CardID uuid.UUID
	Delta                int64
	Reason               string
	RequestKey           *string
	LedgerTxID           uuid.UUID
	CreatedBy            string
	CreatedAt            time.Time
}

func (x adjustmentRow) core() card.Adjustment {
	return card.Adjustment{ID: x.ID, CardID: x.CardID, Delta: x.Delta, Reason: x.Reason, RequestKey: strOf(x.RequestKey), LedgerTxID: x.LedgerTxID,
		CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}
}

func (adjustmentRow) TableName() string { return "card_adjustments" }

// InsertAdjustment implements card.Repo.
func (r *Repo) InsertAdjustment(ctx context.Context, a card.Adjustment) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := adjustmentRow{TenantID: tid, ID: a.ID, CardID: a.CardID, Delta: a.Delta, Reason: a.Reason, RequestKey: nilStr(a.RequestKey),
		LedgerTxID: a.LedgerTxID, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt}
	return dbx.Err(r.db.Conn(ctx).Create(&row).Error)
}

// AdjustmentByRequestKey implements card.Repo.
func (r *Repo) AdjustmentByRequestKey(ctx context.Context, createdBy, key string) (card.Adjustment, bool, error) {
	var x adjustmentRow
	res := r.db.Conn(ctx).Raw(`select * from card_adjustments where created_by = ? and request_key = ?`, createdBy, key).Scan(&x)
	if res.Error != nil {
		return card.Adjustment{}, false, dbx.Err(res.Error)
	}
	return x.core(), res.RowsAffected > 0, nil
}

// Adjustments implements card.Repo.
func (r *Repo) Adjustments(ctx context.Context, cardID uuid.UUID) ([]card.Adjustment, error) {
	var rows []adjustmentRow
	if err := r.db.Conn(ctx).Raw(`select * from card_adjustments where card_id = ? order by created_at, id`, cardID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]card.Adjustment, 0, len(rows))
	for _, x := range rows {
		out = append(out, x.core())
	}
	return out, nil
}
