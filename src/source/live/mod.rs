//! The live source: reads every destination of both levels from the BTP Destination Service
//! with a destination service instance key, and (with `--probe`) asks SAP's find call to fetch
//! a token for each in-scope destination. Every fault ends in a [`SourceFailure`]; nothing here
//! turns a fault into a pass.

mod answer;
mod http;
pub mod key;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::Url;
use serde_json::value::RawValue;
use tokio::task::JoinSet;

use self::answer::Service;
use self::http::{Answer, BodyLimit, Failed, Http, check_url, form_encode, path_segment};
use self::key::{Credential, DestinationKey};
use crate::model::certificate::{Held, Keystore, keystore_property};
use crate::model::{Destination, Level, Origin, Probe, Property, Secret, SourceFailure};
use crate::source::tree::{Key, raw_string};
use crate::source::{InputError, Keep, build_destination};

/// A sink for verbose log lines (never given a secret or a token).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Called after each page with (pages read, pages known so far).
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Per request, including reading the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Tries per request, the first included.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub max_backoff: Duration,
    /// Upper bound for a server's `Retry-After`.
    pub max_retry_after: Duration,
    pub page_size: u32,
    /// Pages (and find calls) in flight at once.
    pub concurrency: usize,
    /// The whole read of one live target (token, every page, find calls), `Retry-After` waits
    /// included (`--deadline`): past it the target is a failed source.
    pub deadline: Duration,
    /// The most bytes of all answers of the target together (every page of both levels, the
    /// certificate lists, the find calls): past it the target is a failed source, before the
    /// destinations read use more memory.
    pub max_target_bytes: usize,
    pub probe: bool,
    /// As [`crate::source::files::Loaded::slim`]: `Some(named)` keeps only the names of
    /// destinations that are not Cloud ALM ones (an audit that saves no snapshot).
    pub slim: Option<Option<String>>,
    /// Extra trust anchors (`--ca-cert`), added to the built-in roots; verification stays on.
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            attempts: 4,
            backoff_base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            page_size: 1000,
            concurrency: 8,
            deadline: Duration::from_secs(600),
            // 100,000 destinations take about a tenth of it.
            max_target_bytes: 512 * 1024 * 1024,
            probe: false,
            slim: None,
            extra_roots: Vec::new(),
        }
    }
}

/// What a live read produced.
pub struct LiveRead {
    pub destinations: Vec<Destination>,
    /// The keystores of both levels' certificate lists (read when an in-scope destination names
    /// one) and of find's `certificates` (with `--probe`).
    pub keystores: Vec<Keystore>,
    /// The certificate lists were read (a source of certificates for CALM060).
    pub certificates_read: bool,
    pub failures: Vec<SourceFailure>,
    pub subaccount_id: String,
    pub instance_id: Option<String>,
    /// The Destination service base URL the read used (not a secret).
    pub service: String,
}

struct Ctx {
    http: Http,
    base: Url,
    token: Secret,
    /// The key's own secret (or its certificate's key): what an error text must never quote.
    key_secret: Vec<Secret>,
    subaccount_id: String,
    instance_id: Option<String>,
    progress: Progress,
}

/// Reads the landscape. `Err` only for what is refused before any connection (exit 2);
/// every fault after that is in `LiveRead::failures` (exit 3).
pub fn read(
    key: &DestinationKey,
    options: LiveOptions,
    in_scope: &dyn Fn(&Destination) -> bool,
    log: Log,
    progress: Progress,
) -> Result<LiveRead, InputError> {
    let service = check_url(&key.uri, "the Destination service URL (uri)", &key.source)?;
    let token_base = match &key.credential {
        Credential::Secret(_) => check_url(&key.url, "the token service URL (url)", &key.source)?,
        Credential::Certificate { cert_url, .. } => check_url(cert_url, "the token service URL (certurl)", &key.source)?,
    };
    let deadline = options.deadline;
    let http = Http::new(key, options, log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| InputError::new(&key.source, None, format!("cannot start the async runtime: {e}")))?;
    // Every request and wait stops at the deadline by itself; this is the backstop for
    // anything between them, so that no path of the read outlives its deadline by more than
    // the grace.
    let backstop = http.deadline() + DEADLINE_GRACE;
    let shown_service = service.to_string();
    let read = runtime.block_on(async {
        match tokio::time::timeout_at(backstop, read_async(key, http, service, token_base, in_scope, progress)).await {
            Ok(read) => read,
            Err(_) => LiveRead {
                destinations: Vec::new(),
                keystores: Vec::new(),
                certificates_read: false,
                failures: vec![SourceFailure {
                    source: "live read".into(),
                    message: http::deadline_message(deadline, "the read was stopped, nothing of it is kept"),
                }],
                subaccount_id: key.tenant_id.clone().unwrap_or_else(|| "unknown".into()),
                instance_id: key.instance_id.clone(),
                service: shown_service,
            },
        }
    });
    // A host name lookup still running in a blocking thread is not waited for beyond this.
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(read)
}

/// How long past the deadline the backstop waits for the read to stop by itself.
const DEADLINE_GRACE: Duration = Duration::from_secs(2);

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url
}

