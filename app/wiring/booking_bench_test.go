package wiring_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/logger"
)

// BenchmarkBookingThroughput (issue 4, a): booking creation through the HTTP API against
// pgbench running the same SQL statements on the same database in the same run.
//
// API side: the real server (httptest, the application's handler, worker stopped) and
// DOORSTEP_BENCH_CLIENTS (8) concurrent clients, each POSTing /api/v1/storefront/orders with a
// customer token, an Idempotency-Key and a quote of its own, for DOORSTEP_BENCH_SECONDS (5).
// Every response must be 201 and the database must hold exactly that many new orders.
//
// pgbench side: testdata/booking_pgbench.sql, every statement one such request sends
// (authentication, the tenant lookup, the booking transaction), -M prepared, as the runtime
// role (so RLS applies), with the same number of clients for the same time. Its tps is read
// from pgbench's "without initial connection time" line.
//
// Quotes are cloned in SQL from one real quote per tenant, outside the timed part. Since an
// order holds capacity from the moment it is booked (docs/capacity.md), each booking needs
// free capacity of its own: every quote starts at its own start of the tenant's one staff
// member's calendar, three hours apart (four a day), on days after the last visit the tenant
// has booked, so no side or round books a start an earlier one filled, and each booking
// counts the holds of the few days around it as a real one would. The two sides alternate DOORSTEP_BENCH_ROUNDS (3)
// times and the throughputs are averaged, so that a change in the machine's load affects both.
// Before anything is timed, one booking's statements are recorded and compared with the
// script's (checkScript). Two shapes:
//
//	tenants=N  each client books in its own tenant (how a multi-tenant service is loaded);
//	           pgbench runs as one process per tenant (-c 1 -j 1), tps summed
//	tenants=1  every client books in one tenant, so the per-tenant, per-day order-number
//	           counter row serialises them on both sides; pgbench -c N -j min(N, CPUs)
//
// Reported: api_per_s, pgbench_tps and ratio (api ÷ pgbench). ns/op is meaningless here.
//
//	make bench PKGS=./app/wiring/ BENCH=BookingThroughput
func BenchmarkBookingThroughput(b *testing.B) {
	pgbench := pgbenchPath(b)
	clients := envInt(b, "DOORSTEP_BENCH_CLIENTS", 8)
	secs := envInt(b, "DOORSTEP_BENCH_SECONDS", 5)
	rounds := envInt(b, "DOORSTEP_BENCH_ROUNDS", 3)
	e := newEnv(b)
	fs := []*fixture{e.A, e.B}
	for i := len(fs); i < clients; i++ {
		slug := []string{"charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima", "mike", "november",
			"oscar", "papa"}[(i-2)%14] + strings.Repeat("x", (i-2)/14)
		fs = append(fs, e.seed(slug, strings.ToUpper(slug[:1])+slug[1:]+" Clean", fmt.Sprintf("+86137%08d", i)))
	}
	e.stopWorker() // the relay and job handlers run elsewhere in production; keep them off both sides
	checkScript(b, e, e.A, "testdata/booking_pgbench.sql")
	for _, tenants := range []int{clients, 1} {
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			e.t = b
			var api, pg float64
			var apiPG, apiGo, pgPG, pgCl float64
			n := 0
			for b.Loop() {
				// Short phases, alternating, so that a change in the machine's load hits both sides.
				for r := 1; r <= rounds; r++ {
					bb := &bookingBench{e: e, b: b, fs: fs[:tenants], clients: clients, dur: time.Duration(secs) * time.Second}
					a, p := bb.apiSide(), bb.pgbenchSide(pgbench)
					b.Logf("round %d: API %.1f/s (%d bookings, CPU %.0f%%; per booking PostgreSQL %.2f ms, Go %.2f ms) · "+
						"pgbench %.1f tps (%d, CPU %.0f%%; per transaction PostgreSQL %.2f ms, pgbench %.2f ms) · ratio %.3f",
						r, a.rate, a.ops, a.busyPct, a.perOp(a.pgCPU), a.perOp(a.ownCPU),
						p.rate, p.ops, p.busyPct, p.perOp(p.pgCPU), p.perOp(p.ownCPU), a.rate/p.rate)
					api, pg, n = api+a.rate, pg+p.rate, n+1
					apiPG, apiGo, pgPG, pgCl = apiPG+a.perOp(a.pgCPU), apiGo+a.perOp(a.ownCPU), pgPG+p.perOp(p.pgCPU), pgCl+p.perOp(p.ownCPU)
				}
			}
			api, pg = api/float64(n), pg/float64(n)
			apiPG, apiGo, pgPG, pgCl = apiPG/float64(n), apiGo/float64(n), pgPG/float64(n), pgCl/float64(n)
			// CPU per operation does not depend on what else the machine runs, so it tells
			// what the throughput ratio would be on a machine the benchmark had to itself.
			if apiPG > 0 && pgPG > 0 {
				b.ReportMetric(apiPG, "api_pg_cpu_ms")
				b.ReportMetric(apiGo, "api_go_cpu_ms")
				b.ReportMetric(pgPG, "pgbench_pg_cpu_ms")
				b.ReportMetric(pgCl, "pgbench_client_cpu_ms")
				b.ReportMetric((pgPG+pgCl)/(apiPG+apiGo), "cpu_ratio")
			}
			b.ReportMetric(api, "api_per_s")
			b.ReportMetric(pg, "pgbench_tps")
			b.ReportMetric(api/pg, "ratio")
		})
	}
}

