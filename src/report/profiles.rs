//! The profiles shown to people: `calm-audit profiles` (table, JSON, Markdown; the Markdown is
//! `docs/profiles.md`), generated from `rules/profiles.toml` like the catalog pages.

use super::CatalogFormat;
use super::text::{grid, indented};
use crate::rules::profiles::{Condition, Profile, Profiles, Step, Verdict};
use crate::rules::{Catalog, Rule};

/// One recognition step as a sentence: "property systemRole present".
pub fn condition_text(step: &Step) -> String {
    let case = if step.ignore_case { ", any letter case" } else { "" };
    match &step.condition {
        Condition::Settings => "the Entitlement Management settings name the destination".to_owned(),
        Condition::Name(n) => format!("name is `{n}`{case}"),
        Condition::NamePrefix(p) => format!("name starts with `{p}`{case}"),
        Condition::Property(p) => format!("property `{p}` present (any value)"),
        Condition::HostSuffix(h) => format!("URL host ends with `{h}`{case}"),
    }
}

fn verdict_text(step: &Step) -> String {
    match &step.verdict {
        Verdict::Profile(p) => format!("`{p}`"),
        Verdict::NotAudited(what) => format!("not audited: {what}"),
    }
}

/// Which profiles judge a rule, as `explain` and the docs say it; [`left_out`] says why the
/// profiles named after "except" leave it out.
pub fn profiles_of_rule(profiles: &Profiles, code: &str) -> String {
    if profiles.common.rules.iter().any(|c| c == code) {
        let except: Vec<&str> = profiles.left_out_by(code).iter().map(|(p, _)| p.name.as_str()).collect();
        let mut text = match except.as_slice() {
            [] => "every profile (a common push rule)".to_owned(),
            [one] => format!("every profile except {one} (a common push rule it leaves out)"),
            [init @ .., last] => format!("every profile except {} and {last} (a common push rule they leave out)", init.join(", ")),
        };
        if profiles.run.rules.iter().any(|c| c == code) {
            text.push_str("; also the certificate of an X.509 key, once per run");
        }
        return text;
    }
    if profiles.run.rules.iter().any(|c| c == code) {
        return "every run with a Cloud ALM key, whatever the destinations' profiles".to_owned();
    }
    let names: Vec<&str> = profiles.of_rule(code).iter().map(|p| p.name.as_str()).collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// Each profile that leaves out the common rule `code`, with why: "NAME: REASON".
pub fn left_out(profiles: &Profiles, code: &str) -> Vec<String> {
    profiles.left_out_by(code).iter().map(|(p, why)| format!("{}: {why}", p.name)).collect()
}

/// The common rules `p` leaves out, as the table and the docs list them.
fn leaves_out_text(p: &Profile) -> Option<String> {
    (!p.leaves_out.is_empty()).then(|| p.leaves_out.keys().cloned().collect::<Vec<_>>().join(", "))
}

/// The rules that judge a run whose destinations have `profile`: the common ones, the run's,
/// and the profile's own, in catalog order.
pub fn rules_of<'a>(catalog: &'a Catalog, profiles: &Profiles, profile: &Profile) -> Vec<&'a Rule> {
    catalog.rules.iter().filter(|r| profiles.applies(profile, &r.code) || profiles.run.rules.contains(&r.code)).collect()
}

/// The profiles in `format`; the table is laid out for `width` columns (a list when it would not
/// fit without cutting a word).
pub fn render(profiles: &Profiles, format: CatalogFormat, width: usize) -> String {
    match format {
        CatalogFormat::Table => {
            let rows: Vec<Vec<String>> = profiles
                .profiles
                .iter()
                .map(|p| {
                    let own = if p.rules.is_empty() { "none".to_owned() } else { p.rules.join(", ") };
                    let left = leaves_out_text(p).unwrap_or_else(|| "none".to_owned());
                    vec![p.name.clone(), p.title.clone(), own, left, recognised_by(profiles, p).join("; ").replace('`', "")]
                })
                .collect();
            let header = ["Profile", "Service", "Rules beyond the common ones", "Common rules left out", "Recognised by"];
            let table = grid(&header, &rows, width).unwrap_or_else(|| {
                let mut list = String::new();
                for row in &rows {
                    list.push_str(&indented(&format!("{} · {}", row[0], row[1]), width, 0, 4));
                    list.push_str(&indented(&format!("rules beyond the common ones: {}", row[2]), width, 4, 6));
                    list.push_str(&indented(&format!("common rules left out: {}", row[3]), width, 4, 6));
                    list.push_str(&indented(&format!("recognised by: {}", row[4]), width, 4, 6));
                }
                list
            });
            let mut out = format!("{table}\n");
            out.push_str(&indented(
                &format!("Common rules (every profile, but for those it leaves out): {}", profiles.common.rules.join(", ")),
                width,
                0,
                4,
            ));
            out.push_str(&indented(
                &format!("Rules of the run (the Cloud ALM key, the keys' certificates): {}", profiles.run.rules.join(", ")),
                width,
                0,
                4,
            ));
            let left: Vec<String> = profiles
                .profiles
                .iter()
                .flat_map(|p| p.leaves_out.iter().map(move |(code, why)| format!("{} leaves out {code}: {why}", p.name)))
                .collect();
            if !left.is_empty() {
                out.push_str("\nCommon rules left out, and why:\n");
                for line in &left {
                    out.push_str(&indented(line, width, 2, 4));
                }
            }
            out.push_str("\nRecognition, first match wins:\n");
            let explicit = "0. an explicit choice: [profiles] in calm-audit.toml, then --profile or profile = \"...\"";
            out.push_str(&indented(explicit, width, 2, 5));
            for (i, step) in profiles.recognise.iter().enumerate() {
                let line = format!("{}. {} => {}", i + 1, condition_text(step), verdict_text(step)).replace('`', "");
                out.push_str(&indented(&line, width, 2, 5));
            }
            out
        }
        CatalogFormat::Json => {
            let mut text = serde_json::to_string_pretty(profiles).unwrap_or_default();
            text.push('\n');
            text
        }
        CatalogFormat::Markdown => markdown(profiles),
    }
}

