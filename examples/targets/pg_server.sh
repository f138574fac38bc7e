#!/bin/sh
# One PostgreSQL 15 server for the pg-advisory targets: initdb on first start, then postgres
# in the foreground, exec'd so the node owns the server's process (pause and kill reach the
# postmaster; each backend is in a session of its own, as PostgreSQL makes them).
#
#   pg_server.sh DATA ADDR PORT KEEPALIVE
#
# KEEPALIVE: the server's tcp_keepalives_idle and _interval in seconds (count 2), and its
# tcp_user_timeout 3 x KEEPALIVE (keepalives are not sent while an answer to the client is
# still unacknowledged: then only the user timeout ends the connection), so a session whose
# client is cut off is dropped after about 3 x KEEPALIVE s. 0 keeps the kernel's defaults
# (idle: 7200 s, then 9 probes 75 s apart; an answer in flight: 15 retransmissions, about
# 15 minutes): a cut-off client's session, and its locks, are kept for minutes to hours.
#
# initdb and postgres refuse to run as root, and the sandbox's user is root (uid 0, or uid 0
# of its own user namespace without root): both run in a nested user namespace as nobody
# (65534), which maps back to the sandbox's user, so the data folder it made is theirs. The
# network namespace stays the node's.
#
# Dynamic shared memory lives in files of the data folder (mmap), not in /dev/shm: a killed
# server cannot remove its segments, and /dev/shm outlives the run.
set -eu
data=$1 addr=$2 port=$3 keepalive=$4
pg=/usr/lib/postgresql/15/bin
as_nobody="unshare --user --map-user=65534 --map-group=65534"
mkdir -p "$data"
db=$(cd "$data" && pwd -P)/db

# The pids of processes whose working folder is this server's data folder: every postgres
# process works there, and nothing else does.
of_this_server() {
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/cwd" 2>/dev/null)" = "$db" ] && echo "${p#/proc/}"
  done
  return 0
}

# A kill of the node reaches the postmaster but not its backends (each in a session of its
# own): a backend that survives keeps the old shared memory attached, and the new postmaster
# refuses to start beside it ("pre-existing shared memory block is still in use"). Kill what
# is left of the old server first (bounded: 5 s).
for _ in $(seq 50); do
  left=$(of_this_server)
  [ -z "$left" ] && break
  echo "pg_server.sh: killing what is left of the old server:" $left >&2
  kill -KILL $left 2>/dev/null || true
  sleep 0.1
done
if [ ! -f "$data/db/PG_VERSION" ]; then
  rm -rf "$data/db"
  $as_nobody $pg/initdb -D "$data/db" -U splitbrain --auth=trust -N >"$data/initdb.log" 2>&1
  # The node network is the sandbox's own (no route out): the candidates' nodes may connect.
  echo "host postgres splitbrain all trust" >>"$data/db/pg_hba.conf"
fi
set -- -c tcp_keepalives_idle=0
[ "$keepalive" -gt 0 ] && set -- -c "tcp_keepalives_idle=$keepalive" \
  -c "tcp_keepalives_interval=$keepalive" -c tcp_keepalives_count=2 \
  -c "tcp_user_timeout=$((keepalive * 3000))"
exec $as_nobody $pg/postgres -D "$data/db" -c "listen_addresses=$addr" -p "$port" \
  -c unix_socket_directories= -c max_connections=40 -c shared_buffers=16MB \
  -c log_connections=on -c log_disconnections=on -c dynamic_shared_memory_type=mmap "$@"
