// Package cardapi exposes prepaid cards: HQ defines, publishes and retires products
// (cards:write) and reads them and customers' cards (cards:read), adjusts a card with a reason
// (cards:write); stores redeem a visit on an order (orders:manage); customers browse products,
// buy a card through Stripe, and see and redeem their own cards in the storefront.
package cardapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/card"
	"doorstep/app/kit/httpx"
)

type api struct{ svc *card.Service }

// Register adds the card operations.
func Register(h huma.API, svc *card.Service) {
	a := api{svc: svc}
	cust := httpx.Access{Audience: httpx.Customer}
	public := httpx.Access{Audience: httpx.Public, TenantFromHost: true}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, status int, tags ...string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}, acc)
	}
	pt, ct, mt := "Card products", "Cards", "My cards"
	huma.Register(h, reg("list-card-products", http.MethodGet, "/api/v1/card-products", "Prepaid card products", staff("cards:read"), 0, pt), a.listProducts)
	huma.Register(h, reg("create-card-product", http.MethodPost, "/api/v1/card-products", "Define a prepaid card product (draft)", staff("cards:write"), http.StatusCreated, pt), a.createProduct)
	huma.Register(h, reg("get-card-product", http.MethodGet, "/api/v1/card-products/{id}", "A prepaid card product", staff("cards:read"), 0, pt), a.getProduct)
	huma.Register(h, reg("update-card-product", http.MethodPut, "/api/v1/card-products/{id}", "Change a draft product's terms", staff("cards:write"), 0, pt), a.updateProduct)
	huma.Register(h, reg("publish-card-product", http.MethodPost, "/api/v1/card-products/{id}/publish", "Put a product on sale", staff("cards:write"), 0, pt), a.publish)
	huma.Register(h, reg("retire-card-product", http.MethodPost, "/api/v1/card-products/{id}/retire", "Take a product off sale for good (sold cards stay valid)", staff("cards:write"), 0, pt), a.retire)
	huma.Register(h, reg("list-customer-cards", http.MethodGet, "/api/v1/customers/{id}/cards", "A customer's cards and balances", staff("cards:read"), 0, ct), a.customerCards)
	huma.Register(h, reg("get-card", http.MethodGet, "/api/v1/cards/{id}", "A card with its redemptions and adjustments", staff("cards:read"), 0, ct), a.getCard)
	huma.Register(h, reg("adjust-card", http.MethodPost, "/api/v1/cards/{id}/adjustments", "Adjust a card's stored value or visits, with a reason (head office; Idempotency-Key makes retries safe)", staff("cards:write"), http.StatusCreated, ct), a.adjust)
	huma.Register(h, reg("redeem-card-visit", http.MethodPost, "/api/v1/cards/{id}/redemptions", "Redeem a visit of the customer's visit card on an order", staff("orders:manage"), http.StatusCreated, ct), a.redeem)

	huma.Register(h, reg("list-storefront-card-products", http.MethodGet, "/api/v1/storefront/card-products", "Prepaid cards on sale", public, 0, mt), a.listPublic)
	huma.Register(h, reg("buy-card", http.MethodPost, "/api/v1/storefront/card-purchases", "Buy a prepaid card: returns the PaymentIntent's client secret (Idempotency-Key makes retries safe)", cust, http.StatusCreated, mt), a.buy)
	huma.Register(h, reg("get-my-card-purchase", http.MethodGet, "/api/v1/storefront/card-purchases/{id}", "One of your card purchases (pending: with the client secret)", cust, 0, mt), a.myPurchase)
	huma.Register(h, reg("list-my-cards", http.MethodGet, "/api/v1/storefront/cards", "Your cards and balances", cust, 0, mt), a.myCards)
	huma.Register(h, reg("get-my-card", http.MethodGet, "/api/v1/storefront/cards/{id}", "One of your cards with its history", cust, 0, mt), a.getCard)
	huma.Register(h, reg("redeem-my-card", http.MethodPost, "/api/v1/storefront/cards/{id}/redemptions", "Use a visit of your visit card on your order", cust, http.StatusCreated, mt), a.redeem)
}

// ---- products ----

