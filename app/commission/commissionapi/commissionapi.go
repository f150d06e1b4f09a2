// Package commissionapi exposes commission: rule versions (read with commission:read, publish
// with commission:write), the holding period, and each order's split explained line by line.
package commissionapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/commission"
	"doorstep/app/kit/httpx"
)

type api struct{ svc *commission.Service }

// Register adds the commission operations.
func Register(h huma.API, svc *commission.Service) {
	a := api{svc: svc}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, status int) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{"Commission"}, DefaultStatus: status}, acc)
	}
	huma.Register(h, reg("list-commission-rules", http.MethodGet, "/api/v1/commission/rules", "Published commission rule versions, newest first", staff("commission:read"), 0), a.list)
	huma.Register(h, reg("get-commission-rules", http.MethodGet, "/api/v1/commission/rules/{id}", "One commission rule version", staff("commission:read"), 0), a.get)
	huma.Register(h, reg("publish-commission-rules", http.MethodPost, "/api/v1/commission/rules", "Publish a new, immutable version of the commission rules", staff("commission:write"), http.StatusCreated), a.publish)
	huma.Register(h, reg("get-commission-settings", http.MethodGet, "/api/v1/commission/settings", "The holding period before splits settle", staff("commission:read"), 0), a.settings)
	huma.Register(h, reg("update-commission-settings", http.MethodPut, "/api/v1/commission/settings", "Set the holding period (T+N days)", staff("commission:write"), 0), a.saveSettings)
	huma.Register(h, reg("get-order-split", http.MethodGet, "/api/v1/orders/{id}/split", "An order's commission split, line by line", staff("commission:read"), 0), a.split)
}

// CommissionStaffLineDTO is one staff commission rule.
type CommissionStaffLineDTO struct {
	ServiceID      *uuid.UUID `json:"service_id,omitempty" doc:"Only orders of this service"`
	CategoryID     *uuid.UUID `json:"category_id,omitempty" doc:"Only orders of services in this category"`
	LevelID        *uuid.UUID `json:"level_id,omitempty" doc:"Only staff of this level"`
	StaffID        *uuid.UUID `json:"staff_id,omitempty" doc:"Only this staff member (e.g. a self-employed provider)"`
	Kind           string     `json:"kind" enum:"percent,fixed,marketplace"`
	Value          int64      `json:"value" doc:"percent: basis points of the order value; fixed: minor units; marketplace: 0"`
	BonusBP        int        `json:"bonus_bp,omitempty" doc:"Extra basis points when the staff member's rating is at least bonus_min_rating"`
	BonusMinRating float64    `json:"bonus_min_rating,omitempty"`
}

// CommissionRulesDTO is a published version.
type CommissionRulesDTO struct {
	ID                uuid.UUID                `json:"id"`
	Version           int                      `json:"version"`
	EffectiveFrom     time.Time                `json:"effective_from"`
	PlatformFeeBP     int                      `json:"platform_fee_bp"`
	RoyaltyBP         int                      `json:"royalty_bp"`
	MarketplaceTakeBP int                      `json:"marketplace_take_bp"`
	StaffLines        []CommissionStaffLineDTO `json:"staff_lines"`
	Note              string                   `json:"note"`
	CreatedAt         time.Time                `json:"created_at"`
}

func opt(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func val(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

func toDTO(r commission.Rules) CommissionRulesDTO {
	d := CommissionRulesDTO{ID: r.ID, Version: r.Version, EffectiveFrom: r.EffectiveFrom, PlatformFeeBP: r.PlatformFeeBP, RoyaltyBP: r.RoyaltyBP,
		MarketplaceTakeBP: r.MarketplaceTakeBP, Note: r.Note, CreatedAt: r.CreatedAt, StaffLines: make([]CommissionStaffLineDTO, len(r.StaffLines))}
	for i, l := range r.StaffLines {
		d.StaffLines[i] = CommissionStaffLineDTO{ServiceID: opt(l.ServiceID), CategoryID: opt(l.CategoryID), LevelID: opt(l.LevelID), StaffID: opt(l.StaffID),
			Kind: string(l.Kind), Value: l.Value, BonusBP: l.BonusBP, BonusMinRating: l.BonusMinRating}
	}
	return d
}

func (a api) list(ctx context.Context, _ *struct{}) (*httpx.Body[[]CommissionRulesDTO], error) {
	vs, err := a.svc.Versions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CommissionRulesDTO, len(vs))
	for i, v := range vs {
		out[i] = toDTO(v)
	}
	return &httpx.Body[[]CommissionRulesDTO]{Body: out}, nil
}

// CommissionIDPath names a rule version or an order.
type CommissionIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) get(ctx context.Context, in *CommissionIDPath) (*httpx.Body[CommissionRulesDTO], error) {
	v, err := a.svc.Version(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CommissionRulesDTO]{Body: toDTO(v)}, nil
}

// CommissionPublishBody is a version to publish.
type CommissionPublishBody struct {
	EffectiveFrom     *time.Time               `json:"effective_from,omitempty" doc:"When the version takes effect (default: now); never in the past"`
	PlatformFeeBP     int                      `json:"platform_fee_bp" doc:"The platform's fee, basis points of the order value"`
	RoyaltyBP         int                      `json:"royalty_bp" doc:"HQ's royalty from franchisee stores, basis points"`
	MarketplaceTakeBP int                      `json:"marketplace_take_bp,omitempty" doc:"The store owner's take from self-employed providers, basis points"`
	StaffLines        []CommissionStaffLineDTO `json:"staff_lines,omitempty" maxItems:"200"`
	Note              string                   `json:"note,omitempty" maxLength:"500"`
}

