#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster on a loopback port, then stops and removes it,
# even when the command fails. Exports FAILSMALL_PG_URL for the command.
#
#   scripts/with-postgres.sh npm test
#
# Needs PostgreSQL's server binaries (initdb, pg_ctl). On Debian, as root, it installs them with
# apt-get when they are missing. initdb refuses to run as root, so as root the cluster runs as the
# unprivileged user `postgres` (created if missing). When no server can be had, the command runs
# anyway without FAILSMALL_PG_URL: the PostgreSQL test cases then report themselves as skipped.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

find_bin() {
  local name="$1" dir
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return 0
  fi
  for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    if [ -x "$dir/$name" ]; then
      echo "$dir/$name"
      return 0
    fi
  done
  return 1
}

if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "with-postgres: installing PostgreSQL (apt-get)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql) >&2 ||
      echo "with-postgres: apt-get install postgresql failed" >&2
  fi
fi

INITDB="$(find_bin initdb || true)"
PG_CTL="$(find_bin pg_ctl || true)"
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "with-postgres: PostgreSQL is not available, and CI must run the PostgreSQL store tests" >&2
    exit 1
  fi
  echo "with-postgres: PostgreSQL is not available; running without it (its test cases will be skipped)" >&2
  exec "$@"
fi

# As root, run the server as an unprivileged user.
as_pg=()
owner="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || useradd -r -m "$owner"
  if command -v runuser >/dev/null 2>&1; then as_pg=(runuser -u "$owner" --); else as_pg=(su "$owner" -s /bin/sh -c); fi
fi
run_pg() {
  if [ "${#as_pg[@]}" -eq 0 ]; then
    "$@"
  elif [ "${as_pg[0]}" = runuser ]; then
    "${as_pg[@]}" "$@"
  else
    "${as_pg[@]}" "$(printf '%q ' "$@")"
  fi
}

workdir="$(mktemp -d "${TMPDIR:-/tmp}/failsmall-pg.XXXXXX")"
chmod 755 "$workdir"
data="$workdir/data"
mkdir -p "$data" "$workdir/sock"
[ "$owner" = "$(id -un)" ] || chown -R "$owner" "$workdir"

# A free loopback port, chosen by the OS.
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"

started=0
cleanup() {
  local status=$?
  if [ "$started" -eq 1 ]; then
    run_pg "$PG_CTL" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_pg "$INITDB" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$workdir/initdb.log" 2>&1 || {
  cat "$workdir/initdb.log" >&2
  echo "with-postgres: initdb failed" >&2
  exit 1
}
started=1
if ! run_pg "$PG_CTL" -D "$data" -l "$workdir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null; then
  cat "$workdir/server.log" >&2 || true
  echo "with-postgres: the server did not start" >&2
  exit 1
fi

export FAILSMALL_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port (FAILSMALL_PG_URL=$FAILSMALL_PG_URL)" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
