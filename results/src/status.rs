//! The live status line while a run goes on: time left, the leader and its token, the faults
//! in force, operations and violations so far.
//!
//! Neighbours: the controller feeds [`StatusLine::update`] with a [`Status`], which
//! [`crate::live::LiveTracker`] can build from the records as they are written; at the end,
//! [`crate::terminal`] prints the summary.
//!
//! Design: on a terminal the line is redrawn in place (`\r`, clear to end of line), cut to the
//! terminal's width so it never wraps (a wrapped line cannot be redrawn in place), and at most
//! every [`MIN_REDRAW`]; elsewhere (CI logs, a pipe) it prints one plain line per interval, so
//! a log shows progress without a flood of carriage returns. [`StatusLine::log`] prints a
//! message above the status line without breaking it.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// The least time between two redraws on a terminal.
pub const MIN_REDRAW: Duration = Duration::from_millis(100);

/// What the status line shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Time since the test started.
    pub elapsed: Duration,
    /// The test's time limit.
    pub time_limit: Duration,
    /// Every node that currently believes it leads, with its token, most recently elected
    /// first (more than one is worth seeing, even when fencing makes it safe).
    pub leaders: Vec<(String, Option<i64>)>,
    /// The faults in force, as short labels (`partition n1 n2`, `pause n3`).
    pub faults: Vec<String>,
    /// Client operations completed so far.
    pub ops: u64,
    /// Violations seen so far.
    pub violations: u64,
    /// A word on the phase when not the main one (`waiting for a leader`, `healing`).
    pub phase: Option<String>,
}

impl Status {
    /// The status as one line of text.
    pub fn line(&self) -> String {
        let left = self.time_limit.saturating_sub(self.elapsed);
        let mut parts = vec![format!("{:>4.0}s left", left.as_secs_f64().ceil())];
        if let Some(p) = &self.phase {
            parts.push(p.clone());
        }
        parts.push(leaders_text(&self.leaders));
        parts.push(if self.faults.is_empty() {
            "no faults".to_string()
        } else {
            format!("faults: {}", self.faults.join(", "))
        });
        parts.push(format!("{} ops", self.ops));
        parts.push(match self.violations {
            0 => "0 violations".to_string(),
            1 => "1 VIOLATION".to_string(),
            n => format!("{n} VIOLATIONS"),
        });
        parts.join(" · ")
    }
}

