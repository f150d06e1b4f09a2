package booking

import (
	"context"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/money"
	"doorstep/app/kit/page"
)

// step is what one transition needs: the locked order (already moved to its next state), the
// event about to be written and the tenant's settings. It may change both and write more.
type step struct {
	o    *Order
	prev State
	ev   *Event
	as   Actor
	set  Settings
	asg  *Assignment // the active assignment, if any
	now  time.Time
}

// who resolves the actor kind for a call that wants `want` (a set): customers are customers,
// staff-side users are the assigned staff member when want includes staff and nothing else
// fits, else the store; no principal is the system.
func (s *Service) who(ctx context.Context, want Actor) Actor {
	p, ok := auth.FromContext(ctx)
	switch {
	case !ok || p.Kind == auth.Operator:
		return ActorSystem
	case p.Kind == auth.Customer:
		return ActorCustomer
	case want&ActorStaff != 0 && want&ActorStore == 0:
		return ActorStaff
	}
	return ActorStore
}

// reach checks that the caller, acting as as, may see o at all; anything else is not found.
func (s *Service) reach(ctx context.Context, o Order, as Actor, asg *Assignment) error {
	switch as {
	case ActorSystem:
		return nil
	case ActorCustomer:
		p, _ := auth.FromContext(ctx)
		if o.CustomerID == p.SubjectID {
			return nil
		}
	case ActorStaff:
		me, err := s.staff.Mine(ctx)
		if err != nil {
			return ErrOrderNotFound
		}
		if asg != nil && asg.StaffID == me.ID {
			return nil
		}
		// A past job of theirs: they may still see it, and are told what is not allowed.
		if r, err := s.repo.List(ctx, Filter{OnlyStaff: me.ID, OrderID: o.ID}, page.Request{Limit: 1}); err == nil && len(r.Items) == 1 {
			return errPastJob
		}
	case ActorStore:
		if s.checkStoreScope(ctx, o.StoreID) == nil {
			return nil
		}
	}
	return ErrOrderNotFound
}

// errPastJob: the staff member held the job once but does not now; they may be told an
// action is illegal, never take one.
var errPastJob = errs.New(errs.NotFound, "order_not_found", "no such order")

