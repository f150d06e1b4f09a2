package wiring_test

import (
	"context"
	"sync"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/booking"
	"doorstep/app/review"
	"doorstep/tenant"
)

// reviewObjects are a fixture's real review and its order, for the route walk and the probes.
type reviewObjects struct {
	OrderID  uuid.UUID // completed, served by f's staff member
	ReviewID uuid.UUID // the customer's review of it
}

var reviewFixtures sync.Map // *fixture → *reviewObjects

func reviewOf(f *fixture) *reviewObjects {
	v, _ := reviewFixtures.Load(f)
	return v.(*reviewObjects)
}

func customerContext(f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant),
		&auth.Principal{Kind: auth.Customer, TenantID: f.Tenant.ID, SubjectID: f.CustomerID, Scope: auth.ScopeSelf})
}

// seedReview makes f's completed order and its review (called from seedObjects).
func (e *env) seedReview(f *fixture) {
	o := &reviewObjects{OrderID: probeOrder(e, f, booking.Completed, true)}
	r, err := e.app.Review.Create(customerContext(f), review.NewReview{OrderID: o.OrderID, Attitude: 5, Quality: 4, Punctuality: 5,
		Text: "seeded review", Photos: []string{"https://example.com/r.jpg"}})
	require.NoError(e.t, err)
	o.ReviewID = r.ID
	reviewFixtures.Store(f, o)
	f.Secrets = append(f.Secrets, o.OrderID.String(), o.ReviewID.String())
}
