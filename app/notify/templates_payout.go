package notify

// Withdrawal notification templates (app/payout), sent to the requester's inbox at every step.
// Amounts come formatted with their currency (e.g. "CNY 120.00").
const (
	TemplatePayoutRequested = "payout_requested" // Brand, Amount, Fee, Net
	TemplatePayoutApproved  = "payout_approved"  // Brand, Amount
	TemplatePayoutRejected  = "payout_rejected"  // Brand, Amount, Reason
	TemplatePayoutPaid      = "payout_paid"      // Brand, Amount, Net
	TemplatePayoutFailed    = "payout_failed"    // Brand, Amount, Reason
	// TemplateBankPayoutFailed: Stripe could not pay the connected account's balance out to
	// the owner's bank (a payout.failed event); they should check their bank details in Stripe.
	TemplateBankPayoutFailed = "bank_payout_failed" // Brand, Amount, Reason
)

// Withdrawal template parameter names (besides ParamBrand and ParamReason).
const (
	ParamAmount = "Amount" // the amount withdrawn from the wallet
	ParamFee    = "Fee"    // the withdrawal fee
	ParamNet    = "Net"    // what reaches the payout account
)

// PayoutTemplateParams lists every withdrawal template's parameters.
var PayoutTemplateParams = map[string][]string{
	TemplatePayoutRequested:  {ParamBrand, ParamAmount, ParamFee, ParamNet},
	TemplatePayoutApproved:   {ParamBrand, ParamAmount},
	TemplatePayoutRejected:   {ParamBrand, ParamAmount, ParamReason},
	TemplatePayoutPaid:       {ParamBrand, ParamAmount, ParamNet},
	TemplatePayoutFailed:     {ParamBrand, ParamAmount, ParamReason},
	TemplateBankPayoutFailed: {ParamBrand, ParamAmount, ParamReason},
}

// TemplatePayoutOf is the template of a withdrawal status ("" for none).
func TemplatePayoutOf(status string) string {
	switch status {
	case "requested":
		return TemplatePayoutRequested
	case "approved":
		return TemplatePayoutApproved
	case "rejected":
		return TemplatePayoutRejected
	case "paid":
		return TemplatePayoutPaid
	case "failed":
		return TemplatePayoutFailed
	}
	return ""
}
