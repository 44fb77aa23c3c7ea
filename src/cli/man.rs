//! `man`: the manual pages, from the clap definitions (name, description, options, commands)
//! and from what `--help` cannot say: a synopsis with the values each option takes, the exit
//! status, the environment and examples.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use roff::{Roff, bold, italic, roman};

use super::shell::synopsis_items;
use super::{Cli, CliError, Exit, Output, write_atomically};

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write a page per command (calm-audit.1, calm-audit-check.1, ...) into DIR instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> Result<Output, CliError> {
    let Some(dir) = &args.dir else {
        let page = page(None).map_err(|e| CliError::Usage(format!("manual page: {e}")))?;
        return Ok(Output { stdout: page, stderr: Vec::new(), exit: Exit::Clean, stream: None });
    };
    let fail = |e: std::io::Error| CliError::Write { path: crate::model::shown::path(dir), message: e.to_string() };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut names = vec![None];
    names.extend(Cli::command().get_subcommands().filter(|s| !s.is_hide_set()).map(|s| Some(s.get_name().to_owned())));
    for name in names {
        let file = match &name {
            Some(sub) => format!("calm-audit-{sub}.1"),
            None => "calm-audit.1".to_owned(),
        };
        let text = page(name.as_deref()).map_err(|e| CliError::Usage(format!("manual page {file}: {e}")))?;
        write_atomically(&dir.join(file), &text)?;
    }
    Ok(Output {
        stdout: String::new(),
        stderr: vec![format!("wrote manual pages to {}", crate::model::shown::path(dir))],
        exit: Exit::Clean,
        stream: None,
    })
}

/// The page of `calm-audit` (`None`) or of one of its commands.
pub fn page(sub: Option<&str>) -> Result<String, std::io::Error> {
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let cmd = match sub {
        Some(name) => top
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("no command {name}")))?,
        None => top.clone(),
    };
    let title = sub.map_or_else(|| "calm-audit".to_owned(), |s| format!("calm-audit-{s}"));
    let man = clap_mangen::Man::new(cmd.clone()).title(title.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    out.extend(synopsis(&top, sub).to_roff().into_bytes());
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if sub.is_none() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut more = Roff::new();
    exit_status(&mut more, sub);
    environment(&mut more, sub);
    examples(&mut more, sub);
    see_also(&mut more, &top, sub);
    out.extend(more.to_roff().into_bytes());
    man.render_version_section(&mut out)?;
    let text = String::from_utf8(out).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    // Each part clap_mangen renders starts with the same two lines defining \*(Aq: once is enough.
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    Ok(match text.split_once(preamble) {
        Some((before, after)) => format!("{before}{preamble}{}", after.replace(preamble, "")),
        None => text,
    })
}

/// Every command with every option and the values it takes: `[--format table|json|...]`.
fn synopsis(top: &clap::Command, sub: Option<&str>) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    let commands: Vec<&clap::Command> =
        top.get_subcommands().filter(|s| !s.is_hide_set() && sub.is_none_or(|n| s.get_name() == n)).collect();
    for (i, command) in commands.iter().enumerate() {
        if i > 0 {
            roff.control("br", []);
        }
        let mut line = vec![bold(format!("calm-audit {}", command.get_name()))];
        for item in synopsis_items(command) {
            let many = if item.repeated { "..." } else { "" };
            match (&item.value, item.flag.is_empty()) {
                (Some(v), true) if item.required => line.extend([roman(" <"), italic(v.as_str()), roman(format!(">{many}"))]),
                (Some(v), true) => line.extend([roman(" ["), italic(v.as_str()), roman(format!("{many}]"))]),
                (Some(v), false) => {
                    line.extend([roman(" ["), bold(item.flag.as_str()), roman(" "), italic(v.as_str()), roman(format!("]{many}"))])
                }
                (None, _) => line.extend([roman(" ["), bold(item.flag.as_str()), roman("]")]),
            }
        }
        roff.text(line);
    }
    roff
}

fn item(roff: &mut Roff, term: &str, text: &str) {
    roff.control("TP", []).text([bold(term)]).text([roman(text)]);
}

fn exit_status(roff: &mut Roff, sub: Option<&str>) {
    roff.control("SH", ["EXIT STATUS"]);
    if matches!(sub, None | Some("check")) {
        item(
            roff,
            "0",
            "Nothing fails at or above --fail-on (default error). A partial audit (no Cloud ALM key or no settings) says so, and exits 0 unless --require refuses it.",
        );
        item(roff, "1", "Failures at or above --fail-on, not waived and, with --baseline, new.");
        item(
            roff,
            "2",
            "Invalid invocation or unreadable input: nothing was audited. Every such file is named, with its line. Also an input --require asks for that is not given, a report that cannot be written, and a run whose every target cannot be read.",
        );
        item(
            roff,
            "3",
            "The audit is incomplete: a live source failed part way, a file found in a walked folder could not be read, or a target could not be read while the others were audited. Wins over 1.",
        );
    } else {
        item(roff, "0", "Success.");
        item(roff, "2", "Invalid invocation, or a file that cannot be written.");
    }
}

