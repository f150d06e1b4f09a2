package wiring_test

import (
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
)

// probeOffer makes a fresh confirmed order of f and an open pool offer of it to f's staff
// member (as the database owner, standing in for Offer), and returns the offer's id.
func probeOffer(e *env, f *fixture) uuid.UUID {
	order := probeOrder(e, f, booking.Confirmed, false)
	id := uuid.Must(uuid.NewV7())
	require.NoError(e.t, e.db.Owner.Exec(`insert into dispatch_offers (tenant_id, id, order_id, staff_id, kind, status, score, rank, expires_at)
		values (?, ?, ?, ?, 'pool', 'offered', 50, 1, ?)`, f.Tenant.ID, id, order, f.StaffID, time.Now().Add(time.Hour)).Error)
	return id
}

var dispatchFixtures sync.Map // *fixture → its open pool offer's id

// seedDispatch gives f an open pool offer to its staff member (called from seedObjects, so
// the isolation walk's attacks find a real offer of tenant A without writing A's rows).
func (e *env) seedDispatch(f *fixture) {
	id := probeOffer(e, f)
	dispatchFixtures.Store(f, id)
	f.Secrets = append(f.Secrets, id.String())
}

func offerOf(f *fixture) uuid.UUID {
	v, _ := dispatchFixtures.Load(f)
	return v.(uuid.UUID)
}

// dispatchProbes covers the area's operations. Attacks aim tenant B's owner at tenant A's
// real orders and offers; own calls use fresh ones (staff operations as f's staff member).
func dispatchProbes() map[string]probe {
	aOrder := func(suffix string) func(e *env) call {
		return func(e *env) call { return call{path: "/api/v1/orders/" + bookingOf(e.A).OrderID.String() + suffix} }
	}
	aOffer := func(suffix string) func(e *env) call {
		return func(e *env) call { return call{path: "/api/v1/me/offers/" + offerOf(e.A).String() + suffix} }
	}
	ownOffer := func(suffix string) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/me/offers/" + probeOffer(e, f).String() + suffix}
		}
	}
	return map[string]probe{
		"list-order-candidates": {object: true, attack: aOrder("/candidates"), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/orders/" + bookingOf(f).OrderID.String() + "/candidates"}
		}},
		"dispatch-order": {object: true, attack: aOrder("/dispatch"), own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/orders/" + probeOrder(e, f, booking.Confirmed, false).String() + "/dispatch"}
		}},
		"get-dispatch-board": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/dispatch/board?store_id=" + e.A.FrStoreID.String() + "&date=" + time.Now().Format(time.DateOnly)}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/dispatch/board?store_id=" + f.FrStoreID.String() + "&date=" + time.Now().Format(time.DateOnly)}
		}},
		"list-my-offers":   {own: func(e *env, f *fixture) call { return call{path: "/api/v1/me/offers"} }},
		"take-my-offer":    {object: true, attack: aOffer("/take"), own: ownOffer("/take")},
		"decline-my-offer": {object: true, attack: aOffer("/decline"), own: ownOffer("/decline")},
	}
}