fn leaders_text(leaders: &[(String, Option<i64>)]) -> String {
    let one = |(n, t): &(String, Option<i64>)| match t {
        Some(t) => format!("{n} (token {t})"),
        None => n.clone(),
    };
    match leaders {
        [] => "no leader".to_string(),
        [l] => format!("leader {}", one(l)),
        many => format!(
            "{} LEADERS: {}",
            many.len(),
            many.iter().map(one).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// How the line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redraw in place, cut to `width` columns (`None`: ask the terminal each time).
    Terminal {
        /// Fixed width, or `None` to ask stderr's terminal.
        width: Option<usize>,
    },
    /// One plain line per `interval`.
    Log {
        /// Time between two lines.
        interval: Duration,
    },
}

/// A status line that redraws in place on a terminal and logs plainly elsewhere.
pub struct StatusLine {
    out: Box<dyn Write + Send>,
    mode: Mode,
    last: Option<Instant>,
    drawn: bool,
}

impl StatusLine {
    /// A status line on stderr: in place when stderr is a terminal, else a line every
    /// `log_interval`.
    pub fn stderr(log_interval: Duration) -> StatusLine {
        let mode = if io::stderr().is_terminal() {
            Mode::Terminal { width: None }
        } else {
            Mode::Log { interval: log_interval }
        };
        StatusLine::new(Box::new(io::stderr()), mode)
    }

    /// A status line on any writer.
    pub fn new(out: Box<dyn Write + Send>, mode: Mode) -> StatusLine {
        StatusLine { out, mode, last: None, drawn: false }
    }

    /// Shows `status`, if enough time has passed since the last time it did.
    pub fn update(&mut self, status: &Status) -> io::Result<()> {
        let now = Instant::now();
        let wait = match self.mode {
            Mode::Terminal { .. } => MIN_REDRAW,
            Mode::Log { interval } => interval,
        };
        if self.last.is_some_and(|l| now.duration_since(l) < wait) {
            return Ok(());
        }
        self.last = Some(now);
        let line = status.line();
        match self.mode {
            Mode::Terminal { width } => {
                let cut = cut_to(&line, width.unwrap_or_else(terminal_width).saturating_sub(1));
                write!(self.out, "\r\x1b[2K{cut}")?;
                self.drawn = true;
            }
            Mode::Log { .. } => writeln!(self.out, "status: {line}")?,
        }
        self.out.flush()
    }

    /// Prints a message on its own line, above the status line on a terminal.
    pub fn log(&mut self, message: &str) -> io::Result<()> {
        self.clear()?;
        writeln!(self.out, "{message}")?;
        self.last = None; // redraw at the next update
        self.out.flush()
    }

    /// Removes the status line (call before printing the summary).
    pub fn finish(&mut self) -> io::Result<()> {
        self.clear()?;
        self.out.flush()
    }

    fn clear(&mut self) -> io::Result<()> {
        if self.drawn {
            write!(self.out, "\r\x1b[2K")?;
            self.drawn = false;
        }
        Ok(())
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// `s` cut to `width` characters, with `…` when cut.
fn cut_to(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

mod tty {
    nix::ioctl_read_bad!(
        /// `ioctl(fd, TIOCGWINSZ)`: the terminal's size (nix has no call for it).
        window_size,
        nix::libc::TIOCGWINSZ,
        nix::pty::Winsize
    );
}

/// Columns of the terminal on stderr (80 when it cannot tell).
fn terminal_width() -> usize {
    let mut ws = nix::pty::Winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we pass, and fd 2 stays open.
    let ok = unsafe { tty::window_size(nix::libc::STDERR_FILENO, &mut ws) }.is_ok();
    if ok && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        80
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn status() -> Status {
        Status {
            elapsed: Duration::from_secs(18),
            time_limit: Duration::from_secs(60),
            leaders: vec![("n3".into(), Some(7))],
            faults: vec!["partition n1 n2".into()],
            ops: 1234,
            violations: 0,
            phase: None,
        }
    }

    #[test]
    fn the_line_names_time_left_leader_faults_ops_and_violations() {
        let line = status().line();
        assert_eq!(
            line,
            "  42s left · leader n3 (token 7) · faults: partition n1 n2 · 1234 ops · 0 violations"
        );
        let two =
            Status { leaders: vec![("n3".into(), Some(7)), ("n1".into(), Some(5))], ..status() };
        assert!(two.line().contains("2 LEADERS: n3 (token 7), n1 (token 5)"));
    }

    #[test]
    fn a_terminal_redraws_in_place_within_its_width() {
        let sink = Sink::default();
        let mut line = StatusLine::new(Box::new(sink.clone()), Mode::Terminal { width: Some(30) });
        line.update(&status()).unwrap();
        line.finish().unwrap();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("\r\x1b[2K"), "{text:?}");
        let drawn = text.trim_start_matches("\r\x1b[2K").split('\r').next().unwrap();
        assert_eq!(drawn.chars().count(), 29, "{drawn:?}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn a_log_prints_plain_lines_at_most_once_per_interval() {
        let sink = Sink::default();
        let mode = Mode::Log { interval: Duration::from_secs(3600) };
        let mut line = StatusLine::new(Box::new(sink.clone()), mode);
        for _ in 0..5 {
            line.update(&status()).unwrap();
        }
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("status: ") && !text.contains('\r') && !text.contains('\x1b'));
    }
}