async fn read_async(
    key: &DestinationKey,
    http: Http,
    service: Url,
    token_base: Url,
    in_scope: &dyn Fn(&Destination) -> bool,
    progress: Progress,
) -> LiveRead {
    let mut read = LiveRead {
        destinations: Vec::new(),
        keystores: Vec::new(),
        certificates_read: false,
        failures: Vec::new(),
        subaccount_id: key.tenant_id.clone().unwrap_or_else(|| "unknown".into()),
        instance_id: key.instance_id.clone(),
        service: service.to_string(),
    };
    let token = match fetch_token(&http, key, &token_base).await {
        Ok(t) => t,
        Err(message) => {
            read.failures.push(SourceFailure { source: "token request".into(), message });
            return read;
        }
    };
    let key_secret = key_secrets(key);
    if let Some(id) = token.subaccount_id.clone() {
        read.subaccount_id = id;
    }
    let ctx = Arc::new(Ctx {
        http,
        base: service,
        token: token.access_token,
        key_secret,
        subaccount_id: read.subaccount_id.clone(),
        instance_id: read.instance_id.clone(),
        progress,
    });
    let (sub, inst) = tokio::join!(
        read_level(ctx.clone(), List::Destinations, Level::Subaccount, to_destination),
        read_level(ctx.clone(), List::Destinations, Level::Instance, to_destination)
    );
    for (destinations, failures) in [sub, inst] {
        read.destinations.extend(destinations);
        read.failures.extend(failures);
    }
    // The certificate lists hold every keystore of the subaccount, content and all: read only
    // when an in-scope destination names one.
    let mtls = read.destinations.iter().any(|d| in_scope(d) && keystore_property(d).is_some());
    if mtls {
        let (sub, inst) = tokio::join!(
            read_level(ctx.clone(), List::Certificates, Level::Subaccount, to_keystore),
            read_level(ctx.clone(), List::Certificates, Level::Instance, to_keystore)
        );
        for (keystores, failures) in [sub, inst] {
            read.keystores.extend(keystores);
            read.failures.extend(failures);
        }
        read.certificates_read = true;
    }
    if ctx.http.options().probe {
        probe(&ctx, &mut read, in_scope).await;
    }
    read
}

pub struct Token {
    pub access_token: Secret,
    pub subaccount_id: Option<String>,
}

/// The key's secret, as a [`Secret`] the read keeps to check error texts against: the client
/// secret, or the base64 body of an X.509 key's private key (not its `-----BEGIN` armour, whose
/// words an error text may well hold; the certificate is no secret).
fn key_secrets(key: &DestinationKey) -> Vec<Secret> {
    let value = match &key.credential {
        Credential::Secret(secret) => secret.expose_for_token_request().map(str::to_owned),
        Credential::Certificate { key_pem, .. } => key_pem.expose_for_token_request().map(|pem| {
            pem.replace("\\n", "\n").lines().filter(|l| !l.trim_start().starts_with("-----")).flat_map(|l| l.split_whitespace()).collect()
        }),
    };
    value.into_iter().filter(|v: &String| !v.is_empty()).map(Secret::new).collect()
}

/// The most bytes of a token answer read (a JWT with many scopes is tens of kilobytes).
const TOKEN_ANSWER_BYTES: usize = 1024 * 1024;
/// The most bytes of a find answer read: one destination and its keystore's content.
const FIND_ANSWER_BYTES: usize = 16 * 1024 * 1024;

async fn fetch_token(http: &Http, key: &DestinationKey, base: &Url) -> Result<Token, String> {
    let url = join(base, "/oauth/token");
    let mut form = format!("grant_type=client_credentials&client_id={}", form_encode(&key.client_id));
    if let Credential::Secret(secret) = &key.credential {
        let Some(value) = secret.expose_for_token_request() else { return Err("the key's client secret is not available".into()) };
        form.push_str(&format!("&client_secret={}", form_encode(value)));
    }
    let limit = BodyLimit { bytes: TOKEN_ANSWER_BYTES, of: "a token answer" };
    let answer = http.post_form(&url, form, limit).await.map_err(|f| f.message)?;
    let secrets = key_secrets(key);
    let credentials: Vec<&str> = secrets.iter().filter_map(Secret::expose_for_token_request).collect();
    match answer.status.as_u16() {
        200 => {}
        401 => {
            return Err(format!(
                "the destination service rejected the key: the token endpoint answered {}; check clientid and clientsecret, or whether the key was deleted",
                answer::describe(&answer, Service::Token, &credentials)
            ));
        }
        _ => return Err(format!("the token endpoint answered {}", answer::describe(&answer, Service::Token, &credentials))),
    }
    parse_token(&answer.body)
}

/// Where a JSON answer stopped making sense: the line and column only, never the text there
/// (serde's own message quotes the value it did not expect).
fn json_error_at(e: &serde_json::Error) -> String {
    format!("JSON error at line {}, column {}", e.line(), e.column())
}

/// Reads a token answer: the access token (as a [`Secret`]) and the subaccount from its claims.
pub fn parse_token(body: &[u8]) -> Result<Token, String> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the token answer is not JSON ({})", json_error_at(&e)))?;
    let Some(access) = json.get("access_token").and_then(|t| t.as_str()).filter(|t| !t.is_empty()) else {
        return Err("the token answer has no access_token".into());
    };
    Ok(Token { subaccount_id: subaccount_from_jwt(access), access_token: Secret::new(access.to_owned()) })
}

/// The subaccount id from the token's claims (`ext_attr.subaccountid`); the token is not verified,
/// only read, and only for naming.
fn subaccount_from_jwt(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("ext_attr")?.get("subaccountid")?.as_str().map(str::to_owned)
}

/// The lists read page by page: destinations and certificates, each on both levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Destinations,
    Certificates,
}

impl List {
    /// What the list holds, for messages.
    fn noun(self) -> &'static str {
        match self {
            List::Destinations => "destinations",
            List::Certificates => "certificates",
        }
    }

    /// The most bytes of one page's answer read, per item asked for: far above what SAP's
    /// objects take (a destination is a few hundred bytes, a keystore's base64 a few
    /// kilobytes), and low enough that a page of 150,000 items is refused before it is held.
    /// The bound is on the page, not on each item: one large keystore among small ones fits.
    fn bytes_per_item(self) -> usize {
        match self {
            List::Destinations => 16 * 1024,
            List::Certificates => 32 * 1024,
        }
    }
}

/// Bytes of a page's answer beyond its items' share (the array, a small page's slack).
const PAGE_SLACK_BYTES: usize = 64 * 1024;

