//! `splitbrain-resource`: the fenced resource as a process of its own, for people and for
//! setups other than the controller (which runs [`splitbrain_targets::resource::Resource`] in
//! its own process). Prints each decision as a JSON line on stdout
//! (`{"type":"ok","f":"accept","value":{…}}`), in the resource's serial order; stops on
//! SIGTERM or SIGINT.

use clap::Parser;
use splitbrain_targets::resource::{Mode, Resource};
use splitbrain_targets::stop::{install_signal_handlers, signalled, Stop};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// The fenced resource of splitbrain: one register per key, fenced or open.
#[derive(Parser)]
#[command(name = "splitbrain-resource", version)]
struct Args {
    /// Where to listen (port 0: any free port, printed on stderr).
    #[arg(long, value_name = "IP:PORT")]
    listen: SocketAddr,
    /// fenced: refuse tokens below the highest accepted; open: accept everything.
    #[arg(long, default_value = "fenced")]
    mode: Mode,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = install_signal_handlers() {
        eprintln!("splitbrain-resource: cannot install signal handlers: {e}");
        return ExitCode::from(1);
    }
    let print = |d: &splitbrain_targets::resource::Decision| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", d.to_json()).and_then(|()| out.flush());
    };
    let resource = match Resource::start(args.listen, args.mode, print) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("splitbrain-resource: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    eprintln!("splitbrain-resource: {} on {}", args.mode, resource.addr());
    let stop = Stop::new();
    while !stop.sleep(Duration::from_millis(20)) {
        if signalled() {
            stop.stop();
        }
    }
    resource.stop();
    ExitCode::SUCCESS
}
