#!/usr/bin/env python3
"""A splitbrain candidate (PROTOCOL.md, version 1): leads while it holds a redis-py Lock.

The lock is used as redis-py's documentation shows it: ``r.lock(name, timeout=…)``,
``acquire(blocking=True, blocking_timeout=…)``, renewed with ``reacquire()`` while leading,
``thread_local=False`` because the confirming thread checks the same lock.

    redis_lock.py HOST:PORT            no fencing token ({"token": null})
    redis_lock.py HOST:PORT --fenced   token = INCR of a counter at each acquisition
"""
import json
import os
import sys
import threading
import time

import redis

LOCK = "splitbrain:leader"
COUNTER = "splitbrain:token"


SAY = threading.Lock()


def say(**message):
    # stdout is a pipe: without the flush Python holds the line in its buffer. Two threads say
    # things, and print() writes the text and its newline apart: one lock, one write per line.
    with SAY:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def answer(lock, leading):
    """Answers splitbrain's confirmation requests: still ours by a GET of the lock."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        try:
            ok = leading.is_set() and lock.owned()
        except redis.exceptions.RedisError:
            ok = False
        say(type="confirm_ok" if ok else "confirm_fail", id=request.get("id"))


def lead(r, lock, leading, fenced, ttl):
    """Holds the lock until a renewal fails; returns why."""
    token = r.incr(COUNTER) if fenced else None
    say(type="elected", token=token)
    leading.set()
    try:
        while True:
            time.sleep(ttl / 3)
            lock.reacquire()
    except redis.exceptions.LockError:
        reason = "lock lost"
    except redis.exceptions.RedisError as e:
        reason = f"redis error: {type(e).__name__}"
    leading.clear()
    say(type="stepdown", token=token, reason=reason)


def main():
    host, port = sys.argv[1].split(",")[0].rsplit(":", 1)
    fenced = "--fenced" in sys.argv[2:]
    ttl = int(os.environ.get("SPLITBRAIN_LEASE_MS", "2000")) / 1000
    r = redis.Redis(host=host, port=int(port), socket_timeout=0.25, socket_connect_timeout=0.25)
    lock = r.lock(LOCK, timeout=ttl, thread_local=False)
    leading = threading.Event()
    threading.Thread(target=answer, args=(lock, leading), daemon=True).start()
    while True:
        try:
            if lock.acquire(blocking=True, blocking_timeout=1):
                lead(r, lock, leading, fenced, ttl)
        except redis.exceptions.RedisError as e:
            print(f"{os.environ.get('SPLITBRAIN_NODE')}: {e}", file=sys.stderr, flush=True)
            time.sleep(0.2)


if __name__ == "__main__":
    main()
