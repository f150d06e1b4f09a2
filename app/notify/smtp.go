package notify

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/wneessen/go-mail"

	"doorstep/app/kit/clock"
)

// SMTPConfig says where and as whom e-mail is sent.
type SMTPConfig struct {
	Addr     string // host:port; port 465 is implicit TLS, any other uses STARTTLS when offered
	From     string // e.g. "Doorstep <no-reply@example.com>"
	Username string // empty: no authentication
	Password string
	Timeout  time.Duration // per connection; zero: 15s
}

// SMTPSender sends ChannelEmail messages over SMTP as multipart text and HTML in UTF-8. One
// connection per message: e-mail volume is low and a pooled connection would need keepalive
// handling for little gain.
type SMTPSender struct {
	cfg  SMTPConfig
	host string
	port int
	clk  clock.Clock
}

// NewSMTPSender checks cfg and returns a sender.
func NewSMTPSender(cfg SMTPConfig, clk clock.Clock) (*SMTPSender, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("SMTP_ADDR %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("SMTP_ADDR %q: bad port", cfg.Addr)
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("SMTP_FROM %q: %w", cfg.From, err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &SMTPSender{cfg: cfg, host: host, port: port, clk: clk}, nil
}

// Send mails r to r.To. The Message-ID is derived from the delivery id (the outbox id), so a
// retried delivery carries the same id and mail clients show one message. A permanent SMTP
// failure (a 5xx reply, a malformed address) is not retried; connection trouble and 4xx are.
func (s *SMTPSender) Send(ctx context.Context, tenantID uuid.UUID, r Rendered) error {
	m := mail.NewMsg(mail.WithCharset(mail.CharsetUTF8), mail.WithNoDefaultUserAgent())
	if err := m.From(s.cfg.From); err != nil {
		return fmt.Errorf("notify: smtp from: %v: %w", err, asynq.SkipRetry)
	}
	if err := m.To(r.To); err != nil {
		return fmt.Errorf("notify: smtp to: %v: %w", err, asynq.SkipRetry)
	}
	subject := r.Subject
	if subject == "" {
		subject = firstLine(r.Body)
	}
	m.Subject(subject)
	m.SetDateWithValue(s.clk.Now())
	id := deliveryIDOf(ctx, r)
	if id == "" {
		id = uuid.NewString()
	}
	m.SetMessageIDWithValue(id + "." + tenantID.String() + "@" + s.domain())
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(mail.TypeTextPlain, r.Body)
	m.AddAlternativeString(mail.TypeTextHTML, emailHTML(r.Locale, subject, r.Body))

	opts := []mail.Option{mail.WithPort(s.port), mail.WithTimeout(s.cfg.Timeout)}
	if s.port == 465 {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		// go-mail's PLAIN refuses to send credentials without TLS except to localhost.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("notify: smtp client: %v: %w", err, asynq.SkipRetry)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return fmt.Errorf("notify: smtp: %w: %w", err, asynq.SkipRetry)
		}
		return fmt.Errorf("notify: smtp: %w", err)
	}
	return nil
}

// domain is the right-hand side of Message-IDs: the sender address's domain.
func (s *SMTPSender) domain() string {
	from := s.cfg.From
	if i := strings.LastIndex(from, "@"); i >= 0 {
		return strings.TrimRight(from[i+1:], "> ")
	}
	return s.host
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return line
}

var emailTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5;color:#1f2937">
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}</body></html>
`))

// emailHTML is the HTML alternative: the text body, escaped, one paragraph per line.
func emailHTML(locale, subject, body string) string {
	lang := locale
	if lang == "" {
		lang = DefaultLocale
	}
	var b strings.Builder
	_ = emailTemplate.Execute(&b, struct {
		Lang, Subject string
		Paragraphs    []string
	}{lang, subject, strings.Split(body, "\n")})
	return b.String()
}
