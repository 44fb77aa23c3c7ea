//! The live source: reads every destination of both levels from the BTP Destination Service
//! with a destination service instance key, and (with `--probe`) asks SAP's find call to fetch
//! a token for each in-scope destination. Every fault ends in a [`SourceFailure`]; nothing here
//! turns a fault into a pass.

mod http;
pub mod key;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::Url;
use serde_json::value::RawValue;
use tokio::task::JoinSet;

use self::http::{Answer, Http, check_url, excerpt, form_encode, path_segment};
use self::key::{Credential, DestinationKey};
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
    pub max_body_bytes: usize,
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
            max_body_bytes: 256 * 1024 * 1024,
            probe: false,
            slim: None,
            extra_roots: Vec::new(),
        }
    }
}

/// What a live read produced.
pub struct LiveRead {
    pub destinations: Vec<Destination>,
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
    let http = Http::new(key, options, log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| InputError::new(&key.source, None, format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(read_async(key, http, service, token_base, in_scope, progress)))
}

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
    if let Some(id) = token.subaccount_id.clone() {
        read.subaccount_id = id;
    }
    let ctx = Arc::new(Ctx {
        http,
        base: service,
        token: token.access_token,
        subaccount_id: read.subaccount_id.clone(),
        instance_id: read.instance_id.clone(),
        progress,
    });
    let (sub, inst) = tokio::join!(read_level(ctx.clone(), Level::Subaccount), read_level(ctx.clone(), Level::Instance));
    for (destinations, failures) in [sub, inst] {
        read.destinations.extend(destinations);
        read.failures.extend(failures);
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

async fn fetch_token(http: &Http, key: &DestinationKey, base: &Url) -> Result<Token, String> {
    let url = join(base, "/oauth/token");
    let mut form = format!("grant_type=client_credentials&client_id={}", form_encode(&key.client_id));
    if let Credential::Secret(secret) = &key.credential {
        let Some(value) = secret.expose_for_token_request() else { return Err("the key's client secret is not available".into()) };
        form.push_str(&format!("&client_secret={}", form_encode(value)));
    }
    let answer = http.post_form(&url, form).await?;
    match answer.status.as_u16() {
        200 => {}
        401 => {
            return Err(format!(
                "the destination service rejected the key: the token endpoint answered 401 ({}); check clientid and clientsecret, or whether the key was deleted",
                excerpt(&answer.body)
            ));
        }
        code => return Err(format!("the token endpoint answered HTTP {code}: {}", excerpt(&answer.body))),
    }
    parse_token(&answer.body)
}

/// Reads a token answer: the access token (as a [`Secret`]) and the subaccount from its claims.
pub fn parse_token(body: &[u8]) -> Result<Token, String> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("the token answer is not JSON: {e}"))?;
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

fn level_path(level: Level) -> &'static str {
    match level {
        Level::Subaccount => "/destination-configuration/v1/subaccountDestinations",
        Level::Instance => "/destination-configuration/v1/instanceDestinations",
    }
}

struct Page {
    /// Converted in the page's own task, so the work overlaps with the other pages' waiting.
    items: Vec<Destination>,
    page_count: Option<u32>,
    entity_count: Option<u64>,
    next: Option<u32>,
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
        if let Some(pages) = page_count
            && u64::from(pages) != entities.div_ceil(page_size).max(1)
        {
            return Some(format!(
                "the service announced Page-Count {pages} but Entity-Count {entities}, which is {} page(s) of {page_size}: the counts contradict each other",
                entities.div_ceil(page_size).max(1)
            ));
        }
    }
    None
}

fn describe(level: Level, page: u32) -> String {
    format!("{} level, page {page}", level.as_str())
}

