//! The only HTTP the auditor sends: the token POST and GETs, with timeouts, bounded retries
//! (exponential backoff with jitter, `Retry-After` honoured) and a URL policy that refuses
//! plain `http` to anything but loopback before a connection is made.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Client, Method, StatusCode, Url};

use super::key::{Credential, DestinationKey};
use super::{LiveOptions, Log};
use crate::source::InputError;

/// A response read to the end.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why a request gave up; the text is safe to show (no tokens, no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub message: String,
    /// A bound of the whole live target ended it (the deadline, the bytes of all answers):
    /// every later request would fail the same way, so the reader stops asking.
    pub stop: bool,
}

impl Failed {
    fn new(message: impl Into<String>) -> Failed {
        Failed { message: message.into(), stop: false }
    }
}

/// The most bytes of one answer that are read, and what that bound is, for the message that
/// refuses a larger answer before it is held whole or parsed.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit<'a> {
    pub bytes: usize,
    /// What the bound is for (`"a page of 1000 destinations"`).
    pub of: &'a str,
}

/// Only `https`, or `http` to a loopback address (the test suite's fake service).
pub fn check_url(raw: &str, what: &str, source: &str) -> Result<Url, InputError> {
    let shown = crate::model::url::redact(raw);
    let refuse = |why: &str| InputError::new(source, None, format!("refusing {what} \"{shown}\": {why}"));
    let url = Url::parse(raw.trim()).map_err(|e| refuse(&format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials in the URL"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback { Ok(url) } else { Err(refuse("plain http is only allowed to loopback addresses; use https")) }
        }
        other => Err(refuse(&format!("scheme {other} is not https"))),
    }
}

pub struct Http {
    client: Client,
    /// Carries the client certificate for an X.509 key's token call; the same as `client` otherwise.
    token_client: Client,
    options: LiveOptions,
    log: Log,
    /// When the live target's overall deadline passes: no request or wait goes beyond it.
    deadline: tokio::time::Instant,
    /// Bytes of all answers read so far (bounded by [`LiveOptions::max_target_bytes`]).
    read_bytes: std::sync::atomic::AtomicUsize,
}

fn builder(options: &LiveOptions) -> reqwest::ClientBuilder {
    let mut b = Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("calm-audit/", env!("CARGO_PKG_VERSION")));
    for ca in &options.extra_roots {
        b = b.add_root_certificate(ca.clone());
    }
    b
}

impl Http {
    pub fn new(key: &DestinationKey, options: LiveOptions, log: Log) -> Result<Http, InputError> {
        let fail = |e: reqwest::Error| InputError::new(&key.source, None, format!("cannot set up the HTTP client: {e}"));
        let client = builder(&options).build().map_err(fail)?;
        let token_client = match &key.credential {
            Credential::Secret(_) => client.clone(),
            Credential::Certificate { certificate_pem, key_pem, .. } => {
                let (Some(cert), Some(private)) = (certificate_pem.expose_for_token_request(), key_pem.expose_for_token_request()) else {
                    return Err(InputError::new(&key.source, None, "the X.509 key's certificate is not available"));
                };
                let pem = format!("{}\n{}\n", private.replace("\\n", "\n"), cert.replace("\\n", "\n"));
                let identity = reqwest::Identity::from_pem(pem.as_bytes())
                    .map_err(|_| InputError::new(&key.source, None, "the key's \"certificate\" and \"key\" are not a usable PEM pair"))?;
                builder(&options).identity(identity).build().map_err(fail)?
            }
        };
        let deadline = tokio::time::Instant::now() + options.deadline;
        Ok(Http { client, token_client, options, log, deadline, read_bytes: std::sync::atomic::AtomicUsize::new(0) })
    }

    pub fn options(&self) -> &LiveOptions {
        &self.options
    }

    /// When the overall deadline passes (`--deadline`, counted from the start of the read).
    pub fn deadline(&self) -> tokio::time::Instant {
        self.deadline
    }

