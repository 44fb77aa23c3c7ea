//! A fake SAP BTP Destination Service, with the XSUAA token endpoint of its instance key, for the
//! test suite.
//!
//! It is a real HTTP/1.1 server (hyper) on `127.0.0.1`, port chosen by the system, running on its
//! own single-threaded tokio runtime in a background thread, so async and plain tests can use it
//! alike. Dropping the [`FakeService`] stops the server and closes every connection it still holds.
//!
//! The protocol follows `shared/reference/sap-interfaces.md` §1, §2 and §8: `POST /oauth/token`
//! (form body or HTTP Basic), the two list calls with SAP's paging parameters and `Page-Count`,
//! `Entity-Count` and `Link` headers, the single-destination reads, find with `authTokens` and
//! the `certificates` of the destination's keystore, the certificate lists of both levels
//! (`{Name, Type, Content}`, paged like the destination lists), plain-text errors and the JSON
//! 404 of find. [`start_tls`] serves the same over HTTPS with a
//! throwaway CA, optionally accepting a client certificate in place of the client secret (the
//! X.509 variant of the destination service key).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// Path prefix of every Destination Service call.
pub const API_PREFIX: &str = "/destination-configuration/v1";

/// `exp` of every token the fake issues: 2100-01-01T00:00:00Z.
const FAR_FUTURE: u64 = 4_102_444_800;

/// What the fake serves and expects.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Expected OAuth client id of the destination service instance.
    pub client_id: String,
    /// Expected client secret.
    pub client_secret: String,
    /// Subaccount GUID: `owner.SubaccountId` of find and `ext_attr.subaccountid` of the token.
    pub subaccount_id: String,
    /// Service instance GUID: `owner.InstanceId` of instance-level finds.
    pub instance_id: String,
    /// Identity zone: the `zid` claim of the token, `identityzone`/`tenantid` of the key.
    pub zone_id: String,
    /// Flat destination objects on the subaccount level.
    pub subaccount: Vec<Value>,
    /// Flat destination objects on the service instance level.
    pub instance: Vec<Value>,
    /// Certificates on the subaccount level: `{"Name", "Type", "Content"}` (base64 of the file).
    pub subaccount_certificates: Vec<Value>,
    /// Certificates on the service instance level.
    pub instance_certificates: Vec<Value>,
    /// What find answers in `authTokens` for an `OAuth2ClientCredentials` destination, by name
    /// (default [`FindToken::Ok`]).
    pub find_tokens: HashMap<String, FindToken>,
    /// Added before every response.
    pub latency: Duration,
    /// Misbehaviours; for each request the first matching fault not yet used up applies.
    pub faults: Vec<Fault>,
    /// With [`start_tls`]: ask for a client certificate of the fake's CA, and let `/oauth/token`
    /// accept a client id without a secret when the connection presented one.
    pub require_client_cert: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            client_id: "sb-dest!b1".to_owned(),
            client_secret: "fake-dest-secret".to_owned(),
            subaccount_id: "11111111-2222-4333-8444-555555555555".to_owned(),
            instance_id: "66666666-7777-4888-9999-000000000000".to_owned(),
            zone_id: "acme".to_owned(),
            subaccount: Vec::new(),
            instance: Vec::new(),
            subaccount_certificates: Vec::new(),
            instance_certificates: Vec::new(),
            find_tokens: HashMap::new(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            require_client_cert: false,
        }
    }
}

/// Outcome of the token retrieval that find performs for an OAuth destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindToken {
    /// A bearer token for the destination.
    Ok,
    /// `authTokens[0] = {type: "", value: "", error: <reason>, expires_in: "0"}`.
    Error(String),
}

/// A misbehaviour of the fake.
#[derive(Clone, Debug)]
pub struct Fault {
    /// Which calls it hits.
    pub target: Target,
    /// Only requests with this `$page` (list calls); `None` hits paged and unpaged requests alike.
    pub page: Option<u32>,
    /// How many matching requests get the fault; `usize::MAX` means always.
    pub times: usize,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault on every matching request.
    pub fn always(target: Target, kind: FaultKind) -> Fault {
        Fault { target, page: None, times: usize::MAX, kind }
    }

    /// A fault on the first `times` matching requests.
    pub fn times(target: Target, times: usize, kind: FaultKind) -> Fault {
        Fault { target, page: None, times, kind }
    }

    /// Restricts the fault to requests for page `page`.
    pub fn on_page(mut self, page: u32) -> Fault {
        self.page = Some(page);
        self
    }
}

/// Which calls a [`Fault`] hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `POST /oauth/token`.
    Token,
    /// `GET .../subaccountDestinations` and `.../subaccountDestinations/{name}`.
    Subaccount,
    /// `GET .../instanceDestinations` and `.../instanceDestinations/{name}`.
    Instance,
    /// `GET .../destinations/{name}`.
    Find,
    /// `GET .../subaccountCertificates` and `.../subaccountCertificates/{name}`.
    SubaccountCertificates,
    /// `GET .../instanceCertificates` and `.../instanceCertificates/{name}`.
    InstanceCertificates,
}