/// The variables `check` reads, with what each stands for; the test suite checks that every
/// `CALM_AUDIT_*` name the source reads is here.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("CALM_AUDIT_CONFIG", "The configuration file, instead of ./calm-audit.toml (--config)."),
    ("CALM_AUDIT_DESTINATION_KEY", "The Destination service instance key: the JSON itself, or a path to it (--destination-key)."),
    ("VCAP_SERVICES", "A Cloud Foundry binding labelled destination supplies the key when neither of the above does."),
    ("CALM_AUDIT_SETTINGS", "The Entitlement Management settings file (--settings)."),
    ("CALM_AUDIT_CALM_KEY", "The SAP Cloud ALM service key (--calm-key)."),
    ("CALM_AUDIT_FORMAT", "The report format on standard output (--format)."),
    ("CALM_AUDIT_FAIL_ON", "The lowest severity that fails the run (--fail-on)."),
    ("CALM_AUDIT_REQUIRE", "Inputs without which the run exits 2 rather than audit partially, comma-separated (--require)."),
    ("CALM_AUDIT_SELECT", "Only these rules, codes or names, comma-separated (--select)."),
    ("CALM_AUDIT_IGNORE", "All rules but these, comma-separated (--ignore)."),
    ("CALM_AUDIT_PROFILE", "The profile every in-scope destination is judged by (--profile)."),
    ("CALM_AUDIT_BASELINE", "An earlier JSON or SARIF report to compare with (--baseline)."),
    ("CALM_AUDIT_ALL_RESULTS", "true: also show pass and not_applicable results (--all-results)."),
    ("CALM_AUDIT_SARIF_WAIVED", "true: include waived results in SARIF (--sarif-waived)."),
    ("CALM_AUDIT_NO_WAIVERS", "true: ignore every waiver (--no-waivers)."),
    ("CALM_AUDIT_EXCLUDE", "Globs left out of folder walks, comma-separated (--exclude)."),
    ("CALM_AUDIT_CONCURRENCY", "Targets audited at once (--concurrency)."),
    ("CALM_AUDIT_TIMEOUT", "Seconds allowed for each request of a live read (--timeout)."),
    ("CALM_AUDIT_DEADLINE", "Seconds allowed for the whole read of each live target (--deadline)."),
    ("CALM_AUDIT_PROBE", "true: ask SAP's find call for a token per destination (--probe)."),
    ("CALM_AUDIT_CA_CERT", "An extra trusted CA certificate for a live read (--ca-cert)."),
    ("CALM_AUDIT_VERBOSE", "true: log each request and each file skipped (--verbose)."),
    ("CALM_AUDIT_EXPIRY_DAYS", "Days a certificate must still be valid after the run's date (--expiry-days)."),
    (
        "CALM_AUDIT_TODAY",
        "The run's date, YYYY-MM-DD, instead of today's: waivers expire and certificates are dated against its start, and every report states it as the run's time. Beats SOURCE_DATE_EPOCH.",
    ),
    (
        "SOURCE_DATE_EPOCH",
        "Seconds since 1970-01-01 UTC: the run's instant (its start and end time in every report, the date of waivers and certificates), fixed for byte-identical reports (the reproducible-builds convention). A value that is not a whole number of seconds is refused with exit 2.",
    ),
    ("NO_COLOR", "Set to anything: no colour in the table report."),
    (
        "COLUMNS",
        "The width of the table report, explain and rules when neither standard output nor, when it is piped, standard error is a terminal that reports one. Never narrower than 40 columns: a smaller value is laid out as 40.",
    ),
    ("HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "The proxy of a live read."),
];

