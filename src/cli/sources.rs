//! The source flags shared by `check` and `snapshot`, and the one place that reads every
//! input: files, the live Destination Service, settings and the Cloud ALM key.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::model::certificate::{KeyCertificate, Keystore};
use crate::model::url::{redact, redact_urls_in};
use crate::model::{CloudAlmKey, Destination, Settings, SourceFailure};
use crate::rules::in_scope;
use crate::source::live::{self, LiveOptions, key::DestinationKey};
use crate::source::{InputError, certs, files, key, settings};

#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Destination files or folders: cockpit exports (.properties, .props, .txt, no extension),
    /// JSON or YAML, config.json with init_data, zip archives, calm-audit snapshots, and
    /// destinations as code: MTA descriptors (mta.yaml, *.mtaext) and Terraform (*.tf,
    /// *.tf.json, *.tfvars, `terraform show -json` output); `-` reads one document from
    /// standard input. Folders are walked recursively, honouring .gitignore and skipping hidden
    /// entries.
    pub paths: Vec<PathBuf>,
    /// Leave out files and folders matching GLOB (gitignore syntax, relative to each walked
    /// folder; repeatable): --exclude 'legacy/**' --exclude '*.bak.json'.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// A Terraform variables file to apply, as `terraform plan -var-file FILE` does (repeatable,
    /// in Terraform's order: later wins). A .tfvars file other than terraform.tfvars and
    /// *.auto.tfvars is never applied by itself.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Destination service instance key (JSON): read the destinations live from the BTP
    /// Destination Service. Also taken from CALM_AUDIT_DESTINATION_KEY (the JSON or a path) or
    /// a VCAP_SERVICES binding labelled "destination".
    #[arg(long, value_name = "FILE")]
    pub destination_key: Option<PathBuf>,
    /// Entitlement Management settings (TOML or JSON).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// SAP Cloud ALM service key (JSON, often saved as .txt).
    #[arg(long, value_name = "FILE")]
    pub calm_key: Option<PathBuf>,
    /// Live: seconds allowed for each request, reading the answer included [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<f64>,
    /// Live: seconds allowed for the whole read of each live target, Retry-After waits
    /// included; past it the target is a failed source (exit 3) [default: 600].
    #[arg(long, value_name = "SECONDS", value_parser = parse_deadline)]
    pub deadline: Option<f64>,
    /// Live: ask SAP's find call to fetch a token for each in-scope destination (CALM016).
    #[arg(long)]
    pub probe: bool,
    /// Live: an extra trusted CA certificate (PEM), e.g. of a TLS-inspecting proxy. Verification stays on.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Log each request and its outcome on standard error (never a secret or token), and list
    /// every file a folder walk skipped, with the reason.
    #[arg(long, short)]
    pub verbose: bool,
    /// Largest input file (or archive entry) read, e.g. 64M (default), 1G, 500K.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Whether CALM_AUDIT_DESTINATION_KEY and VCAP_SERVICES may supply the key (not for the
    /// targets of a configuration file, which name their own).
    #[arg(skip = true)]
    pub env_credentials: bool,
}

fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, factor) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1024),
        Some((i, 'M' | 'm')) => (&t[..i], 1024 * 1024),
        Some((i, 'G' | 'g')) => (&t[..i], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a size such as 64M, 1G or 500000".into())
}

pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err("expected a number of seconds between 0 and 3600".into()),
    }
}

/// The longest `--deadline`: a day.
const MAX_DEADLINE_SECS: f64 = 86_400.0;

pub fn parse_deadline(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= MAX_DEADLINE_SECS => Ok(s),
        _ => Err(format!("expected a number of seconds between 0 and {MAX_DEADLINE_SECS}")),
    }
}