/// The most bytes of one page's answer read for `page_size` items of `list`.
fn page_limit_bytes(list: List, page_size: u32) -> usize {
    (page_size.max(1) as usize).saturating_mul(list.bytes_per_item()).saturating_add(PAGE_SLACK_BYTES)
}

fn level_path(list: List, level: Level) -> &'static str {
    match (list, level) {
        (List::Destinations, Level::Subaccount) => "/destination-configuration/v1/subaccountDestinations",
        (List::Destinations, Level::Instance) => "/destination-configuration/v1/instanceDestinations",
        (List::Certificates, Level::Subaccount) => "/destination-configuration/v1/subaccountCertificates",
        (List::Certificates, Level::Instance) => "/destination-configuration/v1/instanceCertificates",
    }
}

/// Turns one item of a list page into what the run keeps of it.
type Convert<T> = fn(&Ctx, Level, &PageItem, Keep) -> T;

/// What a list holds, as far as reading it consistently goes: each item's name.
trait Listed {
    fn listed_name(&self) -> &str;
}

impl Listed for Destination {
    fn listed_name(&self) -> &str {
        self.name()
    }
}

impl Listed for Keystore {
    fn listed_name(&self) -> &str {
        &self.name
    }
}

/// The counts a page's headers announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    page_count: Option<u32>,
    entity_count: Option<u64>,
}

struct Page<T> {
    /// Converted in the page's own task, so the work overlaps with the other pages' waiting.
    items: Vec<T>,
    counts: Counts,
    next: Option<u32>,
}

/// A page that could not be read, and whether a bound of the whole target was the reason.
struct PageFailed {
    failure: SourceFailure,
    stop: bool,
}

/// The most pages of one level read (10,000 pages of 1,000 destinations): a `Page-Count` or
/// `Entity-Count` above it is not trusted, and the source fails rather than plan that many calls.
pub const MAX_PAGES: u32 = 10_000;

/// Why the counts a first page announces are not trusted, if they are not: more pages than
/// [`MAX_PAGES`], or a `Page-Count` that contradicts the `Entity-Count` at this page size.
fn untrusted_counts(page_count: Option<u32>, entity_count: Option<u64>, page_size: u32) -> Option<String> {
    if let Some(pages) = page_count.filter(|p| *p > MAX_PAGES) {
        return Some(format!("the service announced Page-Count {pages}, more than the {MAX_PAGES} pages calm-audit reads: not trusted"));
    }
    let page_size = u64::from(page_size.max(1));
    if let Some(entities) = entity_count {
        if entities.div_ceil(page_size) > u64::from(MAX_PAGES) {
            return Some(format!("the service announced Entity-Count {entities}, more than {MAX_PAGES} pages of {page_size}: not trusted"));
        }
        // An empty list may be announced as no page or as one empty page.
        if let Some(pages) = page_count
            && u64::from(pages) != entities.div_ceil(page_size).max(1)
            && u64::from(pages) != entities.div_ceil(page_size)
        {
            return Some(format!(
                "the service announced Page-Count {pages} but Entity-Count {entities}, which is {} page(s) of {page_size}: the counts contradict each other",
                entities.div_ceil(page_size).max(1)
            ));
        }
    }
    None
}

/// How a later page's counts differ from those the first page announced: a list that changed
/// while it was read (a destination created or deleted between two pages) is not one list.
fn changed_counts(first: Counts, later: Counts) -> Vec<String> {
    fn shown<N: std::fmt::Display>(n: Option<N>) -> String {
        n.map_or_else(|| "none".to_owned(), |n| n.to_string())
    }
    let mut out = Vec::new();
    if later.page_count != first.page_count {
        out.push(format!(
            "Page-Count changed from {} to {} during the read: the list changed while it was read",
            shown(first.page_count),
            shown(later.page_count)
        ));
    }
    if later.entity_count != first.entity_count {
        out.push(format!(
            "Entity-Count changed from {} to {} during the read: the list changed while it was read",
            shown(first.entity_count),
            shown(later.entity_count)
        ));
    }
    out
}

/// Whether the pages read make one consistent list, once every page was read: each page before
/// the last is full, the last is not empty (unless it is the only one), the items add up to the
/// `Entity-Count`, and a last page that is full was announced as the last by `Page-Count` (without
/// it, nothing says the list ends there). `pages` are (page number, items) in page order.
fn inconsistent_pages(pages: &[(u32, usize)], first: Counts, page_size: u32, noun: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let size = page_size.max(1) as usize;
    let Some(&(last, last_len)) = pages.last() else { return out };
    for &(page, len) in &pages[..pages.len() - 1] {
        if len != size {
            out.push((
                page,
                format!(
                    "page {page} holds {len} {noun}, not the {size} of a full page before the last: the list changed while it was read"
                ),
            ));
        }
    }
    if last > 1 && last_len == 0 {
        out.push((last, format!("the last page ({last}) is empty: the list changed while it was read, or its count is wrong")));
    }
    if first.page_count == Some(0) && last_len > 0 {
        out.push((last, format!("the service announced Page-Count 0 but page 1 holds {last_len} {noun}: the count is not trusted")));
    }
    if first.page_count.is_none() && last_len >= size {
        out.push((
            last,
            format!(
                "page {last} is a full page of {size} {noun}, but the service sent neither Page-Count nor a next link: calm-audit cannot know the list ends there"
            ),
        ));
    }
    let read: u64 = pages.iter().map(|&(_, len)| len as u64).sum();
    if let Some(entities) = first.entity_count
        && entities != read
    {
        out.push((
            last,
            format!("the service announced Entity-Count {entities}, but {read} {noun} were read: the list changed while it was read"),
        ));
    }
    out
}

