// Package gatewaytest holds test doubles for the payment gateway: FaultyTransport injects
// timeouts into the HTTP calls a real gateway makes, to prove retries are safe. Only tests
// import it.
package gatewaytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
)

// FaultyTransport is an http.RoundTripper for tests that makes a share of calls time out. Half
// of the faults happen before the request is sent (the processor never saw it); the other half
// after the response came back (the processor did the work, the caller never learns it) — the
// case that makes retries dangerous without idempotency keys. It records, per idempotency key
// and path, how many requests reached the processor, so a test can show that every retry of one
// logical operation reused one key.
type FaultyTransport struct {
	Base http.RoundTripper
	Rate float64 // share of calls that fail, 0–1

	mu      sync.Mutex
	rnd     *rand.Rand
	reached map[string]int // "POST /v1/refunds key" → requests that reached the processor
	faults  int
	calls   int
}

// NewFaultyTransport returns a transport failing rate of calls, drawn from seed.
func NewFaultyTransport(base http.RoundTripper, rate float64, seed uint64) *FaultyTransport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &FaultyTransport{Base: base, Rate: rate, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), reached: map[string]int{}}
}

// errInjected looks like a client timeout to the caller.
type errInjected struct{ after bool }

func (e errInjected) Error() string {
	if e.after {
		return "injected timeout after the processor answered"
	}
	return "injected timeout before the request was sent"
}
func (errInjected) Timeout() bool   { return true }
func (errInjected) Temporary() bool { return true }

// IsInjected reports whether err is a fault this transport made.
func IsInjected(err error) bool { var e errInjected; return errors.As(err, &e) }

// RoundTrip implements http.RoundTripper.
func (f *FaultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.calls++
	fail := f.rnd.Float64() < f.Rate
	before := fail && f.rnd.IntN(2) == 0
	if fail {
		f.faults++
	}
	f.mu.Unlock()
	if before {
		return nil, errInjected{}
	}
	resp, err := f.Base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.reached[fmt.Sprintf("%s %s %s", req.Method, req.URL.Path, req.Header.Get("Idempotency-Key"))]++
	f.mu.Unlock()
	if fail {
		resp.Body.Close()
		return nil, errInjected{after: true}
	}
	return resp, nil
}

// Reached returns how many requests reached the processor per "METHOD path key".
func (f *FaultyTransport) Reached() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.reached))
	for k, v := range f.reached {
		out[k] = v
	}
	return out
}

// Stats returns the number of calls and of injected faults.
func (f *FaultyTransport) Stats() (calls, faults int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.faults
}