/// Everything read for one run.
pub struct Gathered {
    pub destinations: Vec<Destination>,
    pub settings: Option<Settings>,
    pub key: Option<CloudAlmKey>,
    pub failures: Vec<SourceFailure>,
    /// Keystores a bound refused (SPEC §8): failed sources of the run, though the destination
    /// list is whole, so the rules over all destinations still judge it.
    pub keystores_refused: Vec<SourceFailure>,
    pub files_read: usize,
    pub skipped: Vec<files::Skipped>,
    /// Files and folders a walk left out by an ignore rule.
    pub ignored: Vec<files::Skipped>,
    /// What the user should know about the inputs (a key or settings file found in a walk).
    pub notes: Vec<String>,
    /// Terraform variables files found and not applied.
    pub not_applied: Vec<String>,
    /// A destination source was given (paths or live).
    pub destinations_given: bool,
    /// Levels are known from a live read or a snapshot of one.
    pub live: bool,
    pub probe: bool,
    pub live_service: Option<String>,
    pub subaccount_id: Option<String>,
    /// Certificate and keystore files, the live certificate lists, Terraform's uploads; those an
    /// in-scope destination names opened with its password (SPEC §3b).
    pub keystores: Vec<Keystore>,
    /// A source of certificates was read (a file, the live lists): a keystore not found is
    /// then missing, not merely unseen.
    pub certificate_source: bool,
    /// The certificate of an X.509 destination service key (live, or from a snapshot).
    pub destination_key_certificate: Option<KeyCertificate>,
}

impl Gathered {
    /// How many files and folders each kind of ignore file left out (`.gitignore`: 3).
    pub fn ignored_by(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for s in &self.ignored {
            *counts.entry(s.reason.strip_prefix("ignored by ").unwrap_or(&s.reason)).or_default() += 1;
        }
        counts.into_iter().map(|(by, n)| (by.to_owned(), n)).collect()
    }
}

/// Writes a log line to standard error; the output layer's one way to speak during a run.
fn stderr_line(line: &str) {
    crate::output::stderr_line(line);
}

/// `slim`: out-of-scope destinations from files may keep only their names (an audit that
/// saves no snapshot needs no more of them).
pub fn gather(args: &SourceArgs, slim: bool) -> Result<Gathered, CliError> {
    let destination_key =
        live::key::resolve(args.destination_key.as_deref(), std::env::var(live::key::ENV_KEY).ok(), std::env::var("VCAP_SERVICES").ok())
            .map_err(|e| match args.destination_key.as_deref().and_then(|p| Some((p, settings::misplaced_file(p)?))) {
                // Another input given as the Destination service key: what it is, and its flag.
                Some((path, other)) if other != settings::Misplaced::DestinationKey => {
                    InputError::new(crate::model::shown::path(path), None, other.hint("a Destination service key (--destination-key)"))
                }
                _ => e,
            })?;
    if args.paths.is_empty() && destination_key.is_none() && args.settings.is_none() && args.calm_key.is_none() {
        return Err(CliError::Usage(
            "nothing to audit: give destination files or folders, --destination-key, --settings or --calm-key".into(),
        ));
    }
    if args.probe && destination_key.is_none() {
        return Err(CliError::Usage("--probe needs the live Destination Service (--destination-key)".into()));
    }
    // Every unreadable input of the run is named at once, not one per rerun.
    let mut errors = Vec::new();
    let settings = args.settings.as_deref().map(settings::load_all).transpose().unwrap_or_else(|e| {
        errors.extend(e);
        None
    });
    let key = args.calm_key.as_deref().map(key::load).transpose().unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let walk = files::Walk {
        exclude_files: args.settings.iter().chain(&args.calm_key).chain(&args.destination_key).cloned().collect(),
        exclude_globs: args.exclude.clone(),
        var_files: args.var_file.clone(),
        selected: settings.as_ref().and_then(Settings::named_destination).map(str::to_owned),
    };
    let mut limits = files::Limits::default();
    if let Some(max) = args.max_file_size {
        limits.max_file_bytes = max;
        limits.max_zip_total_bytes = limits.max_zip_total_bytes.max(max);
    }
    let slim = slim.then(|| settings.as_ref().and_then(Settings::named_destination).map(str::to_owned));
    let loaded = files::load_paths(&args.paths, &walk, &limits, slim.clone()).unwrap_or_else(|e| {
        errors.extend(e);
        files::Loaded::default()
    });
    if !errors.is_empty() {
        return Err(CliError::Inputs(errors));
    }
    // Certificates alone are nothing to audit: an audit never passes on nothing.
    if destination_key.is_none() && loaded.destinations.is_empty() && loaded.failures.is_empty() && !loaded.keystores.is_empty() {
        let paths: Vec<String> = args.paths.iter().map(|p| crate::model::shown::path(p)).collect();
        return Err(CliError::Usage(format!(
            "no destination read from {}: only certificates or keystores, which are audited for the destinations that name them",
            paths.join(", ")
        )));
    }

    let mut gathered = Gathered {
        destinations: loaded.destinations,
        settings,
        key,
        failures: loaded.failures,
        keystores_refused: Vec::new(),
        files_read: loaded.files_read,
        skipped: loaded.skipped,
        ignored: loaded.ignored,
        notes: loaded.notes,
        not_applied: loaded.not_applied,
        destinations_given: !args.paths.is_empty() || destination_key.is_some(),
        live: loaded.live,
        probe: loaded.probe,
        live_service: None,
        subaccount_id: None,
        certificate_source: loaded.certificates_read || !loaded.keystores.is_empty(),
        keystores: loaded.keystores,
        destination_key_certificate: loaded.destination_key_certificate,
    };
    if let Some(dk) = destination_key {
        if let live::key::Credential::Certificate { certificate_pem, .. } = &dk.credential {
            let pem = certificate_pem.expose_for_token_request().unwrap_or_default();
            gathered.destination_key_certificate = Some(certs::key_certificate(pem, &dk.source, dk.certificate_line, "certificate"));
        }
        read_live(args, &dk, &mut gathered, slim)?;
    }
    let settings = gathered.settings.as_ref();
    let scoped: Vec<&Destination> = gathered.destinations.iter().filter(|d| in_scope(d, settings)).collect();
    gathered.keystores_refused = certs::open_for(&mut gathered.keystores, &scoped);
    // A failure message may quote a URL (an HTTP client's error does): never its secrets.
    for failure in gathered.failures.iter_mut().chain(&mut gathered.keystores_refused) {
        failure.source = redact_urls_in(&failure.source).into_owned();
        failure.message = redact_urls_in(&failure.message).into_owned();
    }
    Ok(gathered)
}