/// Names that occur more than once among `names` (in order of first repetition), with the
/// pages they are on: one level of the Destination service never holds a name twice.
fn repeated_names<'a>(names: impl Iterator<Item = (u32, &'a str)>) -> Vec<(&'a str, Vec<u32>)> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut first_page: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for (page, name) in names.filter(|(_, n)| !n.is_empty()) {
        match first_page.get(name) {
            None => {
                first_page.insert(name, page);
            }
            Some(&at) => match seen.get(name) {
                Some(&i) => out[i].1.push(page),
                None => {
                    seen.insert(name, out.len());
                    out.push((name, vec![at, page]));
                }
            },
        }
    }
    out
}

/// A name as a message quotes it: control characters and bidirectional controls escaped, at
/// most 80 characters.
fn quoted_name(name: &str) -> String {
    let hidden = |c: char| c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let escaped: String = name.chars().flat_map(|c| if hidden(c) { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect();
    let mut shown: String = escaped.chars().take(80).collect();
    if escaped.chars().count() > 80 {
        shown.push_str("...");
    }
    format!("\"{shown}\"")
}

fn describe(list: List, level: Level, page: u32) -> String {
    match list {
        List::Destinations => format!("{} level, page {page}", level.as_str()),
        List::Certificates => format!("{} level certificates, page {page}", level.as_str()),
    }
}

fn describe_level(list: List, level: Level) -> String {
    match list {
        List::Destinations => format!("{} level", level.as_str()),
        List::Certificates => format!("{} level certificates", level.as_str()),
    }
}

impl Ctx {
    /// What an error text of the Destination service must never quote.
    fn credentials(&self) -> Vec<&str> {
        std::iter::once(&self.token).chain(&self.key_secret).filter_map(Secret::expose_for_token_request).collect()
    }
}

async fn read_page<T>(ctx: &Ctx, list: List, level: Level, page: u32, convert: Convert<T>) -> Result<Page<T>, PageFailed> {
    let page_size = ctx.http.options().page_size;
    let mut url = join(&ctx.base, level_path(list, level));
    url.set_query(Some(&format!("$page={page}&$pageSize={page_size}&$pageCount=true&$entityCount=true")));
    let token = ctx.token.expose_for_token_request().unwrap_or_default();
    let failure = |message: String| PageFailed { failure: SourceFailure { source: describe(list, level, page), message }, stop: false };
    let of = format!("a page of {page_size} {}", list.noun());
    let limit = BodyLimit { bytes: page_limit_bytes(list, page_size), of: &of };
    let answer = ctx.http.get(&url, token, limit).await.map_err(|f: Failed| PageFailed {
        failure: SourceFailure { source: describe(list, level, page), message: f.message },
        stop: f.stop,
    })?;
    let credentials = ctx.credentials();
    check_status(&answer, &credentials).map_err(failure)?;
    let content_type = answer.headers.get(reqwest::header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if let Some(ct) = content_type.as_deref()
        && !ct.is_empty()
        && !ct.to_ascii_lowercase().contains("json")
    {
        return Err(failure(format!("expected JSON, got content type {}", answer::media_type(Some(ct), &credentials))));
    }
    let keep = Keep::from_slim(&ctx.http.options().slim);
    let parsed = parse_page("application/json", &answer.body, page_size as usize, list.noun()).map_err(failure)?;
    let items = parsed.iter().map(|item| convert(ctx, level, item, keep)).collect();
    let count = |name: &str| answer.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    // A count that is not a number (or does not fit) is as untrusted as one too large.
    let page_count = count("page-count").map(|v| v.parse::<u32>().unwrap_or(u32::MAX));
    let entity_count = count("entity-count").map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
    let next = answer.headers.get(reqwest::header::LINK).and_then(|v| v.to_str().ok()).and_then(next_page);
    (ctx.progress)(1, 0);
    Ok(Page { items, counts: Counts { page_count, entity_count }, next })
}

/// One destination of a list page: its properties in the order the service sent them, values
/// as text (strings unescaped, numbers, booleans and anything else as written, `null` empty),
/// borrowed from the answer where they can be; a repeated key keeps its last value.
pub struct PageItem<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de> serde::Deserialize<'de> for PageItem<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> serde::de::Visitor<'de> for ItemVisitor {
            type Value = PageItem<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a destination object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<PageItem<'de>, A::Error> {
                let mut out: Vec<(Cow<'de, str>, Cow<'de, str>)> = Vec::with_capacity(map.size_hint().unwrap_or(12));
                // Repeated keys found by a look-up table once an object is large, so a hostile
                // object of a million keys costs a million steps, not their square.
                let mut index: Option<std::collections::HashMap<Cow<'de, str>, usize>> = None;
                while let Some((Key(key), raw)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    let text = match raw.get() {
                        "null" => Cow::Borrowed(""),
                        t if t.starts_with('"') => raw_string(raw).map_err(serde::de::Error::custom)?,
                        t => Cow::Borrowed(t),
                    };
                    if out.len() >= 32 && index.is_none() {
                        index = Some(out.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect());
                    }
                    let at = match &index {
                        Some(index) => index.get(&key).copied(),
                        None => out.iter().position(|(k, _)| *k == key),
                    };
                    match at {
                        Some(i) => out[i].1 = text,
                        None => {
                            if let Some(index) = &mut index {
                                index.insert(key.clone(), out.len());
                            }
                            out.push((key, text));
                        }
                    }
                }
                Ok(PageItem(out))
            }
        }
        deserializer.deserialize_map(ItemVisitor)
    }
}