// pgbenchPath finds a pgbench that runs, or fails the benchmark saying how to get one. On
// Debian /usr/bin/pgbench is pg_wrapper, present with any client package even when no pgbench
// binary is installed, so it is run (--version) rather than only looked up.
func pgbenchPath(b *testing.B) string {
	p := os.Getenv("PGBENCH")
	if p == "" {
		p = "pgbench"
	}
	out, err := exec.Command(p, "--version").CombinedOutput()
	if err != nil {
		b.Fatalf("no working pgbench (%s: %v %s); benchmark (a) compares the booking API with pgbench. Install it with "+
			"`deploy/dev/tools.sh pgbench` (Debian's postgresql-client, or postgresql-15 on Debian 12, where the server "+
			"package holds it), or set PGBENCH=/path/to/pgbench", p, err, strings.TrimSpace(string(out)))
	}
	return p
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

var benchRuns atomic.Int64

// nextRun is an eight-digit prefix for the ids of one side of one round.
func nextRun() int64 { return 10000000 + benchRuns.Add(1) }

// benchID is the uuid the pgbench script writes as (run || kind || lpad(q, 23, '0'))::uuid:
// 32 decimal digits are 32 valid hex digits.
func benchID(run int64, kind int, q int64) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("%08d%d%023d", run, kind, q))
}

// side is one side's result in one round.
type side struct {
	rate    float64 // bookings or transactions per second
	ops     int
	busyPct float64       // the machine's CPU, busy, while it ran (other processes included)
	pgCPU   time.Duration // CPU of the runtime role's PostgreSQL backends on the benchmark database
	ownCPU  time.Duration // CPU of the client side: this Go process (server and HTTP clients), or pgbench
}

func (s side) perOp(d time.Duration) float64 { return float64(d) / 1e6 / float64(max(s.ops, 1)) }

type bookingBench struct {
	e       *env
	b       *testing.B
	fs      []*fixture
	clients int
	dur     time.Duration
}

// perTenant is how many clients book in each tenant.
func (bb *bookingBench) perTenant() int { return bb.clients / len(bb.fs) }

// day0 is local midnight (Asia/Shanghai, the fixture stores' zone) two days ahead: the start
// of the template quotes and of checkScript's booking.
func day0() time.Time {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	d := time.Now().In(sh).AddDate(0, 0, 2)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, sh)
}

// Slot k of a run is 08:00 + 3 h × (k mod slotsPerDay) on day k / slotsPerDay after the run's
// first day: 08:00, 11:00, 14:00 and 17:00, inside the staff member's 07:00–22:00 for the
// 2.5-hour visit (package and one add-on). Three hours apart, a visit with its 15-minute
// travel either side overlaps no other, so every slot is a free place whatever order the
// clients book in. pgbench's script computes the same starts.
const (
	slotsPerDay  = 4
	slotSpacingS = 3 * 3600
)

