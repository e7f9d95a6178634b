//! The checker's own reading of an HTTP date, independent of chapter 2's.
//!
//! A server must send dates in IMF-fixdate form only (RFC 9110 §5.6.7):
//! `Sun, 06 Nov 1994 08:49:37 GMT`, always 29 bytes. The obsolete forms that
//! a *recipient* must also accept are not accepted here: the checker grades
//! what a server sends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An IMF-fixdate, for messages that show the reader what is expected.
pub const EXAMPLE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn number(s: &str) -> Option<i64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses an IMF-fixdate; `None` for anything else, including a weekday
/// that does not match the date.
pub fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 29 || &s[3..5] != ", " || &s[25..] != " GMT" {
        return None;
    }
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let weekday = DAYS.iter().position(|d| *d == &s[..3])?;
    let day = number(&s[5..7])?;
    let month = MONTHS.iter().position(|m| *m == &s[8..11])? as i64 + 1;
    let year = number(&s[12..16])?;
    let (h, mi, sec) = (
        number(&s[17..19])?,
        number(&s[20..22])?,
        number(&s[23..25])?,
    );
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_len[month as usize - 1] || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday (index 3).
    if (days + 3).rem_euclid(7) as usize != weekday || days < 0 {
        return None;
    }
    let secs = days as u64 * 86_400 + (h * 3600 + mi * 60 + sec) as u64;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_is_read() {
        let t = parse_imf_fixdate(EXAMPLE).unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        let leap = parse_imf_fixdate("Thu, 29 Feb 2024 23:59:59 GMT").unwrap();
        assert_eq!(
            leap.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_251_199
        );
    }

    #[test]
    fn other_forms_and_impossible_dates_are_refused() {
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse_imf_fixdate(bad), None, "{bad}");
        }
    }
}
