#!/usr/bin/env python3
"""A splitbrain candidate (PROTOCOL.md, version 1): leads while its session holds a PostgreSQL
advisory lock, ``pg_try_advisory_lock(K)``, in psycopg2.

The usual recipe (a scheduler or migration runner that must run once): open a session, try the
lock until it is ours, then act while the session seems alive. The lock is taken once; nothing
is asked before each action. The session "seems alive" until the server closes it (the socket
turns readable and psycopg2 reports the connection gone); a server cut off from us never says
so, and libpq's keepalives run at the kernel's defaults (two hours idle).

    pg_advisory.py HOST:PORT             the usual recipe; confirms answered from belief
    pg_advisory.py HOST:PORT --check     the holder checks its lock with a query on its
                                         session before each write (confirm_writes = true),
                                         bounded in time, and drops a session that does not
                                         answer; libpq keepalives and tcp_user_timeout short
    … --keepalives                       libpq keepalives and tcp_user_timeout as short as
                                         the server's, so a cut-off holder finds out in ~3 s
                                         (implied by --check)
    … --token                            token = nextval of a sequence, taken with the lock

One thread: a select() over stdin and the session's socket, so a confirmation is answered in
the order it came and the session is never used by two callers at once.
"""
import json
import os
import select
import sys
import time

import psycopg2
import psycopg2.extensions as ext

KEY = 727001  # the advisory lock's key, K
SEQUENCE = "splitbrain_token"
CHECK_S = 0.2  # a check query's bound: under splitbrain's 300 ms confirmation timeout
RETRY_S = 0.25  # how often a follower tries the lock
CHECK = f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {KEY} AND pid = pg_backend_pid() AND granted"  # noqa: E501


def say(**message):
    # stdout is a pipe: one write and a flush per line.
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def log(text):
    print(f"{os.environ.get('SPLITBRAIN_NODE')}: {text}", file=sys.stderr, flush=True)


class Late(Exception):
    """The server did not answer within the bound."""

    def __str__(self):
        return "no answer from the server in time"


class Session:
    """One asynchronous psycopg2 connection, so every wait on the server has a bound."""

    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn, async_=True)
        self.wait(time.monotonic() + 1.0)

    def fileno(self):
        return self.conn.fileno()

    def wait(self, deadline):
        while True:
            state = self.conn.poll()
            if state == ext.POLL_OK:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise Late()
            if state == ext.POLL_READ:
                select.select([self.conn], [], [], left)
            elif state == ext.POLL_WRITE:
                select.select([], [self.conn], [], left)

    def query(self, sql, bound):
        cur = self.conn.cursor()
        cur.execute(sql)
        self.wait(time.monotonic() + bound)
        return cur.fetchone()[0]

    def seems_alive(self):
        """Reads what the server sent while idle: raises once it has closed the session."""
        self.conn.poll()

    def close(self):
        try:
            self.conn.close()
        except psycopg2.Error:
            pass


class Candidate:
    def __init__(self, addr, check, tokens, keepalives):
        host, port = addr.split(",")[0].rsplit(":", 1)
        self.dsn = f"host={host} port={port} user=splitbrain dbname=postgres connect_timeout=1"
        if check or keepalives:
            # The holder finds out its session is gone in ~2 s, not two hours.
            self.dsn += " keepalives_idle=1 keepalives_interval=1 keepalives_count=2"
            self.dsn += " tcp_user_timeout=1000"
        self.check, self.tokens = check, tokens
        self.session = None
        self.leading = False
        self.token = None
        self.next_try = 0.0
        self.pending = b""

    def step_down(self, reason):
        if self.leading:
            say(type="stepdown", token=self.token, reason=reason)
        self.leading, self.token = False, None

    def lose(self, reason, abandon=False):
        """The session is gone or not to be trusted: step down, then let it go."""
        self.step_down(reason)
        if self.session is not None:
            if abandon:
                self.let_kernel_decide()
            self.session.close()
        self.session = None

    def let_kernel_decide(self):
        # A check that got no answer: wait for the late answer or for the kernel to give the
        # connection up (tcp_user_timeout), so a cut-off session is not closed with a FIN that
        # would reach the server after the partition heals.
        try:
            self.session.wait(time.monotonic() + 1.5)
        except (Late, psycopg2.Error):
            pass

    def try_lock(self):
        if time.monotonic() < self.next_try:
            return
        self.next_try = time.monotonic() + RETRY_S
        if self.session is None:
            self.session = Session(self.dsn)
        if self.session.query(f"SELECT pg_try_advisory_lock({KEY})", 1.0):
            self.lead()

    def lead(self):
        if self.tokens:
            # Only the lock's holder creates the sequence, so there is no race to create it.
            sql = f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}; SELECT nextval('{SEQUENCE}')"
            self.token = self.session.query(sql, 1.0)
        self.leading = True
        say(type="elected", token=self.token)

    def confirm(self, request):
        ok = self.leading and request.get("token") == self.token
        if ok and self.check:
            try:
                ok = self.session.query(CHECK, CHECK_S) == 1
            except Late:
                self.lose("check unanswered", abandon=True)
                ok = False
            except psycopg2.Error as e:
                self.lose(f"check failed: {type(e).__name__}")
                ok = False
            if not ok:
                self.step_down("lock not held")
        say(type="confirm_ok" if ok else "confirm_fail", id=request.get("id"))

    def read_stdin(self):
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            try:
                request = json.loads(line)
            except ValueError:
                continue
            if isinstance(request, dict) and request.get("type") == "confirm":
                self.confirm(request)
        return True

    def step(self):
        """One turn of the loop; False once splitbrain closed stdin (the end of the run)."""
        if not self.leading:
            self.try_lock()
        watch = [0] + ([self.session] if self.session is not None else [])
        ready, _, _ = select.select(watch, [], [], RETRY_S)
        if 0 in ready and not self.read_stdin():
            return False
        if self.session is not None and self.session in ready:
            self.session.seems_alive()
        return True

    def run(self):
        while True:
            try:
                if not self.step():
                    return
            except (Late, psycopg2.Error) as e:
                self.lose(f"session lost: {type(e).__name__}")
                log(f"{type(e).__name__}: {str(e).strip()}")
                time.sleep(0.1)

    def resign(self):
        self.step_down("end of run")
        if self.session is not None:
            try:
                self.session.query(f"SELECT pg_advisory_unlock({KEY})", 0.2)
            except (Late, psycopg2.Error):
                pass
            self.session.close()


def main():
    flags = sys.argv[2:]
    candidate = Candidate(
        sys.argv[1], "--check" in flags, "--token" in flags, "--keepalives" in flags
    )
    candidate.run()
    candidate.resign()


if __name__ == "__main__":
    main()
