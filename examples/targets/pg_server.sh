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
set -eu
data=$1 addr=$2 port=$3 keepalive=$4
pg=/usr/lib/postgresql/15/bin
as_nobody="unshare --user --map-user=65534 --map-group=65534"
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
  -c log_connections=on -c log_disconnections=on "$@"
