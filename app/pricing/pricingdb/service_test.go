package pricingdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/app/pricing/pricingdb"
	"doorstep/tenant"
)

// catalogue is pricing's view of the catalogue for these tests; the real adapter is tested
// through the API in app/wiring.
type catalogue struct {
	store  uuid.UUID
	price  int64
	addOns map[uuid.UUID]int64
}

func (c catalogue) ServingStore(_ context.Context, at geo.Point) (uuid.UUID, error) {
	if at.Lng > 122 {
		return uuid.Nil, errs.New(errs.Invalid, "address_not_served", "no store serves this address")
	}
	return c.store, nil
}

func (c catalogue) QuotePackage(_ context.Context, id, store uuid.UUID) (pricing.PackageInfo, error) {
	return pricing.PackageInfo{ServiceID: uuid.Nil, LabelZh: "两居室", LabelEn: "2 rooms", Price: c.price, DurationMinutes: 120}, nil
}

func (c catalogue) QuoteAddOns(_ context.Context, _ uuid.UUID, ids []uuid.UUID) ([]pricing.AddOnInfo, error) {
	var out []pricing.AddOnInfo
	for _, id := range ids {
		p, ok := c.addOns[id]
		if !ok {
			return nil, errs.InvalidFields(errs.Field("add_ons", "unknown add-on"))
		}
		out = append(out, pricing.AddOnInfo{ID: id, LabelZh: "加项", LabelEn: "extra", Price: p})
	}
	return out, nil
}

