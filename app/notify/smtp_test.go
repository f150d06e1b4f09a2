package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"doorstep/app/kit/clock"
	"doorstep/app/notify"
)

// received is one message as the SMTP server got it.
type received struct {
	from string
	to   []string
	data []byte
}

// mailServer is a real SMTP server on a loopback port (emersion/go-smtp), keeping what it
// receives. With a user set it requires AUTH PLAIN; RCPT to a "reject" address gets a 550.
type mailServer struct {
	addr string
	user string
	pass string
	mu   sync.Mutex
	got  []received
}

func newMailServer(t *testing.T, user, pass string) *mailServer {
	t.Helper()
	ms := &mailServer{user: user, pass: pass}
	s := smtp.NewServer(ms)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ms.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ms
}

func (ms *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: ms}, nil }

func (ms *mailServer) messages() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.got...)
}

type mailSession struct {
	srv    *mailServer
	authed bool
	cur    received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.cur = received{} }
func (s *mailSession) Logout() error { return nil }

// parsed is a received message decoded: headers, subject and its text and HTML parts.
type parsed struct {
	header  mail.Header
	subject string
	text    string
	html    string
}

func parseMail(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	out := parsed{header: m.Header, subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, part)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		ct, cp, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		require.Equal(t, "utf-8", strings.ToLower(cp["charset"]))
		switch ct {
		case "text/plain":
			out.text = string(b)
		case "text/html":
			out.html = string(b)
		}
	}
	return out
}

func TestSMTPSenderDeliversMultipartUTF8(t *testing.T) {
	t.Parallel()
	ms := newMailServer(t, "", "")
	now := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	s, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: ms.addr, From: "洁家 <no-reply@jiejia.example>"}, clock.NewManual(now))
	require.NoError(t, err)

	params := map[string]string{}
	for _, k := range notify.TemplateParams[notify.TemplateOrderConfirmed] {
		params[k] = orderParams[k]
	}
	params[notify.ParamAddress] = "徐汇区 <漕溪北路> & 88 号"
	r, err := notify.Render(notify.Message{Channel: notify.ChannelEmail, To: "wang.fang@example.com", Locale: "zh-CN",
		Template: notify.TemplateOrderConfirmed, Params: params})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), uuid.Must(uuid.NewV7()), r))

	got := ms.messages()
	require.Len(t, got, 1)
	require.Equal(t, "no-reply@jiejia.example", got[0].from)
	require.Equal(t, []string{"wang.fang@example.com"}, got[0].to)
	m := parseMail(t, got[0].data)
	require.Equal(t, "预约成功", m.subject)
	require.NotEqual(t, "预约成功", m.header.Get("Subject"), "a non-ASCII subject is MIME-encoded on the wire")
	require.Equal(t, r.Body, strings.TrimRight(m.text, "\r\n"))
	require.Contains(t, m.html, "徐汇区 &lt;漕溪北路&gt; &amp; 88 号", "the HTML part escapes the text")
	require.Contains(t, m.html, `lang="zh-CN"`)
	require.NotContains(t, m.html, "<漕溪北路>")
	require.Regexp(t, `^<[^<>@\s]+@jiejia\.example>$`, m.header.Get("Message-Id"))
	date, err := m.header.Date()
	require.NoError(t, err)
	require.True(t, date.Equal(now), "Date is the clock's: %s", date)
	require.Equal(t, "1.0", m.header.Get("Mime-Version"))
	from, err := m.header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, "洁家", from[0].Name)
	to, err := m.header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, "wang.fang@example.com", to[0].Address)
}

func TestSMTPSenderAuthAndRejections(t *testing.T) {
	t.Parallel()
	ms := newMailServer(t, "mailer", "s3cret")
	msg := notify.Rendered{Message: notify.Message{Channel: notify.ChannelEmail, To: "li.lei@example.com", Locale: "en",
		Template: "x"}, Subject: "Order cancelled", Body: "Your order was cancelled."}

	wrong, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: ms.addr, From: "no-reply@fixit.example", Username: "mailer", Password: "guess"}, clock.System{})
	require.NoError(t, err)
	require.Error(t, wrong.Send(context.Background(), uuid.Nil, msg))

	s, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: ms.addr, From: "no-reply@fixit.example", Username: "mailer", Password: "s3cret"}, clock.System{})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), uuid.Nil, msg))
	got := ms.messages()
	require.Len(t, got, 1)
	require.Equal(t, "Order cancelled", parseMail(t, got[0].data).subject)

	rejected := msg
	rejected.To = "reject@example.com"
	require.ErrorIs(t, s.Send(context.Background(), uuid.Nil, rejected), asynq.SkipRetry, "a 550 will not get better")
	bad := msg
	bad.To = "not an address"
	require.ErrorIs(t, s.Send(context.Background(), uuid.Nil, bad), asynq.SkipRetry)
	require.Len(t, ms.messages(), 1)

	down, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: "127.0.0.1:1", From: "no-reply@fixit.example", Timeout: time.Second}, clock.System{})
	require.NoError(t, err)
	err = down.Send(context.Background(), uuid.Nil, msg)
	require.Error(t, err)
	require.NotErrorIs(t, err, asynq.SkipRetry, "a server that is down may come back")
}

func TestNewSMTPSenderChecksConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []notify.SMTPConfig{
		{Addr: "smtp.example.com", From: "a@example.com"},
		{Addr: "smtp.example.com:x", From: "a@example.com"},
		{Addr: "smtp.example.com:587", From: ""},
		{Addr: "smtp.example.com:587", From: "not an address"},
	} {
		_, err := notify.NewSMTPSender(cfg, clock.System{})
		require.Error(t, err, "%+v", cfg)
	}
}