/// What a [`Fault`] does instead of the normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// This status with a plain-text body and optionally a `Retry-After` header.
    Status { status: u16, retry_after: Option<String>, body: String },
    /// Declares the `Content-Length` of the normal answer, sends half of it, then closes the
    /// connection.
    Truncate,
    /// Never answers; holds the connection open until the server is dropped.
    Hang,
    /// 200 with `application/json` and a body that is not JSON.
    MalformedJson,
    /// 200 with `text/html` and an HTML body (a login page, as a proxy would serve).
    WrongContentType,
    /// The normal answer, but with this `Page-Count` header instead of the true one.
    PageCountChange(u32),
    /// This status with the request echoed back as the body (its `Authorization` header, its
    /// query and its body), as a careless server or proxy does.
    Echo(u16),
    /// The normal answer, but with this `Entity-Count` header instead of the true one (a
    /// destination created or deleted while the list is read; or a count the items do not
    /// reach).
    EntityCount(u64),
    /// The normal answer without its `Page-Count` and `Link` headers.
    NoPaging,
    /// 200 with `items` destinations in one page, whatever `$pageSize` asked for, each with a
    /// `Description` of `pad` bytes; `chunked` sends it without a `Content-Length`, 64 KiB a chunk.
    HugePage { items: usize, pad: usize, chunked: bool },
    /// This status with the documented JSON error shapes of both services
    /// (`{"error", "error_description"}` and `{"ErrorMessage"}`), whose text quotes the secret the
    /// request carried (the token request's `client_secret`, else the bearer token) in `form`.
    EchoSecret { status: u16, form: EchoForm },
}

/// How [`FaultKind::EchoSecret`] writes the secret it echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoForm {
    /// As a JSON string holds it, `/` written `\/`.
    JsonEscaped,
    /// Every byte percent-encoded, in lower case (`%2f`).
    LowerPercent,
    /// Over two lines: a line feed in the middle.
    TwoLines,
    /// Standard base64.
    Base64,
    /// This character between every two characters of the secret: an invisible format character
    /// (U+200B, U+200D, U+2060, U+FEFF), the soft hyphen U+00AD, the combining grapheme joiner
    /// U+034F.
    Interleaved(char),
    /// Its ASCII characters as their full-width forms (`Ｋｅｙ`).
    FullWidth,
    /// Its characters in reverse order.
    Reversed,
    /// Upper-case hex of its UTF-16 (big-endian) code units.
    HexUtf16,
    /// Standard base64 of its UTF-16LE code units.
    Base64Utf16Le,
    /// RFC 4648 base32, padded.
    Base32,
}

impl EchoForm {
    /// Every form, each invisible character of [`EchoForm::Interleaved`] once.
    pub const ALL: [EchoForm; 15] = [
        EchoForm::JsonEscaped,
        EchoForm::LowerPercent,
        EchoForm::TwoLines,
        EchoForm::Base64,
        EchoForm::Interleaved('\u{200b}'),
        EchoForm::Interleaved('\u{00ad}'),
        EchoForm::Interleaved('\u{2060}'),
        EchoForm::Interleaved('\u{200d}'),
        EchoForm::Interleaved('\u{feff}'),
        EchoForm::Interleaved('\u{034f}'),
        EchoForm::FullWidth,
        EchoForm::Reversed,
        EchoForm::HexUtf16,
        EchoForm::Base64Utf16Le,
        EchoForm::Base32,
    ];
}

/// A request the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// As received, percent-encoding left alone.
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The body, UTF-8 (lossy).
    pub body: String,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split_once('?').map_or(self.path_and_query.as_str(), |(path, _)| path)
    }

    /// The query parameters, names and values percent-decoded.
    pub fn query(&self) -> HashMap<String, String> {
        parse_query(self.path_and_query.split_once('?').map(|(_, query)| query))
    }
}

/// Certificates and key of a TLS fake, all PEM.
#[derive(Clone, Debug)]
pub struct TlsMaterial {
    /// The throwaway CA that signed the server and client certificates.
    pub ca_pem: String,
    /// A client certificate signed by the CA (for the X.509 destination key).
    pub client_cert_pem: String,
    /// Its private key, PKCS#8.
    pub client_key_pem: String,
}

impl TlsMaterial {
    /// Client certificate and key in one PEM buffer, as `reqwest::Identity::from_pem` wants it.
    pub fn client_identity_pem(&self) -> String {
        format!("{}{}", self.client_cert_pem, self.client_key_pem)
    }
}