func TestQuoteLifecycle(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	tid, store := uuid.New(), uuid.New()
	require.NoError(t, d.Owner.Exec(`insert into tenants (id, slug, name) values (?, 'p', 'P')`, tid).Error)
	// The store sits at People's Square; quotes 7.2 km away pay travel beyond 5 km.
	require.NoError(t, d.Owner.Exec(`insert into stores (tenant_id, id, code, name, time_zone, location)
		values (?, ?, 'S1', 'Store', 'Asia/Shanghai', st_setsrid(st_makepoint(121.4737, 31.2304), 4326)::geography)`, tid, store).Error)
	tn := &tenant.Tenant{ID: tid, Currency: "CNY", TimeZone: "Asia/Shanghai"}
	ctx = auth.WithPrincipal(tenant.WithTenant(ctx, tn), &auth.Principal{Kind: auth.User, TenantID: tid, SubjectID: uuid.New(), Scope: auth.ScopeTenant})
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(now)
	fridge := uuid.New()
	svc := pricing.NewService(d.Tx, pricingdb.New(d.Tx), catalogue{store: store, price: 20000, addOns: map[uuid.UUID]int64{fridge: 8000}}, nil,
		audit.New(d.Tx, auditdb.New(d.Tx)), clk)

	require.NoError(t, svc.SetTravel(ctx, uuid.Nil, pricing.Travel{FreeMeters: 5000, PerKm: 500, Max: 5000}))
	_, err := svc.CreateRule(ctx, pricing.Rule{Kind: pricing.RuleWeekend, NameZh: "周末", NameEn: "Weekend", PercentBP: 1000, Active: true})
	require.NoError(t, err)
	_, err = svc.CreateRule(ctx, pricing.Rule{Kind: pricing.RuleWeekend, NameZh: "x", NameEn: "x", PercentBP: -5, Active: true})
	require.Equal(t, "validation_failed", mustCode(t, err))
	require.NoError(t, svc.SetHoliday(ctx, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), "店庆"))
	_, err = svc.CreateRule(ctx, pricing.Rule{Kind: pricing.RuleHoliday, NameZh: "节假日", NameEn: "Holiday", Fixed: 3000, Active: true})
	require.NoError(t, err)

	// Saturday 28 November 10:00 Shanghai: weekend + holiday, 7.2 km → 3 started km beyond 5.
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, tn.Location())
	far := geo.Point{Lng: 121.5475, Lat: 31.2304}
	q, err := svc.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), AddOns: []pricing.AddOnChoice{{ID: fridge, Quantity: 1}}, Location: far, Start: start})
	require.NoError(t, err)
	var kinds []pricing.LineKind
	for _, l := range q.Breakdown.Lines {
		kinds = append(kinds, l.Kind)
	}
	require.Equal(t, []pricing.LineKind{pricing.LinePackage, pricing.LineAddOn, pricing.LineWeekend, pricing.LineHoliday, pricing.LineTravel}, kinds)
	require.Equal(t, int64(28000+2800+3000+1500), q.Breakdown.Total)
	require.Equal(t, store, q.StoreID)
	require.Equal(t, now.Add(pricing.DefaultQuoteTTL), q.ExpiresAt)

	// The stored quote reads back the same.
	got, err := svc.GetQuote(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, q.Breakdown, got.Breakdown)

	// Data scope: staff of the quote's store see it, staff of another store and other
	// customers do not.
	as := func(p *auth.Principal) context.Context {
		p.TenantID = tid
		return auth.WithPrincipal(tenant.WithTenant(context.Background(), tn), p)
	}
	_, err = svc.GetQuote(as(&auth.Principal{Kind: auth.User, SubjectID: uuid.New(), Scope: auth.ScopeStore, StoreID: store}), q.ID)
	require.NoError(t, err)
	_, err = svc.GetQuote(as(&auth.Principal{Kind: auth.User, SubjectID: uuid.New(), Scope: auth.ScopeStore, StoreID: uuid.New()}), q.ID)
	require.Equal(t, "quote_not_found", mustCode(t, err))
	_, err = svc.GetQuote(as(&auth.Principal{Kind: auth.User, SubjectID: uuid.New(), Scope: auth.ScopeFranchisee, FranchiseeID: uuid.New()}), q.ID)
	require.Equal(t, "quote_not_found", mustCode(t, err))
	_, err = svc.GetQuote(as(&auth.Principal{Kind: auth.Customer, SubjectID: uuid.New(), Scope: auth.ScopeSelf}), q.ID)
	require.Equal(t, "quote_not_found", mustCode(t, err))

	// A per-store travel policy overrides the tenant default.
	require.NoError(t, svc.SetTravel(ctx, store, pricing.Travel{FreeMeters: 10000}))
	q2, err := svc.Quote(ctx, pricing.QuoteRequest{PackageID: uuid.New(), Location: far, Start: start})
	require.NoError(t, err)
	require.Equal(t, int64(20000+2000+3000), q2.Breakdown.Total, "no travel fee within the store's 10 km")

	// Using a quote: once; not after it expires.
	_, err = svc.UseQuote(ctx, q.ID)
	require.NoError(t, err)
	_, err = svc.UseQuote(ctx, q.ID)
	require.Equal(t, "quote_used", mustCode(t, err))
	clk.Advance(pricing.DefaultQuoteTTL)
	_, err = svc.UseQuote(ctx, q2.ID)
	require.Equal(t, "quote_expired", mustCode(t, err))

	// Bad requests are 4xx and store nothing.
	var before int64
	require.NoError(t, d.Owner.Raw("select count(*) from quotes").Scan(&before).Error)
	for name, req := range map[string]pricing.QuoteRequest{
		"past start":       {PackageID: uuid.New(), Location: far, Start: now.Add(-time.Hour)},
		"no package":       {Location: far, Start: start},
		"not served":       {PackageID: uuid.New(), Location: geo.Point{Lng: 123, Lat: 31}, Start: start},
		"unknown add-on":   {PackageID: uuid.New(), Location: far, Start: start, AddOns: []pricing.AddOnChoice{{ID: uuid.New(), Quantity: 1}}},
		"zero quantity":    {PackageID: uuid.New(), Location: far, Start: start, AddOns: []pricing.AddOnChoice{{ID: fridge, Quantity: 0}}},
		"duplicate add-on": {PackageID: uuid.New(), Location: far, Start: start, AddOns: []pricing.AddOnChoice{{ID: fridge, Quantity: 1}, {ID: fridge, Quantity: 1}}},
	} {
		_, err := svc.Quote(ctx, req)
		require.Equal(t, errs.Invalid, errs.KindOf(err), name)
	}
	var after int64
	require.NoError(t, d.Owner.Raw("select count(*) from quotes").Scan(&after).Error)
	require.Equal(t, before, after)

	// Another tenant sees neither the quote nor the rules.
	other := uuid.New()
	require.NoError(t, d.Owner.Exec(`insert into tenants (id, slug, name) values (?, 'o', 'O')`, other).Error)
	octx := tenant.WithTenant(context.Background(), &tenant.Tenant{ID: other, Currency: "CNY", TimeZone: "Asia/Shanghai"})
	_, err = svc.GetQuote(octx, q.ID)
	require.Equal(t, "quote_not_found", mustCode(t, err))
	rules, err := svc.Rules(octx)
	require.NoError(t, err)
	require.Empty(t, rules)

	// Price changes are audited.
	var n int64
	require.NoError(t, d.Owner.Raw("select count(*) from audit_log where tenant_id = ? and action like 'pricing.%'", tid).Scan(&n).Error)
	require.Equal(t, int64(5), n)
}

func mustCode(t *testing.T, err error) string {
	t.Helper()
	e, ok := errs.As(err)
	require.True(t, ok, "want a domain error, got %v", err)
	return e.Code
}