fn read_live(args: &SourceArgs, dk: &DestinationKey, gathered: &mut Gathered, slim: Option<Option<String>>) -> Result<(), CliError> {
    let timeout = Duration::from_secs_f64(args.timeout.unwrap_or(30.0));
    let deadline = Duration::from_secs_f64(args.deadline.unwrap_or(600.0));
    let mut options = LiveOptions { timeout, deadline, probe: args.probe, slim, ..LiveOptions::default() };
    options.connect_timeout = options.connect_timeout.min(options.timeout);
    if let Some(path) = &args.ca_cert {
        let shown = crate::model::shown::path(path);
        let pem = std::fs::read(path).map_err(|e| InputError::new(&shown, None, format!("cannot read CA certificate: {e}")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| InputError::new(&shown, None, "not a PEM certificate"))?;
        if certs.is_empty() {
            return Err(InputError::new(&shown, None, "no certificate in the file").into());
        }
        options.extra_roots = certs;
    }
    let bar = if crate::output::stderr_is_terminal() { indicatif::ProgressBar::new(2) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} reading destinations: {pos}/{len} pages {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let log: live::Log = if args.verbose {
        let bar = bar.clone();
        Arc::new(move |line: &str| bar.suspend(|| stderr_line(&redact_urls_in(line))))
    } else {
        Arc::new(|_: &str| {})
    };
    let progress: live::Progress = {
        let bar = bar.clone();
        Arc::new(move |done, total| {
            if total > 1 {
                bar.inc_length(total - 1);
            }
            bar.inc(done);
        })
    };
    let settings = gathered.settings.as_ref();
    let scope = |d: &Destination| in_scope(d, settings);
    let read = live::read(dk, options, &scope, log, progress)?;
    bar.finish_and_clear();
    gathered.destinations.extend(read.destinations);
    gathered.keystores.extend(read.keystores);
    gathered.certificate_source |= read.certificates_read;
    gathered.failures.extend(read.failures);
    gathered.live = true;
    gathered.probe |= args.probe;
    gathered.live_service = Some(redact(&read.service));
    gathered.subaccount_id = Some(read.subaccount_id);
    Ok(())
}