/// A running fake; dropping it stops the server.
pub struct FakeService {
    base_url: String,
    addr: SocketAddr,
    state: Arc<State>,
    tls: Option<TlsMaterial>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeService {
    /// Starts the fake over plain HTTP.
    pub fn start(config: FakeConfig) -> FakeService {
        launch(config, None)
    }

    /// `http://127.0.0.1:PORT` (or `https://` from [`start_tls`]), without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// The access token `/oauth/token` issues (the same for every call).
    pub fn access_token(&self) -> String {
        self.state.access_token.clone()
    }

    /// The certificates of a TLS fake.
    pub fn tls_material(&self) -> Option<&TlsMaterial> {
        self.tls.as_ref()
    }

    /// A destination service instance key pointing at this server. For a TLS fake with
    /// `require_client_cert` it is the X.509 variant: `certificate`, `key` and `certurl` instead of
    /// `clientsecret`.
    pub fn destination_key_json(&self) -> Value {
        let config = &self.state.config;
        let mut key = json!({
            "clientid": config.client_id,
            "url": self.base_url,
            "uri": self.base_url,
            "identityzone": config.zone_id,
            "tenantid": config.zone_id,
            "uaadomain": "127.0.0.1",
            "xsappname": format!("{}|destination-xsappname!b62", config.client_id.trim_start_matches("sb-")),
            "instanceid": config.instance_id,
        });
        match (&self.tls, self.state.mtls) {
            (Some(tls), true) => {
                key["credential-type"] = json!("x509");
                key["certurl"] = json!(self.base_url);
                key["certificate"] = json!(tls.client_cert_pem);
                key["key"] = json!(tls.client_key_pem);
            }
            _ => {
                key["credential-type"] = json!("binding-secret");
                key["clientsecret"] = json!(config.client_secret);
            }
        }
        key
    }

    /// `VCAP_SERVICES` with one destination binding whose credentials are
    /// [`destination_key_json`](Self::destination_key_json).
    pub fn vcap_services(&self) -> String {
        json!({
            "destination": [{
                "label": "destination",
                "name": "d",
                "tags": ["destination"],
                "plan": "lite",
                "credentials": self.destination_key_json(),
            }]
        })
        .to_string()
    }
}

impl Drop for FakeService {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the fake over HTTPS with a throwaway CA; the server certificate is for `127.0.0.1` and
/// `localhost`.
pub fn start_tls(config: FakeConfig) -> (FakeService, TlsMaterial) {
    let (acceptor, material) = tls_setup(config.require_client_cert);
    let mut service = launch(config, Some(acceptor));
    service.tls = Some(material.clone());
    (service, material)
}

/// `n` synthetic flat destinations named `PREFIX0001`, `PREFIX0002`, … in the shape of the Cloud
/// ALM push destination.
pub fn synthetic(prefix: &str, n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            json!({
                "Name": format!("{prefix}{i:04}"),
                "Type": "HTTP",
                "URL": "https://acme.eu10.alm.cloud.sap/",
                "Authentication": "OAuth2ClientCredentials",
                "ProxyType": "Internet",
                "clientId": format!("sb-synthetic-{i:04}!b1|calm!b2"),
                "clientSecret": format!("synthetic-secret-{i:04}"),
                "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
                "tokenServiceURLType": "Dedicated",
                "Description": format!("synthetic destination {i}"),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Server plumbing

struct State {
    config: FakeConfig,
    /// How often each fault of `config.faults` has been applied.
    fault_uses: Mutex<Vec<usize>>,
    requests: Mutex<Vec<Recorded>>,
    access_token: String,
    /// TLS with `require_client_cert`.
    mtls: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    /// The fault for this request, counting it as used.
    fn take_fault(&self, target: Target, page: Option<u32>) -> Option<FaultKind> {
        let mut uses = lock(&self.fault_uses);
        for (fault, used) in self.config.faults.iter().zip(uses.iter_mut()) {
            let page_matches = fault.page.is_none() || fault.page == page;
            if fault.target == target && page_matches && *used < fault.times {
                *used += 1;
                return Some(fault.kind.clone());
            }
        }
        None
    }
}

fn launch(config: FakeConfig, tls: Option<TlsAcceptor>) -> FakeService {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("fake service: bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("fake service: non-blocking listener");
    let addr = listener.local_addr().expect("fake service: local address");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://127.0.0.1:{}", addr.port());
    let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let access_token = unsigned_jwt(&json!({
        "jti": format!("{:032x}", u128::from(addr.port()) * 0x9e37_79b9_7f4a_7c15 + u128::from(iat)),
        "ext_attr": {"enhancer": "XSUAA", "subaccountid": config.subaccount_id, "zdn": config.zone_id},
        "sub": config.client_id,
        "scope": ["uaa.resource"],
        "client_id": config.client_id,
        "cid": config.client_id,
        "azp": config.client_id,
        "grant_type": "client_credentials",
        "iat": iat,
        "exp": FAR_FUTURE,
        "iss": format!("{base_url}/oauth/token"),
        "zid": config.zone_id,
        "aud": ["uaa", config.client_id],
    }));
    let mtls = tls.is_some() && config.require_client_cert;
    let state = Arc::new(State {
        fault_uses: Mutex::new(vec![0; config.faults.len()]),
        config,
        requests: Mutex::new(Vec::new()),
        access_token,
        mtls,
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("fake service: tokio runtime");
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let thread_state = Arc::clone(&state);
    let thread = std::thread::Builder::new()
        .name(format!("fake-destination-service-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(accept_loop(listener, tls, thread_state, shutdown_rx));
            // Dropping the runtime cancels every connection task, hanging ones included.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .expect("fake service: thread");
    FakeService { base_url, addr, state, tls: None, shutdown: Some(shutdown_tx), thread: Some(thread) }
}

async fn accept_loop(listener: std::net::TcpListener, tls: Option<TlsAcceptor>, state: Arc<State>, mut shutdown: oneshot::Receiver<()>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("fake service: tokio listener");
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = Arc::clone(&state);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, state, false).await,
                        Some(acceptor) => {
                            // A failed handshake (untrusted client certificate, ...) just ends the connection.
                            let Ok(stream) = acceptor.accept(stream).await else { return };
                            let client_cert = stream.get_ref().1.peer_certificates().is_some_and(|certs| !certs.is_empty());
                            serve_connection(stream, state, client_cert).await;
                        }
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(stream: S, state: Arc<State>, client_cert: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(&state, request, client_cert).await) }
    });
    // Errors (client gone, truncated body) just end the connection.
    let _ = http1::Builder::new().title_case_headers(true).serve_connection(TokioIo::new(stream), service).await;
}

/// Response body: exact length, chunked, or cut short with an error (which makes hyper close the
/// connection).
pub struct FakeBody {
    chunks: VecDeque<Bytes>,
    exact_len: Option<u64>,
    fail: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FakeBody {
    fn full(bytes: impl Into<Bytes>) -> FakeBody {
        let bytes = bytes.into();
        FakeBody { exact_len: Some(bytes.len() as u64), chunks: VecDeque::from([bytes]), fail: None }
    }

    fn chunked(chunks: Vec<Bytes>) -> FakeBody {
        FakeBody { chunks: chunks.into(), exact_len: None, fail: None }
    }

    /// `bytes`, then (after the data had time to reach the client) an error.
    fn cut_short(bytes: Bytes) -> FakeBody {
        FakeBody { chunks: VecDeque::from([bytes]), exact_len: None, fail: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))) }
    }

    fn into_bytes(self) -> Vec<u8> {
        self.chunks.into_iter().flat_map(|chunk| chunk.to_vec()).collect()
    }
}

impl Body for FakeBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if let Some(sleep) = this.fail.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.fail = None;
            return Poll::Ready(Some(Err("fake service: body cut short on purpose".into())));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.fail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        self.exact_len.map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

// ---------------------------------------------------------------------------------------------
// Request handling

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Subaccount,
    Instance,
}

impl Level {
    fn collection(self) -> &'static str {
        match self {
            Level::Subaccount => "subaccountDestinations",
            Level::Instance => "instanceDestinations",
        }
    }

    fn target(self) -> Target {
        match self {
            Level::Subaccount => Target::Subaccount,
            Level::Instance => Target::Instance,
        }
    }
}

enum Route {
    Token,
    List(Level),
    Get(Level, String),
    Certificates(Level),
    Certificate(Level, String),
    Find(String),
    Unknown,
}

impl Route {
    fn of(path: &str) -> Route {
        if path == "/oauth/token" {
            return Route::Token;
        }
        let Some(rest) = path.strip_prefix(API_PREFIX).and_then(|rest| rest.strip_prefix('/')) else {
            return Route::Unknown;
        };
        let (collection, name) = match rest.split_once('/') {
            Some((collection, name)) => (collection, Some(name)),
            None => (rest, None),
        };
        let level = match collection {
            "subaccountDestinations" => Some(Level::Subaccount),
            "instanceDestinations" => Some(Level::Instance),
            _ => None,
        };
        let certificates = match collection {
            "subaccountCertificates" => Some(Level::Subaccount),
            "instanceCertificates" => Some(Level::Instance),
            _ => None,
        };
        match (certificates, name) {
            (Some(level), None) => return Route::Certificates(level),
            (Some(level), Some(name)) if !name.is_empty() => return Route::Certificate(level, percent_decode(name, false)),
            _ => {}
        }
        match (collection, level, name) {
            (_, Some(level), None) => Route::List(level),
            (_, Some(level), Some(name)) if !name.is_empty() => Route::Get(level, percent_decode(name, false)),
            ("destinations", None, Some(name)) if !name.is_empty() => Route::Find(percent_decode(name, false)),
            _ => Route::Unknown,
        }
    }

