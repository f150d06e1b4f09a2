package wiring_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/booking"
	"doorstep/app/notify"
)

// inboxFor polls token's inbox until it holds a message of template about orderID.
func (e *env) inboxFor(token, orderID, template string) (title, body string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		var p inboxPage
		e.do(http.MethodGet, "/api/v1/me/inbox?limit=100", token, "", nil).ok(&p)
		for _, m := range p.Items {
			if m.Template == template && m.Data["order_id"] == orderID {
				title, body = m.Title, m.Body
				return true
			}
		}
		return false
	}, 15*time.Second, 50*time.Millisecond, "no %s message about %s", template, orderID)
	return title, body
}

// TestOrderNotifications: booking and the lifecycle tell the customer (in their own locale)
// and the assigned staff member, through the outbox and the worker.
func TestOrderNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	require.NoError(t, e.db.Owner.Exec(`update customers set locale = 'en' where tenant_id = ? and id = ?`, f.Tenant.ID, f.CustomerID).Error)
	// The staff member was last seen about 2 km east of the address.
	require.NoError(t, e.db.Owner.Exec(`update staff set last_location = st_setsrid(st_makepoint(?, ?), 4326)::geography, located_at = now()
		where tenant_id = ? and id = ?`, inTerritory.Lng+0.02, inTerritory.Lat, f.Tenant.ID, f.StaffID).Error)

	cust := f.CustomerToken
	quoteID, _ := customerQuote(e, f, cust, localAt(3, 10))
	var o orderView
	e.do(http.MethodPost, "/api/v1/storefront/orders", cust, "", map[string]any{"quote_id": quoteID, "address": "1 Test Road"}).status(http.StatusCreated).ok(&o)
	id := o.ID.String()

	title, body := e.inboxFor(cust, id, notify.TemplateOrderConfirmed)
	require.Equal(t, "Booking confirmed", title)
	require.Contains(t, body, "Your booking "+o.Number+" is confirmed")
	require.Contains(t, body, "1 Test Road")

	e.do(http.MethodPost, "/api/v1/orders/"+id+"/assign", f.Tokens["dispatcher"], "", map[string]any{"staff_id": f.StaffID}).ok(&o)
	_, body = e.inboxFor(f.Tokens["staff"], id, notify.TemplateOrderAssigned)
	require.Contains(t, body, o.Number)

	job := "/api/v1/me/jobs/" + id
	e.do(http.MethodPost, job+"/accept", f.Tokens["staff"], "", nil).ok(&o)
	e.do(http.MethodPost, job+"/depart", f.Tokens["staff"], "", nil).ok(&o)
	title, body = e.inboxFor(cust, id, notify.TemplateOrderOnTheWay)
	require.Equal(t, "On the way", title)
	require.Regexp(t, `is on the way and should arrive in about [1-9]\d* minutes \(order `+o.Number+`\)\.$`, body)

	// The reminder was scheduled for two hours before the start.
	var n int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from outbox where task_type = 'booking:reminder' and payload::text like '%' || ? || '%'`, id).Scan(&n).Error)
	require.EqualValues(t, 1, n)
}

// TestOrderReminder runs the booking:reminder handler's work directly: it reminds the customer
// and the assigned staff member once per start, and a stale start does nothing.
func TestOrderReminder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.A
	id := probeOrder(e, f, booking.Assigned, true)
	d, err := e.app.Booking.Get(hqContext(f), id)
	require.NoError(t, err)
	ctx := f.jobContext()
	require.NoError(t, e.app.Booking.Remind(ctx, id, d.Start.Add(time.Hour)), "a moved visit's old reminder")
	require.NoError(t, e.app.Booking.Remind(ctx, id, d.Start))
	require.NoError(t, e.app.Booking.Remind(ctx, id, d.Start), "a duplicate")
	e.inboxFor(f.CustomerToken, id.String(), notify.TemplateOrderReminderCustomer)
	e.inboxFor(f.Tokens["staff"], id.String(), notify.TemplateOrderReminderStaff)
	var n int64
	require.NoError(t, e.db.Owner.Raw(`select count(*) from order_events where order_id = ? and action = 'remind'`, id).Scan(&n).Error)
	require.EqualValues(t, 1, n)
}
