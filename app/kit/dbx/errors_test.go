package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"doorstep/app/kit/errs"
)

// TestErrClassifiesUnavailability: every way the driver says "no database" becomes the domain
// error unavailable (503 with Retry-After); answers from a working server keep their meaning.
func TestErrClassifiesUnavailability(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	pg := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code, Message: "x"} }
	// A pgconn.ConnectError cannot be built outside pgconn with its cause, so get a real one.
	cfg, err := pgconn.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.NoError(t, err)
	_, connectErr := pgconn.ConnectConfig(context.Background(), cfg)
	require.Error(t, connectErr)

	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connect refused (pgconn.ConnectError)", connectErr, true},
		{"connect error behind gorm wrapping", fmt.Errorf("begin: %w", connectErr), true},
		{"admin shutdown 57P01", pg("57P01"), true},
		{"crash shutdown 57P02", pg("57P02"), true},
		{"cannot connect now 57P03", pg("57P03"), true},
		{"too many connections 53300", pg("53300"), true},
		{"connection failure 08006", pg("08006"), true},
		{"connection does not exist 08003", fmt.Errorf("set tenant: %w", pg("08003")), true},
		{"net.OpError on a broken socket", refused, true},
		{"EOF on a dropped connection", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), true},
		{"plain EOF", io.EOF, true},
		{"bad connection from database/sql", driver.ErrBadConn, true},
		{"pgx conn closed", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), true},
		{"closed network connection", fmt.Errorf("write: %w", net.ErrClosed), true},

		{"unique violation", pg("23505"), false},
		{"serialization failure", pg("40001"), false},
		{"statement timeout 57014", pg("57014"), false},
		{"cancelled request", fmt.Errorf("query: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, false},
		{"record not found", gorm.ErrRecordNotFound, false},
		{"some bug", errors.New("boom"), false},
		{"nil", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Unavailable(c.err))
			mapped := Err(c.err)
			if !c.want {
				require.NotEqual(t, errs.Unavailable, errs.KindOf(mapped))
				return
			}
			e, ok := errs.As(mapped)
			require.True(t, ok)
			require.Equal(t, errs.Unavailable, e.Kind)
			require.Equal(t, "unavailable", e.Code)
			require.Equal(t, RetryAfter, e.RetryAfter)
			require.ErrorIs(t, mapped, c.err, "the driver's error stays the cause, for the log")
			require.NotContains(t, e.Detail, "127.0.0.1", "no internals in the detail")
		})
	}
	// The shared sentinel is never mutated by a mapping.
	require.Nil(t, ErrUnavailable.Err)
	require.Equal(t, 2*time.Second, ErrUnavailable.RetryAfter)
}

// TestErrBadText: NUL and invalid UTF-8 refused by PostgreSQL are a 422, not a 500.
func TestErrBadText(t *testing.T) {
	for _, code := range []string{"22021", "22P05"} {
		e, ok := errs.As(Err(&pgconn.PgError{Code: code}))
		require.True(t, ok, code)
		require.Equal(t, errs.Invalid, e.Kind)
		require.Equal(t, "invalid_text", e.Code)
	}
}