    fn target(&self) -> Option<Target> {
        match self {
            Route::Token => Some(Target::Token),
            Route::List(level) | Route::Get(level, _) => Some(level.target()),
            Route::Find(_) => Some(Target::Find),
            Route::Certificates(level) | Route::Certificate(level, _) => Some(match level {
                Level::Subaccount => Target::SubaccountCertificates,
                Level::Instance => Target::InstanceCertificates,
            }),
            Route::Unknown => None,
        }
    }
}

struct RequestInfo {
    method: Method,
    headers: HeaderMap,
    query: HashMap<String, String>,
    body: String,
    client_cert: bool,
}

async fn handle(state: &State, request: Request<Incoming>, client_cert: bool) -> Response<FakeBody> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let header = |name: HeaderName| parts.headers.get(name).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    lock(&state.requests).push(Recorded {
        method: parts.method.to_string(),
        path_and_query: parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        authorization: header(hyper::header::AUTHORIZATION),
        content_type: header(hyper::header::CONTENT_TYPE),
        body: body.clone(),
    });
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }

    let route = Route::of(parts.uri.path());
    let incoming = RequestInfo { method: parts.method, headers: parts.headers, query: parse_query(parts.uri.query()), body, client_cert };
    let page = incoming.query.get("$page").and_then(|page| page.trim().parse::<u32>().ok());
    let fault = route.target().and_then(|target| state.take_fault(target, page));
    let Some(fault) = fault else {
        return answer(state, &route, &incoming);
    };
    match fault {
        FaultKind::Status { status, retry_after, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = plain(status, &body);
            if let Some(retry_after) = retry_after {
                set_header(&mut response, "retry-after", &retry_after);
            }
            response
        }
        FaultKind::Echo(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let authorization =
                incoming.headers.get(hyper::header::AUTHORIZATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let query: Vec<String> = incoming.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let echoed = format!(
                "Bad request {} {} Authorization: {} query: {} body: {}",
                incoming.method,
                parts.uri.path(),
                authorization.unwrap_or_default(),
                query.join("&"),
                incoming.body
            );
            plain(status, &echoed)
        }
        FaultKind::Truncate => {
            let (mut parts, body) = answer(state, &route, &incoming).into_parts();
            let bytes = body.into_bytes();
            parts.headers.insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            parts.headers.remove(hyper::header::TRANSFER_ENCODING);
            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            Response::from_parts(parts, FakeBody::cut_short(half))
        }
        FaultKind::Hang => std::future::pending().await,
        FaultKind::MalformedJson => {
            let body = match route {
                Route::Token => r#"{"access_token": "eyJhbGciOiJub25lIn0."#,
                Route::List(_) => r#"[{"Name": "CALM_A","#,
                _ => r#"{"owner": {"SubaccountId": "#,
            };
            with_type(StatusCode::OK, "application/json;charset=UTF-8", body)
        }
        FaultKind::WrongContentType => with_type(
            StatusCode::OK,
            "text/html;charset=UTF-8",
            "<!DOCTYPE html>\n<html><head><title>Log On</title></head>\
             <body><h1>Log On</h1><form method=\"post\"><input name=\"j_username\"></form></body></html>\n",
        ),
        FaultKind::PageCountChange(pages) => {
            let mut response = answer(state, &route, &incoming);
            set_header(&mut response, "page-count", &pages.to_string());
            response
        }
        FaultKind::EntityCount(entities) => {
            let mut response = answer(state, &route, &incoming);
            set_header(&mut response, "entity-count", &entities.to_string());
            response
        }
        FaultKind::NoPaging => {
            let mut response = answer(state, &route, &incoming);
            response.headers_mut().remove("page-count");
            response.headers_mut().remove(hyper::header::LINK);
            response
        }
        FaultKind::HugePage { items, pad, chunked } => huge_page(items, pad, chunked),
        FaultKind::EchoSecret { status, form } => {
            let secret = match route {
                Route::Token => parse_query(Some(&incoming.body)).get("client_secret").cloned().unwrap_or_default(),
                _ => incoming
                    .headers
                    .get(hyper::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split_once(' '))
                    .map(|(_, token)| token.to_owned())
                    .unwrap_or_default(),
            };
            echo_secret(StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED), &secret, form)
        }
    }
}

