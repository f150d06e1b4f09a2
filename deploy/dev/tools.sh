#!/usr/bin/env bash
# Installs the development tools the tests use, where missing:
#   stripe-mock  Stripe's API mock, from the Go module proxy, into $(go env GOPATH)/bin
#   cc           a C compiler (gcc from Debian's packages), which `go test -race` needs
#   pgbench      PostgreSQL's pgbench, which `make bench` compares the booking API with: from
#                postgresql-client where Debian ships it there, else (Debian 12 and older keep it
#                in the server package) from postgresql-$PG_MAJOR, the version services.sh uses
#
# Usage: tools.sh [stripe-mock|cc|pgbench]...   (no argument: all of them)
# Exits non-zero if any tool could not be installed; callers decide whether that is fatal.
set -euo pipefail

STRIPE_MOCK_VERSION=v0.203.0
PG_MAJOR=${DOORSTEP_PG_MAJOR:-15}

log() { printf 'tools: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

gobin() {
  local gopath
  gopath=$(go env GOPATH)
  printf '%s/bin\n' "${gopath%%:*}"
}

install_stripe_mock() {
  local bin
  bin=$(gobin)
  [ -x "$bin/stripe-mock" ] && return 0
  log "installing github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION into $bin"
  # From / so that no go.mod around us is consulted or touched.
  (cd / && GOBIN=$bin go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION") >&2
}

install_cc() {
  if have cc || have gcc; then return 0; fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  log "installing gcc (go test -race needs cgo)"
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  "${apt[@]}" install -y --no-install-recommends gcc libc6-dev >&2 ||
    { "${apt[@]}" update -q >&2 && "${apt[@]}" install -y --no-install-recommends gcc libc6-dev >&2; }
}

# pgbench_works: /usr/bin/pgbench is Debian's pg_wrapper, present with any client package
# even when no pgbench binary is installed, so only running it tells.
pgbench_works() { pgbench --version >/dev/null 2>&1; }

install_pgbench() {
  pgbench_works && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  apt_get_install() {
    "${apt[@]}" install -y --no-install-recommends "$@" >&2 ||
      { "${apt[@]}" update -q >&2 && "${apt[@]}" install -y --no-install-recommends "$@" >&2; }
  }
  log "installing pgbench (postgresql-client)"
  apt_get_install postgresql-client && pgbench_works && return 0
  log "postgresql-client has no pgbench here; installing postgresql-$PG_MAJOR, which does"
  apt_get_install "postgresql-$PG_MAJOR" && pgbench_works
}

[ $# -gt 0 ] || set -- stripe-mock cc pgbench
failed=()
for tool in "$@"; do
  case $tool in
    stripe-mock) install_stripe_mock || failed+=("$tool") ;;
    cc) install_cc || failed+=("$tool") ;;
    pgbench) install_pgbench || failed+=("$tool") ;;
    *) log "unknown tool: $tool"; failed+=("$tool") ;;
  esac
done
if [ ${#failed[@]} -gt 0 ]; then
  log "could not install: ${failed[*]}"
  exit 1
fi
