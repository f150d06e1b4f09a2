package wiring_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/ledger"
	"doorstep/app/payment/gateway"
	"doorstep/app/payout"
	"doorstep/tenant"
)

// payoutObjects are a fixture's wallets: the staff member's and the franchisee's, both with
// an enabled payout account and money, and one requested withdrawal from the franchisee's
// wallet. Its requester is a second franchisee owner account (Payee), so that the fixture
// accounts' inboxes stay as other areas' tests expect them.
type payoutObjects struct {
	WithdrawalID uuid.UUID
	Payee        uuid.UUID
}

var payoutFixtures sync.Map // *fixture → *payoutObjects

func payoutOf(f *fixture) *payoutObjects {
	v, _ := payoutFixtures.Load(f)
	return v.(*payoutObjects)
}

// staffWalletContext is f's staff member as the API sees them.
func staffWalletContext(f *fixture) context.Context { return walletContext(f, f.UserIDs["staff"]) }

// walletContext is a staff user of f's franchised store as the API sees them.
func walletContext(f *fixture, user uuid.UUID) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.User, TenantID: f.Tenant.ID,
		SubjectID: user, Roles: []string{"staff"}, Scope: auth.ScopeSelf, StoreID: f.FrStoreID, FranchiseeID: f.FranchiseeID})
}

// franchiseeWalletContext is f's franchisee owner as the API sees them.
func franchiseeWalletContext(f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.User, TenantID: f.Tenant.ID,
		SubjectID: f.UserIDs["franchisee_owner"], Roles: []string{"franchisee_owner"}, Scope: auth.ScopeFranchisee, FranchiseeID: f.FranchiseeID})
}

// fundWallet gives owner amount of available money as the book does: an order paid by card,
// split on completion and settled after the holding period (docs/money.md).
func fundWallet(e *env, f *fixture, owner ledger.Owner, amount int64) {
	ctx := tenant.WithTenant(context.Background(), &f.Tenant)
	cur := f.Tenant.Currency
	order := uuid.Must(uuid.NewV7())
	ref := ledger.Ref{Kind: "order", ID: order}
	post := func(kind, key string, es ...ledger.Entry) ledger.Transaction {
		tx, err := e.app.Ledger.Post(ctx, ledger.Transaction{Kind: kind, Ref: ref, Key: key, Entries: es})
		require.NoError(e.t, err)
		return tx
	}
	post("payment.card", "payment:"+order.String()+":succeeded",
		ledger.Entry{Account: ledger.External().Account(ledger.Clearing, cur), Amount: -amount},
		ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: amount})
	split := post("commission.split", "split:"+order.String(),
		ledger.Entry{Account: ledger.HQ().Account(ledger.OrderFunds, cur), Amount: -amount},
		ledger.Entry{Account: owner.Account(ledger.Pending, cur), Amount: amount})
	post("commission.settle", "settle:"+split.ID.String(),
		ledger.Entry{Account: owner.Account(ledger.Pending, cur), Amount: -amount},
		ledger.Entry{Account: owner.Account(ledger.Available, cur), Amount: amount})
}

// enablePayoutAccount onboards ctx's owner against stripe-mock and delivers the signed
// account.updated event that enables payouts, to the handler the webhook calls.
func enablePayoutAccount(e *env, f *fixture, ctx context.Context) payout.Account {
	o, err := e.app.Payout.Onboard(ctx, "https://console.test/wallet", "https://console.test/wallet/refresh")
	require.NoError(e.t, err)
	body := fmt.Appendf(nil, `{"id":"evt_%s","object":"event","type":"account.updated","created":%d,"data":{"object":
		{"id":%q,"object":"account","payouts_enabled":true,"charges_enabled":true,"details_submitted":true}}}`,
		uuid.NewString()[:8], time.Now().Unix(), o.Account.StripeID)
	ev, err := gateway.VerifyEvent(body, gateway.SignTestPayload(body, testWebhookSecret, time.Now()), testWebhookSecret)
	require.NoError(e.t, err)
	require.NoError(e.t, e.app.Payout.HandleEvent(tenant.WithTenant(context.Background(), &f.Tenant), ev))
	return o.Account
}

// payeeContext is f's second franchisee owner account, which requests the fixtures' withdrawals.
func payeeContext(f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.User, TenantID: f.Tenant.ID,
		SubjectID: payoutOf(f).Payee, Roles: []string{"franchisee_owner"}, Scope: auth.ScopeFranchisee, FranchiseeID: f.FranchiseeID})
}

// seedPayout sets f's withdrawal rules, funds and enables the staff member's and the
// franchisee's wallets, and requests one withdrawal from the franchisee's (called from
// seedObjects).
func (e *env) seedPayout(f *fixture) {
	_, err := e.app.Payout.UpdateSettings(hqContext(f), payout.Settings{MinAmount: 100, DailyLimit: 100_000_000})
	require.NoError(e.t, err)
	// The payee only requests through the service, so a bare account row (it cannot sign in)
	// is enough, and seeding stays quick (the rate-limit test counts seconds since sign-in).
	payee := uuid.Must(uuid.NewV7())
	require.NoError(e.t, e.db.Owner.Exec(`insert into users (tenant_id, id, email, password_hash, display_name, franchisee_id)
		values (?, ?, ?, 'x', ?, ?)`, f.Tenant.ID, payee, "payee@"+f.Tenant.Slug+".test", "payee of "+f.Tenant.Slug, f.FranchiseeID).Error)
	o := &payoutObjects{Payee: payee}
	payoutFixtures.Store(f, o)
	fundWallet(e, f, ledger.Staff(f.StaffID), 10_000_000)
	fundWallet(e, f, ledger.Franchisee(f.FranchiseeID), 10_000_000)
	sa := enablePayoutAccount(e, f, staffWalletContext(f))
	fa := enablePayoutAccount(e, f, franchiseeWalletContext(f))
	o.WithdrawalID = probeWithdrawal(e, f)
	f.Secrets = append(f.Secrets, o.WithdrawalID.String(), payee.String(), sa.StripeID, fa.StripeID, sa.ID.String(), fa.ID.String())
}

// probeWithdrawal requests a fresh withdrawal from f's franchisee wallet (for decisions' own calls).
func probeWithdrawal(e *env, f *fixture) uuid.UUID {
	w, err := e.app.Payout.Request(payeeContext(f), 1_000, "")
	require.NoError(e.t, err)
	return w.ID
}
