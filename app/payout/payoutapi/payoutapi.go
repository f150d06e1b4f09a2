// Package payoutapi exposes payouts: a staff member's or franchisee owner's own payout
// account, wallet, statement and withdrawals (wallet:self, under /me), and finance's
// withdrawal decisions and the tenant's withdrawal rules (payouts:approve).
package payoutapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/ledger"
	"doorstep/app/payout"
)

type api struct{ svc *payout.Service }

// Register adds the payout operations.
func Register(h huma.API, svc *payout.Service) {
	a := api{svc: svc}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, perm string, status int, tag string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tag}, DefaultStatus: status}, staff(perm))
	}
	mine, fin := "My wallet", "Payouts"
	huma.Register(h, reg("onboard-my-payout-account", http.MethodPost, "/api/v1/me/payout-account", "Start or continue payout account onboarding (Stripe Connect Express): returns an onboarding link", "wallet:self", 0, mine), a.onboard)
	huma.Register(h, reg("get-my-payout-account", http.MethodGet, "/api/v1/me/payout-account", "Your payout account's state and its latest payouts to your bank", "wallet:self", 0, mine), a.account)
	huma.Register(h, reg("get-my-wallet", http.MethodGet, "/api/v1/me/wallet", "Your wallet: available, pending and withdrawing balances", "wallet:self", 0, mine), a.wallet)
	huma.Register(h, reg("get-my-wallet-statement", http.MethodGet, "/api/v1/me/wallet/statement", "Your wallet's postings, newest first", "wallet:self", 0, mine), a.statement)
	huma.Register(h, reg("request-my-withdrawal", http.MethodPost, "/api/v1/me/withdrawals", "Request a withdrawal from your available balance (Idempotency-Key makes retries safe)", "wallet:self", http.StatusCreated, mine), a.request)
	huma.Register(h, reg("list-my-withdrawals", http.MethodGet, "/api/v1/me/withdrawals", "Your withdrawals, newest first", "wallet:self", 0, mine), a.listMine)
	huma.Register(h, reg("get-my-withdrawal", http.MethodGet, "/api/v1/me/withdrawals/{id}", "One of your withdrawals with its status history", "wallet:self", 0, mine), a.getMine)
	huma.Register(h, reg("list-withdrawals", http.MethodGet, "/api/v1/withdrawals", "The tenant's withdrawals, by status", "payouts:approve", 0, fin), a.list)
	huma.Register(h, reg("get-withdrawal", http.MethodGet, "/api/v1/withdrawals/{id}", "A withdrawal with its status history", "payouts:approve", 0, fin), a.get)
	huma.Register(h, reg("approve-withdrawal", http.MethodPost, "/api/v1/withdrawals/{id}/approve", "Approve a requested withdrawal; the transfer follows", "payouts:approve", 0, fin), a.approve)
	huma.Register(h, reg("reject-withdrawal", http.MethodPost, "/api/v1/withdrawals/{id}/reject", "Reject a requested withdrawal with a reason; the money returns", "payouts:approve", 0, fin), a.reject)
	huma.Register(h, reg("get-payout-settings", http.MethodGet, "/api/v1/payout-settings", "The tenant's withdrawal rules", "payouts:approve", 0, fin), a.settings)
	huma.Register(h, reg("update-payout-settings", http.MethodPut, "/api/v1/payout-settings", "Replace the tenant's withdrawal rules", "payouts:approve", 0, fin), a.updateSettings)
}

