package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

func TestLogSenderLogsBodyAndMasksPhone(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := notify.NewLogSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	r, err := notify.Render(notify.Message{Channel: notify.ChannelSMS, To: "+8613812345678", Locale: "zh-CN",
		Template: "login_code", Params: map[string]string{"Brand": "洁家", "Code": "483920", "Minutes": "5"}})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), uuid.Must(uuid.NewV7()), r))

	out := buf.String()
	require.Contains(t, out, "您的登录验证码是 483920", "the dev path reads the code from the log")
	require.Contains(t, out, `"to":"+86138****5678"`)
	require.NotContains(t, out, "13812345678")
}

func TestLogSenderMasksEmail(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := notify.NewLogSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	require.NoError(t, s.Send(context.Background(), uuid.Nil, notify.Rendered{
		Message: notify.Message{Channel: notify.ChannelEmail, To: "wang.fang@example.com"}, Body: "hi",
	}))
	require.Contains(t, buf.String(), `"to":"w***@example.com"`)
}
