// Package jobs owns background work: the task payload contract (every payload carries its
// tenant), the transactional outbox and the relay that moves it to asynq, the asynq ServeMux
// with its middleware (recover, logging, metrics, tenant restore), the server and scheduler
// configuration, and the platform's own periodic tasks. Domain task types live with their
// domain (e.g. notify:send in app/notify) and register themselves on the mux at wiring time.
//
// PostgreSQL is the source of truth for work to do; Redis is a cache of what is due now. An
// outbox row stays open until its handler has finished (the mux closes it: CloseOutboxRows),
// delayed rows reach Redis only shortly before they are due (RelayOptions.Horizon), and the
// relay hands any row still open past its lease (RelayOptions.Lease) to asynq again under the
// same task id: a no-op while asynq holds the task, a re-enqueue when Redis lost it. Losing
// Redis therefore costs up to a lease of delay, never work; handlers are idempotent because a
// task may run more than once.
package jobs

import (
	"fmt"
	"regexp"

	"github.com/google/uuid"
)

// Payload is implemented by every task payload struct. TaskType names are "domain:action".
type Payload interface{ TaskType() string }

// Meta is embedded in every payload and carries the tenant the task runs as. Outbox.Add fills
// it from the transaction's context; Handle restores it into the handler's context.
type Meta struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// SetTenant sets the payload's tenant.
func (m *Meta) SetTenant(id uuid.UUID) { m.TenantID = id }

// Tenant returns the payload's tenant.
func (m Meta) Tenant() uuid.UUID { return m.TenantID }

// tenantSetter and tenantGetter are the halves of Meta that the outbox and Handle rely on.
type tenantSetter interface{ SetTenant(uuid.UUID) }
type tenantGetter interface{ Tenant() uuid.UUID }

var taskTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$`)

func checkTaskType(name string) error {
	if !taskTypePattern.MatchString(name) {
		return fmt.Errorf("jobs: task type %q is not \"domain:action\"", name)
	}
	return nil
}
