package notify

// Order notification templates. Each has a subject (the in-app title and e-mail subject) and
// a body in zh-CN and en. Callers pass exactly the parameters listed in TemplateParams; a
// missing one fails notify.Enqueue. Values are ready to show: the caller formats Time in the
// store's time zone (e.g. "2026-11-25 14:00") and Amount with its currency, because a
// template cannot know either.
const (
	// TemplateOrderConfirmed tells the customer that the order is booked.
	TemplateOrderConfirmed = "order_confirmed"
	// TemplateOrderOffer offers an order to a staff member (pool dispatch); Minutes is how long
	// the offer stays open.
	TemplateOrderOffer = "order_offer"
	// TemplateOrderAssigned tells a staff member that an order is theirs.
	TemplateOrderAssigned = "order_assigned"
	// TemplateOrderReminderCustomer reminds the customer of an upcoming visit.
	TemplateOrderReminderCustomer = "order_reminder_customer"
	// TemplateOrderReminderStaff reminds the staff member of an upcoming job.
	TemplateOrderReminderStaff = "order_reminder_staff"
	// TemplateOrderOnTheWay tells the customer the staff member set off; Minutes is the ETA.
	TemplateOrderOnTheWay = "order_on_the_way"
	// TemplateOrderArrived tells the customer the staff member is at the door.
	TemplateOrderArrived = "order_arrived"
	// TemplateOrderAwaitingAcceptance asks the customer to accept the finished work, with the
	// acceptance code to give the staff member, and says when it is accepted automatically.
	TemplateOrderAwaitingAcceptance = "order_completed_awaiting_acceptance"
	// TemplateOrderReviewRequest asks the customer for a review.
	TemplateOrderReviewRequest = "order_review_request"
	// TemplateOrderCancelled tells the customer or the staff member that an order was
	// cancelled; Reason may be empty.
	TemplateOrderCancelled = "order_cancelled"
)

// Template parameter names.
const (
	ParamBrand   = "Brand"   // the tenant's brand name, e.g. "洁家"
	ParamOrderNo = "OrderNo" // the order number customers see
	ParamService = "Service" // the service's name in the recipient's language
	ParamTime    = "Time"    // the visit's start, formatted in the store's time zone
	ParamAddress = "Address" // the visit address
	ParamStaff   = "Staff"   // the staff member's display name
	ParamMinutes = "Minutes" // a whole number of minutes (offer window, ETA)
	ParamCode    = "Code"    // the acceptance code
	ParamHours   = "Hours"   // a whole number of hours (auto-acceptance)
	ParamReason  = "Reason"  // free text, may be empty
)

// TemplateParams lists every order template's parameters. Render tests check each template
// against it, so the list and the locale files cannot drift apart.
var TemplateParams = map[string][]string{
	TemplateOrderConfirmed:          {ParamBrand, ParamOrderNo, ParamService, ParamTime, ParamAddress},
	TemplateOrderOffer:              {ParamOrderNo, ParamService, ParamTime, ParamAddress, ParamMinutes},
	TemplateOrderAssigned:           {ParamOrderNo, ParamService, ParamTime, ParamAddress},
	TemplateOrderReminderCustomer:   {ParamBrand, ParamOrderNo, ParamService, ParamTime, ParamStaff},
	TemplateOrderReminderStaff:      {ParamOrderNo, ParamService, ParamTime, ParamAddress},
	TemplateOrderOnTheWay:           {ParamBrand, ParamOrderNo, ParamStaff, ParamMinutes},
	TemplateOrderArrived:            {ParamBrand, ParamOrderNo, ParamStaff},
	TemplateOrderAwaitingAcceptance: {ParamBrand, ParamOrderNo, ParamService, ParamCode, ParamHours},
	TemplateOrderReviewRequest:      {ParamBrand, ParamOrderNo, ParamService, ParamStaff},
	TemplateOrderCancelled:          {ParamBrand, ParamOrderNo, ParamService, ParamTime, ParamReason},
}