/// One page of `items` small destinations, `pad` bytes of description each.
fn huge_page(items: usize, pad: usize, chunked: bool) -> Response<FakeBody> {
    let description = "x".repeat(pad);
    let mut body = Vec::with_capacity(items * (pad + 64));
    body.push(b'[');
    for i in 0..items {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(format!(r#"{{"Name":"HUGE{i:07}","Type":"HTTP","Description":"{description}"}}"#).as_bytes());
    }
    body.push(b']');
    let mut response = if chunked {
        Response::new(FakeBody::chunked(body.chunks(64 * 1024).map(Bytes::copy_from_slice).collect()))
    } else {
        Response::new(FakeBody::full(body))
    };
    set_header(&mut response, "content-type", "application/json;charset=UTF-8");
    set_header(&mut response, "page-count", "1");
    response
}

/// The documented error shapes, their text quoting `secret` in `form`.
fn echo_secret(status: StatusCode, secret: &str, form: EchoForm) -> Response<FakeBody> {
    // Written by hand, so that `\/` stays as the server wrote it.
    let text = echo_json_text(secret, form);
    let body = format!(r#"{{"error":"invalid_client","error_description":"{text}","ErrorMessage":"{text}"}}"#);
    with_type(status, "application/json;charset=UTF-8", body)
}

/// The error text [`FaultKind::EchoSecret`] answers, as the inside of a JSON string.
pub fn echo_json_text(secret: &str, form: EchoForm) -> String {
    // The inside of a JSON string holding `text`.
    let escaped = |text: &str| {
        let json = serde_json::to_string(text).expect("JSON string");
        json[1..json.len() - 1].to_owned()
    };
    let shown = match form {
        EchoForm::JsonEscaped => escaped(secret).replace('/', "\\/"),
        EchoForm::LowerPercent => secret.bytes().map(|b| format!("%{b:02x}")).collect(),
        EchoForm::TwoLines => {
            let middle = secret.char_indices().nth(secret.chars().count() / 2).map_or(0, |(i, _)| i);
            format!("{}\\n{}", escaped(&secret[..middle]), escaped(&secret[middle..]))
        }
        EchoForm::Base64 => base64_padded(secret.as_bytes()),
        EchoForm::Interleaved(between) => secret.chars().map(|c| escaped(&c.to_string())).collect::<Vec<_>>().join(&between.to_string()),
        EchoForm::FullWidth => secret
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() { char::from_u32(u32::from(c) + 0xfee0).unwrap_or(c).to_string() } else { escaped(&c.to_string()) }
            })
            .collect(),
        EchoForm::Reversed => escaped(&secret.chars().rev().collect::<String>()),
        EchoForm::HexUtf16 => secret.encode_utf16().map(|u| format!("{u:04X}")).collect(),
        EchoForm::Base64Utf16Le => base64_padded(&secret.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()),
        EchoForm::Base32 => base32(secret.as_bytes()),
    };
    format!("Bad credentials: the client secret {shown} does not match")
}

/// Standard base64, padded.
fn base64_padded(data: &[u8]) -> String {
    let mut encoded = base64url(data).replace('-', "+").replace('_', "/");
    while !encoded.len().is_multiple_of(4) {
        encoded.push('=');
    }
    encoded
}

/// RFC 4648 base32, padded.
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let bits = (0..5).fold(0u64, |acc, i| acc << 8 | u64::from(chunk.get(i).copied().unwrap_or(0)));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            out.push(if i < symbols { char::from(ALPHABET[(bits >> (35 - 5 * i) & 31) as usize]) } else { '=' });
        }
    }
    out
}

