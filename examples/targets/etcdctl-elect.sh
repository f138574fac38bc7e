#!/bin/sh
# A splitbrain candidate (PROTOCOL.md, version 1) that is nothing but `etcdctl elect`.
#   $1: the etcd endpoints, host:port,host:port,…
# Leads while `etcdctl elect` holds the election; token = the create revision of the key it
# campaigned with; confirms a read by finding that key still in etcd (a linearizable get).
set -u
endpoints=$1
held="$SPLITBRAIN_DATA/leader-key"
rm -f "$held"
ctl() { etcdctl --endpoints="$endpoints" --dial-timeout=1s --command-timeout=1s "$@"; }

# splitbrain's confirmation requests arrive on stdin, one JSON line each.
answer() {
  while read -r request; do
    id=$(printf '%s\n' "$request" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
    [ -n "$id" ] || continue
    key=$(cat "$held" 2>/dev/null)
    if [ -n "$key" ] && [ -n "$(ctl get "$key" --print-value-only 2>/dev/null)" ]; then
      echo "{\"type\":\"confirm_ok\",\"id\":$id}"
    else
      echo "{\"type\":\"confirm_fail\",\"id\":$id}"
    fi
  done
}
# A background job's stdin is /dev/null in sh unless redirected: give it the real one.
exec 3<&0
answer <&3 &

while :; do
  # `etcdctl elect` prints the leader key and the proposal once elected, then holds the
  # election until its session ends; dash's echo is one write(2), so each line goes at once.
  etcdctl --endpoints="$endpoints" elect splitbrain "$SPLITBRAIN_NODE" | {
    read -r key || exit 0
    token=$(ctl get "$key" -w json | sed -n 's/.*"create_revision":\([0-9]*\).*/\1/p')
    if [ -z "$token" ]; then
      echo "the key $key vanished before its revision was read" >&2
      exit 0
    fi
    printf '%s\n' "$key" > "$held"
    echo "{\"type\":\"elected\",\"token\":$token}"
    cat > /dev/null
  }
  if [ -s "$held" ]; then
    rm -f "$held"
    echo '{"type":"stepdown","token":null,"reason":"etcdctl elect ended"}'
  fi
  sleep 0.5
done