fn recognised_by(profiles: &Profiles, p: &Profile) -> Vec<String> {
    profiles
        .recognise
        .iter()
        .filter(|s| s.verdict == Verdict::Profile(p.name.clone()))
        .map(condition_text)
        .chain(std::iter::once("an explicit choice".to_owned()))
        .collect()
}

fn markdown(profiles: &Profiles) -> String {
    let catalog = Catalog::builtin();
    let mut s = String::from(
        "# calm-audit profiles\n\n<!-- Generated by `calm-audit profiles --format markdown`; edit rules/profiles.toml instead. -->\n\n",
    );
    s.push_str(
        "SAP's Cloud ALM setup guide describes the same OAuth2 push destination for several services, each with its own \
         page and its own small differences. calm-audit recognises the purpose of every in-scope destination and judges \
         it by that purpose's profile; it never judges a destination by the rules of a purpose it does not serve.\n\n",
    );
    s.push_str("## Recognition\n\nFirst match wins. An explicit choice comes first: the `[profiles]` table of `calm-audit.toml` (a destination name or glob to a profile; an exact name beats a glob, then the first glob in the file), then `--profile NAME` (or `CALM_AUDIT_PROFILE`), then `profile = \"NAME\"` in a `[[target]]`, then at the top of the file.\n\n");
    s.push_str("| # | when | judged by | reason shown |\n|---|---|---|---|\n");
    for (i, step) in profiles.recognise.iter().enumerate() {
        s.push_str(&format!("| {} | {} | {} | {} |\n", i + 1, condition_text(step), verdict_text(step), step.reason));
    }
    s.push_str("\nOnly in-scope destinations are recognised (a `CALM_` or `sap_process_automation_cloud_alm` name in any letter case, a `*.alm.cloud.sap` URL host, or named by the settings): the properties only tell purposes apart, and many destinations outside Cloud ALM carry `sap.processautomation.enabled`. A destination not audited is listed in the report's `not_audited` with the reason, and never failed; a name that the table marks not audited is named so even when the destination is out of scope (a MAIL destination has no Cloud ALM URL).\n");
    s.push_str(&format!(
        "\n## Common rules\n\n{}\n\nEvery profile applies {}, except those a profile leaves out (named under it, with why).\n\nThe rules of the run ({}: the Cloud ALM key, and the certificates of X.509 keys) are judged once per run, whatever the destinations' profiles.\n",
        profiles.common.summary,
        profiles.common.rules.iter().map(|c| format!("[{c}](rules.md#{})", c.to_ascii_lowercase())).collect::<Vec<_>>().join(", "),
        profiles.run.rules.join(", ")
    ));
    for p in &profiles.profiles {
        s.push_str(&format!("\n## {}\n\n**{}**. {}\n\nSAP page: <{}>\n\n", p.name, p.title, p.summary, p.page));
        s.push_str(&format!("Recognised by: {}.\n\n", recognised_by(profiles, p).join("; ")));
        if p.rules.is_empty() {
            s.push_str("Rules beyond the common ones: none.\n");
        } else {
            s.push_str("Rules beyond the common ones:\n\n");
            for code in &p.rules {
                let summary = catalog.find(code).map_or("", |r| r.summary.as_str());
                s.push_str(&format!("- [{code}](rules.md#{}): {summary}\n", code.to_ascii_lowercase()));
            }
        }
        if !p.leaves_out.is_empty() {
            s.push_str("\nCommon rules it leaves out, and why:\n\n");
            for (code, why) in &p.leaves_out {
                s.push_str(&format!("- [{code}](rules.md#{}): {why}\n", code.to_ascii_lowercase()));
            }
        }
        if p.explicit_defaults {
            s.push_str("\nThe page asks for `ProxyType` and `tokenServiceURLType` explicitly: an absent one is a warning.\n");
        } else {
            s.push_str("\nThe page does not ask for `ProxyType` or `tokenServiceURLType`: an absent one passes (BTP's defaults, `Internet` and `Dedicated`, are right); a wrong one still fails.\n");
        }
        if let Some(hint) = &p.hint {
            s.push_str(&format!("\nThe reports say: {hint}.\n"));
        }
    }
    s
}