// CardProductDTO is a card product.
type CardProductDTO struct {
	ID            uuid.UUID  `json:"id"`
	Kind          string     `json:"kind" enum:"stored_value,visits"`
	NameZh        string     `json:"name_zh"`
	NameEn        string     `json:"name_en"`
	DescriptionZh string     `json:"description_zh"`
	DescriptionEn string     `json:"description_en"`
	Price         int64      `json:"price" doc:"Minor units"`
	Currency      string     `json:"currency"`
	Bonus         int64      `json:"bonus" doc:"Stored value on top of the price (stored-value cards)"`
	Value         int64      `json:"value" doc:"Stored value credited: price + bonus (stored-value cards)"`
	Visits        *int       `json:"visits" doc:"Visits of a visit card; null: unlimited within the validity"`
	ServiceID     *uuid.UUID `json:"service_id" doc:"The service a visit card covers; null: any"`
	ValidityDays  int        `json:"validity_days"`
	Status        string     `json:"status" enum:"draft,published,retired"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
	RetiredAt     *time.Time `json:"retired_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func toProductDTO(p card.Product) CardProductDTO {
	d := CardProductDTO{ID: p.ID, Kind: string(p.Kind), NameZh: p.NameZh, NameEn: p.NameEn, DescriptionZh: p.DescriptionZh, DescriptionEn: p.DescriptionEn,
		Price: p.Price, Currency: p.Currency, Bonus: p.Bonus, Visits: p.Visits, ServiceID: nilID(p.ServiceID), ValidityDays: p.ValidityDays,
		Status: string(p.Status), PublishedAt: p.PublishedAt, RetiredAt: p.RetiredAt, CreatedAt: p.CreatedAt}
	if p.Kind == card.StoredValue {
		d.Value = p.Price + p.Bonus
	}
	return d
}

// CardProductBody defines a product.
type CardProductBody struct {
	Kind          string     `json:"kind" enum:"stored_value,visits"`
	NameZh        string     `json:"name_zh" maxLength:"100"`
	NameEn        string     `json:"name_en" maxLength:"100"`
	DescriptionZh string     `json:"description_zh,omitempty" maxLength:"2000"`
	DescriptionEn string     `json:"description_en,omitempty" maxLength:"2000"`
	Price         int64      `json:"price" doc:"Minor units of the tenant's currency"`
	Bonus         int64      `json:"bonus,omitempty" doc:"Stored-value cards: extra stored value"`
	Visits        *int       `json:"visits,omitempty" doc:"Visit cards: number of visits; absent for unlimited visits within the validity (年卡/季卡/月卡)"`
	ServiceID     *uuid.UUID `json:"service_id,omitempty" doc:"Visit cards: the one service covered; absent for any"`
	ValidityDays  int        `json:"validity_days" doc:"Days the card is valid, counting the day of purchase; it ends at midnight in the tenant's time zone"`
}

func (b CardProductBody) core() card.NewProduct {
	n := card.NewProduct{Kind: card.Kind(b.Kind), NameZh: b.NameZh, NameEn: b.NameEn, DescriptionZh: b.DescriptionZh, DescriptionEn: b.DescriptionEn,
		Price: b.Price, Bonus: b.Bonus, Visits: b.Visits, ValidityDays: b.ValidityDays}
	if b.ServiceID != nil {
		n.ServiceID = *b.ServiceID
	}
	return n
}

// CardProductCreateInput is create-card-product's input.
type CardProductCreateInput struct {
	Body CardProductBody
}

func (a api) createProduct(ctx context.Context, in *CardProductCreateInput) (*httpx.Body[CardProductDTO], error) {
	p, err := a.svc.CreateProduct(ctx, in.Body.core())
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardProductDTO]{Body: toProductDTO(p)}, nil
}

// CardIDPath names a product, card or purchase.
type CardIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// CardProductUpdateInput is update-card-product's input.
type CardProductUpdateInput struct {
	CardIDPath
	Body CardProductBody
}

func (a api) updateProduct(ctx context.Context, in *CardProductUpdateInput) (*httpx.Body[CardProductDTO], error) {
	p, err := a.svc.UpdateProduct(ctx, in.ID, in.Body.core())
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardProductDTO]{Body: toProductDTO(p)}, nil
}

func (a api) getProduct(ctx context.Context, in *CardIDPath) (*httpx.Body[CardProductDTO], error) {
	p, err := a.svc.Product(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardProductDTO]{Body: toProductDTO(p)}, nil
}

func (a api) publish(ctx context.Context, in *CardIDPath) (*httpx.Body[CardProductDTO], error) {
	p, err := a.svc.Publish(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardProductDTO]{Body: toProductDTO(p)}, nil
}

func (a api) retire(ctx context.Context, in *CardIDPath) (*httpx.Body[CardProductDTO], error) {
	p, err := a.svc.Retire(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardProductDTO]{Body: toProductDTO(p)}, nil
}

// CardProductListQuery filters products.
type CardProductListQuery struct {
	httpx.PageQuery
	Status string `query:"status" enum:"draft,published,retired,"`
	Kind   string `query:"kind" enum:"stored_value,visits,"`
}

func (a api) listProducts(ctx context.Context, in *CardProductListQuery) (*httpx.Body[httpx.List[CardProductDTO]], error) {
	p := in.Page()
	r, err := a.svc.Products(ctx, card.ProductFilter{Status: card.ProductStatus(in.Status), Kind: card.Kind(in.Kind)}, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[CardProductDTO]]{Body: httpx.ListOf(r, p, toProductDTO)}, nil
}

