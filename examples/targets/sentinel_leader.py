#!/usr/bin/env python3
"""A splitbrain candidate (PROTOCOL.md, version 1): leads while its own Redis is the master.

The usual way to run "the node with the Redis master does the work" under Redis Sentinel: every
100 ms ask this node's Redis `INFO replication` and this node's Sentinel `SENTINEL MASTER`; lead
while the Redis says `role:master` and the Sentinel names this node's address as the master.
The token is the Sentinel's `config-epoch` of the master: each failover that a majority of the
sentinels authorises raises it.

    sentinel_leader.py REDIS_HOST:PORT SENTINEL_HOST:PORT [--writable]

`--writable` (the mitigated form, with `min-replicas-to-write` on the masters): also write a
probe key to the own Redis each round, and lead only while that write is accepted. A master cut
off from its replicas refuses writes once they lag past `min-replicas-max-lag` (NOREPLICAS),
and then this candidate steps down.

With `register = true` in the target file (PROTOCOL.md §9) the clients' register is a key of
this node's Redis: a `write` request is a `SET`, a `read` a `GET`, as Sentinel's clients use the
master they were pointed to. An error reply is a definite failure; no reply, an unknown outcome.
"""
import json
import os
import sys
import threading
import time

import redis

MASTER = "mymaster"
PROBE = "splitbrain:probe"
REGISTER = "splitbrain:register"
SAY = threading.Lock()


def say(**message):
    # stdout is a pipe: flush each line; two threads report, so one lock and one write per line.
    with SAY:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def client(addr):
    host, port = addr.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port), socket_timeout=0.2, socket_connect_timeout=0.2)


class Candidate:
    def __init__(self, own, sentinel, writable):
        self.own, self.sentinel, self.writable = own, sentinel, writable
        self.addr = os.environ["SPLITBRAIN_ADDR"]
        self.token = None  # the config-epoch this candidate leads under; None: not leading
        self.lock = threading.Lock()

    def look(self):
        """The epoch this node leads under now, or (None, why not)."""
        role = self.own.info("replication").get("role")
        if role != "master":
            return None, f"role:{role}"
        raw = self.sentinel.execute_command("SENTINEL", "MASTER", MASTER)
        fields = dict(zip(raw[::2], raw[1::2]))
        if fields.get(b"ip", b"").decode() != self.addr:
            return None, "sentinel names another master"
        if self.writable:
            self.own.set(PROBE, os.environ.get("SPLITBRAIN_NODE", "?"))
        return int(fields[b"config-epoch"]), None

    def round(self):
        try:
            epoch, why = self.look()
        except redis.exceptions.ResponseError as e:
            epoch, why = None, str(e).split(" ")[0]  # NOREPLICAS, READONLY, …
        except redis.exceptions.RedisError as e:
            epoch, why = None, f"redis error: {type(e).__name__}"
        with self.lock:
            if epoch is None and self.token is not None:
                say(type="stepdown", token=self.token, reason=why)
            elif epoch is not None and epoch != self.token:
                say(type="elected", token=epoch)
            self.token = epoch

    def leading(self, token):
        with self.lock:
            return self.token is not None and self.token == token


def register(own, request):
    """A client's write or read of the register, on this node's Redis."""
    kind, rid = request["type"], request.get("id")
    try:
        if kind == "write":
            own.set(REGISTER, json.dumps(request.get("value")))
            say(type="write_ok", id=rid)
        else:
            raw = own.get(REGISTER)
            say(type="read_ok", id=rid, value=None if raw is None else json.loads(raw))
    except redis.exceptions.ResponseError as e:
        say(type=f"{kind}_fail", id=rid, error=str(e).split(" ")[0])
    except redis.exceptions.RedisError:
        pass  # no answer: the outcome is unknown


def answer(candidate):
    """Confirms from the last round's look (at most 100 ms old); serves register requests."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if request.get("type") in ("write", "read"):
            register(candidate.own, request)
            continue
        ok = candidate.leading(request.get("token"))
        say(type="confirm_ok" if ok else "confirm_fail", id=request.get("id"))
    os._exit(0)


def main():
    own, sentinel = client(sys.argv[1]), client(sys.argv[2])
    candidate = Candidate(own, sentinel, "--writable" in sys.argv[3:])
    threading.Thread(target=answer, args=(candidate,), daemon=True).start()
    while True:
        candidate.round()
        time.sleep(0.1)


if __name__ == "__main__":
    main()