async fn read_page(ctx: &Ctx, level: Level, page: u32) -> Result<Page, SourceFailure> {
    let mut url = join(&ctx.base, level_path(level));
    url.set_query(Some(&format!("$page={page}&$pageSize={}&$pageCount=true", ctx.http.options().page_size)));
    let token = ctx.token.expose_for_token_request().unwrap_or_default();
    let failure = |message: String| SourceFailure { source: describe(level, page), message };
    let answer = ctx.http.get(&url, token).await.map_err(failure)?;
    check_status(&answer).map_err(failure)?;
    let content_type = answer.headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let keep = Keep::from_slim(&ctx.http.options().slim);
    let items =
        parse_page(content_type, &answer.body).map_err(failure)?.iter().map(|item| to_destination(ctx, level, item, keep)).collect();
    let count = |name: &str| answer.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    // A count that is not a number (or does not fit) is as untrusted as one too large.
    let page_count = count("page-count").map(|v| v.parse::<u32>().unwrap_or(u32::MAX));
    let entity_count = count("entity-count").map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
    let next = answer.headers.get(reqwest::header::LINK).and_then(|v| v.to_str().ok()).and_then(next_page);
    (ctx.progress)(1, 0);
    Ok(Page { items, page_count, entity_count, next })
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

/// Reads one page of a list call: a JSON array of flat destination objects.
pub fn parse_page<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<PageItem<'a>>, String> {
    if !content_type.is_empty() && !content_type.to_ascii_lowercase().contains("json") {
        return Err(format!("expected JSON, got content type {content_type}"));
    }
    serde_json::from_slice(body).map_err(|e| format!("the answer is not a JSON array of destinations: {e}"))
}

/// The page number of the `rel='next'` entry of SAP's `Link` header.
pub fn next_page(link: &str) -> Option<u32> {
    link.split(',').find(|part| part.contains("rel='next'") || part.contains("rel=\"next\"")).and_then(|part| {
        let target = part.split(['<', '>']).nth(1)?;
        target.split(['?', '&']).find_map(|kv| kv.strip_prefix("$page=").or_else(|| kv.strip_prefix("%24page=")))?.parse().ok()
    })
}

fn check_status(answer: &Answer) -> Result<(), String> {
    match answer.status.as_u16() {
        200 => Ok(()),
        401 => Err("the destination service rejected the key (401 Unauthorized)".into()),
        403 => Err("the key lacks the authorization to read destinations (403 Forbidden): the service instance needs the Destination Viewer or Destination Administrator role".into()),
        code => Err(format!("HTTP {code}: {}", excerpt(&answer.body))),
    }
}

