package wiring_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/notify"
)

type offerView struct {
	ID      uuid.UUID
	OrderID uuid.UUID `json:"order_id"`
	StaffID uuid.UUID `json:"staff_id"`
	Status  string
}

// TestDispatchAPI: a dispatcher sees ranked candidates with reasons (the fixture's staff
// member, eligible for real), opens the order pool, the staff member sees and takes the
// offer (the order is assigned and accepted), a second take is 409 offer_taken, and bad or
// foreign input is a 4xx.
func TestDispatchAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	disp, staffTok := f.Tokens["dispatcher"], f.Tokens["staff"]
	orderID := probeOrder(e, f, booking.Confirmed, false)
	var cands struct {
		Items []struct {
			StaffID uuid.UUID `json:"staff_id"`
			Score   float64
			Reasons []struct {
				Factor string
				Points float64
			}
		}
	}
	e.do(http.MethodGet, "/api/v1/orders/"+orderID.String()+"/candidates", disp, "", nil).status(http.StatusOK).ok(&cands)
	require.NotEmpty(t, cands.Items)
	found := false
	for _, c := range cands.Items {
		if c.StaffID == f.StaffID {
			found = true
			require.NotEmpty(t, c.Reasons)
		}
	}
	require.True(t, found, "the fixture's staff member is a candidate: %+v", cands.Items)
	e.do(http.MethodGet, "/api/v1/orders/not-a-uuid/candidates", disp, "", nil).status(http.StatusBadRequest)
	e.do(http.MethodGet, "/api/v1/orders/"+uuid.NewString()+"/candidates", disp, "", nil).status(http.StatusNotFound)
	e.do(http.MethodGet, "/api/v1/orders/"+orderID.String()+"/candidates", staffTok, "", nil).status(http.StatusForbidden)

	// Manual mode (the default): dispatching does nothing.
	var res struct {
		Mode   string
		Offers []offerView
	}
	e.do(http.MethodPost, "/api/v1/orders/"+orderID.String()+"/dispatch", disp, "", nil).status(http.StatusOK).ok(&res)
	require.Equal(t, "manual", res.Mode)

	d, err := e.app.Booking.Get(hqContext(f), orderID)
	require.NoError(t, err)
	e.settleDispatch(f, orderID) // its confirmation was dispatched in manual mode: nothing
	e.do(http.MethodPut, "/api/v1/stores/"+d.StoreID.String()+"/dispatch-settings", f.Tokens["owner"], "", map[string]any{"mode": "pool", "pool_size": 3}).status(http.StatusOK)
	e.do(http.MethodPost, "/api/v1/orders/"+orderID.String()+"/dispatch", disp, "", nil).status(http.StatusOK).ok(&res)
	require.Equal(t, "pool", res.Mode)
	require.NotEmpty(t, res.Offers)
	require.LessOrEqual(t, len(res.Offers), 3)
	r := e.do(http.MethodPost, "/api/v1/orders/"+orderID.String()+"/dispatch", disp, "", nil)
	require.Equal(t, http.StatusConflict, r.code, r.body)
	require.Equal(t, "offers_open", r.problem())

	var mine struct{ Items []offerView }
	e.do(http.MethodGet, "/api/v1/me/offers", staffTok, "", nil).status(http.StatusOK).ok(&mine)
	var offer uuid.UUID
	for _, o := range mine.Items {
		if o.OrderID == orderID {
			offer = o.ID
			require.Equal(t, "offered", o.Status)
		}
	}
	require.NotEqual(t, uuid.Nil, offer, "the staff member sees the offer")
	e.do(http.MethodPost, "/api/v1/me/offers/"+offer.String()+"/take", disp, "", nil).status(http.StatusForbidden)
	var took struct {
		Offer       offerView
		OrderStatus string `json:"order_status"`
	}
	e.do(http.MethodPost, "/api/v1/me/offers/"+offer.String()+"/take", staffTok, "", nil).status(http.StatusOK).ok(&took)
	require.Equal(t, "accepted", took.Offer.Status)
	require.Equal(t, "accepted", took.OrderStatus)
	r = e.do(http.MethodPost, "/api/v1/me/offers/"+offer.String()+"/take", staffTok, "", nil)
	require.Equal(t, http.StatusConflict, r.code, r.body)
	require.Equal(t, "offer_taken", r.problem())
	e.do(http.MethodPost, "/api/v1/me/offers/"+uuid.NewString()+"/take", staffTok, "", nil).status(http.StatusNotFound)
	e.do(http.MethodPost, "/api/v1/me/offers/x/decline", staffTok, "", nil).status(http.StatusBadRequest)
	d, err = e.app.Booking.Get(hqContext(f), orderID)
	require.NoError(t, err)
	require.Equal(t, booking.Accepted, d.Status)
	require.Equal(t, f.StaffID, d.Assignment.StaffID)

	// The dispatcher's board for the visit's day lists the store's staff with their load.
	var board struct {
		Unassigned []struct{ ID uuid.UUID }
		Staff      []struct {
			StaffID uuid.UUID `json:"staff_id"`
			Visits  int
		}
	}
	day := d.Start.In(f.Tenant.Location()).Format(time.DateOnly)
	e.do(http.MethodGet, "/api/v1/dispatch/board?store_id="+d.StoreID.String()+"&date="+day, disp, "", nil).status(http.StatusOK).ok(&board)
	for _, o := range board.Unassigned {
		require.NotEqual(t, orderID, o.ID, "taken orders are not unassigned")
	}
	e.do(http.MethodGet, "/api/v1/dispatch/board?store_id="+d.StoreID.String()+"&date=tomorrow", disp, "", nil).status(http.StatusUnprocessableEntity)

	// In pool mode a new booking is offered by the worker on its own (the booking's
	// transaction enqueued dispatch:order_waiting): the staff member sees the offer.
	auto := probeOrder(e, f, booking.Confirmed, false)
	require.Eventually(t, func() bool {
		var mine struct{ Items []offerView }
		e.do(http.MethodGet, "/api/v1/me/offers", staffTok, "", nil).status(http.StatusOK).ok(&mine)
		for _, o := range mine.Items {
			if o.OrderID == auto && o.Status == "offered" {
				return true
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the confirmed booking was not offered")
	_, body := e.inboxFor(staffTok, auto.String(), notify.TemplateOrderOffer)
	require.Contains(t, body, "10", "the offer says how long it stays open: %s", body)

	// An order dispatch gave up on shows on the board as at risk, with the reason.
	require.NoError(t, e.db.Owner.Exec(`insert into dispatch_flags (tenant_id, order_id, reason, rounds) values (?, ?, 'pool_exhausted', 3)`,
		f.Tenant.ID, auto).Error)
	ad, err := e.app.Booking.Get(hqContext(f), auto)
	require.NoError(t, err)
	var risky struct {
		AtRisk []struct {
			ID     uuid.UUID
			Reason string `json:"at_risk_reason"`
		} `json:"at_risk"`
	}
	e.do(http.MethodGet, "/api/v1/dispatch/board?store_id="+d.StoreID.String()+"&date="+ad.Start.In(f.Tenant.Location()).Format(time.DateOnly), disp, "", nil).ok(&risky)
	reasons := map[uuid.UUID]string{}
	for _, o := range risky.AtRisk {
		reasons[o.ID] = o.Reason
	}
	require.Equal(t, "pool_exhausted", reasons[auto], "%+v", risky.AtRisk)
	e.do(http.MethodGet, "/api/v1/dispatch/board?store_id=x&date="+day, disp, "", nil).status(http.StatusBadRequest)
	e.do(http.MethodGet, "/api/v1/dispatch/board?store_id="+uuid.NewString()+"&date="+day, disp, "", nil).status(http.StatusNotFound)
}