// act is update-by-function for every transition: lock the order, check reach and the state
// machine, apply fn, save the order and write its event, all in one transaction.
func (s *Service) act(ctx context.Context, id uuid.UUID, a Action, want Actor, reason string, fn func(ctx context.Context, st *step) error) (Order, error) {
	var out Order
	as := s.who(ctx, want)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Get(ctx, id, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrOrderNotFound
		}
		if err != nil {
			return err
		}
		asg, err := s.repo.ActiveAssignment(ctx, id)
		if err != nil {
			return err
		}
		reachErr := s.reach(ctx, o, as, asg)
		if reachErr != nil && reachErr != errPastJob {
			return reachErr
		}
		next, err := Allowed(o.Status, a, as)
		if err != nil {
			return err
		}
		if reachErr == errPastJob {
			return ErrOrderNotFound // someone else's job now
		}
		set, err := s.repo.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		st := &step{o: &o, prev: o.Status, as: as, set: set, asg: asg, now: now,
			ev: &Event{ID: uuid.Must(uuid.NewV7()), OrderID: id, Action: string(a), From: o.Status, To: next, Actor: auth.Subject(ctx),
				Reason: strings.TrimSpace(reason), Data: map[string]any{}, At: now}}
		o.Status = next
		if fn != nil {
			if err := fn(ctx, st); err != nil {
				return err
			}
		}
		st.ev.To = o.Status
		if err := s.announce(ctx, a, st); err != nil {
			return err
		}
		o.UpdatedAt = now
		if err := s.repo.Save(ctx, o); err != nil {
			return err
		}
		if err := s.repo.AddEvent(ctx, *st.ev); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

func checkReason(reason string) error {
	if len([]rune(reason)) > 1000 {
		return errs.InvalidFields(errs.Field("reason", "at most 1000 characters"))
	}
	return nil
}

// ConfirmPayment moves a pending_payment order to confirmed (the money issue calls it).
func (s *Service) ConfirmPayment(ctx context.Context, id uuid.UUID) (Order, error) {
	return s.act(ctx, id, ConfirmPayment, ActorStore|ActorSystem, "", func(ctx context.Context, st *step) error {
		return s.waiting(ctx, *st.o, WaitingPaid, uuid.Nil)
	})
}

// Assign gives the order to a staff member: an active assignment over [start − buffer, end)
// and the order moves to assigned. A staff member busy in that window is a 409 staff_busy.
func (s *Service) Assign(ctx context.Context, orderID, staffID uuid.UUID) (Order, error) {
	if staffID == uuid.Nil {
		return Order{}, errs.InvalidFields(errs.Field("staff_id", "required"))
	}
	return s.act(ctx, orderID, Assign, ActorStore|ActorSystem, "", func(ctx context.Context, st *step) error {
		return s.hold(ctx, st, staffID)
	})
}

func (s *Service) hold(ctx context.Context, st *step, staffID uuid.UUID) error {
	card, err := s.staff.Card(ctx, staffID)
	if err != nil || !card.Active {
		return ErrStaffNotAvailable
	}
	// Store-side callers assign only staff of stores in their data scope (store, franchisee,
	// head office); one outside it is as unknown to them as a missing one.
	if st.as == ActorStore && s.checkStoreScope(ctx, card.StoreID) != nil {
		return ErrStaffNotAvailable
	}
	a := Assignment{ID: uuid.Must(uuid.NewV7()), OrderID: st.o.ID, StaffID: staffID,
		From: st.o.Start.Add(-time.Duration(st.set.BufferMinutes) * time.Minute), To: st.o.End,
		Status: AssignmentActive, CreatedBy: st.ev.Actor, CreatedAt: st.now}
	if err := s.repo.InsertAssignment(ctx, a); err != nil {
		return err
	}
	st.ev.Data["staff_id"] = staffID.String()
	return nil
}

// assignLocked assigns inside Create's transaction (the order row is new, so it is ours).
func (s *Service) assignLocked(ctx context.Context, o Order, staffID uuid.UUID, set Settings, reason string) (Order, error) {
	next, err := Transition(o.Status, Assign)
	if err != nil {
		return o, err
	}
	now := s.clock.Now()
	st := &step{o: &o, prev: o.Status, as: ActorStore, set: set, now: now,
		ev: &Event{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, Action: string(Assign), From: o.Status, To: next, Actor: auth.Subject(ctx), Reason: reason, Data: map[string]any{}, At: now}}
	if err := s.hold(ctx, st, staffID); err != nil {
		return o, err
	}
	o.Status = next
	if err := s.repo.Save(ctx, o); err != nil {
		return o, err
	}
	return o, s.repo.AddEvent(ctx, *st.ev)
}

func (s *Service) release(ctx context.Context, st *step, status string) error {
	if st.asg == nil {
		return nil
	}
	st.ev.Data["staff_id"] = st.asg.StaffID.String()
	return s.repo.EndAssignment(ctx, st.asg.ID, status, st.now)
}

// Unassign releases the staff member (store side); the order is confirmed again.
func (s *Service) Unassign(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Unassign, ActorStore|ActorSystem, reason, func(ctx context.Context, st *step) error {
		return s.release(ctx, st, AssignmentReleased)
	})
}

// Accept is the assigned staff member taking the job.
func (s *Service) Accept(ctx context.Context, id uuid.UUID) (Order, error) {
	return s.act(ctx, id, AcceptJob, ActorStaff|ActorSystem, "", nil)
}

// Decline is the assigned staff member refusing the job; the assignment is released.
func (s *Service) Decline(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Decline, ActorStaff|ActorSystem, reason, func(ctx context.Context, st *step) error {
		if err := s.release(ctx, st, AssignmentReleased); err != nil {
			return err
		}
		staffID := uuid.Nil
		if st.asg != nil {
			staffID = st.asg.StaffID
		}
		return s.waiting(ctx, *st.o, WaitingDeclined, staffID)
	})
}

// Depart marks the staff member on the way.
func (s *Service) Depart(ctx context.Context, id uuid.UUID) (Order, error) {
	return s.act(ctx, id, Depart, ActorStaff, "", nil)
}

// Arrive checks in at the door: time, location and the distance to the address; farther than
// FarFromAddressMeters is flagged far_from_address in the event.
func (s *Service) Arrive(ctx context.Context, id uuid.UUID, at geo.Point) (Order, error) {
	var v errs.Validation
	v.Check(at.Lng >= -180 && at.Lng <= 180 && at.Lat >= -90 && at.Lat <= 90, "location", "longitude and latitude out of range")
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Arrive, ActorStaff, "", func(ctx context.Context, st *step) error {
		d := distanceMeters(at, st.o.Location)
		st.o.ArrivedAt, st.o.ArrivalLocation, st.o.ArrivalDistanceM = &st.now, &at, &d
		st.ev.Location = &at
		st.ev.Data["distance_m"] = int64(d)
		st.ev.Data["far_from_address"] = d > FarFromAddressMeters
		return nil
	})
}