fn answer(state: &State, route: &Route, incoming: &RequestInfo) -> Response<FakeBody> {
    match route {
        Route::Token => {
            if incoming.method != Method::POST {
                return method_not_allowed("POST");
            }
            token(state, incoming)
        }
        Route::Unknown => plain(StatusCode::NOT_FOUND, "Not Found"),
        _ => {
            if !bearer_ok(state, &incoming.headers) {
                return plain(StatusCode::UNAUTHORIZED, "Unauthorized");
            }
            if incoming.method != Method::GET {
                return method_not_allowed("GET");
            }
            match route {
                Route::List(level) => list(level_items(state, *level), level.collection(), &incoming.query),
                Route::Certificates(level) => {
                    let collection = match level {
                        Level::Subaccount => "subaccountCertificates",
                        Level::Instance => "instanceCertificates",
                    };
                    list(certificate_items(state, *level), collection, &incoming.query)
                }
                Route::Certificate(level, name) => match certificate_items(state, *level).iter().find(|c| has_name(c, name)) {
                    Some(certificate) => json_response(StatusCode::OK, certificate),
                    None => not_found_json(),
                },
                Route::Get(level, name) => match level_items(state, *level).iter().find(|d| has_name(d, name)) {
                    Some(destination) => json_response(StatusCode::OK, destination),
                    None => not_found_json(),
                },
                Route::Find(name) => find(state, name, &incoming.query),
                Route::Token | Route::Unknown => plain(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
    }
}

fn token(state: &State, incoming: &RequestInfo) -> Response<FakeBody> {
    let form_type = incoming
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    }
    let form = parse_query(Some(&incoming.body));
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or_default();
    if grant_type != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &format!("Unsupported grant type: {grant_type}"));
    }
    let config = &state.config;
    let basic = incoming.headers.get(hyper::header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(basic_credentials);
    // RFC 6749 wants id and secret form-encoded inside Basic; clients that skip it work too.
    let matches = |given: &str, expected: &str| given == expected || percent_decode(given, true) == expected;
    let accepted = match basic {
        Some((id, secret)) => matches(&id, &config.client_id) && matches(&secret, &config.client_secret),
        None => {
            let id_ok = form.get("client_id").is_some_and(|id| id == &config.client_id);
            let secret_ok = match form.get("client_secret") {
                Some(secret) => secret == &config.client_secret,
                None => state.mtls && incoming.client_cert,
            };
            id_ok && secret_ok
        }
    };
    if !accepted {
        return oauth_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
    }
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": state.access_token,
            "token_type": "bearer",
            "expires_in": 43199,
            "scope": "uaa.resource",
            "jti": jwt_claim(&state.access_token, "jti").unwrap_or_default(),
        }),
    )
}

fn bearer_ok(state: &State, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(hyper::header::AUTHORIZATION).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && token.trim() == state.access_token
}