// CardPublicListQuery filters products on sale.
type CardPublicListQuery struct {
	httpx.PageQuery
	Kind string `query:"kind" enum:"stored_value,visits,"`
}

func (a api) listPublic(ctx context.Context, in *CardPublicListQuery) (*httpx.Body[httpx.List[CardProductDTO]], error) {
	p := in.Page()
	r, err := a.svc.Products(ctx, card.ProductFilter{Status: card.Published, Kind: card.Kind(in.Kind)}, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[CardProductDTO]]{Body: httpx.ListOf(r, p, toProductDTO)}, nil
}

// ---- purchases ----

// CardPurchaseDTO is a purchase; ClientSecret confirms its PaymentIntent in the storefront.
type CardPurchaseDTO struct {
	ID           uuid.UUID  `json:"id"`
	ProductID    uuid.UUID  `json:"product_id"`
	Amount       int64      `json:"amount"`
	Currency     string     `json:"currency"`
	Status       string     `json:"status" enum:"pending,succeeded,failed,canceled"`
	CardID       *uuid.UUID `json:"card_id"`
	ClientSecret string     `json:"client_secret,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toPurchaseDTO(s card.Started) CardPurchaseDTO {
	p := s.Purchase
	return CardPurchaseDTO{ID: p.ID, ProductID: p.ProductID, Amount: p.Amount, Currency: p.Currency, Status: string(p.Status),
		CardID: nilID(p.CardID), ClientSecret: s.ClientSecret, CreatedAt: p.CreatedAt}
}

// CardBuyInput is buy-card's input.
type CardBuyInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"A retry with the same key returns the first purchase (and its client secret) without a second PaymentIntent"`
	Body           struct {
		ProductID uuid.UUID `json:"product_id"`
	}
}

func (a api) buy(ctx context.Context, in *CardBuyInput) (*httpx.Body[CardPurchaseDTO], error) {
	s, err := a.svc.Purchase(ctx, in.Body.ProductID, in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardPurchaseDTO]{Body: toPurchaseDTO(s)}, nil
}

func (a api) myPurchase(ctx context.Context, in *CardIDPath) (*httpx.Body[CardPurchaseDTO], error) {
	s, err := a.svc.MyPurchase(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardPurchaseDTO]{Body: toPurchaseDTO(s)}, nil
}

// ---- cards ----

// CardDTO is a card a customer holds.
type CardDTO struct {
	ID              uuid.UUID  `json:"id"`
	CustomerID      uuid.UUID  `json:"customer_id"`
	ProductID       uuid.UUID  `json:"product_id"`
	Kind            string     `json:"kind" enum:"stored_value,visits"`
	NameZh          string     `json:"name_zh"`
	NameEn          string     `json:"name_en"`
	Price           int64      `json:"price"`
	Currency        string     `json:"currency"`
	Bonus           int64      `json:"bonus"`
	Credited        int64      `json:"credited" doc:"Stored value this card put in (price + bonus + adjustments)"`
	Remaining       int64      `json:"remaining" doc:"Stored value attributed to the card (spent from the card expiring first), or visits left"`
	VisitsTotal     *int       `json:"visits_total" doc:"null: unlimited"`
	VisitsRemaining *int       `json:"visits_remaining" doc:"null: unlimited"`
	ServiceID       *uuid.UUID `json:"service_id" doc:"The service a visit card covers; null: any"`
	Status          string     `json:"status" enum:"active,expired"`
	StartsAt        time.Time  `json:"starts_at"`
	ExpiresAt       time.Time  `json:"expires_at"`
	ExpiredAt       *time.Time `json:"expired_at,omitempty"`
}

func toCardDTO(c card.Card) CardDTO {
	return CardDTO{ID: c.ID, CustomerID: c.CustomerID, ProductID: c.ProductID, Kind: string(c.Kind), NameZh: c.NameZh, NameEn: c.NameEn,
		Price: c.Price, Currency: c.Currency, Bonus: c.Bonus, Credited: c.Credited, Remaining: c.Remaining, VisitsTotal: c.VisitsTotal,
		VisitsRemaining: c.VisitsRemaining, ServiceID: nilID(c.ServiceID), Status: string(c.Status), StartsAt: c.StartsAt, ExpiresAt: c.ExpiresAt,
		ExpiredAt: c.ExpiredAt}
}

// CardHoldingsDTO is a customer's cards and balances.
type CardHoldingsDTO struct {
	CustomerID  uuid.UUID `json:"customer_id"`
	Currency    string    `json:"currency"`
	StoredValue int64     `json:"stored_value" doc:"Stored-value balance, minor units"`
	Visits      int64     `json:"visits" doc:"Counted visits left over all visit cards"`
	Cards       []CardDTO `json:"cards"`
}

