package wiring_test

import (
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/pricing"
	"doorstep/app/staff"
)

// fixtureObjects are real catalogue, pricing and roster objects of a fixture, made before
// any test runs, so that the route walk can aim at them (and checksum them first).
type fixtureObjects struct {
	CategoryID, ServiceID, PackageID, AddOnID uuid.UUID // ServiceID is published
	PriceStoreID                              uuid.UUID // StoreID, which overrides PackageID's price
	RuleID                                    uuid.UUID // an inactive surcharge rule, so quotes elsewhere are unaffected
	Holiday                                   string    // YYYY-MM-DD, different in each fixture
	QuoteID                                   uuid.UUID
	StaffID                                   uuid.UUID // the profile of UserIDs["staff"]
	StaffLevelID                              uuid.UUID
	CertType                                  string    // not mandatory, so eligibility elsewhere is unaffected
	CertificateID                             uuid.UUID // pending review
	ExceptionID                               uuid.UUID // leave in 2031
}

var fixtureHolidays atomic.Int64

// seedObjects fills f.fixtureObjects through the services. It needs f.UserIDs["staff"].
func (e *env) seedObjects(f *fixture) {
	t := e.t
	ctx := hqContext(f)
	o := newCatalog(e, f, true)
	f.CategoryID, f.ServiceID, f.PackageID, f.AddOnID = o.Category, o.Service, o.Package, o.AddOn

	// The override lives in the HQ-run store: tests count the franchised store's overrides.
	price := int64(11000)
	_, err := e.app.Catalog.SetStorePrice(ctx, f.StoreID, f.PackageID, &price, true)
	require.NoError(t, err)
	f.PriceStoreID = f.StoreID
	r, err := e.app.Pricing.CreateRule(ctx, pricing.Rule{Kind: pricing.RuleWeekend, NameZh: "周末（停用）", NameEn: "Weekend (off)", PercentBP: 700})
	require.NoError(t, err)
	f.RuleID = r.ID
	day := time.Date(2039, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(fixtureHolidays.Add(1)))
	require.NoError(t, e.app.Pricing.SetHoliday(ctx, day, "店庆日"))
	f.Holiday = day.Format(time.DateOnly)
	q, err := e.app.Pricing.Quote(ctx, pricing.QuoteRequest{PackageID: f.PackageID, AddOns: []pricing.AddOnChoice{{ID: f.AddOnID, Quantity: 1}},
		Location: inTerritory, Start: time.Now().Add(72 * time.Hour).Truncate(time.Hour)})
	require.NoError(t, err)
	f.QuoteID = q.ID

	// The roster, through the probes' helpers so that their own-tenant calls find the same objects.
	f.StaffID = probeProfile(e, f, f.UserIDs["staff"])
	f.StaffLevelID = probeLevel(e, f)
	_, err = e.app.Staff.Update(ctx, f.StaffID, staff.Update{LevelID: &f.StaffLevelID})
	require.NoError(t, err)
	_, err = e.app.Staff.SetSkills(ctx, f.StaffID, []staff.Skill{{ServiceID: f.ServiceID}})
	require.NoError(t, err)
	// Every day 07:00–22:00, so the orders the probes book (probeSlot) find them free.
	week := make([]staff.Hours, 7)
	for d := range week {
		week[d] = staff.Hours{Weekday: d, Start: "07:00", End: "22:00"}
	}
	_, err = e.app.Staff.SetHours(ctx, f.StaffID, week)
	require.NoError(t, err)
	f.CertType = probeCertType(e, f)
	f.CertificateID = probeCert(e, f, f.StaffID)
	start := time.Date(2031, 3, 3, 0, 0, 0, 0, time.UTC)
	x, err := e.app.Staff.AddException(ctx, f.StaffID, staff.NewException{Kind: staff.ExceptionLeave, Start: start, End: start.Add(48 * time.Hour), Note: "年假"})
	require.NoError(t, err)
	f.ExceptionID = x.ID
	e.seedInbox(f)

	e.seedBooking(f)
	e.seedReview(f)
	e.seedDispatch(f)
	e.seedCard(f)
	e.seedCommission(f)
	e.seedPayout(f)
	e.seedPayment(f)
	for _, id := range []uuid.UUID{f.CategoryID, f.ServiceID, f.PackageID, f.AddOnID, f.RuleID, f.QuoteID, f.StaffID, f.StaffLevelID, f.CertificateID, f.ExceptionID} {
		f.Secrets = append(f.Secrets, id.String())
	}
}