// Start begins the service.
func (s *Service) Start(ctx context.Context, id uuid.UUID) (Order, error) {
	return s.act(ctx, id, Start, ActorStaff, "", nil)
}

// ExtraInput is an extra item proposed in a completion report.
type ExtraInput struct {
	Name  string
	Price int64
}

// Completion is the staff member's report.
type Completion struct {
	Checklist []CheckItem
	Photos    []string
	Notes     string
	Extras    []ExtraInput
}

func (c Completion) validate() error {
	var v errs.Validation
	v.Check(len(c.Checklist) <= 100, "checklist", "at most 100 items")
	for i, it := range c.Checklist {
		v.Check(len([]rune(it.Item)) >= 1 && len([]rune(it.Item)) <= 200, "checklist["+strconv.Itoa(i)+"].item", "1 to 200 characters")
	}
	v.Check(len(c.Photos) <= 30, "photos", "at most 30")
	for i, u := range c.Photos {
		v.Check(validURL(u), "photos["+strconv.Itoa(i)+"]", "an http(s) URL of at most 1000 characters")
	}
	v.Check(len([]rune(c.Notes)) <= 4000, "notes", "at most 4000 characters")
	v.Check(len(c.Extras) <= 20, "extras", "at most 20")
	for i, x := range c.Extras {
		v.Check(len([]rune(strings.TrimSpace(x.Name))) >= 1 && len([]rune(x.Name)) <= 200, "extras["+strconv.Itoa(i)+"].name", "1 to 200 characters")
		v.Check(x.Price > 0 && x.Price <= 100_000_000, "extras["+strconv.Itoa(i)+"].price", "1 to 100000000 minor units")
	}
	return v.Err()
}

func validURL(u string) bool {
	return len(u) <= 1000 && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && len(u) > len("https://")
}

// Complete files the report, proposes the extra items (charged only once approved), makes the
// customer's one-time acceptance code and schedules automatic acceptance after the tenant's
// delay (booking:auto_accept through the outbox).
func (s *Service) Complete(ctx context.Context, id uuid.UUID, c Completion) (Order, error) {
	if err := c.validate(); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Complete, ActorStaff, "", func(ctx context.Context, st *step) error {
		r := Report{ID: uuid.Must(uuid.NewV7()), OrderID: id, Checklist: c.Checklist, Photos: c.Photos, Notes: c.Notes,
			SubmittedBy: st.ev.Actor, SubmittedAt: st.now}
		if r.Checklist == nil {
			r.Checklist = []CheckItem{}
		}
		if r.Photos == nil {
			r.Photos = []string{}
		}
		if err := s.repo.AddReport(ctx, r); err != nil {
			return err
		}
		var extras []map[string]any
		for _, x := range c.Extras {
			e := Extra{ID: uuid.Must(uuid.NewV7()), OrderID: id, Name: strings.TrimSpace(x.Name), Price: x.Price, Status: ExtraProposed,
				CreatedBy: st.ev.Actor, CreatedAt: st.now}
			if err := s.repo.AddExtra(ctx, e); err != nil {
				return err
			}
			extras = append(extras, map[string]any{"id": e.ID.String(), "name": e.Name, "price": e.Price})
		}
		st.ev.Data["report_id"] = r.ID.String()
		if extras != nil {
			st.ev.Data["extras"] = extras
		}
		st.o.CompletedAt = &st.now
		st.o.AcceptanceCode = newCode()
		return s.scheduleAutoAccept(ctx, id, st.now.Add(time.Duration(st.set.AutoAcceptHours)*time.Hour))
	})
}

