//! The clock shim: an `LD_PRELOAD` library that shifts a process's wall clock.
//!
//! It defines `clock_gettime`, `gettimeofday` and `time`, so the dynamic linker binds a
//! program's calls to these instead of libc's. `CLOCK_REALTIME` and `CLOCK_REALTIME_COARSE`
//! (and the other two calls) get `real + offset + drift + strobe`, read from a small control
//! file that `splitbrain-nemesis` (`clock.rs`) maps and rewrites; every other clock passes
//! through untouched. The control file's path comes from `SPLITBRAIN_CLOCK_FILE`.
//!
//! Why not libfaketime: it finds the real functions with `dlsym`, which allocates, and inside a
//! jemalloc program (`redis-server`) the allocator's own start-up reads the clock, which re-enters
//! the shim before it is ready: a crash at start-up. Here every clock read is a raw system call
//! (no `dlsym`, no allocation, no locks, no I/O after the control file is mapped), so the shim
//! is safe to call from anywhere, at any time, including from inside `malloc`.
//!
//! What it cannot reach: programs that do not call these libc symbols. Go programs (etcd) read
//! the clock through the vDSO without libc, and statically linked programs have no dynamic
//! symbols to interpose; the nemesis refuses clock faults on targets marked as Go.
//!
//! The control file, little-endian 64-bit words at these byte offsets (one 4096-byte page):
//!
//! | offset | field | meaning |
//! | --- | --- | --- |
//! | 0 | magic | `MAGIC`; anything else means "pass through" |
//! | 8 | seq | seqlock counter: odd while the writer is in the middle of an update |
//! | 16 | offset_ns | added to the real time |
//! | 24 | rate_ppb | clock speed in parts per billion (1e9 = real speed) … |
//! | 32 | ref_ns | … measured from this real time: drift = (real - ref) * (rate - 1e9) / 1e9 |
//! | 40 | strobe_delta_ns | while strobing, added during even half-periods |
//! | 48 | strobe_period_ns | 0 = no strobe |
//! | 56 | strobe_start_ns | real time the strobe began … |
//! | 64 | strobe_end_ns | … and ends (exclusive) |
//!
//! The real build is `no_std` with `panic = "abort"`: `splitbrain-nemesis`'s build script
//! compiles this file with rustc and embeds the result. The workspace build of this crate (with
//! the workspace's unwinding profile) links `std` only so that it builds and lints with the rest;
//! the code uses `core` alone either way.

#![cfg_attr(panic = "abort", no_std)]
#![allow(clippy::missing_safety_doc)]

use core::ffi::{c_char, c_int, c_long};
use core::sync::atomic::{fence, AtomicI64, AtomicPtr, AtomicU64, AtomicU8, Ordering};

/// The control file's first word: "SBCLOCK1" read as a little-endian u64.
pub const MAGIC: u64 = u64::from_le_bytes(*b"SBCLOCK1");
/// The environment variable naming the control file.
const ENV_NAME: &[u8] = b"SPLITBRAIN_CLOCK_FILE=";
const CLOCK_REALTIME: c_int = 0;
const CLOCK_REALTIME_COARSE: c_int = 5;
const PAGE: usize = 4096;
const NS: i64 = 1_000_000_000;

/// A `struct timespec` (64-bit Linux).
#[repr(C)]
pub struct Timespec {
    tv_sec: i64,
    tv_nsec: c_long,
}

/// A `struct timeval` (64-bit Linux).
#[repr(C)]
pub struct Timeval {
    tv_sec: i64,
    tv_usec: c_long,
}

#[link(name = "c")]
extern "C" {
    static environ: *const *const c_char;
    fn __errno_location() -> *mut c_int;
}

mod sys {
    //! The four raw system calls the shim makes.
    #[cfg(target_arch = "x86_64")]
    mod nr {
        pub const OPENAT: usize = 257;
        pub const MMAP: usize = 9;
        pub const CLOSE: usize = 3;
        pub const CLOCK_GETTIME: usize = 228;
    }
    #[cfg(target_arch = "aarch64")]
    mod nr {
        pub const OPENAT: usize = 56;
        pub const MMAP: usize = 222;
        pub const CLOSE: usize = 57;
        pub const CLOCK_GETTIME: usize = 113;
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn syscall6(n: usize, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the Linux x86_64 system-call convention; the kernel clobbers rcx and r11.
        unsafe {
            core::arch::asm!("syscall", inlateout("rax") n as isize => ret,
                in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4],
                in("r9") a[5], lateout("rcx") _, lateout("r11") _, options(nostack));
        }
        ret
    }
    #[cfg(target_arch = "aarch64")]
    unsafe fn syscall6(n: usize, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the Linux aarch64 system-call convention.
        unsafe {
            core::arch::asm!("svc 0", in("x8") n, inlateout("x0") a[0] as isize => ret,
                in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
                options(nostack));
        }
        ret
    }

