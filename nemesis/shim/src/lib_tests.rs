//! Tests of [`super`] (`lib.rs`), kept apart so the module stays readable.

use super::*;

#[test]
fn the_shift_adds_offset_drift_and_the_strobe_phase() {
    let base = Control { rate_ppb: NS, ..Control::default() };
    let cases = [
        (Control { offset: -5, ..base }, 100, -5),
        (Control { rate_ppb: 3 * NS, reference: 100, ..base }, 200, 200),
        (
            Control { strobe_delta: 7, strobe_period: 10, strobe_start: 0, strobe_end: 40, ..base },
            25,
            7,
        ),
        (
            Control { strobe_delta: 7, strobe_period: 10, strobe_start: 0, strobe_end: 40, ..base },
            35,
            0,
        ),
        (
            Control { strobe_delta: 7, strobe_period: 10, strobe_start: 0, strobe_end: 40, ..base },
            45,
            0,
        ),
    ];
    for (c, real, want) in cases {
        assert_eq!(shift(real, &c), want, "at {real}");
    }
}

#[test]
fn a_page_without_the_magic_word_passes_through() {
    let page = [0u64; PAGE / 8];
    assert!(unsafe { read_control(page.as_ptr() as *const u8) }.is_none());
}

#[test]
fn a_page_mid_update_is_not_read_and_a_settled_one_is() {
    let mut page = [0i64; PAGE / 8];
    page[0] = MAGIC as i64;
    page[1] = 3;
    page[2] = 42;
    assert!(unsafe { read_control(page.as_ptr() as *const u8) }.is_none());
    page[1] = 4;
    assert_eq!(unsafe { read_control(page.as_ptr() as *const u8) }.map(|c| c.offset), Some(42));
}
