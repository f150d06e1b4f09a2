// Package bookingapi exposes booking: customers book, follow, cancel, approve extras, accept
// and ask for rework in the storefront; staff work their own jobs (visits:self); stores book on
// customers' behalf, list, manage and dispatch orders; HQ sets the booking rules.
package bookingapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
	"doorstep/app/kit/page"
)

type api struct{ svc *booking.Service }

// Register adds the booking operations.
func Register(h huma.API, svc *booking.Service) {
	a := api{svc: svc}
	cust := httpx.Access{Audience: httpx.Customer}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, status int, tags ...string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}, acc)
	}
	ct, jt, ot, st := "My orders", "My jobs", "Orders", "Booking settings"

	// Customers (storefront app).
	huma.Register(h, reg("create-my-order", http.MethodPost, "/api/v1/storefront/orders", "Book a visit from a quote (Idempotency-Key makes retries safe)", cust, http.StatusCreated, ct), a.createOrder)
	huma.Register(h, reg("list-my-orders", http.MethodGet, "/api/v1/storefront/orders", "Your orders, newest visit first", cust, 0, ct), a.myOrders)
	huma.Register(h, reg("get-my-order", http.MethodGet, "/api/v1/storefront/orders/{id}", "One of your orders, with who is coming and the acceptance code", cust, 0, ct), a.getOrder)
	huma.Register(h, reg("list-my-order-events", http.MethodGet, "/api/v1/storefront/orders/{id}/events", "Your order's history", cust, 0, ct), a.events)
	huma.Register(h, reg("cancel-my-order", http.MethodPost, "/api/v1/storefront/orders/{id}/cancel", "Cancel your order (a fee applies after the free window)", cust, 0, ct), a.cancel)
	huma.Register(h, reg("decide-my-order-extra", http.MethodPost, "/api/v1/storefront/orders/{id}/extras/{extra_id}/decision", "Approve or decline an extra item", cust, 0, ct), a.decideExtra)
	huma.Register(h, reg("accept-my-order", http.MethodPost, "/api/v1/storefront/orders/{id}/accept", "Accept the work by signature (or code)", cust, 0, ct), a.acceptWork)
	registerSeries(h, a)
	huma.Register(h, reg("request-my-order-rework", http.MethodPost, "/api/v1/storefront/orders/{id}/rework", "Ask for rework after completion", cust, 0, ct), a.rework)

	// Staff: their own jobs.
	vs := staff("visits:self")
	huma.Register(h, reg("list-my-jobs", http.MethodGet, "/api/v1/me/jobs", "Your jobs: today, upcoming or past", vs, 0, jt), a.myJobs)
	huma.Register(h, reg("get-my-job", http.MethodGet, "/api/v1/me/jobs/{id}", "One of your jobs", vs, 0, jt), a.getOrder)
	huma.Register(h, reg("accept-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/accept", "Take the job", vs, 0, jt), a.acceptJob)
	huma.Register(h, reg("decline-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/decline", "Refuse the job", vs, 0, jt), a.declineJob)
	huma.Register(h, reg("depart-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/depart", "On the way", vs, 0, jt), a.depart)
	huma.Register(h, reg("arrive-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/arrive", "Check in at the door (time and location)", vs, 0, jt), a.arrive)
	huma.Register(h, reg("start-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/start", "Start the service", vs, 0, jt), a.start)
	huma.Register(h, reg("complete-my-job", http.MethodPost, "/api/v1/me/jobs/{id}/complete", "File the completion report with extra items", vs, 0, jt), a.complete)
	huma.Register(h, reg("accept-my-job-for-customer", http.MethodPost, "/api/v1/me/jobs/{id}/acceptance", "Record the customer's acceptance (their code or signature)", vs, 0, jt), a.acceptWork)

	// Store side.
	huma.Register(h, reg("create-order", http.MethodPost, "/api/v1/orders", "Book a visit on a customer's behalf (Idempotency-Key makes retries safe)", staff("orders:create"), http.StatusCreated, ot), a.createOrder)
	huma.Register(h, reg("list-orders", http.MethodGet, "/api/v1/orders", "Orders in your scope, with filters", staff("orders:read"), 0, ot), a.listOrders)
	huma.Register(h, reg("get-order", http.MethodGet, "/api/v1/orders/{id}", "An order", staff("orders:read"), 0, ot), a.getOrder)
	huma.Register(h, reg("list-order-events", http.MethodGet, "/api/v1/orders/{id}/events", "An order's history", staff("orders:read"), 0, ot), a.events)
	huma.Register(h, reg("cancel-order", http.MethodPost, "/api/v1/orders/{id}/cancel", "Cancel an order (store cancellations are free)", staff("orders:manage"), 0, ot), a.cancel)
	huma.Register(h, reg("reschedule-order", http.MethodPost, "/api/v1/orders/{id}/reschedule", "Move the visit: the new start is checked as a booking's is (capacity included); an assigned staff member keeps the job and must be free", staff("orders:manage"), 0, ot), a.reschedule)
	huma.Register(h, reg("mark-order-no-show", http.MethodPost, "/api/v1/orders/{id}/no-show", "The customer was not there", staff("orders:manage"), 0, ot), a.noShow)
	huma.Register(h, reg("close-order", http.MethodPost, "/api/v1/orders/{id}/close", "File a finished order away", staff("orders:manage"), 0, ot), a.close)
	huma.Register(h, reg("reopen-order-for-rework", http.MethodPost, "/api/v1/orders/{id}/rework", "Reopen for rework", staff("orders:manage"), 0, ot), a.rework)
	huma.Register(h, reg("assign-order", http.MethodPost, "/api/v1/orders/{id}/assign", "Assign a staff member (409 staff_busy when they are not free)", staff("orders:dispatch"), 0, ot), a.assign)
	huma.Register(h, reg("unassign-order", http.MethodPost, "/api/v1/orders/{id}/unassign", "Release the assigned staff member", staff("orders:dispatch"), 0, ot), a.unassign)

	huma.Register(h, reg("get-booking-settings", http.MethodGet, "/api/v1/booking/settings", "Booking rules", staff("settings:read"), 0, st), a.getSettings)
	huma.Register(h, reg("set-booking-settings", http.MethodPut, "/api/v1/booking/settings", "Change the booking rules", staff("settings:write"), 0, st), a.setSettings)
	huma.Register(h, reg("get-store-dispatch-settings", http.MethodGet, "/api/v1/stores/{id}/dispatch-settings", "A store's dispatch mode", staff("orders:dispatch"), 0, st), a.getDispatch)
	huma.Register(h, reg("set-store-dispatch-settings", http.MethodPut, "/api/v1/stores/{id}/dispatch-settings", "Set a store's dispatch mode", staff("orders:dispatch"), 0, st), a.setDispatch)
}