    /// Why no further request of this target is sent, if a bound of the whole target was
    /// reached: the deadline, or the bytes of all answers.
    pub fn stopped(&self, detail: &str) -> Option<Failed> {
        if tokio::time::Instant::now() >= self.deadline {
            return Some(self.deadline_failure(detail));
        }
        let read = self.read_bytes.load(std::sync::atomic::Ordering::Relaxed);
        let bound = self.options.max_target_bytes;
        (read > bound).then(|| Failed {
            message: format!(
                "the answers of this live target passed {bound} bytes in all, the most calm-audit reads of one target: {detail}; the read is incomplete"
            ),
            stop: true,
        })
    }

    /// The failure of whatever the deadline cut short.
    pub fn deadline_failure(&self, detail: &str) -> Failed {
        Failed { message: deadline_message(self.options.deadline, detail), stop: true }
    }

    /// POST to a token endpoint with a form body; the body is never logged.
    pub async fn post_form(&self, url: &Url, form: String, limit: BodyLimit<'_>) -> Result<Answer, Failed> {
        let request = self
            .token_client
            .post(url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(form);
        self.send(Method::POST, url, request, limit).await
    }

    /// GET with the bearer token.
    pub async fn get(&self, url: &Url, token: &str, limit: BodyLimit<'_>) -> Result<Answer, Failed> {
        let request = self.client.get(url.clone()).bearer_auth(token).header(ACCEPT, "application/json");
        self.send(Method::GET, url, request, limit).await
    }

    async fn send(&self, method: Method, url: &Url, request: reqwest::RequestBuilder, limit: BodyLimit<'_>) -> Result<Answer, Failed> {
        let attempts = self.options.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(this) = request.try_clone() else {
                return Err(Failed::new("internal: request cannot be repeated"));
            };
            if let Some(stopped) = self.stopped("stopped before the request was sent") {
                return Err(stopped);
            }
            let started = Instant::now();
            // The per-request timeout is the client's; the deadline may end an attempt sooner.
            let Ok(outcome) = tokio::time::timeout_at(self.deadline, self.once(this, limit)).await else {
                (self.log)(&format!("{method} {url} -> stopped at the deadline (attempt {attempt}/{attempts})"));
                return Err(self.deadline_failure("before the answer was complete"));
            };
            let elapsed = started.elapsed().as_millis();
            // Every answer read counts, also one retried (a 429 may come with a body).
            if let Ok(answer) = &outcome {
                self.read_bytes.fetch_add(answer.body.len(), std::sync::atomic::Ordering::Relaxed);
            }
            let (retry, wait_hint, failed) = match outcome {
                Ok(answer) if is_retryable_status(answer.status) => {
                    (self.log)(&format!("{method} {url} -> {} in {elapsed} ms (attempt {attempt}/{attempts})", answer.status.as_u16()));
                    let hint = retry_after(&answer.headers);
                    let failed = format!("HTTP {} after {attempt} attempt(s)", answer.status.as_u16());
                    (true, hint, failed)
                }
                Ok(answer) => {
                    (self.log)(&format!("{method} {url} -> {} in {elapsed} ms ({} bytes)", answer.status.as_u16(), answer.body.len()));
                    if let Some(stopped) = self.stopped("the last answer was dropped") {
                        return Err(stopped);
                    }
                    return Ok(answer);
                }
                Err(Attempt::Final(message)) => {
                    (self.log)(&format!("{method} {url} -> {message}"));
                    return Err(Failed::new(message));
                }
                Err(Attempt::Transient(message)) => {
                    (self.log)(&format!("{method} {url} -> {message} (attempt {attempt}/{attempts})"));
                    (true, None, format!("{message} after {attempt} attempt(s)"))
                }
            };
            if !retry || attempt >= attempts {
                return Err(Failed::new(failed));
            }
            let wait = backoff(attempt, wait_hint, &self.options);
            // A wait that would end past the deadline is not begun: the target fails now, with
            // the bound named, rather than after sleeping into it.
            if tokio::time::Instant::now() + wait >= self.deadline {
                let why = format!("{failed}; the next attempt was due in {:.1} s", wait.as_secs_f64());
                return Err(self.deadline_failure(&why));
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, request: reqwest::RequestBuilder, limit: BodyLimit<'_>) -> Result<Answer, Attempt> {
        let timeout_secs = self.options.timeout.as_secs_f64();
        let response = request.send().await.map_err(|e| classify(&e, timeout_secs))?;
        let status = response.status();
        let headers = response.headers().clone();
        let too_large = || {
            Attempt::Final(format!(
                "the answer is larger than {} bytes, the most calm-audit reads for {}: refused before it was read whole",
                limit.bytes, limit.of
            ))
        };
        if response.content_length().is_some_and(|n| n > limit.bytes as u64) {
            return Err(too_large());
        }
        let body = read_limited(response, limit.bytes).await.map_err(|e| match e {
            BodyError::Http(e) if e.is_timeout() => Attempt::Final(format!("no complete answer within {timeout_secs} s")),
            BodyError::Http(_) => Attempt::Transient("the answer was cut off".into()),
            BodyError::TooLarge => too_large(),
        })?;
        Ok(Answer { status, headers, body })
    }
}

/// What a failure at the deadline says: the bound, its flag, and what it cut short.
pub fn deadline_message(deadline: Duration, detail: &str) -> String {
    format!(
        "the deadline of {} s for this live target passed (--deadline, Retry-After waits included): {detail}; the read is incomplete",
        deadline.as_secs_f64()
    )
}

enum BodyError {
    Http(reqwest::Error),
    TooLarge,
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Http)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

enum Attempt {
    /// Worth another try: connection refused or reset, body cut off.
    Transient(String),
    /// Not worth repeating: timeouts (the bound the user set), TLS failures, oversized answers.
    Final(String),
}

fn classify(e: &reqwest::Error, timeout_secs: f64) -> Attempt {
    if e.is_timeout() {
        return Attempt::Final(format!("no answer within {timeout_secs} s"));
    }
    // The chain says what went wrong (refused, reset, certificate); it never holds a secret.
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    classify_chain(e.is_connect(), &chain)
}

/// What a failed request's error chain (outermost first) means for another attempt. A host
/// name that does not resolve does not resolve a second later either: it is said at once,
/// rather than after every attempt and its back-off.
fn classify_chain(connect: bool, chain: &[String]) -> Attempt {
    let detail = chain.last().cloned().unwrap_or_default();
    let lower = detail.to_ascii_lowercase();
    // hyper-util names the step ("dns error"); the resolver says why underneath.
    let dns = chain.iter().any(|c| c == "dns error") || lower.contains("failed to lookup address");
    if dns {
        Attempt::Final(format!("cannot resolve the host name: {detail}"))
    } else if lower.contains("certificate") || lower.contains("tls") {
        Attempt::Final(format!("TLS failure: {detail}"))
    } else if connect {
        Attempt::Transient(format!("cannot connect: {detail}"))
    } else {
        Attempt::Transient(format!("connection failed: {detail}"))
    }
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (an HTTP date is ignored in favour of the backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Exponential backoff with jitter; a server's `Retry-After` wins but is capped.
fn backoff(attempt: u32, hint: Option<Duration>, options: &LiveOptions) -> Duration {
    if let Some(h) = hint {
        return h.min(options.max_retry_after);
    }
    let base = options.backoff_base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let capped = base.min(options.max_backoff);
    let mut bytes = [0u8; 8];
    let jitter_fraction = if getrandom::fill(&mut bytes).is_ok() { (u64::from_le_bytes(bytes) % 1000) as f64 / 1000.0 } else { 0.5 };
    capped.mul_f64(0.5 + jitter_fraction / 2.0)
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// Percent-encoding of one path segment (a destination name in the find URL or a pseudo path).
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `name=value` and `"name": "value"` with a secret-looking name: the value becomes `***`.
pub fn hide_secret_fields(text: &str) -> String {
    let secret_name = |name: &str| {
        let n = name.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
        crate::model::secret::is_secret_key(n) || n.to_ascii_lowercase().contains("token") || n.eq_ignore_ascii_case("assertion")
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['=', ':']) {
        let (before, after) = rest.split_at(i);
        let name_start = before.rfind(['&', '?', ' ', '{', ',', ';']).map_or(0, |j| j + 1);
        out.push_str(before);
        out.push_str(&after[..1]);
        let after = &after[1..];
        if !secret_name(&before[name_start..]) {
            rest = after;
            continue;
        }
        let value = after.trim_start();
        out.push_str(&after[..after.len() - value.len()]);
        let (quoted, body) = match value.strip_prefix('"') {
            Some(b) => (true, b),
            None => (false, value),
        };
        let end = if quoted {
            body.char_indices().find(|&(j, c)| c == '"' && !body[..j].ends_with('\\')).map_or(body.len(), |(j, _)| j)
        } else {
            // An authorization scheme (`Bearer`, `Basic`) is followed by the credential itself.
            let skip = ["Bearer ", "Basic ", "bearer ", "basic "].iter().find(|p| body.starts_with(**p)).map_or(0, |p| p.len());
            body[skip..].find(['&', ' ', ',', '}', ';']).map_or(body.len(), |j| skip + j)
        };
        if quoted {
            out.push('"');
        }
        out.push_str(crate::model::url::HIDDEN);
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        assert!(check_url("https://destination-configuration.cfapps.eu10.hana.ondemand.com", "uri", "k").is_ok());
        assert!(check_url("http://127.0.0.1:8080", "uri", "k").is_ok());
        assert!(check_url("http://127.3.4.5:8080", "uri", "k").is_ok());
        assert!(check_url("http://[::1]:8080", "uri", "k").is_ok());
        assert!(check_url("http://localhost:8080", "uri", "k").is_ok());
        let e = check_url("http://10.0.0.1", "uri", "k").unwrap_err();
        assert!(e.message.contains("only allowed to loopback"), "{e}");
        assert!(check_url("http://example.com", "uri", "k").is_err());
        assert!(check_url("ftp://127.0.0.1", "uri", "k").is_err());
        let e = check_url("https://user:pw-in-the-key@x.example", "uri", "k").unwrap_err();
        assert!(e.message.contains("credentials") && !e.message.contains("pw-in-the-key"), "{e}");
    }

    #[test]
    fn answers_never_show_secret_fields() {
        for (body, hidden) in [
            ("grant_type=client_credentials&client_id=sb-x&client_secret=echoed-S3cret", "echoed-S3cret"),
            (r#"{"error":"invalid","access_token": "eyJ.echoed.token", "refresh_token":"r-echoed"}"#, "echoed"),
            ("Authorization: Bearer echoed-bearer-token", "echoed-bearer"),
            ("see https://u:echoed-pw@h/x?token=echoed-q", "echoed"),
        ] {
            let shown = super::super::answer::error_text(body, &[]);
            assert!(!shown.contains(hidden), "{body} -> {shown}");
        }
        let long = format!("{}client_secret: abc", "x ".repeat(200));
        assert!(super::super::answer::error_text(&long, &[]).ends_with("..."));
    }

    #[test]
    fn encodings() {
        assert_eq!(form_encode("sb-a!b1|c d"), "sb-a%21b1%7Cc+d");
        assert_eq!(path_segment("CALM_A/b c"), "CALM_A%2Fb%20c");
    }

    /// Regression (item 10): a host name that does not resolve was tried four times, with
    /// back-off between; refused or reset connections still are.
    #[test]
    fn a_name_that_does_not_resolve_is_not_retried() {
        let chain = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        let dns = chain(&["client error (Connect)", "dns error", "failed to lookup address information: Name or service not known"]);
        match classify_chain(true, &dns) {
            Attempt::Final(m) => {
                assert_eq!(m, "cannot resolve the host name: failed to lookup address information: Name or service not known")
            }
            Attempt::Transient(m) => panic!("retried: {m}"),
        }
        let refused = chain(&["client error (Connect)", "tcp connect error", "Connection refused (os error 111)"]);
        assert!(
            matches!(classify_chain(true, &refused), Attempt::Transient(m) if m == "cannot connect: Connection refused (os error 111)")
        );
        let tls = chain(&["client error (Connect)", "invalid peer certificate: UnknownIssuer"]);
        assert!(matches!(classify_chain(true, &tls), Attempt::Final(m) if m.starts_with("TLS failure")));
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let o = LiveOptions::default();
        let first = backoff(1, None, &o);
        let third = backoff(3, None, &o);
        assert!(first <= o.backoff_base && first >= o.backoff_base / 2);
        assert!(third >= o.backoff_base * 2);
        assert_eq!(backoff(1, Some(Duration::from_secs(2)), &o), Duration::from_secs(2));
        assert_eq!(backoff(1, Some(Duration::from_secs(100_000)), &o), o.max_retry_after);
    }
}
