package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

func TestRender(t *testing.T) {
	t.Parallel()
	params := map[string]string{"Brand": "洁家", "Code": "483920", "Minutes": "5"}
	zh := "【洁家】您的登录验证码是 483920，5 分钟内有效。请勿泄露给他人。"
	for _, tc := range []struct {
		locale string
		want   string
	}{
		{"zh-CN", zh},
		{"en", "[洁家] Your login code is 483920. It expires in 5 minutes. Do not share it with anyone."},
		{"fr", zh}, // no French: the default locale
		{"", zh},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			m := notify.Message{Channel: notify.ChannelSMS, To: "+8613812345678", Locale: tc.locale, Template: "login_code", Params: params}
			r, err := notify.Render(m)
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Body)
			require.Empty(t, r.Subject)
			require.Equal(t, m.To, r.To)
		})
	}
}

func TestRenderRefusesUnknownTemplateAndMissingParams(t *testing.T) {
	t.Parallel()
	_, err := notify.Render(notify.Message{Locale: "en", Template: "no_such_template"})
	require.ErrorIs(t, err, notify.ErrUnknownTemplate)

	_, err = notify.Render(notify.Message{Locale: "zh-CN", Template: "login_code", Params: map[string]string{"Brand": "洁家"}})
	require.ErrorContains(t, err, "Code")
	_, err = notify.Render(notify.Message{Locale: "en", Template: "login_code"})
	require.Error(t, err)
}