/// Reads one page of a list call: a JSON array of at most `max_items` flat objects. More items
/// than that (than the `$pageSize` asked for) are refused as they are parsed, before they are
/// all held; a JSON error says where, never what the answer holds there.
pub fn parse_page<'a>(content_type: &str, body: &'a [u8], max_items: usize, noun: &str) -> Result<Vec<PageItem<'a>>, String> {
    if !content_type.is_empty() && !content_type.to_ascii_lowercase().contains("json") {
        return Err(format!("expected JSON, got content type {}", answer::media_type(Some(content_type), &[])));
    }
    let exceeded = std::cell::Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = serde::de::DeserializeSeed::deserialize(AtMost { max: max_items, exceeded: &exceeded }, &mut deserializer)
        .and_then(|items| deserializer.end().map(|()| items));
    parsed.map_err(|e| {
        if exceeded.get() {
            format!("the answer holds more than {max_items} {noun}, the page size asked for: refused")
        } else {
            format!("the answer is not a JSON array of {noun} ({})", json_error_at(&e))
        }
    })
}

/// A JSON array of [`PageItem`]s that stops at the item after `max`.
struct AtMost<'c> {
    max: usize,
    exceeded: &'c std::cell::Cell<bool>,
}

impl<'de> serde::de::DeserializeSeed<'de> for AtMost<'_> {
    type Value = Vec<PageItem<'de>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for AtMost<'_> {
    type Value = Vec<PageItem<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max));
        while let Some(item) = seq.next_element::<PageItem<'de>>()? {
            if items.len() == self.max {
                self.exceeded.set(true);
                return Err(serde::de::Error::custom("more items than the page size"));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// The page number of the `rel='next'` entry of SAP's `Link` header.
pub fn next_page(link: &str) -> Option<u32> {
    link.split(',').find(|part| part.contains("rel='next'") || part.contains("rel=\"next\"")).and_then(|part| {
        let target = part.split(['<', '>']).nth(1)?;
        target.split(['?', '&']).find_map(|kv| kv.strip_prefix("$page=").or_else(|| kv.strip_prefix("%24page=")))?.parse().ok()
    })
}

fn check_status(answer: &Answer, credentials: &[&str]) -> Result<(), String> {
    match answer.status.as_u16() {
        200 => Ok(()),
        401 => Err("the destination service rejected the key (401 Unauthorized)".into()),
        403 => Err("the key lacks the authorization to read destinations (403 Forbidden): the service instance needs the Destination Viewer or Destination Administrator role".into()),
        _ => Err(answer::describe(answer, Service::Destination, credentials)),
    }
}

/// Reads every page of one level's list. Either the pages make one consistent list (see
/// [`changed_counts`], [`inconsistent_pages`], [`repeated_names`]) or the level has a failure:
/// what was read is still returned and audited, but never as the whole list.
async fn read_level<T: Listed + Send + 'static>(
    ctx: Arc<Ctx>,
    list: List,
    level: Level,
    convert: Convert<T>,
) -> (Vec<T>, Vec<SourceFailure>) {
    let page_size = ctx.http.options().page_size;
    let mut failures = Vec::new();
    let first = match read_page(&ctx, list, level, 1, convert).await {
        Ok(p) => p,
        Err(f) => return (Vec::new(), vec![f.failure]),
    };
    if let Some(problem) = untrusted_counts(first.counts.page_count, first.counts.entity_count, page_size) {
        return (Vec::new(), vec![SourceFailure { source: describe(list, level, 1), message: problem }]);
    }
    let announced = first.counts;
    let mut next_link = first.next;
    let mut pages: Vec<(u32, Vec<T>)> = vec![(1, first.items)];
    // Every page was read, so the pages' sizes and the counts can be compared.
    let mut whole = true;
    // The first failure of a bound of the whole target (the deadline, the bytes of all
    // answers): said once for the level, not once per page it cut short.
    let mut stopped: Option<String> = None;
    let later = |page: u32, p: Page<T>, pages: &mut Vec<(u32, Vec<T>)>, failures: &mut Vec<SourceFailure>| {
        for message in changed_counts(announced, p.counts) {
            failures.push(SourceFailure { source: describe(list, level, page), message });
        }
        pages.push((page, p.items));
    };
    match announced.page_count {
        Some(total) if total > 1 => {
            (ctx.progress)(0, u64::from(total));
            // Page-Count known: the other pages in parallel, asked for as they are needed, at
            // most `concurrency` in flight (never a task per announced page up front).
            let limit = ctx.http.options().concurrency.max(1);
            let mut set = JoinSet::new();
            let mut next_page = 2;
            loop {
                while set.len() < limit && next_page <= total && stopped.is_none() {
                    if let Some(f) = ctx.http.stopped(&format!("page {next_page} and later not asked for")) {
                        stopped = Some(f.message);
                        break;
                    }
                    let (ctx, page) = (ctx.clone(), next_page);
                    set.spawn(async move { (page, read_page(&ctx, list, level, page, convert).await) });
                    next_page += 1;
                }
                let Some(joined) = set.join_next().await else { break };
                match joined {
                    Ok((page, Ok(p))) => later(page, p, &mut pages, &mut failures),
                    Ok((page, Err(f))) => {
                        whole = false;
                        if !f.stop {
                            failures.push(f.failure);
                        } else if stopped.is_none() {
                            stopped = Some(format!("page {page}: {}", f.failure.message));
                        }
                    }
                    Err(e) => {
                        whole = false;
                        failures.push(SourceFailure { source: describe_level(list, level), message: format!("a page task failed: {e}") });
                    }
                }
            }
            whole &= next_page > total;
            pages.sort_by_key(|(page, _)| *page);
        }
        Some(_) => {}
        None => {
            // No Page-Count: follow the `next` links one by one, each to the page after.
            let mut current = 1;
            while let Some(page) = next_link {
                let refused = if page != current + 1 {
                    Some(format!(
                        "the next link of page {current} points to page {page}, not {}: pages would be skipped or read twice",
                        current + 1
                    ))
                } else if page > MAX_PAGES {
                    Some(format!("the next links go past the {MAX_PAGES} pages calm-audit reads: not trusted"))
                } else {
                    None
                };
                if let Some(message) = refused {
                    failures.push(SourceFailure { source: describe(list, level, current), message });
                    whole = false;
                    break;
                }
                if let Some(f) = ctx.http.stopped(&format!("page {page} and later not asked for")) {
                    stopped = Some(f.message);
                    whole = false;
                    break;
                }
                match read_page(&ctx, list, level, page, convert).await {
                    Ok(p) => {
                        next_link = p.next;
                        later(page, p, &mut pages, &mut failures);
                        current = page;
                    }
                    Err(f) => {
                        whole = false;
                        if f.stop {
                            stopped = Some(format!("page {page}: {}", f.failure.message));
                        } else {
                            failures.push(f.failure);
                        }
                        break;
                    }
                }
            }
        }
    }
    if let Some(message) = stopped {
        let of = announced.page_count.map_or_else(|| "of an unknown number".to_owned(), |t| format!("of {t}"));
        failures
            .push(SourceFailure { source: describe_level(list, level), message: format!("{message} ({} page(s) {of} read)", pages.len()) });
    }
    if whole {
        let sizes: Vec<(u32, usize)> = pages.iter().map(|(page, items)| (*page, items.len())).collect();
        for (page, message) in inconsistent_pages(&sizes, announced, page_size, list.noun()) {
            failures.push(SourceFailure { source: describe(list, level, page), message });
        }
    }
    let repeated = repeated_names(pages.iter().flat_map(|(page, items)| items.iter().map(move |i| (*page, i.listed_name()))));
    if !repeated.is_empty() {
        let shown: Vec<String> = repeated
            .iter()
            .take(5)
            .map(|(name, on)| {
                let on: Vec<String> = on.iter().map(u32::to_string).collect();
                format!("{} (pages {})", quoted_name(name), on.join(", "))
            })
            .collect();
        let more = if repeated.len() > 5 { format!(" and {} more", repeated.len() - 5) } else { String::new() };
        failures.push(SourceFailure {
            source: describe_level(list, level),
            message: format!("the same name twice on one level: {}{more}; the list changed while it was read", shown.join(", ")),
        });
    }
    let items = pages.into_iter().flat_map(|(_, items)| items).collect();
    failures.sort_by(|a, b| a.source.cmp(&b.source));
    (items, failures)
}

