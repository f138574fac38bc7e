//! The systems under test of splitbrain: the node (`splitbrain node`, also built as the
//! `splitbrain-node` binary) with its electors, the fenced resource, and what the controller
//! needs to start them.
//!
//! # Map
//!
//! | module | role |
//! | --- | --- |
//! | [`elector`] | the [`Elector`] trait every election backend implements |
//! | [`seat`] | what a node believes about leadership; the `elected`/`stepdown` reports |
//! | [`own`] | Raft, Paxos, Bully and Ring as pure state machines, driven over UDP |
//! | [`node`] | the node core: client server, leader work, resource client, command line |
//! | [`protocol`], [`client`] | the client protocol, and the controller's client library |
//! | [`resource`] | the fenced resource: server, client, decisions |
//! | [`bugs`] | the planted bugs (`--bug NAME`) |
//! | [`external`] | bring your own: the candidate host (PROTOCOL.md) and target files |
//! | [`launch`] | targets as plain data for the controller: processes per node, bugs, availability |
//! | [`process`] | one process to start on one node, from plan to spawn |
//! | [`lines`], [`stop`] | JSON-lines framing with deadlines; shutdown flag and signals |
//!
//! # `splitbrain-node`
//!
//! The controller starts each node as `splitbrain node ARGS` from its own executable
//! ([`launch::NodeProgram::this_executable`]); `splitbrain-node ARGS` is the same program.
//!
//! ```text
//! splitbrain-node --id n1 --listen HOST:PORT --peers n1=HOST:PORT,n2=HOST:PORT,…
//!                 --elector raft|paxos|bully|ring --data-dir DIR --resource HOST:PORT
//!                 [--bug NAME]… [--election-timeout-ms 150-300] [--heartbeat-ms 50]
//!                 [--work-interval-ms 100] [--resource-timeout-ms 500]
//!                 [--confirm-timeout-ms 300] [--seed 0]
//! ```
//!
//! - `--listen` is both the client port (TCP) and, for the own electors, the peer port (UDP,
//!   the same number): nodes reach each other at the addresses `--peers` gives. Each node may
//!   have its own IP with the same port (node namespaces) or loopback addresses
//!   (`127.0.x.y`, tests). A partition must drop UDP as well as TCP between the nodes.
//! - `--data-dir` holds the elector's durable state (`raft.json`: `currentTerm` and `votedFor`;
//!   `paxos.json`: the promised ballot); a restart with the same directory resumes from it.
//! - stdout carries only reports, one JSON line each, flushed at once:
//!   `{"type":"ok","f":"elected","value":{"token":T,"term":X}}` when the node starts to lead
//!   (`"term"` absent where the election has none), and
//!   `{"type":"ok","f":"stepdown","value":{"token":T,"reason":"…"}}` when it stops (reasons:
//!   `higher-term`, `higher-coordinator`, `superseded`, `new-tenure`, `shutdown`, and
//!   whatever a lease-based elector says, such as `lease-expired`). The controller adds
//!   `index`, `time` and `"process":"<node name>"` and appends it to the history. Every
//!   `elected` is printed before the first write under its token; a `stepdown` may precede the
//!   resource's decision on a write already in flight (at most `--resource-timeout-ms`).
//! - stderr carries logs. SIGTERM or SIGINT stops the node within ~200 ms (exit 0), after a
//!   `stepdown` with reason `shutdown` if it led. Exit 2: bad options (one line on stderr);
//!   exit 1: a failure while running (the durable state could not be written).
//!
//! # Client protocol
//!
//! TCP to `--listen`, one JSON object per line each way, answers in request order; a connection
//! may carry any number of requests. A write goes to the resource under the leader's token; a
//! read asks the elector to confirm leadership, then reads the resource under the token.
//!
//! ```text
//! {"op":"write","value":V}
//!   -> {"ok":true,"value":V,"token":T,"leader":"n2"}     the resource accepted V
//!   |  {"ok":false,"error":"not-leader","definite":true,"leader":"n3"|null}
//!   |  {"ok":false,"error":CODE,"definite":bool}
//! {"op":"read"}
//!   -> {"ok":true,"value":V}                             V is null before any write
//!   |  not-leader, or {"ok":false,"error":CODE,"definite":bool}
//! {"op":"status"}
//!   -> {"ok":true,"leader":bool,"token":T|null,"term":X|null,
//!       "known_leader":"n3"|null,"node":"n1"}
//! ```
//!
//! Error codes ([`protocol::ErrorCode`]); "definite" means nothing happened (history `fail`),
//! otherwise the outcome is unknown (`info`):
//!
//! | code | definite | meaning |
//! | --- | --- | --- |
//! | `not-leader` | yes | this node does not lead; `leader` names whom it believes in |
//! | `stale-token` | yes | the resource refused the token: a newer leader has written |
//! | `not-confirmed` | yes | a read: leadership not confirmed within `--confirm-timeout-ms` |
//! | `resource-unavailable` | yes | no connection to the resource; nothing sent |
//! | `resource-timeout` | no | sent to the resource, no answer in time |
//! | `resource-error` | no | the resource connection failed after sending |
//! | `register-refused` | yes | the candidate's own system refused the operation (`register = true`; plus `"detail"`) |
//! | `register-unknown` | no | the candidate's own system did not answer in time (`register = true`) |
//! | `bad-request` | yes | not a request (plus `"detail"`) |
//! | `shutting-down` | yes | the node is stopping |
//!
//! Each answer maps onto HISTORY.md's completion records: [`client::completion`] does it. The
//! `ok` completion's value is the answer without `"ok"`. A client's request timeout should
//! exceed `--resource-timeout-ms` + `--confirm-timeout-ms` (default 800 ms) so that the node's
//! own definite answers arrive before the client gives up.
//!
//! # Fenced resource
//!
//! See [`resource`] for its protocol. The controller runs [`resource::Resource::start`] in its
//! own process; each write decision reaches its sink in serial order as the content of an
//! `accept`/`reject` record (`{"token","node","value","key"}`, reject error `stale-token`).
//! Key `"register"` holds the clients' register, key `"work"` the leaders' periodic work
//! (values `"n2:17"`, every `--work-interval-ms` while leading).
//!
//! # Standalone resource
//!
//! `splitbrain resource --listen IP:PORT [--mode fenced|open]` (or `splitbrain-resource …`)
//! runs the same resource as a process and prints each decision on stdout as
//! `{"type":"ok","f":"accept","value":{…}}` (or
//! `{"type":"fail","f":"reject","error":"stale-token","value":{…}}`), in serial order.
//!
//! # Adding an election backend
//!
//! An own elector: implement [`Elector`] (see [`elector`] for the contract), add an entry to
//! [`node::electors::ELECTORS`] (name, one-line doc, the bugs it accepts, its constructor);
//! every entry there is a `--target` too.
//!
//! A third-party target (an election on servers people run): one new file in
//! `thirdparty/catalog/` holding its [`thirdparty::ThirdParty`] value (what it needs, its
//! token, fault notes, clock aim, layout, lease options, elector constructor), plus its `mod`
//! line and its entry in [`thirdparty::catalog::ALL`]; the elector itself implements
//! [`thirdparty::ThirdPartyElector`]. Nothing else names targets: `--target`, `--elector`,
//! `splitbrain targets`, the nemesis's clock aim and the run's notes all read that list.
//!
//! A target with no Rust at all: a target file (PROTOCOL.md), or one built into the binary in
//! [`external::bundled`].
//!
//! # Writing a compatible node
//!
//! A node of your own takes part in a splitbrain test if it serves the client protocol above,
//! prints the two reports on stdout, and writes to the resource with its fencing token.
//! Simpler: bring only the election, as a candidate program of the candidate protocol
//! (PROTOCOL.md at the repository root), which the elector `external` ([`external`]) hosts in a
//! node, and describe the setup in a target file.

pub mod bugs;
pub mod client;
pub mod elector;
pub mod external;
pub mod launch;
pub mod lines;
pub mod node;
pub mod own;
pub mod process;
pub mod protocol;
pub mod resource;
pub mod seat;
pub mod stop;
pub mod thirdparty;

pub use elector::{Elector, ElectorError, Unconfirmed};
pub use seat::{Seat, Token};
