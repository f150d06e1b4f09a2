package rbac

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/google/uuid"
)

// tenantPolicy is one tenant's slot in the cache: the casbin enforcer built from the tenant's
// rows, replaced whole on every load so that checks never wait for one.
type tenantPolicy struct {
	id uuid.UUID

	// loadMu serialises the tenant's loads: two overlapping loads could otherwise apply an
	// older snapshot after a newer one. It also makes callers that find the tenant not yet
	// loaded wait for the one load in flight instead of each running their own.
	loadMu   sync.Mutex
	failedAt time.Time // of the last failed load while ce was nil; guarded by loadMu
	failErr  error     // guarded by loadMu

	ce    atomic.Pointer[casbin.Enforcer] // nil until the first load succeeds; read-only once stored
	loads atomic.Int64                    // successful loads, for tests
	ref   atomic.Bool                     // used since the clock hand last passed
}

// tenantCache holds at most max tenants' policies. Eviction is CLOCK (second chance), an
// approximation of LRU whose hit path is a read lock and an atomic flag rather than the list
// surgery under an exclusive lock that a strict LRU needs on every Allowed. A tenant evicted is
// simply loaded again from casbin_rule on its next check. (hashicorp/golang-lru is in the module
// graph only indirectly, and using it would add it to go.mod.)
type tenantCache struct {
	max int

	mu   sync.RWMutex
	byID map[uuid.UUID]*tenantPolicy
	ring []*tenantPolicy // the clock; len(ring) == len(byID)
	hand int
}

func newTenantCache(size int) *tenantCache {
	return &tenantCache{max: max(size, 1), byID: map[uuid.UUID]*tenantPolicy{}}
}

// get returns the tenant's slot, adding an empty one (and evicting another) if it has none.
func (c *tenantCache) get(id uuid.UUID) *tenantPolicy {
	c.mu.RLock()
	p := c.byID[id]
	c.mu.RUnlock()
	if p != nil {
		if !p.ref.Load() { // read first: most hits find it set and leave the cache line shared
			p.ref.Store(true)
		}
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.byID[id]; p != nil {
		p.ref.Store(true)
		return p
	}
	p = &tenantPolicy{id: id}
	p.ref.Store(true)
	c.byID[id] = p
	if len(c.ring) < c.max {
		c.ring = append(c.ring, p)
		return p
	}
	for {
		victim := c.ring[c.hand]
		if victim.ref.Swap(false) {
			c.hand = (c.hand + 1) % len(c.ring)
			continue
		}
		delete(c.byID, victim.id)
		c.ring[c.hand] = p
		c.hand = (c.hand + 1) % len(c.ring)
		return p
	}
}

// peek returns the tenant's slot if it is cached, without counting it as a use.
func (c *tenantCache) peek(id uuid.UUID) *tenantPolicy {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

// all returns the cached slots.
func (c *tenantCache) all() []*tenantPolicy {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*tenantPolicy, len(c.ring))
	copy(out, c.ring)
	return out
}

func (c *tenantCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.ring)
}