// PayoutAccountDTO is a connected account's state.
type PayoutAccountDTO struct {
	ID               uuid.UUID  `json:"id"`
	OwnerKind        string     `json:"owner_kind" enum:"staff,franchisee"`
	OwnerID          uuid.UUID  `json:"owner_id"`
	StripeAccountID  string     `json:"stripe_account_id,omitempty"`
	State            string     `json:"state" enum:"pending,enabled,restricted"`
	PayoutsEnabled   bool       `json:"payouts_enabled"`
	DetailsSubmitted bool       `json:"details_submitted"`
	DisabledReason   string     `json:"disabled_reason,omitempty"`
	StripeUpdatedAt  *time.Time `json:"stripe_updated_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
}

func toAccountDTO(a payout.Account) PayoutAccountDTO {
	return PayoutAccountDTO{ID: a.ID, OwnerKind: string(a.Owner.Kind), OwnerID: a.Owner.ID, StripeAccountID: a.StripeID, State: string(a.State),
		PayoutsEnabled: a.PayoutsEnabled, DetailsSubmitted: a.DetailsSubmitted, DisabledReason: a.DisabledReason,
		StripeUpdatedAt: a.StripeUpdatedAt, CreatedAt: a.CreatedAt}
}

// PayoutOnboardBody says where Stripe sends the owner back.
type PayoutOnboardBody struct {
	ReturnURL  string `json:"return_url" maxLength:"1000" doc:"Where Stripe sends you after onboarding"`
	RefreshURL string `json:"refresh_url" maxLength:"1000" doc:"Where Stripe sends you when the link expired (ask for a new one there)"`
}

// WalletParam picks which of the caller's wallets a /me operation means.
type WalletParam struct {
	Wallet string `query:"wallet" enum:"staff,franchisee" doc:"Which of your wallets: a franchisee owner's account means the franchisee's by default; staff is your own as a staff member"`
}

// in is ctx with the caller's choice of wallet.
func (w WalletParam) in(ctx context.Context) context.Context {
	return payout.WithWallet(ctx, payout.OwnerKind(w.Wallet))
}

// PayoutOnboardInput is onboard-my-payout-account's input.
type PayoutOnboardInput struct {
	WalletParam
	Body PayoutOnboardBody
}

// PayoutOnboardingDTO is the account with its onboarding link.
type PayoutOnboardingDTO struct {
	Account   PayoutAccountDTO `json:"account"`
	URL       string           `json:"url"`
	ExpiresAt time.Time        `json:"expires_at"`
}

func (a api) onboard(ctx context.Context, in *PayoutOnboardInput) (*httpx.Body[PayoutOnboardingDTO], error) {
	o, err := a.svc.Onboard(in.in(ctx), in.Body.ReturnURL, in.Body.RefreshURL)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutOnboardingDTO]{Body: PayoutOnboardingDTO{Account: toAccountDTO(o.Account), URL: o.URL, ExpiresAt: o.ExpiresAt}}, nil
}

// BankPayoutDTO is Stripe paying the connected account's balance out to the owner's bank.
type BankPayoutDTO struct {
	ID             uuid.UUID `json:"id"`
	StripePayoutID string    `json:"stripe_payout_id"`
	Amount         int64     `json:"amount" doc:"Minor units"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status" enum:"pending,in_transit,paid,failed,canceled"`
	ArrivalDate    string    `json:"arrival_date,omitempty" format:"date" doc:"When Stripe expects (or saw) the money reach the bank"`
	FailureCode    string    `json:"failure_code,omitempty"`
	FailureMessage string    `json:"failure_message,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func toBankPayoutDTO(p payout.BankPayout) BankPayoutDTO {
	return BankPayoutDTO{ID: p.ID, StripePayoutID: p.StripeID, Amount: p.Amount, Currency: p.Currency, Status: string(p.Status),
		ArrivalDate: p.ArrivalDate, FailureCode: p.FailureCode, FailureMessage: p.FailureMessage, UpdatedAt: p.UpdatedAt}
}

// MyPayoutAccountDTO is the caller's account with its latest bank payouts.
type MyPayoutAccountDTO struct {
	PayoutAccountDTO
	BankPayouts []BankPayoutDTO `json:"bank_payouts" doc:"The latest payouts of this account's balance to your bank (at most 10, newest first)"`
}

func (a api) account(ctx context.Context, in *WalletParam) (*httpx.Body[MyPayoutAccountDTO], error) {
	acc, ps, err := a.svc.MyAccount(in.in(ctx))
	if err != nil {
		return nil, err
	}
	d := MyPayoutAccountDTO{PayoutAccountDTO: toAccountDTO(acc), BankPayouts: make([]BankPayoutDTO, len(ps))}
	for i, p := range ps {
		d.BankPayouts[i] = toBankPayoutDTO(p)
	}
	return &httpx.Body[MyPayoutAccountDTO]{Body: d}, nil
}

// PayoutWalletDTO is a wallet.
type PayoutWalletDTO struct {
	OwnerKind     string            `json:"owner_kind" enum:"staff,franchisee"`
	OwnerID       uuid.UUID         `json:"owner_id"`
	Currency      string            `json:"currency"`
	Available     int64             `json:"available" doc:"Minor units; may be withdrawn"`
	Pending       int64             `json:"pending" doc:"Minor units; earned, inside the holding period"`
	Withdrawing   int64             `json:"withdrawing" doc:"Minor units; withdrawals in flight, net of fees"`
	PayoutAccount *PayoutAccountDTO `json:"payout_account"`
}

func (a api) wallet(ctx context.Context, in *WalletParam) (*httpx.Body[PayoutWalletDTO], error) {
	w, err := a.svc.MyWallet(in.in(ctx))
	if err != nil {
		return nil, err
	}
	d := PayoutWalletDTO{OwnerKind: string(w.Owner.Kind), OwnerID: w.Owner.ID, Currency: w.Currency, Available: w.Available,
		Pending: w.Pending, Withdrawing: w.Withdrawing}
	if w.Account != nil {
		acc := toAccountDTO(*w.Account)
		d.PayoutAccount = &acc
	}
	return &httpx.Body[PayoutWalletDTO]{Body: d}, nil
}

// PayoutStatementQuery pages the statement.
type PayoutStatementQuery struct {
	httpx.PageQuery
	WalletParam
	From string `query:"from" format:"date-time" doc:"Postings at or after this time"`
	To   string `query:"to" format:"date-time" doc:"Postings before this time"`
}

// PayoutStatementLineDTO is one posting.
type PayoutStatementLineDTO struct {
	TransactionID uuid.UUID  `json:"transaction_id"`
	Kind          string     `json:"kind" doc:"The business event, e.g. commission.settle, payout.request"`
	RefKind       string     `json:"ref_kind,omitempty"`
	RefID         *uuid.UUID `json:"ref_id,omitempty"`
	Account       string     `json:"account" enum:"available,pending,withdrawing" doc:"Which balance it changed"`
	Amount        int64      `json:"amount" doc:"Minor units added to that balance (negative: taken)"`
	Memo          string     `json:"memo,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// PayoutStatementDTO is a page of postings.
type PayoutStatementDTO struct {
	Currency string                   `json:"currency"`
	Items    []PayoutStatementLineDTO `json:"items"`
	Limit    int                      `json:"limit"`
	Offset   int                      `json:"offset"`
	HasMore  bool                     `json:"has_more"`
}

func parseTime(v *errs.Validation, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	v.Check(err == nil, field, "an RFC 3339 time")
	return t
}

func (a api) statement(ctx context.Context, in *PayoutStatementQuery) (*httpx.Body[PayoutStatementDTO], error) {
	var v errs.Validation
	from, to := parseTime(&v, "from", in.From), parseTime(&v, "to", in.To)
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := in.Page()
	st, err := a.svc.MyStatement(in.in(ctx), from, to, p)
	if err != nil {
		return nil, err
	}
	d := PayoutStatementDTO{Currency: st.Currency, Items: make([]PayoutStatementLineDTO, 0, len(st.Lines)), Limit: p.Limit, Offset: p.Offset, HasMore: st.HasMore}
	for _, l := range st.Lines {
		d.Items = append(d.Items, toLineDTO(l))
	}
	return &httpx.Body[PayoutStatementDTO]{Body: d}, nil
}

func toLineDTO(l ledger.Posting) PayoutStatementLineDTO {
	d := PayoutStatementLineDTO{TransactionID: l.TxID, Kind: l.Kind, RefKind: l.Ref.Kind, Account: string(l.Account.Purpose), Amount: l.Amount,
		Memo: l.Memo, CreatedAt: l.CreatedAt}
	if l.Ref.ID != uuid.Nil {
		id := l.Ref.ID
		d.RefID = &id
	}
	return d
}

// PayoutEventDTO is one step of a withdrawal.
type PayoutEventDTO struct {
	Status string    `json:"status" enum:"requested,approved,rejected,paid,failed"`
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
}

// PayoutWithdrawalDTO is a withdrawal.
type PayoutWithdrawalDTO struct {
	ID          uuid.UUID        `json:"id"`
	OwnerKind   string           `json:"owner_kind" enum:"staff,franchisee"`
	OwnerID     uuid.UUID        `json:"owner_id"`
	Amount      int64            `json:"amount" doc:"Minor units taken from the available balance"`
	Fee         int64            `json:"fee"`
	Net         int64            `json:"net" doc:"What is transferred: amount − fee"`
	Currency    string           `json:"currency"`
	Status      string           `json:"status" enum:"requested,approved,rejected,paid,failed"`
	Day         string           `json:"day" doc:"The day it counts against the daily limit, in the tenant's time zone"`
	RequestedBy uuid.UUID        `json:"requested_by"`
	TransferID  string           `json:"transfer_id,omitempty"`
	Reversed    int64            `json:"reversed" doc:"Of the net, returned to the available balance by partial reversals of the transfer"`
	Reason      string           `json:"reason,omitempty"`
	DecidedAt   *time.Time       `json:"decided_at,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	History     []PayoutEventDTO `json:"history,omitempty"`
}

func toWithdrawalDTO(w payout.Withdrawal) PayoutWithdrawalDTO {
	d := PayoutWithdrawalDTO{ID: w.ID, OwnerKind: string(w.Owner.Kind), OwnerID: w.Owner.ID, Amount: w.Amount, Fee: w.Fee, Net: w.Net(),
		Currency: w.Currency, Status: string(w.Status), Day: w.Day, RequestedBy: w.RequestedBy, TransferID: w.TransferID, Reversed: w.Reversed,
		Reason: w.Reason, DecidedAt: w.DecidedAt, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	for _, e := range w.History {
		d.History = append(d.History, PayoutEventDTO{Status: string(e.Status), Reason: e.Reason, Actor: e.Actor, At: e.At})
	}
	return d
}

// PayoutRequestBody is a withdrawal request.
type PayoutRequestBody struct {
	Amount int64 `json:"amount" minimum:"1" doc:"Minor units of the tenant's currency to take from the available balance (the fee included)"`
}

// PayoutRequestInput is request-my-withdrawal's input.
type PayoutRequestInput struct {
	WalletParam
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"A retry with the same key returns the first withdrawal and takes nothing more"`
	Body           PayoutRequestBody
}

func (a api) request(ctx context.Context, in *PayoutRequestInput) (*httpx.Body[PayoutWithdrawalDTO], error) {
	w, err := a.svc.Request(in.in(ctx), in.Body.Amount, in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutWithdrawalDTO]{Body: toWithdrawalDTO(w)}, nil
}

// PayoutListQuery pages the caller's withdrawals.
type PayoutListQuery struct {
	httpx.PageQuery
	WalletParam
}

func (a api) listMine(ctx context.Context, in *PayoutListQuery) (*httpx.Body[httpx.List[PayoutWithdrawalDTO]], error) {
	p := in.Page()
	r, err := a.svc.MyWithdrawals(in.in(ctx), p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[PayoutWithdrawalDTO]]{Body: httpx.ListOf(r, p, toWithdrawalDTO)}, nil
}

// PayoutIDPath names a withdrawal.
type PayoutIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// PayoutMineInput names one of the caller's withdrawals.
type PayoutMineInput struct {
	PayoutIDPath
	WalletParam
}

func (a api) getMine(ctx context.Context, in *PayoutMineInput) (*httpx.Body[PayoutWithdrawalDTO], error) {
	w, err := a.svc.MyWithdrawal(in.in(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutWithdrawalDTO]{Body: toWithdrawalDTO(w)}, nil
}

// PayoutFinanceListQuery filters the tenant's withdrawals.
type PayoutFinanceListQuery struct {
	httpx.PageQuery
	Status string `query:"status" enum:"requested,approved,rejected,paid,failed" doc:"Only withdrawals in this state"`
}

func (a api) list(ctx context.Context, in *PayoutFinanceListQuery) (*httpx.Body[httpx.List[PayoutWithdrawalDTO]], error) {
	p := in.Page()
	r, err := a.svc.Withdrawals(ctx, payout.Status(in.Status), p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[PayoutWithdrawalDTO]]{Body: httpx.ListOf(r, p, toWithdrawalDTO)}, nil
}

func (a api) get(ctx context.Context, in *PayoutIDPath) (*httpx.Body[PayoutWithdrawalDTO], error) {
	w, err := a.svc.Withdrawal(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutWithdrawalDTO]{Body: toWithdrawalDTO(w)}, nil
}

func (a api) approve(ctx context.Context, in *PayoutIDPath) (*httpx.Body[PayoutWithdrawalDTO], error) {
	w, err := a.svc.Approve(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutWithdrawalDTO]{Body: toWithdrawalDTO(w)}, nil
}

// PayoutRejectBody gives the reason.
type PayoutRejectBody struct {
	Reason string `json:"reason" minLength:"1" maxLength:"500"`
}

// PayoutRejectInput is reject-withdrawal's input.
type PayoutRejectInput struct {
	PayoutIDPath
	Body PayoutRejectBody
}

func (a api) reject(ctx context.Context, in *PayoutRejectInput) (*httpx.Body[PayoutWithdrawalDTO], error) {
	w, err := a.svc.Reject(ctx, in.ID, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutWithdrawalDTO]{Body: toWithdrawalDTO(w)}, nil
}

// PayoutSettingsBody is the tenant's withdrawal rules, in minor units of its currency.
type PayoutSettingsBody struct {
	MinAmount  int64 `json:"min_amount" minimum:"1" doc:"Smallest withdrawal"`
	FeeFixed   int64 `json:"fee_fixed" minimum:"0" doc:"Fixed fee per withdrawal"`
	FeeBP      int   `json:"fee_bp" minimum:"0" maximum:"5000" doc:"Fee in basis points of the amount, added to the fixed fee"`
	DailyLimit int64 `json:"daily_limit" minimum:"1" doc:"Most one owner may withdraw per day (the tenant's time zone)"`
}

// PayoutSettingsDTO is the rules with the currency.
type PayoutSettingsDTO struct {
	PayoutSettingsBody
	Currency  string     `json:"currency"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// PayoutSettingsInput is update-payout-settings' input.
type PayoutSettingsInput struct {
	Body PayoutSettingsBody
}

func toSettingsDTO(s payout.Settings, cur string) PayoutSettingsDTO {
	d := PayoutSettingsDTO{PayoutSettingsBody: PayoutSettingsBody{MinAmount: s.MinAmount, FeeFixed: s.FeeFixed, FeeBP: s.FeeBP, DailyLimit: s.DailyLimit},
		Currency: cur}
	if !s.UpdatedAt.IsZero() {
		at := s.UpdatedAt
		d.UpdatedAt = &at
	}
	return d
}

func (a api) settings(ctx context.Context, _ *httpx.Empty) (*httpx.Body[PayoutSettingsDTO], error) {
	s, cur, err := a.svc.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutSettingsDTO]{Body: toSettingsDTO(s, cur)}, nil
}

func (a api) updateSettings(ctx context.Context, in *PayoutSettingsInput) (*httpx.Body[PayoutSettingsDTO], error) {
	if _, err := a.svc.UpdateSettings(ctx, payout.Settings{MinAmount: in.Body.MinAmount, FeeFixed: in.Body.FeeFixed, FeeBP: in.Body.FeeBP,
		DailyLimit: in.Body.DailyLimit}); err != nil {
		return nil, err
	}
	s, cur, err := a.svc.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PayoutSettingsDTO]{Body: toSettingsDTO(s, cur)}, nil
}
