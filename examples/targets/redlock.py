#!/usr/bin/env python3
"""A splitbrain candidate (PROTOCOL.md, version 1): Redlock, as antirez published it on redis.io.

N independent Redis masters; the lock is one key with a random value of this holder's.
- Acquire: take the start time (monotonic), then on each master in turn `SET key value NX PX ttl`
  with a socket timeout far below the ttl (a master that does not answer is skipped). The lock
  is held when a majority (N/2 + 1) said OK and time is left: validity = ttl − elapsed − drift,
  drift = ttl × 0.01 + 2 ms (the clock drift allowance). Otherwise release it everywhere and try
  again after a random delay.
- Extend: every ttl/3, a Lua script sets a new expiry on each master where the key still holds
  our value; the lock is held anew only if a majority extended within the validity. A failed
  extension does not end the lock at once: the validity of the last success still runs.
- Release: a Lua script deletes the key on each master where it still holds our value.
The holder leads until its validity ends by its own monotonic clock.

    redlock.py HOST:PORT,HOST:PORT,…            no fencing token ({"token": null})
    redlock.py HOST:PORT,… --token majority     a counter kept on a majority (see below)

Redlock itself gives no token. `--token majority` adds one at each acquisition: read the
counter from every master, take the highest a majority answered, and write it plus one back to
a majority (a Lua max, so no master's counter goes down). Any two majorities share a master, so
the token rises from holder to holder while the masters remember; a master restarted without
its data breaks that (README, Findings).
"""
import json
import os
import random
import sys
import threading
import time

import redis

KEY = "splitbrain:redlock"
COUNTER = "splitbrain:redlock:token"
SAY = threading.Lock()

EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
RAISE_TO = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > now then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


def say(**message):
    # stdout is a pipe: flush each line; two threads report, so one lock and one write per line.
    with SAY:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def log(text):
    print(f"{os.environ.get('SPLITBRAIN_NODE')}: {text}", file=sys.stderr, flush=True)


class Masters:
    """The N masters, each asked in turn; an error or a timeout counts as no."""

    def __init__(self, addrs, ttl_ms):
        # antirez: a timeout small against the ttl, so a dead master costs little of it.
        timeout = min(0.05, ttl_ms / 1000 / 20)
        self.all = [self.connect(a, timeout) for a in addrs]
        self.quorum = len(self.all) // 2 + 1

    @staticmethod
    def connect(addr, timeout):
        host, port = addr.rsplit(":", 1)
        return redis.Redis(host=host, port=int(port), socket_timeout=timeout,
                           socket_connect_timeout=timeout)

    def each(self, call):
        """`call(master)` on every master; the answers of those that gave one."""
        answers = []
        for m in self.all:
            try:
                answers.append(call(m))
            except redis.exceptions.RedisError:
                pass
        return answers


class Redlock:
    def __init__(self, masters, ttl_ms, token_kind):
        self.m = masters
        self.ttl_ms = ttl_ms
        self.drift = ttl_ms * 0.01 + 2
        self.token_kind = token_kind
        self.value = None
        self.valid_until = 0.0  # monotonic seconds
        self.lock = threading.Lock()
        self.token = None
        self.leading = False

    def validity(self, start, count):
        """Seconds of validity left after a round begun at `start` that `count` masters won."""
        left_ms = self.ttl_ms - (time.monotonic() - start) * 1000 - self.drift
        return left_ms / 1000 if count >= self.m.quorum and left_ms > 0 else None

    def acquire(self):
        value = f"{os.environ.get('SPLITBRAIN_NODE')}:{random.getrandbits(64):016x}"
        start = time.monotonic()
        won = self.m.each(lambda r: r.set(KEY, value, nx=True, px=self.ttl_ms))
        left = self.validity(start, sum(1 for ok in won if ok))
        if left is None:
            self.m.each(lambda r: r.eval(RELEASE, 1, KEY, value))
            return False
        self.value, self.valid_until = value, start + left
        return True

    def extend(self):
        start = time.monotonic()
        won = self.m.each(lambda r: r.eval(EXTEND, 1, KEY, self.value, self.ttl_ms))
        left = self.validity(start, sum(1 for n in won if n == 1))
        if left is not None:
            self.valid_until = max(self.valid_until, start + left)

    def release(self):
        if self.value is not None:
            self.m.each(lambda r: r.eval(RELEASE, 1, KEY, self.value))
        self.value = None

    def next_token(self):
        """The majority counter (module doc), or None when it cannot be had in time."""
        seen = self.m.each(lambda r: int(r.get(COUNTER) or 0))
        if len(seen) < self.m.quorum:
            return None
        token = max(seen) + 1
        acked = self.m.each(lambda r: r.eval(RAISE_TO, 1, COUNTER, token))
        return token if len(acked) >= self.m.quorum else None

    def believes(self):
        with self.lock:
            return self.leading and time.monotonic() < self.valid_until

    def lead(self):
        """Holds the lock while its validity runs; extends it every ttl/3."""
        token = self.next_token() if self.token_kind == "majority" else None
        if self.token_kind == "majority" and token is None:
            self.release()
            return
        with self.lock:
            self.leading, self.token = True, token
        say(type="elected", token=token)
        while True:
            next_extend = time.monotonic() + self.ttl_ms / 3000
            time.sleep(max(0.0, min(next_extend, self.valid_until) - time.monotonic()))
            if time.monotonic() >= self.valid_until:
                break
            self.extend()
        self.step_down("validity ended")

    def step_down(self, reason):
        with self.lock:
            was, self.leading = self.leading, False
        if was:
            say(type="stepdown", token=self.token, reason=reason)
        self.release()


def answer(lock):
    """Confirms from belief: Redlock has no read of the lock that proves more."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        ok = lock.believes()
        say(type="confirm_ok" if ok else "confirm_fail", id=request.get("id"))
    lock.step_down("end of run")
    os._exit(0)


def main():
    addrs = sys.argv[1].split(",")
    token_kind = sys.argv[3] if sys.argv[2:3] == ["--token"] else None
    ttl_ms = int(os.environ.get("SPLITBRAIN_LEASE_MS", "2000"))
    lock = Redlock(Masters(addrs, ttl_ms), ttl_ms, token_kind)
    threading.Thread(target=answer, args=(lock,), daemon=True).start()
    while True:
        if lock.acquire():
            lock.lead()
        # antirez: retry after a random delay, so that candidates do not keep splitting votes.
        time.sleep(random.uniform(0.05, 0.2))


if __name__ == "__main__":
    main()
