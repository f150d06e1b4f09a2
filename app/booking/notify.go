package booking

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/notify"
	"doorstep/jobs"
)

// Notifier supplies what order messages show. A nil Notifier (store tests) sends nothing.
// Messages go through notify.Enqueue in the transition's own transaction (the outbox), on the
// in-app channel; the inbox renders them in the recipient's locale.
type Notifier interface {
	// Facts returns the brand, the service's name and the time zone visit times are shown in.
	Facts(ctx context.Context, o Order) (OrderFacts, error)
	// StaffFacts returns a staff member's user id, display name and last known location.
	StaffFacts(ctx context.Context, staffID uuid.UUID) (StaffFacts, error)
}

// OrderFacts are an order's display facts.
type OrderFacts struct {
	Brand    string
	Service  string
	Location *time.Location // nil: UTC
	Locale   string         // the tenant's; the inbox re-renders in the recipient's own
}

// StaffFacts are a staff member's display facts.
type StaffFacts struct {
	UserID       uuid.UUID
	Name         string
	LastLocation *geo.Point
	LocatedAt    *time.Time
}

// TypeReminder reminds the customer and the staff member of a visit two hours before it.
// Scheduled through the outbox at booking and rescheduling; it does nothing unless the order
// is still confirmed, assigned or accepted at the same start, and sends once per start (a
// "remind" event records it), so duplicates and stale reminders are harmless.
const TypeReminder = "booking:reminder"

// ReminderLead is how long before the start the reminder goes out.
const ReminderLead = 2 * time.Hour

// ReminderPayload is TypeReminder's payload.
type ReminderPayload struct {
	jobs.Meta
	OrderID uuid.UUID `json:"order_id"`
	Start   time.Time `json:"start"`
}

// TaskType implements jobs.Payload.
func (*ReminderPayload) TaskType() string { return TypeReminder }

func (s *Service) scheduleReminder(ctx context.Context, o Order, now time.Time) error {
	if s.outbox == nil || s.notifier == nil {
		return nil
	}
	at := o.Start.Add(-ReminderLead)
	if !at.After(now) {
		return nil
	}
	if _, err := s.outbox.Add(ctx, &ReminderPayload{OrderID: o.ID, Start: o.Start}, jobs.ProcessAt(at)); err != nil {
		return fmt.Errorf("booking: schedule reminder: %w", err)
	}
	return nil
}

// Remind runs TypeReminder for one order.
func (s *Service) Remind(ctx context.Context, id uuid.UUID, start time.Time) error {
	if s.notifier == nil {
		return nil
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Get(ctx, id, true)
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if (o.Status != Confirmed && o.Status != Assigned && o.Status != Accepted) || !o.Start.Equal(start) {
			return nil
		}
		evs, err := s.repo.Events(ctx, id)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.Action == "remind" && e.Data["start"] == start.UTC().Format(time.RFC3339) {
				return nil
			}
		}
		asg, err := s.repo.ActiveAssignment(ctx, id)
		if err != nil {
			return err
		}
		staffID := uuid.Nil
		if asg != nil {
			staffID = asg.StaffID
		}
		if err := s.send(ctx, o, staffID, notify.TemplateOrderReminderCustomer, true, nil); err != nil {
			return err
		}
		if staffID != uuid.Nil {
			if err := s.send(ctx, o, staffID, notify.TemplateOrderReminderStaff, false, nil); err != nil {
				return err
			}
		}
		return s.repo.AddEvent(ctx, Event{ID: uuid.Must(uuid.NewV7()), OrderID: id, Action: "remind", From: o.Status, To: o.Status,
			Actor: "system", Data: map[string]any{"start": start.UTC().Format(time.RFC3339)}, At: s.clock.Now()})
	})
}