// IDPath is the {id} path parameter (exported: huma only binds exported embedded fields).
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// ReasonBody is an optional reason.
type ReasonBody struct {
	Reason string `json:"reason,omitempty" maxLength:"1000"`
}

// CreateInput is a booking with its optional Idempotency-Key.
type CreateInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"Retries with the same key and body return the first response"`
	Body           NewOrderInput
}

// CreateOutput is the created (or replayed) order.
type CreateOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     OrderDTO
}

func (a api) createOrder(ctx context.Context, in *CreateInput) (*CreateOutput, error) {
	raw, _ := json.Marshal(in.Body)
	sum := sha256.Sum256(raw)
	status, body, replay, err := a.svc.Idempotent(ctx, in.IdempotencyKey, hex.EncodeToString(sum[:]), func(ctx context.Context) (int, []byte, error) {
		o, err := a.svc.Create(ctx, toNewOrder(in.Body))
		if err != nil {
			return 0, nil, err
		}
		b, err := json.Marshal(toOrderDTO(o))
		return http.StatusCreated, b, err
	})
	if err != nil {
		return nil, err
	}
	out := &CreateOutput{Status: status}
	if err := json.Unmarshal(body, &out.Body); err != nil {
		return nil, err
	}
	if replay {
		out.Replayed = "true"
	}
	return out, nil
}

// OrdersQuery filters a customer's orders.
type OrdersQuery struct {
	httpx.PageQuery
	Status []string `query:"status" enum:"pending_payment,confirmed,assigned,accepted,on_the_way,arrived,in_service,awaiting_acceptance,completed,closed,rework,cancelled,no_show"`
}

func states(ss []string) []booking.State {
	out := make([]booking.State, len(ss))
	for i, s := range ss {
		out[i] = booking.State(s)
	}
	return out
}

func list(r page.Result[booking.Order], p page.Request) *httpx.Body[httpx.List[OrderDTO]] {
	return &httpx.Body[httpx.List[OrderDTO]]{Body: httpx.ListOf(r, p, toSummaryDTO)}
}

func (a api) myOrders(ctx context.Context, in *OrdersQuery) (*httpx.Body[httpx.List[OrderDTO]], error) {
	p := in.Page()
	r, err := a.svc.MyOrders(ctx, states(in.Status), p)
	if err != nil {
		return nil, err
	}
	return list(r, p), nil
}

// JobsQuery picks a window of the caller's jobs.
type JobsQuery struct {
	httpx.PageQuery
	When string `query:"when" enum:"today,upcoming,past" default:"today"`
}

func (a api) myJobs(ctx context.Context, in *JobsQuery) (*httpx.Body[httpx.List[OrderDTO]], error) {
	p := in.Page()
	r, err := a.svc.MyJobs(ctx, in.When, p)
	if err != nil {
		return nil, err
	}
	return list(r, p), nil
}

// StoreOrdersQuery filters store order lists.
type StoreOrdersQuery struct {
	OrdersQuery
	From      time.Time `query:"from" doc:"Visits starting at or after (RFC 3339)"`
	To        time.Time `query:"to" doc:"Visits starting before (RFC 3339)"`
	StaffID   string    `query:"staff_id" format:"uuid"`
	ServiceID string    `query:"service_id" format:"uuid"`
	StoreID   string    `query:"store_id" format:"uuid"`
}

func (a api) listOrders(ctx context.Context, in *StoreOrdersQuery) (*httpx.Body[httpx.List[OrderDTO]], error) {
	f := booking.Filter{Statuses: states(in.Status)}
	if !in.From.IsZero() {
		f.From = &in.From
	}
	if !in.To.IsZero() {
		f.To = &in.To
	}
	f.StaffID, _ = uuid.Parse(in.StaffID)
	f.ServiceID, _ = uuid.Parse(in.ServiceID)
	f.StoreID, _ = uuid.Parse(in.StoreID)
	p := in.Page()
	r, err := a.svc.List(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return list(r, p), nil
}

func (a api) getOrder(ctx context.Context, in *IDPath) (*httpx.Body[OrderDTO], error) {
	d, err := a.svc.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[OrderDTO]{Body: toDetailDTO(d)}, nil
}

func (a api) events(ctx context.Context, in *IDPath) (*httpx.Body[[]OrderEventDTO], error) {
	evs, err := a.svc.Events(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := make([]OrderEventDTO, 0, len(evs))
	for _, e := range evs {
		out = append(out, toEventDTO(e))
	}
	return &httpx.Body[[]OrderEventDTO]{Body: out}, nil
}

// detail re-reads the order after a change, so every change answers with the full view.
func (a api) detail(ctx context.Context, o booking.Order, err error) (*httpx.Body[OrderDTO], error) {
	if err != nil {
		return nil, err
	}
	d, err := a.svc.Get(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[OrderDTO]{Body: toDetailDTO(d)}, nil
}

// ReasonInput is an order id with an optional reason.
type ReasonInput struct {
	IDPath
	Body *ReasonBody
}

func (in *ReasonInput) reason() string {
	if in.Body == nil {
		return ""
	}
	return in.Body.Reason
}

func (a api) cancel(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Cancel(ctx, in.ID, in.reason())
	return a.detail(ctx, o, err)
}

func (a api) rework(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.RequestRework(ctx, in.ID, in.reason())
	return a.detail(ctx, o, err)
}

func (a api) noShow(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.MarkNoShow(ctx, in.ID, in.reason())
	return a.detail(ctx, o, err)
}

func (a api) close(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Close(ctx, in.ID, in.reason())
	return a.detail(ctx, o, err)
}

func (a api) unassign(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Unassign(ctx, in.ID, in.reason())
	return a.detail(ctx, o, err)
}

func (a api) declineJob(ctx context.Context, in *ReasonInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Decline(ctx, in.ID, in.reason())
	if err != nil {
		return nil, err
	}
	// Declined jobs are no longer the caller's to read.
	return &httpx.Body[OrderDTO]{Body: toOrderDTO(o)}, nil
}

// DecisionInput approves or declines an extra item.
type DecisionInput struct {
	IDPath
	ExtraID uuid.UUID `path:"extra_id" format:"uuid"`
	Body    struct {
		Approve bool `json:"approve"`
	}
}

func (a api) decideExtra(ctx context.Context, in *DecisionInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.DecideExtra(ctx, in.ID, in.ExtraID, in.Body.Approve)
	return a.detail(ctx, o, err)
}

// AcceptanceInput is the customer's acceptance: their code or a signature image URL.
type AcceptanceInput struct {
	IDPath
	Body struct {
		Code         string `json:"code,omitempty" pattern:"^[0-9]{6}$"`
		SignatureURL string `json:"signature_url,omitempty" maxLength:"1000"`
	}
}

func (a api) acceptWork(ctx context.Context, in *AcceptanceInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.AcceptWork(ctx, in.ID, booking.Acceptance{Code: in.Body.Code, SignatureURL: in.Body.SignatureURL})
	return a.detail(ctx, o, err)
}

func (a api) acceptJob(ctx context.Context, in *IDPath) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Accept(ctx, in.ID)
	return a.detail(ctx, o, err)
}

func (a api) depart(ctx context.Context, in *IDPath) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Depart(ctx, in.ID)
	return a.detail(ctx, o, err)
}

// ArriveInput is a check-in.
type ArriveInput struct {
	IDPath
	Body struct {
		Location geo.Point `json:"location"`
	}
}

func (a api) arrive(ctx context.Context, in *ArriveInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Arrive(ctx, in.ID, in.Body.Location)
	return a.detail(ctx, o, err)
}

func (a api) start(ctx context.Context, in *IDPath) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Start(ctx, in.ID)
	return a.detail(ctx, o, err)
}

// OrderExtraInput is an extra item found on site.
type OrderExtraInput struct {
	Name  string `json:"name" minLength:"1" maxLength:"200"`
	Price int64  `json:"price" minimum:"1" doc:"Minor units"`
}

// CompleteInput is the completion report.
type CompleteInput struct {
	IDPath
	Body struct {
		Checklist []booking.CheckItem `json:"checklist,omitempty" maxItems:"100"`
		Photos    []string            `json:"photos,omitempty" maxItems:"30"`
		Notes     string              `json:"notes,omitempty" maxLength:"4000"`
		Extras    []OrderExtraInput   `json:"extras,omitempty" maxItems:"20"`
	}
}

func (a api) complete(ctx context.Context, in *CompleteInput) (*httpx.Body[OrderDTO], error) {
	c := booking.Completion{Checklist: in.Body.Checklist, Photos: in.Body.Photos, Notes: in.Body.Notes}
	for _, x := range in.Body.Extras {
		c.Extras = append(c.Extras, booking.ExtraInput{Name: x.Name, Price: x.Price})
	}
	o, err := a.svc.Complete(ctx, in.ID, c)
	return a.detail(ctx, o, err)
}

// RescheduleInput moves a visit.
type RescheduleInput struct {
	IDPath
	Body struct {
		Start  time.Time `json:"start" doc:"New start (RFC 3339)"`
		Reason string    `json:"reason,omitempty" maxLength:"1000"`
	}
}

func (a api) reschedule(ctx context.Context, in *RescheduleInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Reschedule(ctx, in.ID, in.Body.Start, in.Body.Reason)
	return a.detail(ctx, o, err)
}

// AssignInput names the staff member.
type AssignInput struct {
	IDPath
	Body struct {
		StaffID uuid.UUID `json:"staff_id"`
	}
}

func (a api) assign(ctx context.Context, in *AssignInput) (*httpx.Body[OrderDTO], error) {
	o, err := a.svc.Assign(ctx, in.ID, in.Body.StaffID)
	return a.detail(ctx, o, err)
}

func (a api) getSettings(ctx context.Context, _ *httpx.Empty) (*httpx.Body[BookingSettingsDTO], error) {
	s, err := a.svc.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[BookingSettingsDTO]{Body: toSettingsDTO(s)}, nil
}

func (a api) setSettings(ctx context.Context, in *struct{ Body BookingSettingsDTO }) (*httpx.Body[BookingSettingsDTO], error) {
	s, err := a.svc.SetSettings(ctx, toSettings(in.Body))
	if err != nil {
		return nil, err
	}
	return &httpx.Body[BookingSettingsDTO]{Body: toSettingsDTO(s)}, nil
}

func (a api) getDispatch(ctx context.Context, in *IDPath) (*httpx.Body[DispatchSettingsDTO], error) {
	d, err := a.svc.DispatchSettings(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DispatchSettingsDTO]{Body: DispatchSettingsDTO{Mode: d.Mode, PoolSize: d.PoolSize, PoolRounds: d.PoolRounds}}, nil
}

func (a api) setDispatch(ctx context.Context, in *struct {
	IDPath
	Body DispatchSettingsDTO
}) (*httpx.Body[DispatchSettingsDTO], error) {
	d, err := a.svc.SetDispatchSettings(ctx, booking.DispatchSettings{StoreID: in.ID, Mode: in.Body.Mode, PoolSize: in.Body.PoolSize, PoolRounds: in.Body.PoolRounds})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DispatchSettingsDTO]{Body: DispatchSettingsDTO{Mode: d.Mode, PoolSize: d.PoolSize, PoolRounds: d.PoolRounds}}, nil
}