/// The stable pseudo path of a certificate of the Destination Service, beside its destinations.
pub fn certificate_path(subaccount_id: &str, instance_id: Option<&str>, level: Level, name: &str) -> String {
    let destinations = pseudo_path(subaccount_id, instance_id, level, name);
    let (folder, file) = destinations.rsplit_once("/destinations/").unwrap_or((&destinations, name));
    format!("{folder}/certificates/{file}")
}

/// One item of a certificate list (or of find's `certificates`): `{"Name", "Type", "Content"}`,
/// the content being the base64 of the file. The content is remembered for the masker and kept
/// in memory only.
fn keystore_item(ctx: &Ctx, level: Level, fields: &[(Cow<str>, Cow<str>)]) -> Keystore {
    let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref());
    let name = field("Name").unwrap_or_default().to_owned();
    let path = certificate_path(&ctx.subaccount_id, ctx.instance_id.as_deref(), level, &name);
    let content = field("Content").unwrap_or_default();
    crate::model::secret::remember(content);
    let compact: String = content.split_ascii_whitespace().collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) if !bytes.is_empty() => crate::source::certs::keystore(&name, bytes, &path, 1, Held::Service, Some(level)),
        _ => {
            let mut k = crate::source::certs::keystore(&name, Vec::new(), &path, 1, Held::Service, Some(level));
            k.content = crate::model::certificate::Content::Missing("the service answered no base64 Content for it".into());
            k
        }
    }
}

fn to_keystore(ctx: &Ctx, level: Level, item: &PageItem, _keep: Keep) -> Keystore {
    keystore_item(ctx, level, &item.0)
}

/// The stable pseudo path of a live destination (SPEC §5).
pub fn pseudo_path(subaccount_id: &str, instance_id: Option<&str>, level: Level, name: &str) -> String {
    match level {
        Level::Subaccount => format!("btp/subaccount/{}/destinations/{}", path_segment(subaccount_id), path_segment(name)),
        Level::Instance => format!(
            "btp/subaccount/{}/instances/{}/destinations/{}",
            path_segment(subaccount_id),
            path_segment(instance_id.unwrap_or("unknown")),
            path_segment(name)
        ),
    }
}

fn to_destination(ctx: &Ctx, level: Level, item: &PageItem, keep: Keep) -> Destination {
    let property = |(k, text): &(Cow<str>, Cow<str>)| Property::new(&**k, text.to_string(), None);
    // The name as the destination will hold it (a secret-looking or removed value is no name).
    let name = item.0.iter().find(|(k, _)| k == "Name").map(property).and_then(|p| p.text().map(str::to_owned)).unwrap_or_default();
    let path = pseudo_path(&ctx.subaccount_id, ctx.instance_id.as_deref(), level, &name);
    build_destination(
        &item.0,
        |(k, _)| k,
        property,
        Origin { path: path.into(), line: 1, level: Some(level), pseudo: true, code: None },
        keep,
    )
}

