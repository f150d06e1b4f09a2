// Package storefront serves each tenant's white-label customer web on its own host
// ({slug}.BASE_DOMAIN or a custom domain), in the tenant's colours. The booking pages arrive
// with their issues; this is the Host-resolved entry page.
package storefront

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/tenant"
)

// Handler answers every non-API path that no other route took.
func Handler(res *tenant.Resolver) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := c.Request.URL.Path
		if strings.HasPrefix(p, "/api/") {
			httpx.WriteProblem(c, httpx.NewProblem(http.StatusNotFound, "route_not_found", "no such route"))
			return
		}
		t, named, err := res.ByHost(c.Request.Context(), c.Request.Host)
		c.Header("Content-Type", "text/html; charset=utf-8")
		switch {
		case !named:
			if p == "/" {
				c.Status(http.StatusOK)
				_ = landing.Execute(c.Writer, nil)
				return
			}
			c.Status(http.StatusNotFound)
			_ = message.Execute(c.Writer, map[string]string{"Title": "404", "Text": "页面不存在 · Page not found"})
		case errors.Is(err, tenant.ErrSuspended):
			c.Status(http.StatusForbidden)
			_ = message.Execute(c.Writer, map[string]string{"Title": "tenant_suspended", "Text": "该商户已暂停服务 · This business is not taking bookings at the moment."})
		case err != nil || t == nil:
			code := "tenant_not_found"
			if e, ok := errs.As(err); ok {
				code = e.Code
			}
			c.Status(http.StatusNotFound)
			_ = message.Execute(c.Writer, map[string]string{"Title": code, "Text": "没有这个商户 · No business is served at this address."})
		case p != "/":
			c.Status(http.StatusNotFound)
			_ = message.Execute(c.Writer, map[string]string{"Title": "404", "Text": "页面不存在 · Page not found"})
		default:
			c.Status(http.StatusOK)
			_ = home.Execute(c.Writer, t)
		}
	}
}

var (
	landing = template.Must(template.New("landing").Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Doorstep</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto"><h1>Doorstep 上门服务平台</h1>
<p>API: <a href="/api/docs">/api/docs</a> · OpenAPI: <a href="/api/openapi.json">/api/openapi.json</a> · 控制台 Console: <a href="/console">/console</a></p>
<p>商户店铺在 <code>{slug}.BASE_DOMAIN</code> 或自有域名上。 Storefronts answer on <code>{slug}.BASE_DOMAIN</code> or their own domain.</p></body></html>`))
	message = template.Must(template.New("message").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto"><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>`))
	home = template.Must(template.New("home").Parse(`<!doctype html><html lang="{{.Locale}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{.BrandName}}</title>
<style>:root{--primary:{{.Branding.PrimaryColor}};--accent:{{.Branding.AccentColor}}}
body{font-family:system-ui,sans-serif;margin:0}header{background:var(--primary);color:#fff;padding:1.5rem}
main{max-width:40rem;margin:2rem auto;padding:0 1rem}a.button{background:var(--accent);color:#111;padding:.6rem 1rem;border-radius:.4rem;text-decoration:none}</style></head>
<body><header>{{if .Branding.LogoURL}}<img src="{{.Branding.LogoURL}}" alt="" height="40"> {{end}}<strong>{{.BrandName}}</strong></header>
<main>{{if eq .Locale "en"}}<h1>Book a visit</h1><p>Online booking opens soon.</p>{{else}}<h1>预约上门服务</h1><p>在线预约即将开放。</p>{{end}}</main></body></html>`))
)