    /// `clock_gettime(2)`; returns 0 or -errno.
    pub unsafe fn clock_gettime(clk: i32, tp: *mut super::Timespec) -> isize {
        unsafe { syscall6(nr::CLOCK_GETTIME, [clk as usize, tp as usize, 0, 0, 0, 0]) }
    }
    /// Opens `path` read-only and maps its first page shared; null on any failure.
    pub unsafe fn map_file(path: *const u8) -> *const u8 {
        const AT_FDCWD: isize = -100;
        const O_RDONLY_CLOEXEC: usize = 0o2000000;
        let fd = unsafe {
            syscall6(nr::OPENAT, [AT_FDCWD as usize, path as usize, O_RDONLY_CLOEXEC, 0, 0, 0])
        };
        if fd < 0 {
            return core::ptr::null();
        }
        const PROT_READ: usize = 1;
        const MAP_SHARED: usize = 1;
        let p =
            unsafe { syscall6(nr::MMAP, [0, super::PAGE, PROT_READ, MAP_SHARED, fd as usize, 0]) };
        unsafe { syscall6(nr::CLOSE, [fd as usize, 0, 0, 0, 0, 0]) };
        if (-4095..0).contains(&p) {
            core::ptr::null()
        } else {
            p as *const u8
        }
    }
}

/// 0: not tried yet; 1: someone is mapping; 2: done (MAP may still be null: pass through).
static STATE: AtomicU8 = AtomicU8::new(0);
static MAP: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());

/// Maps the control file named in the environment, once. Never blocks: a caller that races with
/// the first one passes through until the mapping is published.
fn control() -> *const u8 {
    if STATE.load(Ordering::Acquire) != 2 {
        if STATE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return MAP.load(Ordering::Acquire);
        }
        // SAFETY: `environ` is libc's environment, a null-terminated array of C strings.
        let p = unsafe { find_env_path().map_or(core::ptr::null(), |path| sys::map_file(path)) };
        MAP.store(p as *mut u8, Ordering::Release);
        STATE.store(2, Ordering::Release);
    }
    MAP.load(Ordering::Acquire)
}

/// The value of `SPLITBRAIN_CLOCK_FILE`, pointing into the environment (no copy).
unsafe fn find_env_path() -> Option<*const u8> {
    let mut e = unsafe { environ };
    if e.is_null() {
        return None;
    }
    loop {
        let s = unsafe { *e } as *const u8;
        if s.is_null() {
            return None;
        }
        if unsafe { starts_with(s, ENV_NAME) } {
            return Some(unsafe { s.add(ENV_NAME.len()) });
        }
        e = unsafe { e.add(1) };
    }
}

unsafe fn starts_with(s: *const u8, prefix: &[u8]) -> bool {
    for (i, &b) in prefix.iter().enumerate() {
        if unsafe { *s.add(i) } != b {
            return false;
        }
    }
    true
}

/// One consistent reading of the control file's fields (after the seq word).
#[derive(Clone, Copy, Default)]
struct Control {
    offset: i64,
    rate_ppb: i64,
    reference: i64,
    strobe_delta: i64,
    strobe_period: i64,
    strobe_start: i64,
    strobe_end: i64,
}

/// Reads the control page under its seqlock; gives up (passes through) after a bounded number
/// of tries so that a writer that died mid-update can never hang the program.
unsafe fn read_control(page: *const u8) -> Option<Control> {
    let word = |i: usize| unsafe { &*(page.add(8 * i) as *const AtomicI64) };
    if unsafe { &*(page as *const AtomicU64) }.load(Ordering::Relaxed) != MAGIC {
        return None;
    }
    let seq = unsafe { &*(page.add(8) as *const AtomicU64) };
    for _ in 0..1000 {
        let s1 = seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            core::hint::spin_loop();
            continue;
        }
        let c = Control {
            offset: word(2).load(Ordering::Relaxed),
            rate_ppb: word(3).load(Ordering::Relaxed),
            reference: word(4).load(Ordering::Relaxed),
            strobe_delta: word(5).load(Ordering::Relaxed),
            strobe_period: word(6).load(Ordering::Relaxed),
            strobe_start: word(7).load(Ordering::Relaxed),
            strobe_end: word(8).load(Ordering::Relaxed),
        };
        fence(Ordering::Acquire);
        if seq.load(Ordering::Relaxed) == s1 {
            return Some(c);
        }
    }
    None
}