/// SAP's find call for each in-scope destination; the tokens it returns are dropped at once.
async fn probe(ctx: &Arc<Ctx>, read: &mut LiveRead, in_scope: &dyn Fn(&Destination) -> bool) {
    // Each name with the secrets of the destinations of that name: the token service find asks
    // is the destination's own, and its error text must not quote them.
    let mut names: Vec<(String, Vec<Secret>)> = Vec::new();
    for d in read.destinations.iter().filter(|d| in_scope(d)) {
        let secrets = d.properties.iter().filter_map(|p| match &p.value {
            crate::model::Value::Secret(s) => s.expose_for_token_request().map(|v| Secret::new(v.to_owned())),
            _ => None,
        });
        match names.iter_mut().find(|(n, _)| n == d.name()) {
            Some((_, have)) => have.extend(secrets),
            None => names.push((d.name().to_owned(), secrets.collect())),
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let calls = names.len();
    let limit = Arc::new(tokio::sync::Semaphore::new(ctx.http.options().concurrency.max(1)));
    let mut set = JoinSet::new();
    for (name, secrets) in names {
        let (ctx, limit) = (ctx.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = find(&ctx, &name, &secrets).await;
            (name, result)
        });
    }
    // The calls a bound of the whole target stopped, with the first one's reason.
    let mut cut_short: (usize, Option<String>) = (0, None);
    while let Some(Ok((name, (level, probe, keystores, stop)))) = set.join_next().await {
        // The keystores find resolved for the destination, where the lists did not show them
        // (find does not say from which level; the lists do, and win).
        for k in keystores {
            if !read.keystores.iter().any(|have| have.name == k.name) {
                read.keystores.push(k);
            }
        }
        match &probe {
            // One failure for all the calls a bound stopped, below.
            Probe::Failed { reason } if stop => {
                cut_short.0 += 1;
                cut_short.1.get_or_insert_with(|| reason.clone());
            }
            Probe::Failed { reason } => {
                read.failures.push(SourceFailure { source: format!("find {name}"), message: reason.clone() });
            }
            _ => {}
        }
        // The find call resolves instance level first: the result belongs to that destination.
        let target = level.or_else(|| {
            let has_instance = read.destinations.iter().any(|d| d.name() == name && d.origin.level == Some(Level::Instance));
            Some(if has_instance { Level::Instance } else { Level::Subaccount })
        });
        for d in read.destinations.iter_mut().filter(|d| d.name() == name && d.origin.level == target) {
            d.probe = Some(Box::new(probe.clone()));
        }
    }
    if let (n, Some(reason)) = cut_short {
        read.failures.push(SourceFailure { source: "find".into(), message: format!("{reason} ({n} of {calls} find call(s) stopped)") });
    }
}

/// One find call: the level it resolved to, the probe, the keystores it returned, and whether
/// a bound of the whole target (the deadline, the bytes of all answers) stopped it.
async fn find(ctx: &Ctx, name: &str, secrets: &[Secret]) -> (Option<Level>, Probe, Vec<Keystore>, bool) {
    let mut url = join(&ctx.base, &format!("/destination-configuration/v1/destinations/{}", path_segment(name)));
    url.set_query(Some("$skipCredentials=true"));
    let token = ctx.token.expose_for_token_request().unwrap_or_default();
    let limit = BodyLimit { bytes: FIND_ANSWER_BYTES, of: "a find answer" };
    let answer = match ctx.http.get(&url, token, limit).await {
        Ok(a) => a,
        Err(f) => return (None, Probe::Failed { reason: f.message }, Vec::new(), f.stop),
    };
    let mut credentials = ctx.credentials();
    credentials.extend(secrets.iter().filter_map(Secret::expose_for_token_request));
    if let Err(reason) = check_status(&answer, &credentials) {
        return (None, Probe::Failed { reason }, Vec::new(), false);
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&answer.body) else {
        return (None, Probe::Failed { reason: "the find answer is not JSON".into() }, Vec::new(), false);
    };
    let (level, probe) = find_answer(&json, &credentials);
    let keystores = find_certificates(&json)
        .iter()
        .map(|fields| keystore_item(ctx, level.unwrap_or(Level::Subaccount), fields))
        .filter(|k| !k.name.is_empty())
        .collect();
    (level, probe, keystores, false)
}

/// The `certificates` of a find answer, each as its fields (`Name`, `Type`, `Content`); items
/// that are not objects of strings are passed over.
pub fn find_certificates(json: &serde_json::Value) -> Vec<Vec<(Cow<'static, str>, Cow<'static, str>)>> {
    let Some(items) = json.get("certificates").and_then(|c| c.as_array()) else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| item.as_object())
        .map(|object| object.iter().filter_map(|(k, v)| v.as_str().map(|v| (Cow::Owned(k.clone()), Cow::Owned(v.to_owned())))).collect())
        .collect()
}

/// Reads a find answer: the level it resolved to and whether a token came back. The token's
/// value is never kept.
pub fn parse_find(body: &[u8]) -> (Option<Level>, Probe) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, Probe::Failed { reason: "the find answer is not JSON".into() });
    };
    find_answer(&json, &[])
}

