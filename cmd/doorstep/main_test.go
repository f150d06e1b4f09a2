package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/dbtest"
)

// TestMain lets tests run the real binary's run() in a child process: the test binary
// re-executes itself with DOORSTEP_TEST_EXEC=1 and the arguments in DOORSTEP_TEST_ARGS.
func TestMain(m *testing.M) {
	if os.Getenv("DOORSTEP_TEST_EXEC") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, strings.Split(os.Getenv("DOORSTEP_TEST_ARGS"), "\x1f"), os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "doorstep:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestHelpListsEnvironment(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--help"}, &out, io.Discard))
	for _, v := range []string{"DATABASE_URL", "APP_DATABASE_URL", "REDIS_URL", "HTTP_ADDR", "BASE_DOMAIN", "serve", "worker", "migrate", "seed demo", "tenant create"} {
		require.Contains(t, out.String(), v)
	}
	require.ErrorIs(t, run(context.Background(), []string{"bogus"}, io.Discard, io.Discard), errUsage)
}

type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	base string
}

func child(t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "DOORSTEP_TEST_EXEC=1", "DOORSTEP_TEST_ARGS="+strings.Join(args, "\x1f")), env...)
	return cmd
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startServe(t *testing.T, env []string) *proc {
	port := freePort(t)
	cmd := child(t, append(env, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port)), "serve")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, out: &out, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve did not stop on SIGTERM")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not become ready: %s", out.String())
	return nil
}

func (p *proc) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-Tenant", "twins")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (p *proc) login(t *testing.T, email, pw string) string {
	code, body := p.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"login": email, "password": pw})
	require.Equal(t, http.StatusOK, code, string(body))
	var out struct{ Token string }
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Token
}

// waitFor polls until the call answers want and returns how long that took.
func waitFor(t *testing.T, p *proc, token string, want int) time.Duration {
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		if code, _ := p.call(t, http.MethodGet, "/api/v1/users", token, nil); code == want {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("second process never answered %d", want)
	return 0
}

// TestTwoServeProcessesAgreeOnPolicy runs the real binary twice against one database and
// Redis: a role change made through one process is enforced by the other within 1 s.
func TestTwoServeProcessesAgreeOnPolicy(t *testing.T) {
	d := dbtest.New(t)
	_, ropt := dbtest.Redis(t)
	env := []string{"DATABASE_URL=" + d.OwnerURL, "APP_DATABASE_URL=" + d.AppURL,
		fmt.Sprintf("REDIS_URL=redis://%s/%d", ropt.Addr, ropt.DB), "BASE_DOMAIN=doorstep.test", "DEV_MODE=true", "LOG_LEVEL=warn"}

	// The tenant comes from the real CLI.
	const pw = "twin owner password"
	out, err := child(t, env, "tenant", "create", "--name", "Twins", "--slug", "twins", "--owner-email", "owner@twins.test", "--owner-password", pw).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Regexp(t, regexp.MustCompile(`tenant Twins \(twins\) created: id [0-9a-f-]{36}`), string(out))

	one, two := startServe(t, env), startServe(t, env)
	owner := one.login(t, "owner@twins.test", pw)
	code, body := one.call(t, http.MethodPost, "/api/v1/users", owner, map[string]any{"email": "x@twins.test", "password": "x user password", "roles": []string{"staff"}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var x struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &x))
	xTok := two.login(t, "x@twins.test", "x user password")
	code, body = two.call(t, http.MethodGet, "/api/v1/users", xTok, nil)
	require.Equal(t, http.StatusForbidden, code, string(body))

	// Grant through process one; process two must enforce it within a second.
	code, body = one.call(t, http.MethodPut, "/api/v1/users/"+x.ID+"/roles", owner, map[string]any{"roles": []string{"hq_admin"}})
	require.Equal(t, http.StatusOK, code, string(body))
	took := waitFor(t, two, xTok, http.StatusOK)
	t.Logf("grant reached the second process in %s", took)
	require.Less(t, took, time.Second)

	// And the revocation.
	code, body = one.call(t, http.MethodPut, "/api/v1/users/"+x.ID+"/roles", owner, map[string]any{"roles": []string{"staff"}})
	require.Equal(t, http.StatusOK, code, string(body))
	took = waitFor(t, two, xTok, http.StatusForbidden)
	t.Logf("revocation reached the second process in %s", took)
	require.Less(t, took, time.Second)
}