// firstDay is local midnight of the first day after every visit f's tenant has booked (and
// not before day0): a run books there, clear of every earlier run's holds.
func (bb *bookingBench) firstDay(f *fixture) time.Time {
	var last sql.NullTime
	if err := bb.e.db.Owner.Raw(`select max(ends_at) from orders where tenant_id = ?`, f.Tenant.ID).Row().Scan(&last); err != nil {
		bb.b.Fatalf("last booked visit: %v", err)
	}
	d := day0()
	if last.Valid && !last.Time.Before(d) {
		l := last.Time.In(d.Location()).AddDate(0, 0, 1)
		d = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, d.Location())
	}
	return d
}

// cloneQuotes copies one real quote of f into per clients × count quotes with ids
// benchID(run, 1, li×10⁷ + n), n = 1..count, each starting at its own slot (n-1)×per + li
// counted from day.
func (bb *bookingBench) cloneQuotes(f *fixture, template uuid.UUID, run int64, count int, day time.Time) {
	b := bb.b
	per := bb.perTenant()
	for li := 0; li < per; li++ {
		lo := int64(li)*10_000_000 + 1
		err := bb.e.db.Owner.Exec(`insert into quotes (tenant_id, id, store_id, package_id, customer_id, created_by, starts_at, location,
				request, lines, subtotal, total, currency, created_at, expires_at)
			select t.tenant_id, (?::text || '1' || lpad(g::text, 23, '0'))::uuid, t.store_id, t.package_id, t.customer_id, t.created_by,
				s.at, t.location, jsonb_set(t.request, '{start}', to_jsonb(s.at)), t.lines, t.subtotal, t.total, t.currency, now(), now() + interval '1 day'
			from quotes t, generate_series(?::bigint, ?::bigint) g,
				lateral (select (g - ?) * ? + ? as slot) k,
				lateral (select to_timestamp(?::bigint + (k.slot / ?) * 86400 + 28800 + (k.slot % ?) * ?) as at) s
			where t.tenant_id = ? and t.id = ?`,
			strconv.FormatInt(run, 10), lo, lo+int64(count)-1, lo, per, li, day.Unix(), slotsPerDay, slotsPerDay, slotSpacingS,
			f.Tenant.ID, template).Error
		if err != nil {
			b.Fatalf("clone quotes: %v", err)
		}
	}
}

// countOrders counts the orders booked with run's quotes.
func (bb *bookingBench) countOrders(run int64) int {
	var n int
	if err := bb.e.db.Owner.Raw(`select count(*) from orders where quote_id::text like ?`, fmt.Sprintf("%08d-1%%", run)).Scan(&n).Error; err != nil {
		bb.b.Fatalf("count orders: %v", err)
	}
	return n
}

