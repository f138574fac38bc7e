//! Tests of [`super`] (`clock.rs`), kept apart so the module stays readable.

use super::*;

fn temp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("sb-clock-{name}-")).tempdir().unwrap()
}

#[test]
fn a_clock_file_holds_what_was_set_with_an_even_sequence() {
    let tmp = temp("file");
    let dir = tmp.path();
    let mut c = ClockFile::create(&dir.join("n1")).unwrap();
    c.set(ClockState { offset_ns: 5, rate_ppb: 2 * NS, ref_ns: 7, ..ClockState::default() });
    let page = std::fs::read(dir.join("n1")).unwrap();
    let word = |i: usize| i64::from_le_bytes(page[8 * i..8 * i + 8].try_into().unwrap());
    assert_eq!(word(0) as u64, MAGIC);
    assert_eq!(word(1) % 2, 0);
    assert_eq!((word(2), word(3), word(4)), (5, 2 * NS, 7));
}

#[test]
fn a_control_file_that_cannot_be_written_is_a_clear_error() {
    let e = ClockFile::create(Path::new("/proc/splitbrain-nope/n1")).err().unwrap();
    assert!(e.to_string().contains("/proc/splitbrain-nope/n1"), "{e}");
}

#[test]
fn the_shift_follows_offset_drift_and_strobe() {
    let tmp = temp("shift");
    let dir = tmp.path();
    let mut c = ClockFile::create(&dir.join("n1")).unwrap();
    let cases = [
        (ClockState { offset_ns: 10, ..Default::default() }, 1_000, 10),
        (ClockState { rate_ppb: 2 * NS, ref_ns: 1_000, ..Default::default() }, 3_000, 2_000),
        (ClockState { rate_ppb: NS / 2, ref_ns: 0, ..Default::default() }, 4_000, -2_000),
        (
            ClockState {
                strobe_delta_ns: 9,
                strobe_period_ns: 10,
                strobe_start_ns: 0,
                strobe_end_ns: 100,
                ..Default::default()
            },
            5,
            9,
        ),
        (
            ClockState {
                strobe_delta_ns: 9,
                strobe_period_ns: 10,
                strobe_start_ns: 0,
                strobe_end_ns: 100,
                ..Default::default()
            },
            15,
            0,
        ),
        (
            ClockState {
                strobe_delta_ns: 9,
                strobe_period_ns: 10,
                strobe_start_ns: 0,
                strobe_end_ns: 100,
                ..Default::default()
            },
            105,
            0,
        ),
    ];
    for (state, real, want) in cases {
        c.set(state);
        assert_eq!(c.shift_at(real), want, "{state:?} at {real}");
    }
}

#[test]
fn a_change_of_rate_does_not_jump_the_clock() {
    let mut s = ClockState { rate_ppb: 3 * NS, ref_ns: 0, ..Default::default() };
    settle_drift(&mut s, 1_000);
    assert_eq!((s.offset_ns, s.ref_ns), (2_000, 1_000));
}

#[test]
fn the_embedded_shim_moves_a_programs_clock_by_the_offset() {
    let tmp = temp("shim");
    let dir = tmp.path();
    let shim = install_shim(dir).unwrap();
    let mut c = ClockFile::create(&dir.join("n1")).unwrap();
    c.set(ClockState { offset_ns: 86_400 * NS, ..Default::default() });
    let file = c.path().to_path_buf();
    let date = |preload: bool| {
        let mut cmd = std::process::Command::new("date");
        cmd.arg("+%s");
        if preload {
            cmd.env("LD_PRELOAD", &shim).env(ENV_FILE, &file);
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse::<i64>().unwrap()
    };
    let (shifted, real) = (date(true), date(false));
    assert!(
        (shifted - real - 86_400).abs() <= 2,
        "date under the shim said {shifted}, real {real}"
    );
    c.set(ClockState::default());
    assert!((date(true) - date(false)).abs() <= 2);
}