async fn read_level(ctx: Arc<Ctx>, level: Level) -> (Vec<Destination>, Vec<SourceFailure>) {
    let mut failures = Vec::new();
    let first = match read_page(&ctx, level, 1).await {
        Ok(p) => p,
        Err(f) => return (Vec::new(), vec![f]),
    };
    if let Some(problem) = untrusted_counts(first.page_count, first.entity_count, ctx.http.options().page_size) {
        return (Vec::new(), vec![SourceFailure { source: describe(level, 1), message: problem }]);
    }
    let mut pages = vec![first.items];
    match first.page_count {
        Some(total) if total > 1 => {
            (ctx.progress)(0, u64::from(total));
            // Page-Count known: the other pages in parallel, asked for as they are needed, at
            // most `concurrency` in flight (never a task per announced page up front).
            let limit = ctx.http.options().concurrency.max(1);
            let mut set = JoinSet::new();
            let mut next_page = 2;
            let mut rest: Vec<(u32, Vec<_>)> = Vec::new();
            loop {
                while set.len() < limit && next_page <= total {
                    let (ctx, page) = (ctx.clone(), next_page);
                    set.spawn(async move { (page, read_page(&ctx, level, page).await) });
                    next_page += 1;
                }
                let Some(joined) = set.join_next().await else { break };
                match joined {
                    Ok((page, Ok(p))) => {
                        if let Some(count) = p.page_count.filter(|c| *c != total) {
                            failures.push(SourceFailure {
                                source: describe(level, page),
                                message: format!(
                                    "Page-Count changed from {total} to {count} during the read: the list changed while it was read"
                                ),
                            });
                        }
                        if p.items.is_empty() && page < total {
                            failures.push(SourceFailure {
                                source: describe(level, page),
                                message: format!("Page-Count announced {total} pages, but page {page} is empty: the count is not trusted"),
                            });
                        }
                        rest.push((page, p.items));
                    }
                    Ok((_, Err(f))) => failures.push(f),
                    Err(e) => failures
                        .push(SourceFailure { source: format!("{} level", level.as_str()), message: format!("a page task failed: {e}") }),
                }
            }
            rest.sort_by_key(|(page, _)| *page);
            pages.extend(rest.into_iter().map(|(_, items)| items));
        }
        Some(_) => {}
        None => {
            // No Page-Count: follow the `next` links one by one.
            let mut next = first.next;
            let mut seen = 1;
            while let Some(page) = next {
                if page <= seen || page > MAX_PAGES {
                    failures.push(SourceFailure { source: describe(level, page), message: "the next link does not move forward".into() });
                    break;
                }
                match read_page(&ctx, level, page).await {
                    Ok(p) => {
                        pages.push(p.items);
                        next = p.next;
                        seen = page;
                    }
                    Err(f) => {
                        failures.push(f);
                        break;
                    }
                }
            }
        }
    }
    let destinations = pages.into_iter().flatten().collect();
    failures.sort_by(|a, b| a.source.cmp(&b.source));
    (destinations, failures)
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
    let mut names: Vec<String> = read.destinations.iter().filter(|d| in_scope(d)).map(|d| d.name().to_owned()).collect();
    names.sort();
    names.dedup();
    let limit = Arc::new(tokio::sync::Semaphore::new(ctx.http.options().concurrency.max(1)));
    let mut set = JoinSet::new();
    for name in names {
        let (ctx, limit) = (ctx.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = find(&ctx, &name).await;
            (name, result)
        });
    }
    while let Some(Ok((name, (level, probe)))) = set.join_next().await {
        if let Probe::Failed { reason } = &probe {
            read.failures.push(SourceFailure { source: format!("find {name}"), message: reason.clone() });
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
}

async fn find(ctx: &Ctx, name: &str) -> (Option<Level>, Probe) {
    let mut url = join(&ctx.base, &format!("/destination-configuration/v1/destinations/{}", path_segment(name)));
    url.set_query(Some("$skipCredentials=true"));
    let token = ctx.token.expose_for_token_request().unwrap_or_default();
    let answer = match ctx.http.get(&url, token).await {
        Ok(a) => a,
        Err(reason) => return (None, Probe::Failed { reason }),
    };
    if let Err(reason) = check_status(&answer) {
        return (None, Probe::Failed { reason });
    }
    parse_find(&answer.body)
}

/// Reads a find answer: the level it resolved to and whether a token came back. The token's
/// value is never kept.
pub fn parse_find(body: &[u8]) -> (Option<Level>, Probe) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, Probe::Failed { reason: "the find answer is not JSON".into() });
    };
    let level = match json.get("owner").and_then(|o| o.get("InstanceId")) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(Level::Instance),
        Some(_) => Some(Level::Subaccount),
        None => None,
    };
    let tokens = json.get("authTokens").and_then(|t| t.as_array()).cloned().unwrap_or_default();
    if let Some(error) = tokens.iter().find_map(|t| t.get("error").and_then(|e| e.as_str()).filter(|e| !e.is_empty())) {
        return (level, Probe::Error { reason: excerpt(error.as_bytes()) });
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

    #[test]
    fn subaccount_comes_from_the_token_claims() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"zid":"z","ext_attr":{"subaccountid":"sub-9"}}"#);
        assert_eq!(subaccount_from_jwt(&format!("e30.{payload}.")).as_deref(), Some("sub-9"));
        assert_eq!(subaccount_from_jwt("not a jwt"), None);
    }
}