// apiSide runs the clients against the HTTP API: successful bookings per second.
func (bb *bookingBench) apiSide() side {
	b, e := bb.b, bb.e
	run := nextRun()
	const warm = 3
	// Generous: the API stays far below 150 bookings/s per client on the development machine.
	count := warm + int(bb.dur.Seconds())*150
	for _, f := range bb.fs {
		tpl, _ := customerQuote(e, f, f.CustomerToken, day0().Add(8*time.Hour))
		bb.cloneQuotes(f, tpl, run, count, bb.firstDay(f))
	}
	tr := &http.Transport{MaxIdleConnsPerHost: bb.clients, MaxIdleConns: bb.clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	book := func(f *fixture, li, n int) error {
		q := benchID(run, 1, int64(li)*10_000_000+int64(n))
		body, _ := json.Marshal(map[string]any{"quote_id": q, "address": "徐汇区 漕溪北路 1 号 1201",
			"contact":  map[string]any{"name": "李女士", "phone": "+8613800000001"},
			"property": map[string]any{"area_sqm": 89, "layout": "2室1厅"},
			"notes":    map[string]any{"pets": "一只猫", "allergies": "柑橘", "avoid_products": "含氯漂白剂"}})
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/storefront/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+f.CustomerToken)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d-%d-%d", run, li, n))
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("booking %s: %d %s", q, res.StatusCode, out)
		}
		return nil
	}
	// Each client: warm-up bookings (connections, statement caches, the tenant's casbin
	// enforcer), then, once every client is warm, book until the deadline.
	var warmed, done sync.WaitGroup
	errc := make(chan error, bb.clients)
	var ok atomic.Int64
	var deadline time.Time
	ready := make(chan struct{})
	warmed.Add(bb.clients)
	for c := 0; c < bb.clients; c++ {
		f, li := bb.fs[c%len(bb.fs)], c/len(bb.fs)
		done.Go(func() {
			n := 0
			var err error
			for ; n < warm && err == nil; n++ {
				err = book(f, li, n+1)
			}
			warmed.Done()
			if err != nil {
				errc <- fmt.Errorf("warm-up: %w", err)
				return
			}
			<-ready
			for time.Now().Before(deadline) {
				if n++; n > count {
					errc <- errors.New("a client ran out of quotes: raise count in apiSide")
					return
				}
				if err := book(f, li, n); err != nil {
					errc <- err
					return
				}
				ok.Add(1)
			}
		})
	}
	warmed.Wait()
	w := bb.watchBackends()
	cpu0, self0 := machineCPU(), processCPU()
	start := time.Now()
	deadline = start.Add(bb.dur)
	close(ready)
	done.Wait()
	elapsed := time.Since(start)
	cpu1, self1 := machineCPU(), processCPU()
	pgCPU := w.stop()
	close(errc)
	if err := <-errc; err != nil {
		b.Fatalf("API side: %v", err)
	}
	got := bb.countOrders(run)
	if want := int(ok.Load()) + warm*bb.clients; got != want {
		b.Fatalf("API side: %d orders in the database, want %d (201 responses)", got, want)
	}
	return side{rate: float64(ok.Load()) / elapsed.Seconds(), ops: int(ok.Load()), busyPct: cpu1.busyPct(cpu0), pgCPU: pgCPU,
		ownCPU: time.Duration(self1 - self0)}
}

var (
	tpsRe       = regexp.MustCompile(`tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)`)
	processedRe = regexp.MustCompile(`number of transactions actually processed: (\d+)`)
	failedRe    = regexp.MustCompile(`number of failed transactions: (\d+)`)
)

