# Doorstep developer entry points; see README.md. Recipes run in bash with -eu -o pipefail.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
PKGS      ?= ./...
TESTFLAGS ?=
BENCH     ?= .
SERVICES  := deploy/dev/services.sh

# Prefixes for a recipe line: export DATABASE_URL and REDIS_URL from services.sh (starting private
# servers if need be; fails the line if it fails), and STRIPE_MOCK_URL from stripe-mock.sh (installing
# and starting it if need be; the payment tests need it, so its failure fails the line too).
WITH_SERVICES = services_env="$$($(SERVICES))"; eval "$$services_env";
# The same, with DATABASE_URL naming the application's database (created by `doorstep dev`)
# rather than the maintenance database tests clone from; a DATABASE_URL you set is kept.
WITH_APP_DB = services_env="$$(DOORSTEP_DATABASE=doorstep $(SERVICES))"; eval "$$services_env";
WITH_STRIPE_MOCK = stripe_env="$$(deploy/dev/stripe-mock.sh)"; eval "$$stripe_env";
# -race needs cgo, and cgo a C compiler; without one the tests still run, without -race.
RACE = race=-race; if [ "$$($(GO) env CGO_ENABLED)" != 1 ]; then race=; \
    echo 'WARNING: cgo is off (no C compiler?); running tests without -race' >&2; fi;

.PHONY: help dev test test-short bench build migrate lint-sql fmt clean services stop

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

dev: ## API, console, storefront, worker and scheduler on http://localhost:8080, migrated and seeded
	@$(WITH_APP_DB) $(WITH_STRIPE_MOCK) STRIPE_API_URL="$${STRIPE_API_URL:-$$STRIPE_MOCK_URL}" \
	STRIPE_WEBHOOK_SECRET="$${STRIPE_WEBHOOK_SECRET:-whsec_doorstep_dev}" exec $(GO) run ./cmd/doorstep dev

test: ## go vet, then every test with -race against real PostgreSQL and Redis (what CI runs)
	@deploy/dev/tools.sh cc || true
	@$(WITH_SERVICES) $(WITH_STRIPE_MOCK) $(RACE) \
	echo "+ $(GO) vet $(PKGS)"; $(GO) vet $(PKGS); \
	echo "+ $(GO) test $$race -count=1 -timeout 50m $(TESTFLAGS) $(PKGS)"; \
	$(GO) test $$race -count=1 -timeout 50m $(TESTFLAGS) $(PKGS)

test-short: ## quick tests: -short, no -race, no vet
	@$(WITH_SERVICES) $(GO) test -short -count=1 $(TESTFLAGS) $(PKGS)

bench: ## benchmarks (figures go in README.md's Performance section)
	@deploy/dev/tools.sh pgbench || echo 'WARNING: no pgbench; BenchmarkBookingThroughput will fail' >&2
	@$(WITH_SERVICES) $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(TESTFLAGS) $(PKGS)

build: ## bin/doorstep
	$(GO) build -o bin/doorstep ./cmd/doorstep

migrate: ## apply pending migrations to DATABASE_URL
	@$(WITH_APP_DB) $(GO) run ./cmd/doorstep migrate up

lint-sql: ## lint migrations with squawk (needs npx and the npm registry; not part of test)
	npx --yes squawk-cli@latest migrations/*.sql

fmt: ## gofmt the code
	$(GO) fmt $(PKGS)

services: ## print the export lines for PostgreSQL and Redis (eval "$(make -s services)")
	@$(SERVICES)

stop: ## stop the private PostgreSQL, Redis and stripe-mock started for this checkout
	@deploy/dev/stripe-mock.sh stop
	@$(SERVICES) stop

clean: ## stop private services and remove .dev and bin
	@deploy/dev/stripe-mock.sh stop || true
	@$(SERVICES) purge || true
	rm -rf .dev bin