// DecideExtra is the customer approving or declining an extra item; an approved one is added
// to the order's total. It writes an event, though the state does not change.
func (s *Service) DecideExtra(ctx context.Context, orderID, extraID uuid.UUID, approve bool) (Order, error) {
	var out Order
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Get(ctx, orderID, true)
		if errs.KindOf(err) == errs.NotFound {
			return ErrOrderNotFound
		}
		if err != nil {
			return err
		}
		as := s.who(ctx, ActorCustomer)
		if as != ActorCustomer && as != ActorSystem {
			return ErrNotAllowed
		}
		if err := s.reach(ctx, o, as, nil); err != nil {
			return err
		}
		if o.Status != AwaitingAcceptance && o.Status != Completed {
			return illegal(o.Status, "decide_extra")
		}
		xs, err := s.repo.Extras(ctx, orderID)
		if err != nil {
			return err
		}
		var x *Extra
		for i := range xs {
			if xs[i].ID == extraID {
				x = &xs[i]
			}
		}
		if x == nil {
			return ErrExtraNotFound
		}
		if x.Status != ExtraProposed {
			return ErrExtraDecided
		}
		now := s.clock.Now()
		x.Status, x.DecidedAt = ExtraDeclined, &now
		action := "decline_extra"
		if approve {
			x.Status, action = ExtraApproved, "approve_extra"
			total, err := money.Add(o.Total, x.Price)
			if err != nil {
				return errs.Wrap(err, errs.Invalid, "price_out_of_range", "the order's total with this extra is out of range")
			}
			o.Total = total
		}
		if err := s.repo.SaveExtra(ctx, *x); err != nil {
			return err
		}
		o.UpdatedAt = now
		if err := s.repo.Save(ctx, o); err != nil {
			return err
		}
		out = o
		return s.repo.AddEvent(ctx, Event{ID: uuid.Must(uuid.NewV7()), OrderID: orderID, Action: action, From: o.Status, To: o.Status,
			Actor: auth.Subject(ctx), Data: map[string]any{"extra_id": extraID.String(), "price": x.Price, "total": o.Total}, At: now})
	})
	return out, err
}

// Acceptance is how the customer accepts the work: the one-time code (staff type in what the
// customer's app shows) or a signature image URL.
type Acceptance struct {
	Code         string
	SignatureURL string
}

// AcceptWork completes the order on the customer's acceptance. Extra items still waiting for
// a decision block it.
func (s *Service) AcceptWork(ctx context.Context, id uuid.UUID, a Acceptance) (Order, error) {
	var v errs.Validation
	v.Check((a.Code == "") != (a.SignatureURL == ""), "code", "give either the code or a signature URL")
	v.Check(a.SignatureURL == "" || validURL(a.SignatureURL), "signature_url", "an http(s) URL of at most 1000 characters")
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, AcceptByCustomer, ActorCustomer|ActorStaff, "", func(ctx context.Context, st *step) error {
		if err := s.noPendingExtras(ctx, id); err != nil {
			return err
		}
		if a.Code != "" {
			if st.o.AcceptanceCode == "" || subtle.ConstantTimeCompare([]byte(a.Code), []byte(st.o.AcceptanceCode)) != 1 {
				return ErrWrongCode
			}
			st.o.AcceptedVia = "code"
		} else {
			st.o.AcceptedVia, st.o.SignatureURL = "signature", a.SignatureURL
			st.ev.Data["signature_url"] = a.SignatureURL
		}
		st.ev.Data["via"] = st.o.AcceptedVia
		return s.finish(ctx, st)
	})
}

func (s *Service) noPendingExtras(ctx context.Context, id uuid.UUID) error {
	xs, err := s.repo.Extras(ctx, id)
	if err != nil {
		return err
	}
	for _, x := range xs {
		if x.Status == ExtraProposed {
			return ErrExtrasPending
		}
	}
	return nil
}

// finish closes the visit: the code is spent and the assignment is done.
func (s *Service) finish(ctx context.Context, st *step) error {
	st.o.AcceptedAt = &st.now
	st.o.AcceptanceCode = ""
	if err := s.orderCompleted(ctx, st.o.ID); err != nil {
		return err
	}
	if st.asg != nil {
		return s.repo.EndAssignment(ctx, st.asg.ID, AssignmentDone, st.now)
	}
	return nil
}

// AutoAccept accepts an order still awaiting acceptance (the booking:auto_accept job);
// extras still undecided are declined, so nothing unapproved is ever charged.
func (s *Service) AutoAccept(ctx context.Context, id uuid.UUID) (Order, error) {
	return s.act(ctx, id, AutoAccept, ActorSystem, "", func(ctx context.Context, st *step) error {
		xs, err := s.repo.Extras(ctx, id)
		if err != nil {
			return err
		}
		for _, x := range xs {
			if x.Status == ExtraProposed {
				x.Status, x.DecidedAt = ExtraDeclined, &st.now
				if err := s.repo.SaveExtra(ctx, x); err != nil {
					return err
				}
			}
		}
		st.o.AcceptedVia = "auto"
		st.ev.Data["via"] = "auto"
		return s.finish(ctx, st)
	})
}

