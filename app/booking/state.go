package booking

import (
	"fmt"
	"sort"

	"doorstep/app/kit/errs"
)

// State is where an order is in its lifecycle.
type State string

// Order states (issue 4, part 3).
const (
	PendingPayment     State = "pending_payment"
	Confirmed          State = "confirmed"
	Assigned           State = "assigned"
	Accepted           State = "accepted"
	OnTheWay           State = "on_the_way"
	Arrived            State = "arrived"
	InService          State = "in_service"
	AwaitingAcceptance State = "awaiting_acceptance"
	Completed          State = "completed"
	Closed             State = "closed"
	Rework             State = "rework"
	Cancelled          State = "cancelled"
	NoShow             State = "no_show"
)

// States lists every state.
var States = []State{PendingPayment, Confirmed, Assigned, Accepted, OnTheWay, Arrived, InService,
	AwaitingAcceptance, Completed, Closed, Rework, Cancelled, NoShow}

// Action is something that happens to an order.
type Action string

// Actions.
const (
	ConfirmPayment   Action = "confirm_payment"
	Assign           Action = "assign"
	Unassign         Action = "unassign"
	AcceptJob        Action = "accept"  // staff take the job
	Decline          Action = "decline" // staff refuse the job
	Depart           Action = "depart"
	Arrive           Action = "arrive"
	Start            Action = "start"
	Complete         Action = "complete"
	AcceptByCustomer Action = "accept_by_customer"
	AutoAccept       Action = "auto_accept"
	RequestRework    Action = "request_rework"
	Cancel           Action = "cancel"
	Reschedule       Action = "reschedule"
	MarkNoShow       Action = "mark_no_show"
	CloseOrder       Action = "close"
)

// Actions lists every action.
var Actions = []Action{ConfirmPayment, Assign, Unassign, AcceptJob, Decline, Depart, Arrive, Start, Complete,
	AcceptByCustomer, AutoAccept, RequestRework, Cancel, Reschedule, MarkNoShow, CloseOrder}

// Actor is who takes an action, as far as the lifecycle cares.
type Actor uint8

// Actors; a rule names a set of them.
const (
	ActorCustomer Actor = 1 << iota // the order's customer
	ActorStaff                      // the staff member assigned to the order
	ActorStore                      // store-side roles (orders:manage, orders:dispatch)
	ActorSystem                     // jobs and other services (payment, dispatch)
)

func (a Actor) String() string {
	switch a {
	case ActorCustomer:
		return "customer"
	case ActorStaff:
		return "staff"
	case ActorStore:
		return "store"
	case ActorSystem:
		return "system"
	}
	return fmt.Sprintf("actors(%d)", uint8(a))
}

// Rule is one allowed transition: the state it leads to and who may take it.
type Rule struct {
	To  State
	Who Actor
}

// same marks self-transitions (reschedule keeps the state).
const same State = ""

// store is the store side: store roles and the system acting for them.
var store = ActorStore | ActorSystem

// lifecycle is the whole state machine: action → from → rule. Anything absent is illegal.
var lifecycle = map[Action]map[State]Rule{
	ConfirmPayment: {PendingPayment: {Confirmed, store}},
	Assign:         {Confirmed: {Assigned, store}, Rework: {Assigned, store}},
	Unassign:       {Assigned: {Confirmed, store}, Accepted: {Confirmed, store}},
	AcceptJob:      {Assigned: {Accepted, ActorStaff | ActorSystem}},
	Decline:        {Assigned: {Confirmed, ActorStaff | ActorSystem}},
	Depart:         {Accepted: {OnTheWay, ActorStaff}},
	Arrive:         {OnTheWay: {Arrived, ActorStaff}},
	Start:          {Arrived: {InService, ActorStaff}},
	Complete:       {InService: {AwaitingAcceptance, ActorStaff}},
	// The customer accepts in the app (code shown there) or by signature; staff may enter
	// the customer's code or upload the signature on the customer's device.
	AcceptByCustomer: {AwaitingAcceptance: {Completed, ActorCustomer | ActorStaff}},
	AutoAccept:       {AwaitingAcceptance: {Completed, ActorSystem}},
	RequestRework:    {AwaitingAcceptance: {Rework, ActorCustomer | store}, Completed: {Rework, ActorCustomer | store}},
	// Customers may cancel until staff are on the way; the store may cancel until service starts.
	Cancel: {
		PendingPayment: {Cancelled, ActorCustomer | store}, Confirmed: {Cancelled, ActorCustomer | store},
		Assigned: {Cancelled, ActorCustomer | store}, Accepted: {Cancelled, ActorCustomer | store},
		OnTheWay: {Cancelled, store}, Arrived: {Cancelled, store}, Rework: {Cancelled, store},
	},
	Reschedule: {PendingPayment: {same, store}, Confirmed: {same, store}, Assigned: {same, store}, Accepted: {same, store}, Rework: {same, store}},
	MarkNoShow: {OnTheWay: {NoShow, store}, Arrived: {NoShow, store}},
	CloseOrder: {Completed: {Closed, store}, NoShow: {Closed, store}, Cancelled: {Closed, store}},
}

// ErrIllegalTransition is the 409 for an action the state does not allow.
var ErrIllegalTransition = errs.New(errs.Conflict, "illegal_transition", "the order's state does not allow this action")

// ErrNotAllowed is the 403 for an action the caller's kind may not take.
var ErrNotAllowed = errs.New(errs.Forbidden, "action_not_allowed", "you may not take this action on this order")

func illegal(from State, a Action) error {
	return &errs.Error{Kind: errs.Conflict, Code: "illegal_transition", Err: ErrIllegalTransition,
		Detail: fmt.Sprintf("an order that is %s cannot take the action %s", from, a)}
}

// Transition is the pure state machine: the state after a in from, or a 409
// illegal_transition naming both.
func Transition(from State, a Action) (State, error) {
	r, ok := lifecycle[a][from]
	if !ok {
		return "", illegal(from, a)
	}
	if r.To == same {
		return from, nil
	}
	return r.To, nil
}

// Allowed checks the transition and that who may take it.
func Allowed(from State, a Action, who Actor) (State, error) {
	next, err := Transition(from, a)
	if err != nil {
		return "", err
	}
	if lifecycle[a][from].Who&who == 0 {
		return "", &errs.Error{Kind: errs.Forbidden, Code: "action_not_allowed", Err: ErrNotAllowed,
			Detail: fmt.Sprintf("a %s may not take the action %s on an order that is %s", who, a, from)}
	}
	return next, nil
}

// ActionsFrom lists the actions legal in state s (for clients' buttons), sorted.
func ActionsFrom(s State, who Actor) []string {
	var out []string
	for a, m := range lifecycle {
		if r, ok := m[s]; ok && r.Who&who != 0 {
			out = append(out, string(a))
		}
	}
	sort.Strings(out)
	return out
}

// Terminal reports whether nothing but closing can follow.
func (s State) Terminal() bool { return s == Closed || s == Cancelled || s == NoShow || s == Completed }