/// A find answer's level and token outcome; its `authTokens[].error` (the documented error
/// text) is shown only when it quotes none of `credentials` in any form.
fn find_answer(json: &serde_json::Value, credentials: &[&str]) -> (Option<Level>, Probe) {
    let level = match json.get("owner").and_then(|o| o.get("InstanceId")) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(Level::Instance),
        Some(_) => Some(Level::Subaccount),
        None => None,
    };
    let tokens = json.get("authTokens").and_then(|t| t.as_array()).cloned().unwrap_or_default();
    if let Some(error) = tokens.iter().find_map(|t| t.get("error").and_then(|e| e.as_str()).filter(|e| !e.is_empty())) {
        let reason = answer::error_text(error, credentials);
        return (level, Probe::Error { reason });
    }
    match tokens.iter().find(|t| t.get("value").and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty())) {
        Some(t) => (level, Probe::Token { token_type: t.get("type").and_then(|v| v.as_str()).unwrap_or("").to_owned() }),
        None => (level, Probe::NoToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_in_sap_format() {
        let link =
            "</subaccountDestinations?$page=1&$pageSize=10>; rel='previous', </subaccountDestinations?$page=3&$pageSize=10>; rel='next'";
        assert_eq!(next_page(link), Some(3));
        assert_eq!(next_page("</subaccountDestinations?$page=1&$pageSize=10>; rel='previous'"), None);
        assert_eq!(next_page("</instanceDestinations?%24page=2&%24pageSize=10>; rel='next'"), Some(2));
    }

    #[test]
    fn pseudo_paths_are_encoded() {
        assert_eq!(pseudo_path("sub-1", None, Level::Subaccount, "CALM_A"), "btp/subaccount/sub-1/destinations/CALM_A");
        assert_eq!(pseudo_path("s", Some("i"), Level::Instance, "a b"), "btp/subaccount/s/instances/i/destinations/a%20b");
    }

    const FULL: Counts = Counts { page_count: Some(3), entity_count: Some(2500) };

    #[test]
    fn a_consistent_list_has_nothing_to_say() {
        assert!(inconsistent_pages(&[(1, 1000), (2, 1000), (3, 500)], FULL, 1000, "destinations").is_empty());
        let two_full = Counts { page_count: Some(2), entity_count: Some(2000) };
        assert!(inconsistent_pages(&[(1, 1000), (2, 1000)], two_full, 1000, "destinations").is_empty());
        let empty = Counts { page_count: Some(1), entity_count: Some(0) };
        assert!(inconsistent_pages(&[(1, 0)], empty, 1000, "destinations").is_empty());
        // Without Page-Count, a last page that is not full ends the list.
        assert!(inconsistent_pages(&[(1, 1000), (2, 3)], Counts { page_count: None, entity_count: None }, 1000, "d").is_empty());
        assert!(changed_counts(FULL, FULL).is_empty());
        // An empty level, announced as no page or as one empty page.
        assert_eq!(untrusted_counts(Some(0), Some(0), 1000), None);
        assert_eq!(untrusted_counts(Some(1), Some(0), 1000), None);
        assert!(inconsistent_pages(&[(1, 0)], Counts { page_count: Some(0), entity_count: Some(0) }, 1000, "d").is_empty());
        assert!(untrusted_counts(Some(2), Some(0), 1000).is_some());
    }

    /// Regression (issue 27, point 7): each way the pages of one list disagree is a failure.
    #[test]
    fn pages_that_do_not_make_one_list_are_named() {
        let said = |pages: &[(u32, usize)], counts: Counts| -> Vec<String> {
            inconsistent_pages(pages, counts, 1000, "destinations").into_iter().map(|(page, m)| format!("{page}: {m}")).collect()
        };
        let short = said(&[(1, 1000), (2, 999), (3, 500)], Counts { entity_count: Some(2499), ..FULL });
        assert_eq!(
            short,
            ["2: page 2 holds 999 destinations, not the 1000 of a full page before the last: the list changed while it was read"]
        );
        let fewer = said(&[(1, 1000), (2, 1000), (3, 499)], FULL);
        assert_eq!(
            fewer,
            ["3: the service announced Entity-Count 2500, but 2499 destinations were read: the list changed while it was read"]
        );
        let unknown_end = said(&[(1, 1000)], Counts { page_count: None, entity_count: None });
        assert_eq!(
            unknown_end,
            [
                "1: page 1 is a full page of 1000 destinations, but the service sent neither Page-Count nor a next link: calm-audit cannot know the list ends there"
            ]
        );
        assert_eq!(said(&[(1, 1000), (2, 0)], Counts { page_count: Some(2), entity_count: None }).len(), 1, "an empty last page");
        assert_eq!(said(&[(1, 5)], Counts { page_count: Some(0), entity_count: None }).len(), 1, "Page-Count 0 over items");
        let dropped = changed_counts(
            Counts { page_count: Some(2), entity_count: Some(2000) },
            Counts { page_count: Some(2), entity_count: Some(1999) },
        );
        assert_eq!(dropped, ["Entity-Count changed from 2000 to 1999 during the read: the list changed while it was read"]);
        let gone = changed_counts(FULL, Counts { page_count: None, ..FULL });
        assert_eq!(gone, ["Page-Count changed from 3 to none during the read: the list changed while it was read"]);
    }

    #[test]
    fn a_name_twice_on_one_level_is_found_with_its_pages() {
        let names = [(1, "A"), (1, "B"), (2, "A"), (2, ""), (3, ""), (3, "A"), (3, "B")];
        assert_eq!(repeated_names(names.into_iter()), [("A", vec![1, 2, 3]), ("B", vec![1, 3])]);
        assert!(repeated_names([(1, "A"), (2, "B")].into_iter()).is_empty());
        assert_eq!(quoted_name("a\nb"), "\"a\\nb\"");
        assert_eq!(quoted_name("a\u{202e}b"), "\"a\\u{202e}b\"");
    }

    /// Regression (issue 27, point 10): more items than the page size asked for are refused as
    /// they are parsed; a JSON error says where, not what the answer holds there.
    #[test]
    fn a_page_holds_at_most_the_page_size() {
        let page = |n: usize| format!("[{}]", vec![r#"{"Name":"X"}"#; n].join(","));
        assert_eq!(parse_page("application/json", page(1000).as_bytes(), 1000, "destinations").map(|p| p.len()), Ok(1000));
        let refused = parse_page("application/json", page(1001).as_bytes(), 1000, "destinations").err().unwrap();
        assert_eq!(refused, "the answer holds more than 1000 destinations, the page size asked for: refused");
        let echoed = parse_page("application/json", br#"[{"Name":"X"}, "echoed-S3cret-value"]"#, 1000, "destinations").err().unwrap();
        assert!(!echoed.contains("echoed") && echoed.contains("line 1, column"), "{echoed}");
        let token = parse_token(br#"{"access_token": ["echoed-S3cret-value"]"#).err().unwrap();
        assert!(!token.contains("echoed"), "{token}");
        assert!(page_limit_bytes(List::Destinations, 1000) < 17 * 1024 * 1024);
    }

    #[test]
    fn subaccount_comes_from_the_token_claims() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"zid":"z","ext_attr":{"subaccountid":"sub-9"}}"#);
        assert_eq!(subaccount_from_jwt(&format!("e30.{payload}.")).as_deref(), Some("sub-9"));
        assert_eq!(subaccount_from_jwt("not a jwt"), None);
    }
}
