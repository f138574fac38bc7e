// A splitbrain candidate (PROTOCOL.md, version 1) in Node.js with no packages: a Redis lease
// (SET NX PX, renewed and checked only while the value is ours, by a Lua script), a fencing
// token from INCR at each acquisition, and the lease also ended by this process's own
// monotonic clock when a renewal does not come back in time.
//   node redis_lease.mjs HOST:PORT
import net from "node:net";
import readline from "node:readline";

const [host, port] = process.argv[2].split(",")[0].split(":");
const ttl = Number(process.env.SPLITBRAIN_LEASE_MS || 2000);
const me = `${process.env.SPLITBRAIN_NODE}:${process.pid}`;
const LOCK = "splitbrain:leader";
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

// One line per report; process.stdout.write keeps the order of the lines it is given.
const say = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A minimal RESP client: one connection, answers in request order, every request bounded.
class Redis {
  constructor() { this.socket = null; this.waiting = []; this.buffer = Buffer.alloc(0); }
  connect() {
    this.socket = net.createConnection({ host, port: Number(port) });
    this.socket.on("data", (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.drain(); });
    const fail = () => { for (const w of this.waiting.splice(0)) w.reject(new Error("connection lost")); this.socket = null; };
    this.socket.on("error", fail);
    this.socket.on("close", fail);
  }
  call(...args) {
    if (!this.socket) this.connect();
    const wire = `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join("");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.socket?.destroy(); reject(new Error("timeout")); }, 250);
      this.waiting.push({ resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.socket.write(wire);
    });
  }
  drain() {
    for (;;) {
      const parsed = parse(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const w = this.waiting.shift();
      if (w) parsed.value instanceof Error ? w.reject(parsed.value) : w.resolve(parsed.value);
    }
  }
}

// One RESP reply at `at`: {value, end}, or null when incomplete.
function parse(buf, at) {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return null;
  const head = buf.toString("utf8", at + 1, eol);
  switch (String.fromCharCode(buf[at])) {
    case "+": return { value: head, end: eol + 2 };
    case "-": return { value: new Error(head), end: eol + 2 };
    case ":": return { value: Number(head), end: eol + 2 };
    case "$": {
      const n = Number(head);
      if (n < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return null;
      return { value: buf.toString("utf8", eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    default: return { value: new Error(`unexpected reply ${head}`), end: eol + 2 };
  }
}

const redis = new Redis();
let leading = false;

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  let request;
  try { request = JSON.parse(line); } catch { return; }
  let ok = false;
  try { ok = leading && (await redis.call("GET", LOCK)) === me; } catch { ok = false; }
  say({ type: ok ? "confirm_ok" : "confirm_fail", id: request.id });
});
process.stdin.on("end", () => process.exit(0));

async function lead(token) {
  leading = true;
  say({ type: "elected", token });
  let renewed = performance.now();
  for (;;) {
    await sleep(ttl / 4);
    if (performance.now() - renewed > ttl * 0.8) return "lease-deadline";
    try {
      if ((await redis.call("EVAL", RENEW, 1, LOCK, me, ttl)) !== 1) return "lease lost";
      renewed = performance.now();
    } catch (e) {
      console.error(`renewal failed: ${e.message}`);
    }
  }
}

for (;;) {
  try {
    if ((await redis.call("SET", LOCK, me, "NX", "PX", ttl)) === "OK") {
      const token = await redis.call("INCR", "splitbrain:token");
      const reason = await lead(token);
      leading = false;
      say({ type: "stepdown", token, reason });
    }
  } catch (e) {
    console.error(`campaign failed: ${e.message}`);
  }
  await sleep(100);
}