// pgbenchSide runs testdata/booking_pgbench.sql with the same clients for the same time, one
// pgbench process per tenant (its fixture values are -D variables): the summed tps.
func (bb *bookingBench) pgbenchSide(pgbench string) side {
	b, e := bb.b, bb.e
	ctx := context.Background()
	run := nextRun()
	per := bb.perTenant()
	jobs := min(per, runtime.NumCPU())
	// Generous: pgbench stays far below 600 tps per client here; running out fails loudly.
	count := int(bb.dur.Seconds()) * 600
	script, err := os.ReadFile("testdata/booking_pgbench.sql")
	if err != nil {
		b.Fatal(err)
	}
	scriptPath := b.TempDir() + "/booking_pgbench.sql"
	if err := os.WriteFile(scriptPath, script, 0o644); err != nil {
		b.Fatal(err)
	}
	type result struct {
		out       string
		err       error
		tps       float64
		processed int
	}
	results := make([]result, len(bb.fs))
	cmds := make([]*exec.Cmd, len(bb.fs))
	for i, f := range bb.fs {
		var hash string
		if err := e.db.Owner.Raw(`select encode(token_hash, 'hex') from api_tokens where tenant_id = ? and subject_kind = 'customer' and subject_id = ?
			and revoked_at is null order by created_at desc limit 1`, f.Tenant.ID, f.CustomerID).Scan(&hash).Error; err != nil || len(hash) == 0 {
			b.Fatalf("customer token of %s: %v", f.Tenant.Slug, err)
		}
		var store string
		if err := e.db.Owner.Raw(`select id from stores where tenant_id = ? and territory is not null order by code limit 1`, f.Tenant.ID).Scan(&store).Error; err != nil {
			b.Fatal(err)
		}
		tpl, _ := customerQuote(e, f, f.CustomerToken, day0().Add(8*time.Hour))
		first := bb.firstDay(f)
		bb.cloneQuotes(f, tpl, run, count, first)
		loc := f.Tenant.Location()
		now := time.Now().In(loc)
		prefix := strings.ToUpper(f.Tenant.Slug[:2]) + now.Format("20060102") + "-"
		vars := map[string]string{"tenant": f.Tenant.ID.String(), "customer": f.CustomerID.String(), "subject": "customer:" + f.CustomerID.String(),
			"token_hash": `\x` + hash, "store": store, "package": f.PackageID.String(), "service": f.ServiceID.String(),
			"staff_arr": "{" + f.StaffID.String() + "}", "lng": fmt.Sprint(inTerritory.Lng), "lat": fmt.Sprint(inTerritory.Lat),
			"run": strconv.FormatInt(run, 10), "today": now.Format(time.DateOnly), "prefix": prefix, "day0": strconv.FormatInt(first.Unix(), 10),
			"n": "0", "cpt": strconv.Itoa(per)}
		args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(per), "-j", strconv.Itoa(jobs), "-T", strconv.Itoa(int(bb.dur.Seconds())), "-f", scriptPath}
		for k, v := range vars {
			args = append(args, "-D", k+"="+v)
		}
		args = append(args, strings.Fields(os.Getenv("DOORSTEP_BENCH_PGBENCH_ARGS"))...)
		args = append(args, e.db.AppURL)
		cmds[i] = exec.CommandContext(ctx, pgbench, args...)
	}
	var wg sync.WaitGroup
	w := bb.watchBackends()
	cpu0 := machineCPU()
	for i, cmd := range cmds {
		wg.Go(func() {
			out, err := cmd.CombinedOutput()
			results[i] = result{out: string(out), err: err}
		})
	}
	wg.Wait()
	cpu1 := machineCPU()
	pgCPU := w.stop()
	var clientCPU time.Duration
	for _, cmd := range cmds {
		if cmd.ProcessState != nil {
			clientCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}
	total, processed := 0.0, 0
	for i, r := range results {
		if r.err != nil {
			b.Fatalf("pgbench (tenant %s) failed: %v\n%s", bb.fs[i].Tenant.Slug, r.err, r.out)
		}
		m, p, fl := tpsRe.FindStringSubmatch(r.out), processedRe.FindStringSubmatch(r.out), failedRe.FindStringSubmatch(r.out)
		if m == nil || p == nil || (fl != nil && fl[1] != "0") {
			b.Fatalf("pgbench (tenant %s): no tps, or failed transactions, in its output:\n%s", bb.fs[i].Tenant.Slug, r.out)
		}
		tps, _ := strconv.ParseFloat(m[1], 64)
		n, _ := strconv.Atoi(p[1])
		total += tps
		processed += n
		if i == 0 && os.Getenv("DOORSTEP_BENCH_PGBENCH_ARGS") != "" {
			b.Logf("pgbench output (tenant %s):\n%s", bb.fs[i].Tenant.Slug, r.out)
		}
	}
	if got := bb.countOrders(run); got != processed {
		b.Fatalf("pgbench side: %d orders in the database, pgbench reports %d transactions", got, processed)
	}
	return side{rate: total, ops: processed, busyPct: cpu1.busyPct(cpu0), pgCPU: pgCPU, ownCPU: clientCPU}
}

