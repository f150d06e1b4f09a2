package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

// TestPaymentTemplatesRender checks every payment template in both locales with its listed
// parameters, and that leaving any of them out fails.
func TestPaymentTemplatesRender(t *testing.T) {
	t.Parallel()
	params := map[string]string{notify.ParamBrand: "洁家", notify.ParamOrderNo: "JJ-20261125-0042", notify.ParamAmount: "CNY 120.00",
		notify.ParamMethod: notify.MethodAlipay, notify.ParamReason: "服务未完成"}
	want := map[string]map[string][2]string{
		notify.TemplatePaymentReceived: {
			"zh-CN": {"付款成功", "【洁家】已收到您为订单 JJ-20261125-0042 支付的 CNY 120.00（支付宝），感谢惠顾。"},
			"en":    {"Payment received", "[洁家] We received your payment of CNY 120.00 for order JJ-20261125-0042 (Alipay). Thank you."},
		},
		notify.TemplateRefundIssued: {
			"zh-CN": {"退款成功", "【洁家】订单 JJ-20261125-0042 的退款 CNY 120.00 已办理。原因：服务未完成"},
			"en":    {"Refund issued", "[洁家] A refund of CNY 120.00 for order JJ-20261125-0042 has been issued. Reason: 服务未完成"},
		},
		notify.TemplateRefundFailed: {
			"zh-CN": {"退款失败", "【洁家】订单 JJ-20261125-0042 的退款 CNY 120.00 未能完成，请联系商家处理。"},
			"en":    {"Refund failed", "[洁家] The refund of CNY 120.00 for order JJ-20261125-0042 could not be completed. Please contact the store."},
		},
	}
	requireTemplates(t, notify.PaymentTemplateParams, params, want)
}

// TestPaymentTemplatesNameMethodsAndReasons: methods and the system's refund reasons are named
// in the reader's language; anything else is shown as it came.
func TestPaymentTemplatesNameMethodsAndReasons(t *testing.T) {
	t.Parallel()
	render := func(tpl, locale, key, value string) string {
		p := map[string]string{notify.ParamBrand: "B", notify.ParamOrderNo: "N", notify.ParamAmount: "CNY 1.00", key: value}
		r, err := notify.Render(notify.Message{Locale: locale, Template: tpl, Params: p})
		require.NoError(t, err)
		return r.Body
	}
	methods := map[string][2]string{ // method → zh-CN, en
		notify.MethodCard: {"银行卡", "card"}, notify.MethodAlipay: {"支付宝", "Alipay"}, notify.MethodWeChatPay: {"微信支付", "WeChat Pay"},
		notify.MethodCash: {"现金", "cash"}, notify.MethodStoredValue: {"储值余额", "stored value"}, "paypal": {"paypal", "paypal"},
	}
	for m, names := range methods {
		require.Contains(t, render(notify.TemplatePaymentReceived, "zh-CN", notify.ParamMethod, m), "（"+names[0]+"）", m)
		require.Contains(t, render(notify.TemplatePaymentReceived, "en", notify.ParamMethod, m), "("+names[1]+")", m)
	}
	reasons := map[string][2]string{
		notify.RefundReasonCancelled:   {"原因：订单已取消", "Reason: the order was cancelled"},
		notify.RefundReasonLatePayment: {"原因：付款到账时订单已取消", "Reason: the order had been cancelled before the payment arrived"},
		notify.RefundReasonByStore:     {"原因：商家退款", "Reason: refunded by the store"},
		notify.RefundReasonOverpayment: {"原因：支付金额超过订单总额，多付部分原路退回", "Reason: you paid more than the order's total; the excess is returned"},
		"双重扣款":                         {"原因：双重扣款", "Reason: 双重扣款"},
	}
	for reason, texts := range reasons {
		require.Contains(t, render(notify.TemplateRefundIssued, "zh-CN", notify.ParamReason, reason), texts[0], reason)
		require.Contains(t, render(notify.TemplateRefundIssued, "en", notify.ParamReason, reason), texts[1], reason)
	}
	require.NotContains(t, render(notify.TemplateRefundIssued, "zh-CN", notify.ParamReason, ""), "原因")
	require.NotContains(t, render(notify.TemplateRefundIssued, "en", notify.ParamReason, ""), "Reason")
}
