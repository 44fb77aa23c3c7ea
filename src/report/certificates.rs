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

/// What a certificate is among the others of its file: `leaf` (it issued none of them) or `CA`
/// (it issued one of them, or signed itself); `None` when its file holds only it, so that two
/// rows of one file never read as the same certificate twice.
pub fn role(rows: &[CertificateRow], row: &CertificateRow) -> Option<&'static str> {
    let c = row.certificate.as_ref()?;
    let siblings: Vec<&CertificateRow> =
        rows.iter().filter(|r| r.source == row.source && r.target == row.target && r.certificate.is_some()).collect();
    if siblings.len() < 2 {
        return None;
    }
    let subject = c.subject_cn.as_deref();
    let issued_another = siblings
        .iter()
        .filter_map(|r| r.certificate.as_ref())
        .any(|other| other.sha256 != c.sha256 && subject.is_some() && other.issuer_cn.as_deref() == subject);
    Some(if issued_another || (subject.is_some() && subject == c.issuer_cn.as_deref()) { "CA" } else { "leaf" })
}

/// [`cells`], the name saying leaf or CA when its file holds several certificates.
pub fn cells_in(rows: &[CertificateRow], row: &CertificateRow) -> [String; 7] {
    let mut cells = cells(row);
    if let Some(role) = role(rows, row) {
        cells[0] = format!("{} ({role})", cells[0]);
    }
    cells
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::certificate::{CertificateInfo, Format};

    fn row(source: &str, subject: &str, issuer: &str, sha: &str) -> CertificateRow {
        CertificateRow {
            name: "calm-mtls.pem".into(),
            level: "file".into(),
            source: source.into(),
            format: Format::Pem,
            used_by: vec!["CALM_MTLS".into()],
            certificate: Some(CertificateInfo {
                subject_cn: Some(subject.into()),
                issuer_cn: Some(issuer.into()),
                serial: "01".into(),
                sha256: sha.into(),
                not_before: 0,
                not_after: 1,
            }),
            days_left: Some(1),
            error: None,
            target: None,
        }
    }

    /// Issue 29, point 12: a leaf and its CA in one file were two rows of the same name.
    #[test]
    fn certificates_of_one_file_say_leaf_or_ca() {
        let rows =
            [row("a.pem:1", "leaf.example", "CA 1", "aa"), row("a.pem:1", "CA 1", "CA 1", "bb"), row("b.pem:1", "solo", "CA 1", "cc")];
        let names: Vec<String> = rows.iter().map(|r| cells_in(&rows, r)[0].clone()).collect();
        assert_eq!(names, ["calm-mtls.pem (leaf)", "calm-mtls.pem (CA)", "calm-mtls.pem"]);
    }
}