fn level_items(state: &State, level: Level) -> &[Value] {
    match level {
        Level::Subaccount => &state.config.subaccount,
        Level::Instance => &state.config.instance,
    }
}

fn certificate_items(state: &State, level: Level) -> &[Value] {
    match level {
        Level::Subaccount => &state.config.subaccount_certificates,
        Level::Instance => &state.config.instance_certificates,
    }
}

/// The keystore a destination names, looked up as the service does: a destination of the
/// instance looks on the instance level first, then the subaccount's; a subaccount destination
/// only on the subaccount's.
fn keystore_of(state: &State, destination: &Value, on_instance: bool) -> Vec<Value> {
    let name = ["tokenService.KeyStoreLocation", "KeyStoreLocation"].iter().find_map(|k| destination.get(*k).and_then(Value::as_str));
    let Some(name) = name else { return Vec::new() };
    let instance: &[Value] = if on_instance { &state.config.instance_certificates } else { &[] };
    instance.iter().chain(&state.config.subaccount_certificates).find(|c| has_name(c, name)).cloned().into_iter().collect()
}

fn has_name(destination: &Value, name: &str) -> bool {
    destination.get("Name").and_then(Value::as_str) == Some(name)
}

fn list(items: &[Value], collection: &str, query: &HashMap<String, String>) -> Response<FakeBody> {
    let Some(page) = query.get("$page") else {
        if query.contains_key("$filter") {
            return plain(StatusCode::BAD_REQUEST, "$filter is not supported by the fake Destination Service");
        }
        let items = match query.get("$select") {
            Some(select) => select_properties(items, select),
            None => items.to_vec(),
        };
        return list_unpaged(&items);
    };
    if query.contains_key("$filter") || query.contains_key("$select") {
        return plain(StatusCode::BAD_REQUEST, "Pagination cannot be combined with $filter or $select");
    }
    let page = match page.trim().parse::<u32>() {
        Ok(page) if page >= 1 => page as usize,
        _ => return plain(StatusCode::BAD_REQUEST, &format!("Invalid value '{page}' for $page: must be a positive integer")),
    };
    let size = match query.get("$pageSize") {
        None => 10,
        Some(size) => match size.trim().parse::<u32>() {
            Ok(size) if (1..=1000).contains(&size) => size as usize,
            _ => return plain(StatusCode::BAD_REQUEST, &format!("Invalid value '{size}' for $pageSize: must be between 1 and 1000")),
        },
    };
    let total_pages = items.len().div_ceil(size).max(1);
    let slice: Vec<&Value> = items.iter().skip((page - 1).saturating_mul(size)).take(size).collect();
    let mut response = json_response(StatusCode::OK, &slice);
    if query.get("$pageCount").is_some_and(|flag| flag == "true") {
        set_header(&mut response, "page-count", &total_pages.to_string());
    }
    if query.get("$entityCount").is_some_and(|flag| flag == "true") {
        set_header(&mut response, "entity-count", &items.len().to_string());
    }
    let link = |page: usize, rel: &str| format!("</{collection}?$page={page}&$pageSize={size}>; rel='{rel}'");
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "previous"));
    }
    if page < total_pages {
        links.push(link(page + 1, "next"));
    }
    if !links.is_empty() {
        set_header(&mut response, "link", &links.join(", "));
    }
    response
}

/// The whole list, chunked like the real service does for large lists (50 destinations a chunk).
fn list_unpaged(items: &[Value]) -> Response<FakeBody> {
    let mut chunks = Vec::new();
    let mut current = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            current.push(',');
        }
        current.push_str(&item.to_string());
        if (i + 1) % 50 == 0 {
            chunks.push(Bytes::from(std::mem::take(&mut current)));
        }
    }
    current.push(']');
    chunks.push(Bytes::from(current));
    let mut response = Response::new(FakeBody::chunked(chunks));
    set_header(&mut response, "content-type", "application/json;charset=UTF-8");
    response
}

fn select_properties(items: &[Value], select: &str) -> Vec<Value> {
    let keys: Vec<&str> = select.split(',').map(str::trim).filter(|key| !key.is_empty()).collect();
    items
        .iter()
        .map(|item| {
            let selected = keys.iter().filter_map(|key| item.get(*key).map(|value| ((*key).to_owned(), value.clone()))).collect();
            Value::Object(selected)
        })
        .collect()
}

fn find(state: &State, name: &str, query: &HashMap<String, String>) -> Response<FakeBody> {
    let config = &state.config;
    let (destination, instance_id) = if let Some(found) = config.instance.iter().find(|d| has_name(d, name)) {
        (found, json!(config.instance_id))
    } else if let Some(found) = config.subaccount.iter().find(|d| has_name(d, name)) {
        (found, Value::Null)
    } else {
        return not_found_json();
    };
    let mut body = json!({
        "owner": {"SubaccountId": config.subaccount_id, "InstanceId": instance_id},
        "destinationConfiguration": destination,
        "certificates": keystore_of(state, destination, !instance_id.is_null()),
    });
    if query.get("$skipTokenRetrieval").is_none_or(|flag| flag != "true") {
        body["authTokens"] = auth_tokens(state, name, destination);
    }
    json_response(StatusCode::OK, &body)
}

