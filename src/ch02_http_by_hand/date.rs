//! HTTP dates (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
//!
//! Every response carries `Date` (RFC 9110 §6.6.1), and chapter 6 compares
//! `If-Modified-Since` against a file's modification time, so we need both
//! directions. No date crate: the calendar arithmetic is Howard Hinnant's
//! `days_from_civil` / `civil_from_days`, exact for the proleptic Gregorian
//! calendar.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1..=12, day 1..=31) of a day counted from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to the given civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats a time as an IMF-fixdate, the only format a sender may generate.
pub fn format_http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `format_http_date(SystemTime::now())`.
pub fn now() -> String {
    format_http_date(SystemTime::now())
}

/// Parses an HTTP date. RFC 9110 §5.6.7: a recipient MUST accept all three
/// formats: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete
/// RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and C's asctime
/// (`Sun Nov  6 08:49:37 1994`). Returns `None` for anything else (an
/// invalid date in a conditional header means the header is ignored).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (y, mon, d, hms) = if let Some((_, rest)) = s.split_once(", ") {
        if rest.len() == 24 && rest.ends_with(" GMT") {
            // IMF-fixdate: 06 Nov 1994 08:49:37 GMT
            let p: Vec<&str> = rest.split(' ').collect();
            if p.len() != 5 {
                return None;
            }
            (p[2].parse::<i64>().ok()?, p[1], p[0], p[3])
        } else {
            // RFC 850: 06-Nov-94 08:49:37 GMT
            let p: Vec<&str> = rest.split(' ').collect();
            if p.len() != 3 || p[2] != "GMT" {
                return None;
            }
            let dmy: Vec<&str> = p[0].split('-').collect();
            if dmy.len() != 3 || dmy[2].len() != 2 {
                return None;
            }
            let yy: i64 = dmy[2].parse().ok()?;
            // RFC 9110: a two-digit year more than 50 years in the future
            // is in the past century; we use the simple 1970 pivot.
            let y = if yy >= 70 { 1900 + yy } else { 2000 + yy };
            (y, dmy[1], dmy[0], p[1])
        }
    } else {
        // asctime: Sun Nov  6 08:49:37 1994
        let p: Vec<&str> = s.split_whitespace().collect();
        if p.len() != 5 {
            return None;
        }
        (p[4].parse::<i64>().ok()?, p[1], p[2], p[3])
    };
    let m = MONTHS.iter().position(|&x| x == mon)? as u32 + 1;
    let d: u32 = d.parse().ok()?;
    let t: Vec<&str> = hms.split(':').collect();
    if t.len() != 3 || t.iter().any(|x| x.len() != 2) {
        return None;
    }
    let (hh, mm, ss): (i64, i64, i64) =
        (t[0].parse().ok()?, t[1].parse().ok()?, t[2].parse().ok()?);
    if !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 || !(1970..=9999).contains(&y) {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example_in_all_three_formats() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
    }

    #[test]
    fn round_trips_over_many_days() {
        let mut rng = crate::rng::Rng::with_seed(1);
        for _ in 0..2000 {
            let secs = rng.below(8_000_000_000);
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_http_date(&format_http_date(t)), Some(t), "{secs}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(s), None, "{s}");
        }
    }
}
