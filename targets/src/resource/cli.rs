//! The fenced resource as a process of its own (`splitbrain resource …`, or the
//! `splitbrain-resource` binary), for people and for setups other than the controller (which
//! runs [`super::Resource`] in its own process). Prints each decision as a JSON line on stdout
//! (`{"type":"ok","f":"accept","value":{…}}`), in the resource's serial order; stops on
//! SIGTERM or SIGINT.

use super::{Decision, Mode, Resource};
use crate::stop::{install_signal_handlers, signalled, Stop};
use clap::Parser;
use std::ffi::OsString;
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

/// The whole resource process, given its command line (the first item names the program).
/// Exit status: 0 after a clean stop, 2 for bad options, 1 when it cannot listen.
pub fn main_from<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("splitbrain-resource: {e}");
            ExitCode::from(1)
        }
    }
}

fn serve(args: &Args) -> Result<(), String> {
    install_signal_handlers().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let resource = Resource::start(args.listen, args.mode, print)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    eprintln!("splitbrain-resource: {} on {}", args.mode, resource.addr());
    let stop = Stop::new();
    while !stop.sleep(Duration::from_millis(20)) {
        if signalled() {
            stop.stop();
        }
    }
    resource.stop();
    Ok(())
}

fn print(d: &Decision) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", d.to_json()).and_then(|()| out.flush());
}