func toHoldingsDTO(h card.Holdings) CardHoldingsDTO {
	d := CardHoldingsDTO{CustomerID: h.CustomerID, Currency: h.Currency, StoredValue: h.StoredValue, Visits: h.Visits, Cards: make([]CardDTO, 0, len(h.Cards))}
	for _, c := range h.Cards {
		d.Cards = append(d.Cards, toCardDTO(c))
	}
	return d
}

func (a api) myCards(ctx context.Context, _ *httpx.Empty) (*httpx.Body[CardHoldingsDTO], error) {
	h, err := a.svc.MyCards(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardHoldingsDTO]{Body: toHoldingsDTO(h)}, nil
}

func (a api) customerCards(ctx context.Context, in *CardIDPath) (*httpx.Body[CardHoldingsDTO], error) {
	h, err := a.svc.CustomerCards(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardHoldingsDTO]{Body: toHoldingsDTO(h)}, nil
}

// CardRedemptionDTO is a visit redeemed on an order.
type CardRedemptionDTO struct {
	ID         uuid.UUID  `json:"id"`
	CardID     uuid.UUID  `json:"card_id"`
	OrderID    uuid.UUID  `json:"order_id"`
	Amount     int64      `json:"amount" doc:"Moved from card funds to the order"`
	LedgerTxID *uuid.UUID `json:"ledger_tx_id"`
	CreatedAt  time.Time  `json:"created_at"`
	ReturnedAt *time.Time `json:"returned_at,omitempty" doc:"When the visit was given back (its payment refunded or the order cancelled)"`
	ReturnTxID *uuid.UUID `json:"return_tx_id,omitempty" doc:"The reversal of the card.redeem posting"`
}

func toRedemptionDTO(r card.Redemption) CardRedemptionDTO {
	return CardRedemptionDTO{ID: r.ID, CardID: r.CardID, OrderID: r.OrderID, Amount: r.Amount, LedgerTxID: nilID(r.LedgerTxID), CreatedAt: r.CreatedAt,
		ReturnedAt: r.ReturnedAt, ReturnTxID: nilID(r.ReturnTxID)}
}

// CardAdjustmentDTO is a manual adjustment.
type CardAdjustmentDTO struct {
	ID         uuid.UUID `json:"id"`
	CardID     uuid.UUID `json:"card_id"`
	Delta      int64     `json:"delta"`
	Reason     string    `json:"reason"`
	LedgerTxID uuid.UUID `json:"ledger_tx_id"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

func toAdjustmentDTO(x card.Adjustment) CardAdjustmentDTO {
	return CardAdjustmentDTO{ID: x.ID, CardID: x.CardID, Delta: x.Delta, Reason: x.Reason, LedgerTxID: x.LedgerTxID, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}
}

// CardDetailDTO is a card with its history.
type CardDetailDTO struct {
	CardDTO
	Redemptions []CardRedemptionDTO `json:"redemptions"`
	Adjustments []CardAdjustmentDTO `json:"adjustments"`
}

func (a api) getCard(ctx context.Context, in *CardIDPath) (*httpx.Body[CardDetailDTO], error) {
	c, rs, as, err := a.svc.GetCard(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	d := CardDetailDTO{CardDTO: toCardDTO(c), Redemptions: make([]CardRedemptionDTO, 0, len(rs)), Adjustments: make([]CardAdjustmentDTO, 0, len(as))}
	for _, r := range rs {
		d.Redemptions = append(d.Redemptions, toRedemptionDTO(r))
	}
	for _, x := range as {
		d.Adjustments = append(d.Adjustments, toAdjustmentDTO(x))
	}
	return &httpx.Body[CardDetailDTO]{Body: d}, nil
}

// CardAdjustInput is adjust-card's input.
type CardAdjustInput struct {
	CardIDPath
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"A retry with the same key returns the first adjustment and posts nothing"`
	Body           struct {
		Delta  int64  `json:"delta" doc:"Stored value in minor units, or visits; negative takes away"`
		Reason string `json:"reason" maxLength:"500"`
	}
}

func (a api) adjust(ctx context.Context, in *CardAdjustInput) (*httpx.Body[CardAdjustmentDTO], error) {
	x, err := a.svc.Adjust(ctx, in.ID, in.Body.Delta, in.Body.Reason, in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardAdjustmentDTO]{Body: toAdjustmentDTO(x)}, nil
}

// CardRedeemInput is a redemption's input.
type CardRedeemInput struct {
	CardIDPath
	Body struct {
		OrderID uuid.UUID `json:"order_id"`
	}
}

func (a api) redeem(ctx context.Context, in *CardRedeemInput) (*httpx.Body[CardRedemptionDTO], error) {
	r, err := a.svc.Redeem(ctx, in.ID, in.Body.OrderID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CardRedemptionDTO]{Body: toRedemptionDTO(r)}, nil
}
