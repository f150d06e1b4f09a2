// Package jobs owns background work: the task payload contract (every payload carries its
// tenant), the transactional outbox and the relay that moves it to asynq, the asynq ServeMux
// with its middleware (recover, logging, metrics, tenant restore), the server and scheduler
// configuration, and the platform's own periodic tasks. Domain task types live with their
// domain (e.g. notify:send in app/notify) and register themselves on the mux at wiring time.
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
