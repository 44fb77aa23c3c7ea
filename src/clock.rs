//! The calendar, without a date crate: the auditor needs today's date (waiver expiry), the run's
//! instant (the days a certificate has left) and timestamps (snapshots), all in UTC.
//!
//! The run's date can be fixed, so that tests and committed reports never depend on the day they
//! run: `CALM_AUDIT_TODAY=YYYY-MM-DD` (the start of that day), else `SOURCE_DATE_EPOCH` (seconds,
//! the reproducible-builds convention), else the system clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The variable that fixes the run's date.
pub const TODAY_VAR: &str = "CALM_AUDIT_TODAY";
/// The reproducible-builds variable that fixes the run's instant.
pub const EPOCH_VAR: &str = "SOURCE_DATE_EPOCH";

/// Seconds since the Unix epoch (negative before 1970) to (year, month, day, hour, minute,
/// second), UTC.
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rest) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
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

/// Days since 1970-01-01 of a civil date (the inverse of [`civil`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What fixed the run's instant, as the reports say it: [`TODAY_VAR`], [`EPOCH_VAR`], or
/// `clock` when nothing did ([`run_instant`]'s order).
pub fn time_source() -> &'static str {
    if std::env::var_os(TODAY_VAR).is_some() {
        TODAY_VAR
    } else if std::env::var_os(EPOCH_VAR).is_some() {
        EPOCH_VAR
    } else {
        "clock"
    }
}

/// Now, by the system clock: the end of a run whose times nothing fixed.
pub fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DD` of an instant, UTC.
pub fn date(secs: i64) -> String {
    let (y, m, d, ..) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of an instant.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d, h, mi, s) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// The start of a `YYYY-MM-DD` day (UTC), for a real calendar date only.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (y, m, d) = (num(&text[..4])?, num(&text[5..7])?, num(&text[8..])?);
    let secs = days_from_civil(y, m, d) * DAY;
    // 2026-02-30 would roll over to March: only a date that reads back the same is one.
    (date(secs) == text).then_some(secs)
}

/// An instant written as [`rfc3339`] writes it.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (day, time) = text.strip_suffix('Z')?.split_once('T')?;
    let start = parse_date(day)?;
    let t = time.as_bytes();
    if t.len() != 8 || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let part = |s: &str, max: i64| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten().filter(|v| *v <= max);
    Some(start + part(&time[..2], 23)? * 3600 + part(&time[3..5], 59)? * 60 + part(&time[6..], 59)?)
}

/// The run's instant: the start of `CALM_AUDIT_TODAY`, else `SOURCE_DATE_EPOCH`, else now. A
/// variable that is set to something else is an error naming it (never a silent "now").
pub fn run_instant() -> Result<i64, String> {
    instant_from(std::env::var(TODAY_VAR).ok(), std::env::var(EPOCH_VAR).ok())
}

fn instant_from(today: Option<String>, epoch: Option<String>) -> Result<i64, String> {
    if let Some(d) = today {
        return parse_date(d.trim()).ok_or_else(|| format!("environment variable {TODAY_VAR}: \"{d}\" is not a date YYYY-MM-DD"));
    }
    if let Some(e) = epoch {
        return e
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 0)
            .ok_or_else(|| format!("environment variable {EPOCH_VAR}: \"{e}\" is not a number of seconds since 1970"));
    }
    Ok(now_secs())
}

/// `YYYY-MM-DD`, UTC, of the run ([`run_instant`]; the system clock when that cannot be read).
pub fn today() -> String {
    date(run_instant().unwrap_or_else(|_| now_secs()))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, now.
pub fn now_rfc3339() -> String {
    rfc3339(now_secs())
}

/// Whole calendar days from the day of `from` to the day of `to` (negative when `to` is earlier).
pub fn days_between(from: i64, to: i64) -> i64 {
    to.div_euclid(DAY) - from.div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_795_651_199), (2026, 11, 25, 23, 59, 59));
        assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn dates_and_instants_read_back_what_is_written() {
        for secs in [0, 951_782_400, 1_795_651_199, -86_400 * 365 * 20 + 17, 253_402_300_799] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs), "{secs}");
            assert_eq!(parse_date(&date(secs)), Some(secs.div_euclid(DAY) * DAY), "{secs}");
        }
        for bad in ["2026-02-30", "2026-13-01", "2026-1-01", "26-01-01", "2026-01-01x", "２０２６-01-01", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for bad in ["2026-01-01T24:00:00Z", "2026-01-01T10:00:00", "2026-01-01 10:00:00Z", "2026-01-01T1:00:00Z"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(days_between(parse_rfc3339("2026-05-01T23:00:00Z").unwrap(), parse_rfc3339("2026-05-02T01:00:00Z").unwrap()), 1);
        assert_eq!(days_between(parse_date("2026-05-10").unwrap(), parse_date("2026-05-01").unwrap()), -9);
    }

    #[test]
    fn the_run_date_is_fixed_by_either_variable_and_bad_values_are_named() {
        let may = parse_date("2026-05-01").unwrap();
        assert_eq!(instant_from(Some("2026-05-01".into()), Some("0".into())), Ok(may));
        assert_eq!(instant_from(None, Some(" 1777593600 ".into())), Ok(1_777_593_600));
        assert!(instant_from(Some("May 1".into()), None).unwrap_err().contains(TODAY_VAR));
        assert!(instant_from(None, Some("yesterday".into())).unwrap_err().contains(EPOCH_VAR));
        assert!(instant_from(None, None).unwrap() > may - 365 * DAY * 10);
    }
}
