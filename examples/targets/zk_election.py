#!/usr/bin/env python3
"""A splitbrain candidate (PROTOCOL.md, version 1): ZooKeeper's leader-election recipe in kazoo.

The recipe as ZooKeeper's documentation and Curator's LeaderLatch run it: create an ephemeral
sequential znode under the election path; lead while it is the lowest; otherwise watch the next
lower one and look again when it goes. A SUSPENDED connection (Disconnected) means stepping down
at once, as Curator's default ConnectionStateErrorPolicy does; on reconnection, or after LOST
(the session expired), the candidate starts over with a new znode, as LeaderLatch's reset() does.

    zk_election.py HOST:PORT,HOST:PORT,…

Token: the leader znode's czxid (the zxid of its creation). The leader is the lowest znode, so
every znode still waiting was created after it, and a later leader's czxid is higher; unlike the
sequence number, the zxid keeps growing if the election path is deleted and made again.
"""
import json
import os
import queue
import sys
import threading

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

PATH = "/splitbrain/election"
SAY = threading.Lock()


def say(**message):
    # stdout is a pipe: flush each line; kazoo's threads and ours all report, so one lock and
    # one write per line.
    with SAY:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def log(text):
    print(f"{os.environ.get('SPLITBRAIN_NODE')}: {text}", file=sys.stderr, flush=True)


class Candidate:
    def __init__(self, zk):
        self.zk = zk
        self.events = queue.Queue()
        self.token = None  # the czxid this candidate leads under, None while not leading
        self.mine = None  # our znode's name under PATH
        self.lock = threading.Lock()
        self.connected = False
        self.changes = 0  # connection state changes so far: a look spans none or it is stale
        zk.add_listener(self.on_state)

    def on_state(self, state):
        # kazoo's own thread: never block it; step down here so no time passes believing.
        with self.lock:
            self.connected = state == KazooState.CONNECTED
            self.changes += 1
        if state in (KazooState.SUSPENDED, KazooState.LOST):
            self.step_down("session " + state.lower())
        self.events.put(state)

    def step_down(self, reason):
        with self.lock:
            if self.token is not None:
                say(type="stepdown", token=self.token, reason=reason)
            self.token = None

    def lead(self, czxid, changes):
        with self.lock:
            # kazoo holds a request across a reconnection: a look that began before the
            # connection was suspended must not lead after it (the caller starts over).
            if self.connected and self.changes == changes and self.token != czxid:
                self.token = czxid
                say(type="elected", token=czxid)

    def join(self):
        """A fresh znode for this candidate (the old one, if the session kept it, deleted)."""
        if self.mine is not None:
            try:
                self.zk.delete(f"{PATH}/{self.mine}")
            except NoNodeError:
                pass
        self.zk.ensure_path(PATH)
        me = os.environ.get("SPLITBRAIN_NODE", "").encode()
        created = self.zk.create(f"{PATH}/n_", me, ephemeral=True, sequence=True)
        self.mine = created.rsplit("/", 1)[1]

    def look(self):
        """Leads if our znode is the lowest, else watches the next lower one; returns an Event
        that is set when it is time to look again."""
        again = threading.Event()
        changes = self.changes
        children = sorted(self.zk.get_children(PATH), key=lambda c: c[-10:])
        if self.mine not in children:
            self.step_down("znode gone")
            self.mine = None
            again.set()
            return again
        i = children.index(self.mine)
        if i == 0:
            _, stat = self.zk.get(f"{PATH}/{self.mine}")
            self.lead(stat.czxid, changes)
            self.zk.exists(f"{PATH}/{self.mine}", watch=lambda e: again.set())
            return again
        self.step_down("not the lowest")
        lower = children[i - 1]
        if self.zk.exists(f"{PATH}/{lower}", watch=lambda e: again.set()) is None:
            again.set()
        else:
            self.report_leader(children[0])
        return again

    def report_leader(self, lowest):
        try:
            data, _ = self.zk.get(f"{PATH}/{lowest}")
            say(type="follower", leader=data.decode() or None)
        except (NoNodeError, UnicodeDecodeError):
            pass

    def run(self):
        while True:
            self.wait_connected()
            try:
                self.join()
                self.follow_until_state_change()
            except (KazooException, KazooTimeoutError) as e:
                self.step_down(f"zookeeper error: {type(e).__name__}")
                log(f"{type(e).__name__}: {e}")

    def wait_connected(self):
        while self.zk.state != KazooState.CONNECTED:
            try:
                self.events.get(timeout=1)
            except queue.Empty:
                pass
        drain(self.events)

    def follow_until_state_change(self):
        while True:
            again = self.look()
            while not again.wait(0.05):
                if not self.events.empty():
                    return


def drain(q):
    while not q.empty():
        q.get_nowait()


def answer(candidate):
    """Confirms from ZooKeeper: our znode is still there and still the lowest (a sync, then
    a read of the children), each bounded below splitbrain's 300 ms confirmation timeout."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        ok = False
        try:
            token, mine = candidate.token, candidate.mine
            if token is not None and mine is not None:
                candidate.zk.sync_async(PATH).get(timeout=0.12)
                children = candidate.zk.get_children_async(PATH).get(timeout=0.12)
                children = sorted(children, key=lambda c: c[-10:])
                ok = bool(children) and children[0] == mine and candidate.token == token
        except (KazooException, KazooTimeoutError):
            ok = False
        say(type="confirm_ok" if ok else "confirm_fail", id=request.get("id"))


def main():
    lease_s = int(os.environ.get("SPLITBRAIN_LEASE_MS", "3000")) / 1000
    zk = KazooClient(hosts=sys.argv[1], timeout=lease_s, connection_retry={"max_tries": -1})
    candidate = Candidate(zk)
    threading.Thread(target=answer, args=(candidate,), daemon=True).start()
    zk.start(timeout=60)
    candidate.run()


if __name__ == "__main__":
    main()