// RequestRework reopens an order for another visit, within the tenant's rework window after
// completion. The finished assignment is done; dispatch assigns the new visit (rework →
// assigned → accepted …).
func (s *Service) RequestRework(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, RequestRework, ActorCustomer|ActorStore, reason, func(ctx context.Context, st *step) error {
		if st.o.CompletedAt == nil || st.now.After(st.o.CompletedAt.Add(time.Duration(st.set.ReworkDays)*24*time.Hour)) {
			return ErrReworkClosed
		}
		if st.asg != nil {
			st.ev.Data["previous_staff_id"] = st.asg.StaffID.String()
			if err := s.repo.EndAssignment(ctx, st.asg.ID, AssignmentDone, st.now); err != nil {
				return err
			}
		}
		st.o.AcceptanceCode, st.o.CompletedAt = "", nil
		return nil
	})
}

// Cancel cancels an order. A customer cancelling later than free_cancel_hours before the start
// owes cancel_fee_bp of the total, recorded on the order and the event; store cancellations are
// free. Who may cancel in which state is the state machine's.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Cancel, ActorCustomer|ActorStore, reason, func(ctx context.Context, st *step) error {
		fee := int64(0)
		if st.as == ActorCustomer && st.now.After(st.o.Start.Add(-time.Duration(st.set.FreeCancelHours)*time.Hour)) {
			fee = st.o.Total * int64(st.set.CancelFeeBP) / 10000
		}
		st.o.CancelFee = fee
		st.ev.Data["cancel_fee"] = fee
		if err := s.release(ctx, st, AssignmentReleased); err != nil {
			return err
		}
		if s.cancelled == nil {
			return nil
		}
		return s.cancelled.OrderCancelled(ctx, st.o.ID)
	})
}

// Reschedule moves the visit to a new start, keeping its length. The new start is checked as
// booking checks one (slot grid, lead time, someone free, capacity left once the orders not
// yet assigned are counted), the order's own hold or assignment left out, under the same
// locks: 409 slot_unavailable or 422, and nothing changes. An assigned staff member keeps the
// job, so the check is for them alone: they must be free at the new time and not needed by
// the holds there (else 409 slot_unavailable, or staff_busy from the no-overlap constraint).
func (s *Service) Reschedule(ctx context.Context, id uuid.UUID, start time.Time, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	now := s.clock.Now()
	var v errs.Validation
	v.Check(start.After(now) && start.Before(now.AddDate(1, 0, 0)), "start", "in the future, at most a year ahead")
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, Reschedule, ActorStore, reason, func(ctx context.Context, st *step) error {
		length := st.o.End.Sub(st.o.Start)
		if s.slots != nil {
			c := SlotCheck{PackageID: st.o.PackageID, At: st.o.Location, Start: start, StoreID: st.o.StoreID, ServiceID: st.o.ServiceID,
				Minutes: int(length / time.Minute), Moving: st.o.ID}
			if st.asg != nil {
				c.StaffID = st.asg.StaffID
			}
			if err := s.slots.Check(ctx, c); err != nil {
				return err
			}
		}
		st.ev.Data["from_start"] = st.o.Start
		st.o.Start, st.o.End = start, start.Add(length)
		st.ev.Data["to_start"] = start
		if st.asg != nil {
			return s.repo.MoveAssignment(ctx, st.asg.ID, start.Add(-time.Duration(st.set.BufferMinutes)*time.Minute), st.o.End)
		}
		return nil
	})
}

// MarkNoShow records that the customer was not there.
func (s *Service) MarkNoShow(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, MarkNoShow, ActorStore, reason, func(ctx context.Context, st *step) error {
		return s.release(ctx, st, AssignmentDone)
	})
}

// Close files a finished order away.
func (s *Service) Close(ctx context.Context, id uuid.UUID, reason string) (Order, error) {
	if err := checkReason(reason); err != nil {
		return Order{}, err
	}
	return s.act(ctx, id, CloseOrder, ActorStore, reason, func(ctx context.Context, st *step) error {
		return s.release(ctx, st, AssignmentDone)
	})
}

// IsIllegal reports whether err is an illegal_transition (jobs treat it as "already done").
func IsIllegal(err error) bool { return errors.Is(err, ErrIllegalTransition) }