fn environment(roff: &mut Roff, sub: Option<&str>) {
    let shown: Vec<&(&str, &str)> = match sub {
        None | Some("check") => ENVIRONMENT.iter().collect(),
        Some("snapshot") => ENVIRONMENT
            .iter()
            .filter(|(name, _)| {
                matches!(*name, "CALM_AUDIT_DESTINATION_KEY" | "VCAP_SERVICES" | "SOURCE_DATE_EPOCH" | "HTTPS_PROXY, HTTP_PROXY, NO_PROXY")
            })
            .collect(),
        Some("rules" | "explain" | "profiles") => ENVIRONMENT.iter().filter(|(name, _)| *name == "COLUMNS").collect(),
        _ => Vec::new(),
    };
    if shown.is_empty() {
        return;
    }
    roff.control("SH", ["ENVIRONMENT"]);
    if matches!(sub, None | Some("check")) {
        roff.text([roman("Flags override these variables, which override calm-audit.toml; check --show-config prints every effective value and where it came from.")]);
    }
    for (name, text) in shown {
        item(roff, name, text);
    }
}

/// What each page shows as examples: what it does, and the command line.
fn examples_of(sub: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match sub {
        None | Some("check") => &[
            (
                "Audit cockpit exports with the settings and the Cloud ALM key:",
                "calm-audit check exports/ --settings settings.toml --calm-key calm-service-key.txt",
            ),
            (
                "Read the destinations live, refuse a partial audit, and write SARIF and JUnit beside the table:",
                "calm-audit check --destination-key destination-key.json --calm-key calm-service-key.txt --settings settings.toml --require calm-key,settings --report sarif=out/calm-audit.sarif --report junit=out/calm-audit.junit.xml",
            ),
            (
                "Gate a pull request on the destinations defined as code (MTA, Terraform) in this repository:",
                "calm-audit check . --format sarif --output calm-audit.sarif",
            ),
            (
                "Fail only on findings that are new since the last report, every target of calm-audit.toml at once:",
                "calm-audit check --baseline reports/latest.json --format markdown",
            ),
            (
                "A report that is byte-identical run after run (its times fixed):",
                "SOURCE_DATE_EPOCH=1767225600 calm-audit check exports/ --format json",
            ),
        ],
        Some("snapshot") => &[(
            "Save what the Destination service holds, secrets replaced by digests:",
            "calm-audit snapshot --destination-key destination-key.json --output snapshot.json",
        )],
        Some("init") => &[("Write a commented calm-audit.toml:", "calm-audit init")],
        Some("rules") => &[("The rules that judge an Intelligent RPA destination:", "calm-audit rules --profile intelligent-rpa")],
        Some("explain") => &[("What CALM004 checks, why, and how to fix it:", "calm-audit explain destination-url-trailing-slash")],
        Some("profiles") => &[("The profiles as Markdown:", "calm-audit profiles --format markdown")],
        Some("completions") => {
            &[("Install bash completion:", "calm-audit completions bash > ~/.local/share/bash-completion/completions/calm-audit")]
        }
        Some("man") => &[("Install the manual pages:", "calm-audit man --dir ~/.local/share/man/man1")],
        Some(_) => &[],
    }
}

fn examples(roff: &mut Roff, sub: Option<&str>) {
    let list = examples_of(sub);
    if list.is_empty() {
        return;
    }
    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in list {
        roff.control("PP", []).text([roman(*what)]);
        roff.control("RS", ["4"]).control("nf", []).text([roman(*command)]).control("fi", []).control("RE", []);
    }
}

fn see_also(roff: &mut Roff, top: &clap::Command, sub: Option<&str>) {
    let mut pages: Vec<String> = top
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && Some(s.get_name()) != sub)
        .map(|s| format!("calm-audit-{}(1)", s.get_name()))
        .collect();
    if sub.is_some() {
        pages.insert(0, "calm-audit(1)".to_owned());
    }
    roff.control("SH", ["SEE ALSO"]).text([roman(pages.join(", "))]);
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// Every example of every page is a command line calm-audit accepts.
    #[test]
    fn the_examples_parse() {
        let mut pages = vec![None];
        pages.extend(Cli::command().get_subcommands().map(|s| Some(s.get_name().to_owned())));
        let mut checked = 0;
        for page in pages {
            for (_, line) in examples_of(page.as_deref()) {
                // Leading variable assignments and a redirection are the shell's, not ours.
                let words: Vec<&str> =
                    line.split_whitespace().skip_while(|w| w.contains('=') && !w.starts_with('-')).take_while(|w| *w != ">").collect();
                assert_eq!(words.first(), Some(&"calm-audit"), "{line}");
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("`{line}` does not parse: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 10, "{checked}");
    }

    #[test]
    fn one_preamble_and_every_section() {
        let text = page(Some("check")).unwrap_or_default();
        assert_eq!(text.matches(".ds Aq").count(), 2, "{text}");
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "\"EXIT STATUS\"", "ENVIRONMENT", "EXAMPLES", "\"SEE ALSO\""] {
            assert!(text.contains(&format!(".SH {section}\n")), "no {section} in\n{text}");
        }
    }
}
