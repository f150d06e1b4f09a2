package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

func TestPayoutTemplatesRender(t *testing.T) {
	t.Parallel()
	params := map[string]string{notify.ParamBrand: "洁家", notify.ParamAmount: "CNY 120.00", notify.ParamFee: "CNY 2.00",
		notify.ParamNet: "CNY 118.00", notify.ParamReason: "信息不符"}
	want := map[string]map[string][2]string{
		notify.TemplatePayoutRequested: {
			"zh-CN": {"提现申请已提交", "【洁家】您的提现申请 CNY 120.00 已提交，等待审核。手续费 CNY 2.00，到账 CNY 118.00。"},
			"en":    {"Withdrawal requested", "[洁家] Your withdrawal of CNY 120.00 is waiting for approval. Fee CNY 2.00; CNY 118.00 will reach your payout account."},
		},
		notify.TemplatePayoutApproved: {
			"zh-CN": {"提现已审核通过", "【洁家】您的提现 CNY 120.00 已审核通过，正在转账。"},
			"en":    {"Withdrawal approved", "[洁家] Your withdrawal of CNY 120.00 was approved and is being transferred."},
		},
		notify.TemplatePayoutRejected: {
			"zh-CN": {"提现已驳回", "【洁家】您的提现 CNY 120.00 已被驳回，原因：信息不符。款项已退回可用余额。"},
			"en":    {"Withdrawal rejected", "[洁家] Your withdrawal of CNY 120.00 was rejected: 信息不符. The money is back in your available balance."},
		},
		notify.TemplatePayoutPaid: {
			"zh-CN": {"提现已到账", "【洁家】您的提现 CNY 120.00 已完成，CNY 118.00 已转入您的收款账户。"},
			"en":    {"Withdrawal paid", "[洁家] Your withdrawal of CNY 120.00 was paid: CNY 118.00 was transferred to your payout account."},
		},
		notify.TemplatePayoutFailed: {
			"zh-CN": {"提现失败", "【洁家】您的提现 CNY 120.00 转账失败（信息不符），款项已退回可用余额。"},
			"en":    {"Withdrawal failed", "[洁家] The transfer of your withdrawal of CNY 120.00 failed (信息不符). The money is back in your available balance."},
		},
		notify.TemplateBankPayoutFailed: {
			"zh-CN": {"银行出款失败", "【洁家】Stripe 向您的银行账户出款 CNY 120.00 失败（信息不符）。请在 Stripe 账户中核对您的银行信息。"},
			"en":    {"Bank payout failed", "[洁家] Stripe could not pay CNY 120.00 out to your bank (信息不符). Please check your bank details in your Stripe account."},
		},
	}
	requireTemplates(t, notify.PayoutTemplateParams, params, want)
	for _, st := range []string{"requested", "approved", "rejected", "paid", "failed"} {
		require.Contains(t, notify.PayoutTemplateParams, notify.TemplatePayoutOf(st))
	}
}
