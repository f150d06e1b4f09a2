// Package wiring builds the application from its configuration: connections, services, the
// HTTP server and the job worker. cmd/doorstep calls it, and so do the integration tests, so
// that what is tested is what runs.
package wiring

import (
	"fmt"
	"net/url"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is read from the environment only.
type Config struct {
	DatabaseURL       string        `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/doorstep?sslmode=disable" help:"owner/migrator connection (runs migrations)"`
	AppDatabaseURL    string        `env:"APP_DATABASE_URL" help:"runtime connection as the non-owner role doorstep_app; default: DATABASE_URL with user doorstep_app"`
	RedisURL          string        `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0" help:"Redis for jobs, sessions, rate limits and policy sync"`
	HTTPAddr          string        `env:"HTTP_ADDR" envDefault:":8080" help:"listen address of serve and dev"`
	BaseDomain        string        `env:"BASE_DOMAIN" envDefault:"localhost" help:"storefronts answer on {slug}.BASE_DOMAIN"`
	DevMode           bool          `env:"DEV_MODE" envDefault:"false" help:"accept the X-Tenant header; log notification bodies; non-secure cookies"`
	LogLevel          string        `env:"LOG_LEVEL" envDefault:"info" help:"debug, info, warn or error"`
	DBMaxConns        int           `env:"DB_MAX_CONNS" envDefault:"20" help:"runtime pool size"`
	WorkerConcurrency int           `env:"WORKER_CONCURRENCY" envDefault:"10" help:"jobs processed at once by worker"`
	RelayInterval     time.Duration `env:"OUTBOX_RELAY_INTERVAL" envDefault:"1s" help:"how often the outbox relay sweeps"`
	RelayLease        time.Duration `env:"OUTBOX_RELAY_LEASE" envDefault:"5m" help:"an outbox task still unfinished this long after it was handed to Redis (or fell due) is handed over again"`
	RelayHorizon      time.Duration `env:"OUTBOX_RELAY_HORIZON" envDefault:"1m" help:"delayed outbox tasks reach Redis this long before they are due"`
	WebhookURL        string        `env:"WEBHOOK_URL" help:"notifications are POSTed here (HMAC-signed); empty: logged only"`
	WebhookSecret     string        `env:"WEBHOOK_SECRET" help:"HMAC-SHA256 secret for WEBHOOK_URL"`
	SMTPAddr          string        `env:"SMTP_ADDR" help:"e-mail notifications go to this SMTP server (host:port; 465 is implicit TLS, others STARTTLS when offered); empty: e-mail goes the webhook/log way"`
	SMTPFrom          string        `env:"SMTP_FROM" help:"From address of e-mail notifications, e.g. Doorstep <no-reply@example.com>"`
	SMTPUsername      string        `env:"SMTP_USERNAME" help:"SMTP AUTH PLAIN user; empty: no authentication"`
	SMTPPassword      string        `env:"SMTP_PASSWORD" help:"SMTP AUTH PLAIN password"`
	StripeSecretKey   string        `env:"STRIPE_SECRET_KEY" envDefault:"sk_test_doorstep" help:"Stripe secret key (stripe-mock accepts any sk_test_ key)"`
	StripeAPIURL      string        `env:"STRIPE_API_URL" help:"Stripe API base URL; empty: api.stripe.com; dev and tests: stripe-mock"`
	StripeWebhookKey  string        `env:"STRIPE_WEBHOOK_SECRET" help:"signing secret of /api/v1/webhooks/stripe (whsec_…); empty: every event is refused"`
	SessionTTL        time.Duration `env:"SESSION_TTL" envDefault:"12h" help:"web session lifetime"`
	TrustedProxies    []string      `env:"TRUSTED_PROXIES" envSeparator:"," help:"proxy addresses whose X-Forwarded-For is believed"`
	MaxBodyBytes      int64         `env:"MAX_BODY_BYTES" envDefault:"1048576" help:"largest accepted request body"`
}

// LoadConfig reads the environment and fills derived defaults.
func LoadConfig() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, err
	}
	if c.AppDatabaseURL == "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil {
			return c, fmt.Errorf("DATABASE_URL: %w", err)
		}
		u.User = url.User("doorstep_app")
		c.AppDatabaseURL = u.String()
	}
	return c, nil
}

// EnvHelp lists the variables with defaults and meaning, for --help.
func EnvHelp() string {
	out := ""
	for _, f := range []struct{ name, def, help string }{
		{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/doorstep?sslmode=disable", "owner/migrator connection (runs migrations)"},
		{"APP_DATABASE_URL", "DATABASE_URL with user doorstep_app", "runtime connection as the non-owner role (row-level security applies)"},
		{"REDIS_URL", "redis://127.0.0.1:6379/0", "Redis for jobs, sessions, rate limits and policy sync"},
		{"HTTP_ADDR", ":8080", "listen address of serve and dev"},
		{"BASE_DOMAIN", "localhost", "storefronts answer on {slug}.BASE_DOMAIN"},
		{"DEV_MODE", "false (true under dev)", "accept X-Tenant, insecure cookies, log notifications"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
		{"DB_MAX_CONNS", "20", "runtime pool size"},
		{"WORKER_CONCURRENCY", "10", "jobs processed at once"},
		{"OUTBOX_RELAY_INTERVAL", "1s", "outbox relay sweep interval"},
		{"OUTBOX_RELAY_LEASE", "5m", "an unfinished outbox task is handed to Redis again after this (from when it was due)"},
		{"OUTBOX_RELAY_HORIZON", "1m", "delayed outbox tasks reach Redis this long before they are due"},
		{"WEBHOOK_URL", "", "notifications are POSTed here, HMAC-signed; empty: logged"},
		{"WEBHOOK_SECRET", "", "HMAC-SHA256 secret for WEBHOOK_URL"},
		{"SMTP_ADDR", "", "SMTP server host:port for e-mail (465: implicit TLS); empty: e-mail is logged/webhooked"},
		{"SMTP_FROM", "", "From address of e-mail notifications"},
		{"SMTP_USERNAME", "", "SMTP AUTH user; empty: no authentication"},
		{"SMTP_PASSWORD", "", "SMTP AUTH password"},
		{"STRIPE_SECRET_KEY", "sk_test_doorstep", "Stripe secret key"},
		{"STRIPE_API_URL", "", "Stripe API base URL; empty: api.stripe.com (dev: stripe-mock)"},
		{"STRIPE_WEBHOOK_SECRET", "", "signing secret of /api/v1/webhooks/stripe; empty: events refused"},
		{"SESSION_TTL", "12h", "web session lifetime"},
		{"TRUSTED_PROXIES", "", "comma-separated proxies trusted for X-Forwarded-For"},
		{"MAX_BODY_BYTES", "1048576", "largest accepted request body"},
	} {
		out += fmt.Sprintf("  %-22s %s\n  %-22s   default: %s\n", f.name, f.help, "", f.def)
	}
	return out
}
