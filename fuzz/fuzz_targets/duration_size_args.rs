//! The duration and size arguments (`--trigger 10s`, `--max-message-bytes 1MiB`, ...) on any text:
//! parsing never panics or overflows, a parsed duration written back as status lines write it
//! (`human_duration`) reads back to the same duration (to the 0.1 s those lines show), and a
//! parsed size written back as bytes, and as MiB when whole, reads back exactly.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use retailflow_stream::duration::{parse_byte_size, parse_duration};
use retailflow_stream::progress::human_duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(duration) = parse_duration(text) {
        let written = human_duration(duration);
        let again = parse_duration(&written)
            .unwrap_or_else(|e| panic!("{text:?} -> {duration:?} -> {written:?}: {e}"));
        let gap = duration.abs_diff(again);
        // `{:.1}s` is within 0.05 s; each trip through a double adds a relative 2^-52 or so.
        let tolerance = Duration::from_millis(50)
            + Duration::from_nanos(2)
            + duration.mul_f64(4.0 * f64::EPSILON);
        assert!(
            gap <= tolerance,
            "{text:?} -> {duration:?} -> {written:?} -> {again:?}"
        );
    }

    if let Ok(bytes) = parse_byte_size(text) {
        let digits = text.trim().bytes().take_while(u8::is_ascii_digit).count();
        assert!(digits > 0, "{text:?} read as {bytes} without digits");
        assert_eq!(
            parse_byte_size(&bytes.to_string()).ok(),
            Some(bytes),
            "{text:?}"
        );
        assert_eq!(
            parse_byte_size(&format!("{bytes} B")).ok(),
            Some(bytes),
            "{text:?}"
        );
        if bytes % (1 << 20) == 0 {
            let mebibytes = format!("{}MiB", bytes >> 20);
            assert_eq!(parse_byte_size(&mebibytes).ok(), Some(bytes), "{text:?}");
        }
    }
});
