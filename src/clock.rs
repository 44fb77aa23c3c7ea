//! The calendar, without a date crate: the auditor needs today's date (waiver expiry) and
//! timestamps (the run's start and end in every report, snapshots), all in UTC.
//!
//! `SOURCE_DATE_EPOCH` (the reproducible-builds convention: seconds since 1970-01-01 UTC)
//! replaces the clock everywhere, so that the same inputs give byte-identical reports; the
//! tests set it, and a pipeline may too.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch to (year, month, day, hour, minute, second), UTC.
fn civil(secs: u64) -> (i64, i64, i64, u64, u64, u64) {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The variable that fixes the time.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The time `SOURCE_DATE_EPOCH` fixes: `Ok(None)` when it is unset or empty, an error naming
/// the value when it is not a whole number of seconds (the convention asks to fail then rather
/// than fall back to the clock unseen).
pub fn source_date_epoch() -> Result<Option<u64>, String> {
    match std::env::var(SOURCE_DATE_EPOCH) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            format!("environment variable {SOURCE_DATE_EPOCH}: \"{v}\" is not a whole number of seconds since 1970-01-01 UTC")
        }),
        Err(_) => Ok(None),
    }
}

/// Now, in seconds since the epoch, and whether `SOURCE_DATE_EPOCH` fixed it. A malformed
/// `SOURCE_DATE_EPOCH` is left to [`source_date_epoch`]'s callers to refuse; here it is the clock.
pub fn now() -> (u64, bool) {
    match source_date_epoch() {
        Ok(Some(fixed)) => (fixed, true),
        _ => (SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()), false),
    }
}

/// `YYYY-MM-DD` of `secs`, UTC.
pub fn date(secs: u64) -> String {
    let (y, m, d, ..) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `secs`.
pub fn rfc3339(secs: u64) -> String {
    let (y, m, d, h, mi, s) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `YYYY-MM-DD`, UTC.
pub fn today() -> String {
    date(now().0)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_rfc3339() -> String {
    rfc3339(now().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_795_651_199), (2026, 11, 25, 23, 59, 59));
        assert_eq!(today().len(), 10);
        assert_eq!(rfc3339(1_795_651_199), "2026-11-25T23:59:59Z");
        assert_eq!(date(1_795_651_199), "2026-11-25");
    }
}
