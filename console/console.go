// Package console serves the staff-side web: HQ admin, store manager, dispatcher, provider and
// platform operator pages. For now it holds the entry page and, for platform operators only,
// the asynqmon job dashboard; the pages themselves come with their issues.
package console

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// IsOperator reports whether a request comes from a signed-in platform operator.
type IsOperator func(r *http.Request) bool

// Mount adds the console routes to e and returns a closer for the dashboard.
func Mount(e *gin.Engine, redis asynq.RedisConnOpt, isOperator IsOperator) func() {
	e.GET("/console", func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(c.Writer, nil)
	})
	mon := asynqmon.New(asynqmon.Options{RootPath: "/console/jobs", RedisConnOpt: redis, PayloadFormatter: redactPayload})
	guarded := func(c *gin.Context) {
		if !isOperator(c.Request) {
			c.Header("Content-Type", "application/problem+json")
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"type": "urn:doorstep:problem:unauthenticated", "title": "Unauthorized",
				"status": http.StatusUnauthorized, "code": "unauthenticated", "detail": "the job dashboard is for platform operators"})
			return
		}
		mon.ServeHTTP(c.Writer, c.Request)
	}
	e.Any("/console/jobs", guarded)
	e.Any("/console/jobs/*rest", guarded)
	return func() { _ = mon.Close() }
}

var page = template.Must(template.New("console").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Doorstep 控制台 · Console</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
label{display:block;margin:.5rem 0}input{width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}</style></head>
<body><h1>Doorstep 控制台 · Console</h1>
<p>总部、门店、调度与服务人员的工作台将在后续版本提供。<br>HQ, store, dispatcher and provider pages arrive with their issues.</p>
<form id="login"><label>商户 Tenant (slug) <input name="tenant" required></label>
<label>邮箱或手机 E-mail or phone <input name="login" required></label>
<label>密码 Password <input name="password" type="password" required></label>
<button>登录 Sign in</button></form><pre id="out"></pre>
<p>平台运营 · Platform operators: <a href="/console/jobs">任务面板 Job dashboard</a> · <a href="/api/docs">API</a></p>
<script>
document.getElementById('login').onsubmit = async (e) => {
  e.preventDefault(); const f = new FormData(e.target);
  const r = await fetch('/api/v1/auth/login', {method:'POST', headers:{'Content-Type':'application/json','X-Tenant':f.get('tenant')},
    body: JSON.stringify({login:f.get('login'), password:f.get('password'), session:true})});
  document.getElementById('out').textContent = JSON.stringify(await r.json(), null, 2);
};
</script></body></html>`))
