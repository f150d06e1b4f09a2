package notify_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

// orderParams are sample values for every order template parameter.
var orderParams = map[string]string{
	notify.ParamBrand: "洁家", notify.ParamOrderNo: "JJ-20261125-0042", notify.ParamService: "日常保洁",
	notify.ParamTime: "2026-11-25 14:00", notify.ParamAddress: "徐汇区漕溪北路 88 号 1201", notify.ParamStaff: "刘阿姨",
	notify.ParamMinutes: "15", notify.ParamCode: "7351", notify.ParamHours: "48", notify.ParamReason: "",
}

func TestOrderTemplatesRender(t *testing.T) {
	t.Parallel()
	want := map[string]map[string][2]string{ // template → locale → subject, body
		notify.TemplateOrderConfirmed: {
			"zh-CN": {"预约成功", "【洁家】您的订单 JJ-20261125-0042 已预约成功：日常保洁，2026-11-25 14:00，徐汇区漕溪北路 88 号 1201。服务人员确定后会再通知您。"},
			"en":    {"Booking confirmed", "[洁家] Your booking JJ-20261125-0042 is confirmed: 日常保洁 at 2026-11-25 14:00, 徐汇区漕溪北路 88 号 1201. We will tell you who is coming."},
		},
		notify.TemplateOrderOffer: {
			"zh-CN": {"新的抢单", "新订单 JJ-20261125-0042：日常保洁，2026-11-25 14:00，徐汇区漕溪北路 88 号 1201。如需接单，请在 15 分钟内确认。"},
			"en":    {"New job offer", "New job JJ-20261125-0042: 日常保洁 at 2026-11-25 14:00, 徐汇区漕溪北路 88 号 1201. Accept within 15 minutes if you want it."},
		},
		notify.TemplateOrderAssigned: {
			"zh-CN": {"您有新的工单", "工单 JJ-20261125-0042 已派给您：日常保洁，2026-11-25 14:00，徐汇区漕溪北路 88 号 1201。请在应用中查看详情。"},
			"en":    {"New job assigned", "Job JJ-20261125-0042 is yours: 日常保洁 at 2026-11-25 14:00, 徐汇区漕溪北路 88 号 1201. Please check the details in the app."},
		},
		notify.TemplateOrderReminderCustomer: {
			"zh-CN": {"服务提醒", "【洁家】温馨提醒：刘阿姨 将于 2026-11-25 14:00 上门为您提供日常保洁（订单 JJ-20261125-0042）。"},
			"en":    {"Visit reminder", "[洁家] Reminder: 刘阿姨 will come for 日常保洁 at 2026-11-25 14:00 (order JJ-20261125-0042)."},
		},
		notify.TemplateOrderReminderStaff: {
			"zh-CN": {"工单提醒", "提醒：工单 JJ-20261125-0042，日常保洁，2026-11-25 14:00，徐汇区漕溪北路 88 号 1201。请按时出发。"},
			"en":    {"Job reminder", "Reminder: job JJ-20261125-0042, 日常保洁 at 2026-11-25 14:00, 徐汇区漕溪北路 88 号 1201. Please set off in time."},
		},
		notify.TemplateOrderOnTheWay: {
			"zh-CN": {"服务人员已出发", "【洁家】刘阿姨 已出发，预计约 15 分钟后到达（订单 JJ-20261125-0042）。"},
			"en":    {"On the way", "[洁家] 刘阿姨 is on the way and should arrive in about 15 minutes (order JJ-20261125-0042)."},
		},
		notify.TemplateOrderArrived: {
			"zh-CN": {"服务人员已到达", "【洁家】刘阿姨 已到达，订单 JJ-20261125-0042。"},
			"en":    {"Arrived", "[洁家] 刘阿姨 has arrived for order JJ-20261125-0042."},
		},
		notify.TemplateOrderAwaitingAcceptance: {
			"zh-CN": {"服务已完成，请验收", "【洁家】订单 JJ-20261125-0042 的日常保洁已完成，请检查服务效果，验收码 7351。48 小时内未处理将自动验收。"},
			"en":    {"Please check and accept", "[洁家] 日常保洁 for order JJ-20261125-0042 is done. Please check the work; your acceptance code is 7351. Without a reply it is accepted automatically after 48 hours."},
		},
		notify.TemplateOrderReviewRequest: {
			"zh-CN": {"邀请您评价", "【洁家】刘阿姨 为您提供的日常保洁（订单 JJ-20261125-0042）感觉如何？欢迎留下评价。"},
			"en":    {"How did we do?", "[洁家] How was 日常保洁 by 刘阿姨 (order JJ-20261125-0042)? Please leave a review."},
		},
		notify.TemplateOrderCancelled: {
			"zh-CN": {"订单已取消", "【洁家】订单 JJ-20261125-0042（日常保洁，2026-11-25 14:00）已取消。"},
			"en":    {"Order cancelled", "[洁家] Order JJ-20261125-0042 (日常保洁 at 2026-11-25 14:00) has been cancelled."},
		},
	}
	require.ElementsMatch(t, slices.Collect(maps.Keys(notify.TemplateParams)), slices.Collect(maps.Keys(want)), "every published template is tested")
	for tpl, byLocale := range want {
		for locale, sb := range byLocale {
			t.Run(tpl+"/"+locale, func(t *testing.T) {
				params := map[string]string{}
				for _, k := range notify.TemplateParams[tpl] {
					params[k] = orderParams[k]
				}
				r, err := notify.Render(notify.Message{Channel: notify.ChannelInbox, To: "customer:0196d7a0-0000-7000-8000-000000000001",
					Locale: locale, Template: tpl, Params: params})
				require.NoError(t, err)
				require.Equal(t, sb[0], r.Subject)
				require.Equal(t, sb[1], r.Body)
			})
		}
	}
}

// TestOrderTemplatesNeedEveryParam proves TemplateParams is complete: leaving any listed
// parameter out fails, in both locales (an empty Reason is fine, a missing one is not).
func TestOrderTemplatesNeedEveryParam(t *testing.T) {
	t.Parallel()
	for tpl, keys := range notify.TemplateParams {
		for _, locale := range []string{notify.LocaleZhCN, notify.LocaleEn} {
			for _, missing := range keys {
				params := map[string]string{}
				for _, k := range keys {
					if k != missing {
						params[k] = orderParams[k]
					}
				}
				_, err := notify.Render(notify.Message{Locale: locale, Template: tpl, Params: params})
				require.Error(t, err, "%s/%s without %s", tpl, locale, missing)
			}
		}
	}
}

func TestOrderCancelledWithReason(t *testing.T) {
	t.Parallel()
	params := map[string]string{}
	for _, k := range notify.TemplateParams[notify.TemplateOrderCancelled] {
		params[k] = orderParams[k]
	}
	params[notify.ParamReason] = "客户临时有事"
	r, err := notify.Render(notify.Message{Locale: "zh-CN", Template: notify.TemplateOrderCancelled, Params: params})
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(r.Body, "已取消。原因：客户临时有事"), r.Body)
	r, err = notify.Render(notify.Message{Locale: "en", Template: notify.TemplateOrderCancelled, Params: params})
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(r.Body, "has been cancelled. Reason: 客户临时有事"), r.Body)
}
