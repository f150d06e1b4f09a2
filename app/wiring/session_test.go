package wiring_test

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWebSession: a session sign-in sets an HttpOnly, SameSite cookie, rotates the session id
// on login, authenticates API calls, refuses cross-site writes and ends on logout.
func TestWebSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	send := func(method, path, body string, hdr map[string]string) *http.Response {
		req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Host = e.A.Host
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	// An anonymous session exists first (e.g. set by a storefront page); login must rotate it.
	first := send("POST", "/api/v1/auth/login", `{"login":"manager@nowhere.test","password":"wrong password","session":true}`, nil)
	require.Equal(t, http.StatusUnauthorized, first.StatusCode)

	res := send("POST", "/api/v1/auth/login", `{"login":"store_manager@alpha.test","password":"`+password+`","session":true}`, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "doorstep_session" {
			cookie = c
		}
	}
	require.NotNil(t, cookie, "session cookie set")
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, cookie.SameSite)

	require.Equal(t, http.StatusOK, send("GET", "/api/v1/me", "", nil).StatusCode)
	// Writes with the cookie from another site are refused; same-origin ones pass.
	cross := send("PATCH", "/api/v1/users/"+e.A.UserIDs["staff"].String(), `{"display_name":"x"}`, map[string]string{"Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusForbidden, cross.StatusCode)
	same := send("PATCH", "/api/v1/users/"+e.A.UserIDs["staff"].String(), `{"display_name":"Renamed"}`, map[string]string{"Sec-Fetch-Site": "same-origin"})
	require.Equal(t, http.StatusOK, same.StatusCode)

	// Login again: the session id changes (no fixation).
	res = send("POST", "/api/v1/auth/login", `{"login":"store_manager@alpha.test","password":"`+password+`","session":true}`, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	for _, c := range res.Cookies() {
		if c.Name == "doorstep_session" {
			require.NotEqual(t, cookie.Value, c.Value, "session id rotated on login")
		}
	}
	require.Equal(t, http.StatusNoContent, send("POST", "/api/v1/auth/logout", "", nil).StatusCode)
	require.Equal(t, http.StatusUnauthorized, send("GET", "/api/v1/me", "", nil).StatusCode)

	// The job dashboard is for operators only.
	r := e.do(http.MethodGet, "/console/jobs", e.A.Tokens["owner"], "", nil)
	require.Equal(t, http.StatusUnauthorized, r.code)
	r = e.do(http.MethodGet, "/console/jobs", e.opToken, "", nil)
	require.Equal(t, http.StatusOK, r.code)
	require.Contains(t, string(r.body), "<html")
}

// TestPhoneMasking: phones are masked for roles without customers:phone; revealing one is
// audited with who read it.
func TestPhoneMasking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var list struct{ Items []struct{ Phone string } }
	e.do(http.MethodGet, "/api/v1/customers", e.A.Tokens["store_manager"], "", nil).ok(&list)
	require.Len(t, list.Items, 1)
	require.Equal(t, "+86138****0001", list.Items[0].Phone)
	e.do(http.MethodGet, "/api/v1/customers", e.A.Tokens["dispatcher"], "", nil).ok(&list)
	require.Equal(t, e.A.CustomerPhone, list.Items[0].Phone)

	var revealed struct{ Phone string }
	e.do(http.MethodPost, "/api/v1/customers/"+e.A.CustomerID.String()+"/phone", e.A.Tokens["support"], "", nil).ok(&revealed)
	require.Equal(t, e.A.CustomerPhone, revealed.Phone)
	var audit struct {
		Items []struct {
			Action  string
			ActorID string `json:"actor_id"`
		}
	}
	e.do(http.MethodGet, "/api/v1/audit?action=customer.phone.read", e.A.Tokens["owner"], "", nil).ok(&audit)
	require.Len(t, audit.Items, 1)
	require.Equal(t, e.A.UserIDs["support"].String(), audit.Items[0].ActorID)

	// Nothing the application logged holds a full phone number, a token or a password.
	logged := e.logs.String()
	require.Contains(t, logged, `"msg":"http"`, "access log lines are written")
	require.NotContains(t, logged, e.A.CustomerPhone)
	require.NotContains(t, logged, e.A.Tokens["owner"])
	require.NotContains(t, logged, e.A.CustomerToken)
	require.NotContains(t, logged, password)
}
