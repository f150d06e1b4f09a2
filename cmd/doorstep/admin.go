package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"doorstep/app/demo"
	"doorstep/app/kit/errs"
	"doorstep/app/wiring"
	"doorstep/tenant"
)

func migrate(ctx context.Context, cfg wiring.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		fmt.Fprintln(stdout, "usage: doorstep migrate up|down|status")
		return errUsage
	}
	return wiring.Migrate(ctx, cfg.DatabaseURL, args[0], stdout)
}

func seed(ctx context.Context, cfg wiring.Config, log *slog.Logger, stdout io.Writer) error {
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	return seedDemo(ctx, a, stdout)
}

// seedDemo seeds the demo world (app/demo) through the app's services.
func seedDemo(ctx context.Context, a *wiring.App, stdout io.Writer) error {
	return demo.Seed(ctx, demo.Services{DB: a.DB, Platform: a.Platform, Tenants: a.Tenants, Identity: a.Identity, Roles: a.Roles,
		Org: a.Org, Catalog: a.Catalog, Pricing: a.Pricing, Card: a.Card, Staff: a.Staff}, a.Cfg.BaseDomain, stdout)
}

func randomPassword() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tenantCmd(ctx context.Context, cfg wiring.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: doorstep tenant create --name N --slug S --owner-email E [--owner-password P] [--locale zh-CN|en] [--currency CNY] [--time-zone Asia/Shanghai]")
		return errUsage
	}
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var n tenant.NewTenant
	fs.StringVar(&n.Name, "name", "", "tenant (brand) name")
	fs.StringVar(&n.Slug, "slug", "", "lower-case slug: {slug}.BASE_DOMAIN")
	fs.StringVar(&n.OwnerEmail, "owner-email", "", "owner's e-mail (login)")
	fs.StringVar(&n.OwnerPhone, "owner-phone", "", "owner's phone (optional)")
	fs.StringVar(&n.OwnerPassword, "owner-password", "", "owner's password (generated and printed when empty)")
	fs.StringVar(&n.Locale, "locale", "zh-CN", "zh-CN or en")
	fs.StringVar(&n.Currency, "currency", "CNY", "ISO currency")
	fs.StringVar(&n.TimeZone, "time-zone", "Asia/Shanghai", "IANA time zone")
	fs.StringVar(&n.StoreName, "store-name", "", "first store's name")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if n.Name == "" || n.Slug == "" || n.OwnerEmail == "" {
		fs.Usage()
		return errUsage
	}
	generated := n.OwnerPassword == ""
	if generated {
		n.OwnerPassword = randomPassword()
	}
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.Tenants.Create(ctx, n)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "tenant %s (%s) created: id %s\nowner %s", t.Name, t.Slug, t.ID, n.OwnerEmail)
	if generated {
		fmt.Fprintf(stdout, " password %s", n.OwnerPassword)
	}
	fmt.Fprintln(stdout)
	return nil
}

func operatorCmd(ctx context.Context, cfg wiring.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: doorstep operator create --email E [--password P]")
		return errUsage
	}
	fs := flag.NewFlagSet("operator create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "operator e-mail")
	pw := fs.String("password", "", "password (generated and printed when empty)")
	if err := fs.Parse(args[1:]); err != nil || *email == "" {
		return errUsage
	}
	generated := *pw == ""
	if generated {
		*pw = randomPassword()
	}
	a, err := wiring.New(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Platform.EnsureOperator(ctx, *email, *pw, ""); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "operator %s ready", *email)
	if generated {
		fmt.Fprintf(stdout, " password %s", *pw)
	}
	fmt.Fprintln(stdout)
	return nil
}

// describe shows a domain error's field details on the command line.
func describe(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	msg := e.Detail
	for _, f := range e.Fields {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return fmt.Errorf("%s", msg)
}
