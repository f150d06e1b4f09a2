package wiring

import (
	"net/url"
)

// redactURL drops the password from a connection URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid url)"
	}
	return u.Redacted()
}