/// The shift to add to a real time `real` (ns since the epoch) under control `c`.
fn shift(real: i64, c: &Control) -> i64 {
    let drift = if c.rate_ppb != NS && c.rate_ppb > 0 {
        let d =
            (real as i128 - c.reference as i128) * (c.rate_ppb as i128 - NS as i128) / NS as i128;
        d.clamp(i64::MIN as i128 / 4, i64::MAX as i128 / 4) as i64
    } else {
        0
    };
    let strobe = if c.strobe_period > 0 && real >= c.strobe_start && real < c.strobe_end {
        let phase = real.wrapping_sub(c.strobe_start) / c.strobe_period;
        if phase % 2 == 0 {
            c.strobe_delta
        } else {
            0
        }
    } else {
        0
    };
    c.offset.wrapping_add(drift).wrapping_add(strobe)
}

/// The shifted real time in nanoseconds, or the kernel's -errno.
fn now_ns(clk: c_int) -> Result<i64, isize> {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec.
    let r = unsafe { sys::clock_gettime(clk, &mut ts) };
    if r < 0 {
        return Err(r);
    }
    let real = ts.tv_sec.wrapping_mul(NS).wrapping_add(ts.tv_nsec);
    let page = control();
    if page.is_null() {
        return Ok(real);
    }
    // SAFETY: page is a live shared mapping of PAGE bytes that is never unmapped.
    match unsafe { read_control(page) } {
        Some(c) => Ok(real.wrapping_add(shift(real, &c))),
        None => Ok(real),
    }
}

fn set_errno(e: isize) -> c_int {
    // SAFETY: libc's thread-local errno; the call neither allocates nor locks.
    unsafe { *__errno_location() = -e as c_int };
    -1
}

/// `clock_gettime(3)`: shifted for the realtime clocks, passed straight to the kernel otherwise.
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(clk: c_int, tp: *mut Timespec) -> c_int {
    if clk != CLOCK_REALTIME && clk != CLOCK_REALTIME_COARSE {
        // SAFETY: the caller's pointer goes to the kernel, which validates it.
        let r = unsafe { sys::clock_gettime(clk, tp) };
        return if r < 0 { set_errno(r) } else { 0 };
    }
    if tp.is_null() {
        return set_errno(-14); // EFAULT, as the kernel would say
    }
    match now_ns(clk) {
        Ok(t) => {
            // SAFETY: tp is non-null and the caller's to write.
            unsafe {
                *tp = Timespec { tv_sec: t.div_euclid(NS), tv_nsec: t.rem_euclid(NS) as c_long }
            };
            0
        }
        Err(e) => set_errno(e),
    }
}

/// `gettimeofday(2)`, shifted. The obsolete timezone argument is zeroed when given.
#[no_mangle]
pub unsafe extern "C" fn gettimeofday(tv: *mut Timeval, tz: *mut [c_int; 2]) -> c_int {
    if !tz.is_null() {
        // SAFETY: tz is non-null and the caller's to write.
        unsafe { *tz = [0, 0] };
    }
    if tv.is_null() {
        return 0;
    }
    match now_ns(CLOCK_REALTIME) {
        Ok(t) => {
            // SAFETY: tv is non-null and the caller's to write.
            unsafe {
                *tv = Timeval {
                    tv_sec: t.div_euclid(NS),
                    tv_usec: (t.rem_euclid(NS) / 1000) as c_long,
                }
            };
            0
        }
        Err(e) => set_errno(e),
    }
}

/// `time(2)`, shifted.
#[no_mangle]
pub unsafe extern "C" fn time(out: *mut i64) -> i64 {
    let t = match now_ns(CLOCK_REALTIME) {
        Ok(t) => t.div_euclid(NS),
        Err(e) => return set_errno(e) as i64,
    };
    if !out.is_null() {
        // SAFETY: out is non-null and the caller's to write.
        unsafe { *out = t };
    }
    t
}

/// Maps the control file as the library loads, so the first clock read pays nothing.
extern "C" fn init() {
    control();
}

#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = init;

/// `core` is prebuilt for unwinding and names this symbol in its unwind tables; with
/// `panic = "abort"` nothing ever unwinds, so it is never called, only needs to exist.
#[cfg(panic = "abort")]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[cfg(panic = "abort")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // Nothing in the shim can panic (no indexing, no unchecked arithmetic); if it ever did,
    // stop the program rather than return a wrong time.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: an invalid instruction: the kernel ends the process with SIGILL.
    unsafe {
        core::arch::asm!("ud2", options(noreturn))
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: as above.
    unsafe {
        core::arch::asm!("udf #0", options(noreturn))
    }
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