// CommissionPublishInput is publish-commission-rules' input.
type CommissionPublishInput struct {
	Body CommissionPublishBody
}

func toCoreNewRules(b CommissionPublishBody) commission.NewRules {
	n := commission.NewRules{PlatformFeeBP: b.PlatformFeeBP, RoyaltyBP: b.RoyaltyBP, MarketplaceTakeBP: b.MarketplaceTakeBP, Note: b.Note}
	if b.EffectiveFrom != nil {
		n.EffectiveFrom = *b.EffectiveFrom
	}
	for _, l := range b.StaffLines {
		n.StaffLines = append(n.StaffLines, commission.StaffLine{ServiceID: val(l.ServiceID), CategoryID: val(l.CategoryID), LevelID: val(l.LevelID),
			StaffID: val(l.StaffID), Kind: commission.StaffKind(l.Kind), Value: l.Value, BonusBP: l.BonusBP, BonusMinRating: l.BonusMinRating})
	}
	return n
}

func (a api) publish(ctx context.Context, in *CommissionPublishInput) (*httpx.Body[CommissionRulesDTO], error) {
	v, err := a.svc.Publish(ctx, toCoreNewRules(in.Body))
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CommissionRulesDTO]{Body: toDTO(v)}, nil
}

// CommissionSettingsDTO is the tenant's commission settings.
type CommissionSettingsDTO struct {
	HoldingDays int `json:"holding_days" doc:"Days a split stays pending before it settles (T+N, in the tenant's time zone)"`
}

// CommissionSettingsInput is update-commission-settings' input.
type CommissionSettingsInput struct {
	Body CommissionSettingsDTO
}

func (a api) settings(ctx context.Context, _ *struct{}) (*httpx.Body[CommissionSettingsDTO], error) {
	s, err := a.svc.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CommissionSettingsDTO]{Body: CommissionSettingsDTO{HoldingDays: s.HoldingDays}}, nil
}

func (a api) saveSettings(ctx context.Context, in *CommissionSettingsInput) (*httpx.Body[CommissionSettingsDTO], error) {
	s, err := a.svc.SaveSettings(ctx, commission.Settings{HoldingDays: in.Body.HoldingDays})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CommissionSettingsDTO]{Body: CommissionSettingsDTO{HoldingDays: s.HoldingDays}}, nil
}

// CommissionSplitLineDTO is one share of a split, explained.
type CommissionSplitLineDTO struct {
	Line       int        `json:"line"`
	Party      string     `json:"party" doc:"platform, hq, franchisee or staff"`
	OwnerID    *uuid.UUID `json:"owner_id,omitempty"`
	Share      string     `json:"share" doc:"platform_fee, royalty, staff_commission, marketplace_provider, franchisee_share or hq_share"`
	Basis      string     `json:"basis" doc:"percent, fixed or remainder (what the rounded-down shares leave)"`
	RateBP     int        `json:"rate_bp" doc:"The rate applied, bonus included"`
	BonusBP    int        `json:"bonus_bp"`
	Fixed      int64      `json:"fixed,omitempty" doc:"The rule's fixed amount before capping"`
	RuleLine   *int       `json:"rule_line,omitempty" doc:"Index of the staff line in the rule version"`
	Capped     bool       `json:"capped" doc:"A fixed commission was cut to what was left of the order value"`
	Amount     int64      `json:"amount"`
	ClawedBack int64      `json:"clawed_back"`
}

// CommissionSplitDTO is an order's split.
type CommissionSplitDTO struct {
	ID            uuid.UUID                `json:"id"`
	OrderID       uuid.UUID                `json:"order_id"`
	RuleVersionID *uuid.UUID               `json:"rule_version_id" doc:"Null: no rules were published; the store's owner took everything"`
	RuleVersion   int                      `json:"rule_version"`
	Total         int64                    `json:"total"`
	Refunded      int64                    `json:"refunded"`
	Currency      string                   `json:"currency"`
	Status        string                   `json:"status" enum:"pending,settled"`
	LedgerTxID    uuid.UUID                `json:"ledger_tx_id"`
	SettleTxID    *uuid.UUID               `json:"settle_tx_id,omitempty"`
	CreatedAt     time.Time                `json:"created_at"`
	SettledAt     *time.Time               `json:"settled_at,omitempty"`
	Lines         []CommissionSplitLineDTO `json:"lines"`
}

func toSplitDTO(s commission.Split) CommissionSplitDTO {
	d := CommissionSplitDTO{ID: s.ID, OrderID: s.OrderID, RuleVersionID: opt(s.RuleVersionID), RuleVersion: s.RuleVersion, Total: s.Total,
		Refunded: s.Refunded, Currency: s.Currency, Status: s.Status, LedgerTxID: s.LedgerTxID, SettleTxID: opt(s.SettleTxID),
		CreatedAt: s.CreatedAt, SettledAt: s.SettledAt, Lines: make([]CommissionSplitLineDTO, len(s.Lines))}
	for i, l := range s.Lines {
		d.Lines[i] = CommissionSplitLineDTO{Line: l.No, Party: string(l.Party), OwnerID: opt(l.OwnerID), Share: string(l.Share), Basis: string(l.Basis),
			RateBP: l.RateBP, BonusBP: l.BonusBP, Fixed: l.Fixed, Capped: l.Capped, Amount: l.Amount, ClawedBack: l.ClawedBack}
		if l.RuleLine >= 0 {
			rl := l.RuleLine
			d.Lines[i].RuleLine = &rl
		}
	}
	return d
}

func (a api) split(ctx context.Context, in *CommissionIDPath) (*httpx.Body[CommissionSplitDTO], error) {
	s, err := a.svc.SplitOf(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CommissionSplitDTO]{Body: toSplitDTO(s)}, nil
}