// announce sends what a transition tells people, in its transaction.
func (s *Service) announce(ctx context.Context, a Action, st *step) error {
	if s.notifier == nil {
		return nil
	}
	o := *st.o
	staffID := uuid.Nil
	if st.asg != nil {
		staffID = st.asg.StaffID
	}
	switch a {
	case ConfirmPayment:
		if err := s.send(ctx, o, uuid.Nil, notify.TemplateOrderConfirmed, true, nil); err != nil {
			return err
		}
		return s.scheduleReminder(ctx, o, st.now)
	case Assign:
		id, _ := uuid.Parse(fmt.Sprint(st.ev.Data["staff_id"]))
		return s.send(ctx, o, id, notify.TemplateOrderAssigned, false, nil)
	case Depart:
		return s.send(ctx, o, staffID, notify.TemplateOrderOnTheWay, true, func(p map[string]string, sf StaffFacts) {
			p[notify.ParamMinutes] = eta(sf.LastLocation, o.Location, st.set.TravelKmh)
		})
	case Arrive:
		return s.send(ctx, o, staffID, notify.TemplateOrderArrived, true, nil)
	case Complete:
		return s.send(ctx, o, staffID, notify.TemplateOrderAwaitingAcceptance, true, func(p map[string]string, _ StaffFacts) {
			p[notify.ParamCode], p[notify.ParamHours] = o.AcceptanceCode, strconv.Itoa(st.set.AutoAcceptHours)
		})
	case AcceptByCustomer, AutoAccept:
		if o.Status != Completed {
			return nil
		}
		return s.send(ctx, o, staffID, notify.TemplateOrderReviewRequest, true, nil)
	case Cancel:
		reason := func(p map[string]string, _ StaffFacts) { p[notify.ParamReason] = st.ev.Reason }
		if err := s.send(ctx, o, uuid.Nil, notify.TemplateOrderCancelled, true, reason); err != nil {
			return err
		}
		if staffID != uuid.Nil {
			return s.send(ctx, o, staffID, notify.TemplateOrderCancelled, false, reason)
		}
	case Reschedule:
		return s.scheduleReminder(ctx, o, st.now)
	}
	return nil
}

// TellOffer tells a staff member, in the caller's transaction (the outbox), that the order is
// offered to them in the pool and for how many minutes (dispatch calls it per offer).
func (s *Service) TellOffer(ctx context.Context, o Order, staffID uuid.UUID, minutes int) error {
	if s.notifier == nil {
		return nil
	}
	return s.send(ctx, o, staffID, notify.TemplateOrderOffer, false, func(p map[string]string, _ StaffFacts) {
		p[notify.ParamMinutes] = strconv.Itoa(minutes)
	})
}

// announceCreate is Create's part: the confirmation and the reminder, and the assignment.
func (s *Service) announceCreate(ctx context.Context, o Order, staffID uuid.UUID, now time.Time) error {
	if s.notifier == nil || o.Status == PendingPayment {
		return nil
	}
	if err := s.send(ctx, o, uuid.Nil, notify.TemplateOrderConfirmed, true, nil); err != nil {
		return err
	}
	if staffID != uuid.Nil {
		if err := s.send(ctx, o, staffID, notify.TemplateOrderAssigned, false, nil); err != nil {
			return err
		}
	}
	return s.scheduleReminder(ctx, o, now)
}

// send enqueues one template about o to the customer (toCustomer) or to the staff member's
// user, with every parameter the template takes.
func (s *Service) send(ctx context.Context, o Order, staffID uuid.UUID, template string, toCustomer bool, extra func(map[string]string, StaffFacts)) error {
	if s.outbox == nil {
		return nil
	}
	f, err := s.notifier.Facts(ctx, o)
	if err != nil {
		return err
	}
	var sf StaffFacts
	if staffID != uuid.Nil {
		if sf, err = s.notifier.StaffFacts(ctx, staffID); err != nil {
			return err
		}
	}
	to := "customer:" + o.CustomerID.String()
	if !toCustomer {
		if sf.UserID == uuid.Nil {
			return nil // nobody to tell
		}
		to = "user:" + sf.UserID.String()
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	staffName := sf.Name
	if staffName == "" {
		staffName = "—"
	}
	all := map[string]string{notify.ParamBrand: f.Brand, notify.ParamOrderNo: o.Number, notify.ParamService: f.Service,
		notify.ParamTime: o.Start.In(loc).Format("2006-01-02 15:04"), notify.ParamAddress: o.Address, notify.ParamStaff: staffName,
		notify.ParamMinutes: "0", notify.ParamCode: "", notify.ParamHours: "0", notify.ParamReason: ""}
	if extra != nil {
		extra(all, sf)
	}
	return notify.Enqueue(ctx, s.outbox, notify.ToInbox(to, f.Locale, template, notify.TemplateParams[template], all,
		map[string]string{"order_id": o.ID.String(), "order_no": o.Number}))
}

// eta is the minutes from the staff member's last known location at the travel speed, or "0"
// when the location is unknown.
func eta(from *geo.Point, to geo.Point, kmh int) string {
	m, ok := etaMinutes(from, to, kmh)
	if !ok {
		return "0"
	}
	return strconv.Itoa(m)
}

// etaMinutes is the whole minutes (rounded up) from from to to at kmh; false without from.
func etaMinutes(from *geo.Point, to geo.Point, kmh int) (int, bool) {
	if from == nil {
		return 0, false
	}
	if kmh <= 0 {
		kmh = DefaultSettings().TravelKmh
	}
	return int(math.Ceil(distanceMeters(*from, to) / 1000 / float64(kmh) * 60)), true
}
