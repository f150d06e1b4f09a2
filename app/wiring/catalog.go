package wiring

import "github.com/danielgtaylor/huma/v2"

// wireCatalog builds the catalogue service and registers its API, then prices quotes
// against it (the pricing service needs the catalogue and the roster).
func (a *App) wireCatalog(api huma.API) {}
