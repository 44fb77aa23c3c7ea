//! The certificates in use, as every report shows them (SPEC §3b): one row per certificate,
//! soonest to expire first, with its name, level, users, subject and issuer, not-after date and
//! days left. The renderers lay the rows out; the words and the cells are made here once.

use super::Report;
use crate::model::certificate::CertificateRow;

/// The columns, in order.
pub const HEADER: [&str; 7] = ["Name", "Level", "Used by", "Subject CN", "Issuer CN", "Not after", "Days left"];

/// Days left as a report says them: `20`, `today`, `expired 3 days ago`.
pub fn days_label(days: i64) -> String {
    match days {
        0 => "0 (expires today)".to_owned(),
        d if d > 0 => d.to_string(),
        -1 => "expired 1 day ago".to_owned(),
        d => format!("expired {} days ago", -d),
    }
}

/// The cells of a row; a keystore that cannot be read says why in place of the certificate.
pub fn cells(row: &CertificateRow) -> [String; 7] {
    let used_by = row.used_by.join(", ");
    match (&row.certificate, &row.error) {
        (Some(c), _) => [
            row.name.clone(),
            row.level.clone(),
            used_by,
            c.subject_cn.clone().unwrap_or_else(|| "(no CN)".to_owned()),
            c.issuer_cn.clone().unwrap_or_else(|| "(no CN)".to_owned()),
            crate::clock::date(c.not_after),
            row.days_left.map(days_label).unwrap_or_default(),
        ],
        (None, error) => [
            row.name.clone(),
            row.level.clone(),
            used_by,
            format!("unknown: {}", error.as_deref().unwrap_or("not read")),
            String::new(),
            "unknown".to_owned(),
            "unknown".to_owned(),
        ],
    }
}

/// The line under the list: how many keystores the run read that no audited destination uses.
pub fn unused_line(report: &Report) -> Option<String> {
    match report.coverage.certificates_unused {
        0 => None,
        n => Some(format!("{n} certificate file(s) read are used by no audited destination: counted, not judged")),
    }
}

/// The section's title: how many, and the order.
pub fn title(report: &Report) -> String {
    format!("Certificates in use ({}, soonest to expire first)", report.certificates.len())
}