fn auth_tokens(state: &State, name: &str, destination: &Value) -> Value {
    if destination.get("Authentication").and_then(Value::as_str) != Some("OAuth2ClientCredentials") {
        return json!([]);
    }
    match state.config.find_tokens.get(name).unwrap_or(&FindToken::Ok) {
        FindToken::Ok => {
            let client_id = destination.get("clientId").and_then(Value::as_str).unwrap_or_default();
            let value = unsigned_jwt(&json!({
                "client_id": client_id,
                "cid": client_id,
                "sub": client_id,
                "grant_type": "client_credentials",
                "zid": state.config.zone_id,
                "destination": name,
                "exp": FAR_FUTURE,
            }));
            json!([{
                "type": "bearer",
                "value": value,
                "http_header": {"key": "Authorization", "value": format!("Bearer {value}")},
                "expires_in": "3600",
            }])
        }
        FindToken::Error(reason) => json!([{"type": "", "value": "", "error": reason, "expires_in": "0"}]),
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

fn with_type(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<FakeBody> {
    let mut response = Response::new(FakeBody::full(body));
    *response.status_mut() = status;
    set_header(&mut response, "content-type", content_type);
    response
}

fn plain(status: StatusCode, text: &str) -> Response<FakeBody> {
    with_type(status, "text/plain;charset=UTF-8", text.to_owned())
}

fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response<FakeBody> {
    let body = serde_json::to_vec(value).expect("fake service: serialise JSON");
    with_type(status, "application/json;charset=UTF-8", body)
}

fn not_found_json() -> Response<FakeBody> {
    json_response(StatusCode::NOT_FOUND, &json!({"ErrorMessage": "Configuration with the specified name was not found"}))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<FakeBody> {
    json_response(status, &json!({"error": error, "error_description": description}))
}

fn method_not_allowed(allow: &str) -> Response<FakeBody> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    set_header(&mut response, "allow", allow);
    response
}

fn set_header(response: &mut Response<FakeBody>, name: &'static str, value: &str) {
    let value = HeaderValue::from_str(value).expect("fake service: header value");
    response.headers_mut().insert(HeaderName::from_static(name), value);
}

// ---------------------------------------------------------------------------------------------
// Encodings, written out to keep the fake free of extra crates

const BASE64_STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding (the JWT encoding).
pub fn base64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(char::from(BASE64_URL[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not; `None` on anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'-' => 62,
            b'_' => 63,
            _ => BASE64_STANDARD.iter().position(|&c| c == byte)? as u32,
        };
        acc = acc << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xff) as u8);
        }
    }
    Some(out)
}

/// `header.payload.` with header `{"alg":"none","typ":"JWT"}` and an empty signature.
pub fn unsigned_jwt(claims: &Value) -> String {
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url(claims.to_string().as_bytes());
    format!("{header}.{payload}.")
}

/// The claims of a JWT, signature not checked.
pub fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64_decode(payload)?).ok()
}

fn jwt_claim(token: &str, claim: &str) -> Option<Value> {
    jwt_claims(token)?.get(claim).cloned()
}

/// `id:secret` of an HTTP Basic `Authorization` header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded)?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Percent-decodes `text`; `+` becomes a space when `plus_as_space` (form and query encoding).
pub fn percent_decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
        match bytes[i] {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query string or form body into decoded name/value pairs (the last of a repeated name wins).
pub fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name, true), percent_decode(value, true))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// TLS

fn tls_setup(ask_client_cert: bool) -> (TlsAcceptor, TlsMaterial) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("fake CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca_params.distinguished_name.push(DnType::CommonName, "calm-audit fake Destination Service CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("fake CA key")).expect("fake CA certificate");

    let server_key = KeyPair::generate().expect("fake server key");
    let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("fake server parameters");
    server_params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let server_cert = server_params.signed_by(&server_key, &ca).expect("fake server certificate");

    let client_key = KeyPair::generate().expect("fake client key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("fake client parameters");
    client_params.distinguished_name.push(DnType::CommonName, "calm-audit fake destination key");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let client_cert = client_params.signed_by(&client_key, &ca).expect("fake client certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("fake TLS protocol versions");
    let builder = if ask_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).expect("fake CA as trust anchor");
        // Asks for a certificate and rejects one not issued by the CA; a connection without one
        // is let through, and only the secret-less token request then needs it (as with SAP,
        // where `certurl` wants the certificate and `uri` does not).
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()
            .expect("fake client certificate verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = builder.with_single_cert(vec![server_cert.der().clone()], key).expect("fake server TLS config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    let material = TlsMaterial { ca_pem: ca.pem(), client_cert_pem: client_cert.pem(), client_key_pem: client_key.serialize_pem() };
    (TlsAcceptor::from(Arc::new(config)), material)
}
