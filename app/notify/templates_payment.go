package notify

// Payment notification templates (app/payment), sent to the order's customer's inbox when a
// payment succeeds and when a refund succeeds or fails. Amounts come formatted with their
// currency (e.g. "CNY 120.00").
const (
	TemplatePaymentReceived = "payment_received" // Brand, OrderNo, Amount, Method
	TemplateRefundIssued    = "refund_issued"    // Brand, OrderNo, Amount, Reason
	TemplateRefundFailed    = "refund_failed"    // Brand, OrderNo, Amount
)

// ParamMethod is how a payment was made: one of the Method values below, which the templates
// name in the reader's language (the inbox may render a message again in the recipient's own
// locale, so the caller cannot translate it). Any other value is shown as it is.
const ParamMethod = "Method"

// Payment methods the templates name.
const (
	MethodCard        = "card"
	MethodAlipay      = "alipay"
	MethodWeChatPay   = "wechat_pay"
	MethodCash        = "cash"
	MethodStoredValue = "stored_value"
)

// Refund reasons the system gives (refunds a person asks for carry their own text). Like
// methods, the templates translate them; the leading @ keeps them apart from a person's text.
const (
	RefundReasonCancelled   = "@order_cancelled"   // the customer cancelled the order
	RefundReasonLatePayment = "@late_payment"      // paid after the order had been cancelled
	RefundReasonOverpayment = "@overpayment"       // paid more than the order's total
	RefundReasonByStore     = "@refunded_by_store" // made in Stripe's dashboard, outside Doorstep
)

// PaymentTemplateParams lists every payment template's parameters.
var PaymentTemplateParams = map[string][]string{
	TemplatePaymentReceived: {ParamBrand, ParamOrderNo, ParamAmount, ParamMethod},
	TemplateRefundIssued:    {ParamBrand, ParamOrderNo, ParamAmount, ParamReason},
	TemplateRefundFailed:    {ParamBrand, ParamOrderNo, ParamAmount},
}
