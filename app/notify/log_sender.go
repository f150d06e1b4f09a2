package notify

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"doorstep/app/kit/phone"
)

// LogSender writes messages to the log instead of sending them. It is the development sender:
// the full body is logged (that is where a developer reads a login code), the recipient masked.
type LogSender struct{ log *slog.Logger }

// NewLogSender returns a sender logging to log.
func NewLogSender(log *slog.Logger) *LogSender { return &LogSender{log: log} }

// Send logs r.
func (s *LogSender) Send(ctx context.Context, tenantID uuid.UUID, r Rendered) error {
	s.log.InfoContext(ctx, "notify: message (not sent, logged)",
		"tenant_id", tenantID,
		"channel", r.Channel,
		"to", maskRecipient(r.Channel, r.To),
		"locale", r.Locale,
		"template", r.Template,
		"subject", r.Subject,
		"body", r.Body,
	)
	return nil
}

// maskRecipient hides most of a phone number (first 3 and last 4 digits of the national number
// stay) or of an e-mail address's local part; other recipients are ids, logged as they are.
func maskRecipient(channel, to string) string {
	switch channel {
	case ChannelSMS:
		return phone.Mask(to)
	case ChannelEmail:
		local, domain, ok := strings.Cut(to, "@")
		if !ok || local == "" {
			return phone.Mask(to) // not an address: mask it all but the tail
		}
		_, n := utf8.DecodeRuneInString(local)
		return local[:n] + "***@" + domain
	default:
		return to
	}
}
