#!/usr/bin/env bash
# Starts stripe-mock in the background on 127.0.0.1:12111 (HTTP) unless something already answers
# there, installing it first where missing (tools.sh), and prints
#
#     export STRIPE_MOCK_URL=http://127.0.0.1:12111
#
# on stdout; everything else goes to stderr. Usage: stripe-mock.sh [up|stop]
# Environment: STRIPE_MOCK_PORT (default 12111; HTTPS gets the next port), DOORSTEP_DEV_DIR.
set -euo pipefail
exec 3>&1 1>&2 # only the export line goes to the real stdout (fd 3)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV_DIR=${DOORSTEP_DEV_DIR:-$REPO/.dev}
PORT=${STRIPE_MOCK_PORT:-12111}
URL=http://127.0.0.1:$PORT
PIDFILE=$DEV_DIR/stripe-mock-$PORT.pid
LOGFILE=$DEV_DIR/stripe-mock-$PORT.log

log() { printf 'stripe-mock: %s\n' "$*" >&2; }

answers() { # true if an HTTP server answers on the port
  (
    exec 5<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
    printf 'GET /v1/customers HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&5
    IFS= read -r -t 2 line <&5 || exit 1
    [[ $line == HTTP/* ]]
  ) 2>/dev/null
}

our_pid() { # the pid of the stripe-mock this script started, if it still runs
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && grep -qa stripe-mock "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

up() {
  if ! answers; then
    "$REPO/deploy/dev/tools.sh" stripe-mock || { log "stripe-mock is not installed"; exit 1; }
    local bin
    bin=$(go env GOPATH)
    bin=${bin%%:*}/bin/stripe-mock
    mkdir -p "$DEV_DIR"
    log "starting $bin on 127.0.0.1:$PORT (log $LOGFILE)"
    # Every descriptor above 2 is closed first, so the server keeps none of ours: not our real
    # stdout (a caller's `$(...)` would never see EOF), nor make's or CI's pipes. setsid: it
    # outlives make and ignores its Ctrl-C. (One subshell that execs, so $! is stripe-mock.)
    (
      for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
      done
      exec setsid "$bin" -http-addr "127.0.0.1:$PORT" -https-addr "127.0.0.1:$((PORT + 1))"
    ) </dev/null >>"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
      answers && break
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 5 "$LOGFILE" >&2; rm -f "$PIDFILE"; exit 1; }
      sleep 0.2
    done
    answers || { log "stripe-mock did not answer on port $PORT"; stop; exit 1; }
  fi
  printf 'export STRIPE_MOCK_URL=%s\n' "$URL" >&3
}

stop() {
  local pid
  if pid=$(our_pid); then
    log "stopping stripe-mock (pid $pid)"
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

case ${1:-up} in
  up) up ;;
  stop) stop ;;
  *) log "usage: $0 [up|stop]"; exit 2 ;;
esac