// watchBackends follows the CPU time of the runtime role's backends on the benchmark database
// (the application's pool, or pgbench's connections) until stop, which returns their CPU time
// since the watch began. Backends that exit (pgbench's) count up to their last poll, 20 ms
// before at most. Zero where /proc is not readable or the server is on another machine.
func (bb *bookingBench) watchBackends() *backendWatch {
	w := &backendWatch{base: map[int]int64{}, last: map[int]int64{}, quit: make(chan struct{}), done: make(chan struct{})}
	for _, pid := range bb.backends() {
		if t, ok := procCPUTicks(pid); ok {
			w.base[pid], w.last[pid] = t, t
		}
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var pids []int
		for i := 0; ; i++ {
			if i%10 == 0 { // pgbench connects once; look for new backends now and then
				pids = bb.backends()
			}
			for _, pid := range pids {
				if t, ok := procCPUTicks(pid); ok {
					w.mu.Lock()
					w.last[pid] = t
					w.mu.Unlock()
				}
			}
			select {
			case <-w.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (bb *bookingBench) backends() []int {
	var pids []int
	_ = bb.e.db.Owner.Raw(`select pid from pg_stat_activity where datname = ? and usename = 'doorstep_app'`, bb.e.db.Name).Scan(&pids).Error
	return pids
}

type backendWatch struct {
	mu         sync.Mutex
	base, last map[int]int64 // clock ticks by pid
	quit, done chan struct{}
}

func (w *backendWatch) stop() time.Duration {
	close(w.quit)
	<-w.done
	var ticks int64
	for pid, t := range w.last {
		ticks += t - w.base[pid]
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ = 100
}

// statementLog records the SQL the application sends through gorm.
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) LogMode(logger.LogLevel) logger.Interface { return l }
func (l *statementLog) Info(context.Context, string, ...any)     {}
func (l *statementLog) Warn(context.Context, string, ...any)     {}
func (l *statementLog) Error(context.Context, string, ...any)    {}
func (l *statementLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	s, _ := fc()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, s)
}

var (
	tableRe = regexp.MustCompile(`(?i)\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)`)
	spaceRe = regexp.MustCompile(`\s+`)
)

// shape is what two statements must share to count as the same: the verb and every table
// (and CTE) named after from, into, update or join, in order. Literal values may differ.
func shape(sql string) string {
	sql = strings.ToLower(strings.TrimSpace(spaceRe.ReplaceAllString(sql, " ")))
	verb, _, _ := strings.Cut(sql, " ")
	out := []string{verb}
	for _, m := range tableRe.FindAllStringSubmatch(sql, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " ")
}

// scriptShapes reads a pgbench script's SQL commands (BEGIN and COMMIT left out: gorm's
// logger does not see them; database/sql sends them around each transaction).
func scriptShapes(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var body strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || strings.HasPrefix(t, `\set`) {
			continue
		}
		body.WriteString(strings.ReplaceAll(line, `\gset`, ";") + "\n")
	}
	var out []string
	for _, st := range strings.Split(body.String(), ";") {
		if sh := shape(st); sh != "" && sh != "begin" && sh != "commit" {
			out = append(out, sh)
		}
	}
	return out, nil
}

// checkScript books one visit through the API with every statement recorded, and fails
// unless the pgbench script runs the same statements in the same order, so that the script
// cannot silently drift from the code. The once-a-minute token touch (update api_tokens) is
// left out of both.
func checkScript(b *testing.B, e *env, f *fixture, path string) {
	want, err := scriptShapes(path)
	if err != nil {
		b.Fatal(err)
	}
	quote, _ := customerQuote(e, f, f.CustomerToken, day0().Add(9*time.Hour))
	rec := &statementLog{}
	g := e.app.DB.Gorm()
	g.Logger = rec
	doWithKey(e, "/api/v1/storefront/orders", f.CustomerToken, "bench-capture", map[string]any{"quote_id": quote, "address": "x"}).status(http.StatusCreated)
	g.Logger = logger.Discard
	var got []string
	for _, s := range rec.sql {
		if sh := shape(s); !strings.HasPrefix(sh, "update api_tokens") {
			got = append(got, sh)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		b.Fatalf("%s no longer runs what POST /api/v1/storefront/orders runs; update it from the statements below.\n"+
			"API (%d statements):\n%s\n\nscript (%d statements):\n%s\n\nAPI SQL:\n%s",
			path, len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"), strings.Join(rec.sql, ";\n"))
	}
	b.Logf("%s matches the %d statements of one API booking", path, len(got))
}

// cpuStat is the machine's CPU time from /proc/stat (zero where there is none), in clock ticks.
type cpuStat struct{ busy, total float64 }

func machineCPU() cpuStat {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var st cpuStat
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		if i >= 8 { // guest time is counted in user already
			break
		}
		st.total += x
		if i != 3 && i != 4 {
			st.busy += x
		}
	}
	return st
}

func (c cpuStat) busyPct(from cpuStat) float64 {
	return 100 * (c.busy - from.busy) / (c.total - from.total)
}

// busyMs is the busy CPU time since from in milliseconds (USER_HZ is 100 on Linux).
func (c cpuStat) busyMs(from cpuStat) float64 { return (c.busy - from.busy) * 10 }
