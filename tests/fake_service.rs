//! The fake Destination Service of the test suite answers as the reference says SAP's does, and
//! SAP's own Cloud SDK reads it.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fake_service::{FakeConfig, FakeService, Fault, FaultKind, FindToken, Target, base64url, jwt_claims, start_tls, synthetic};
use support::process::{on_path, run_bounded};

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("reqwest client")
}

fn destination(name: &str, authentication: &str) -> Value {
    json!({
        "Name": name,
        "Type": "HTTP",
        "URL": "https://acme.eu10.alm.cloud.sap/",
        "Authentication": authentication,
        "ProxyType": "Internet",
        "clientId": format!("sb-{name}!b1|calm!b2"),
        "clientSecret": "s3cret",
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        "tokenServiceURLType": "Dedicated",
    })
}

fn basic(id: &str, secret: &str) -> String {
    // Standard base64 with padding, from the URL-safe encoder of the fake.
    let mut encoded = base64url(format!("{id}:{secret}").as_bytes()).replace('-', "+").replace('_', "/");
    while !encoded.len().is_multiple_of(4) {
        encoded.push('=');
    }
    format!("Basic {encoded}")
}

async fn token(fake: &FakeService) -> String {
    let config = FakeConfig::default();
    let response = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", &config.client_id), ("client_secret", &config.client_secret)])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let body: Value = json(response).await;
    body["access_token"].as_str().expect("access_token").to_owned()
}

async fn get(fake: &FakeService, token: &str, path_and_query: &str) -> reqwest::Response {
    client()
        .get(format!("{}/destination-configuration/v1{path_and_query}", fake.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("destination service request")
}

/// The body as JSON (reqwest's `json` feature is not enabled).
async fn json(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("response body");
    serde_json::from_slice(&bytes).unwrap_or_else(|error| panic!("not JSON ({error}): {}", String::from_utf8_lossy(&bytes)))
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|value| value.to_str().expect("ASCII header").to_owned())
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().expect("JSON array").iter().map(|d| d["Name"].as_str().expect("Name").to_owned()).collect()
}

// ------------------------------------------------------------------------------------------------
// Token endpoint

#[tokio::test]
async fn token_with_form_body_is_an_unsigned_jwt_with_zid() {
    let fake = FakeService::start(FakeConfig::default());
    let response = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=sb-dest%21b1&client_secret=fake-dest-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = json(response).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 43199);
    assert_eq!(body["scope"], "uaa.resource");
    assert!(body["jti"].as_str().is_some_and(|jti| !jti.is_empty()));
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token, fake.access_token());
    assert!(token.ends_with('.'), "empty signature: {token}");
    let header = support::fake_service::base64_decode(token.split('.').next().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&header).unwrap(), json!({"alg": "none", "typ": "JWT"}));
    let claims = jwt_claims(token).unwrap();
    assert_eq!(claims["zid"], "acme");
    assert_eq!(claims["ext_attr"]["subaccountid"], "11111111-2222-4333-8444-555555555555");
    assert_eq!(claims["ext_attr"]["zdn"], "acme");
    assert_eq!(claims["client_id"], "sb-dest!b1");
    assert!(claims["exp"].as_u64().unwrap() > 4_000_000_000);
    assert!(claims["iat"].as_u64().is_some());
}

#[tokio::test]
async fn token_with_basic_auth() {
    let fake = FakeService::start(FakeConfig::default());
    let response = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .header("authorization", basic("sb-dest!b1", "fake-dest-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = json(response).await;
    assert_eq!(body["access_token"], fake.access_token());

    let wrong = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .header("authorization", basic("sb-dest!b1", "nope"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn token_with_wrong_secret_is_401_bad_credentials() {
    let fake = FakeService::start(FakeConfig::default());
    let response = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "sb-dest!b1"), ("client_secret", "fake-dest-secret ")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = json(response).await;
    assert_eq!(body, json!({"error": "unauthorized", "error_description": "Bad credentials"}));

    let no_secret = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "sb-dest!b1")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_secret.status(), 401, "a secret is needed without mTLS");
}

#[tokio::test]
async fn list_without_or_with_a_foreign_token_is_401_plain_text() {
    let fake = FakeService::start(FakeConfig { subaccount: synthetic("CALM_", 2), ..FakeConfig::default() });
    let response = client().get(format!("{}/destination-configuration/v1/subaccountDestinations", fake.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(header(&response, "content-type").unwrap().starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), "Unauthorized");

    let foreign = get(&fake, "eyJhbGciOiJub25lIn0.e30.", "/instanceDestinations").await;
    assert_eq!(foreign.status(), 401);
    assert_eq!(foreign.text().await.unwrap(), "Unauthorized");
}

// ------------------------------------------------------------------------------------------------
// Lists and paging

#[tokio::test]
async fn paging_25_destinations_in_pages_of_10() {
    let fake = FakeService::start(FakeConfig { subaccount: synthetic("CALM_", 25), ..FakeConfig::default() });
    let token = token(&fake).await;
    let query = "$pageSize=10&$pageCount=true&$entityCount=true";

    let first = get(&fake, &token, &format!("/subaccountDestinations?$page=1&{query}")).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "page-count").as_deref(), Some("3"));
    assert_eq!(header(&first, "entity-count").as_deref(), Some("25"));
    assert_eq!(header(&first, "link").as_deref(), Some("</subaccountDestinations?$page=2&$pageSize=10>; rel='next'"));
    let first: Value = json(first).await;
    assert_eq!(names(&first), (1..=10).map(|i| format!("CALM_{i:04}")).collect::<Vec<_>>());

    let second = get(&fake, &token, &format!("/subaccountDestinations?$page=2&{query}")).await;
    assert_eq!(header(&second, "page-count").as_deref(), Some("3"));
    assert_eq!(
        header(&second, "link").as_deref(),
        Some("</subaccountDestinations?$page=1&$pageSize=10>; rel='previous', </subaccountDestinations?$page=3&$pageSize=10>; rel='next'")
    );
    let second: Value = json(second).await;
    assert_eq!(names(&second).first().map(String::as_str), Some("CALM_0011"));

    let third = get(&fake, &token, &format!("/subaccountDestinations?$page=3&{query}")).await;
    assert_eq!(header(&third, "page-count").as_deref(), Some("3"));
    assert_eq!(header(&third, "link").as_deref(), Some("</subaccountDestinations?$page=2&$pageSize=10>; rel='previous'"));
    let third: Value = json(third).await;
    assert_eq!(names(&third), (21..=25).map(|i| format!("CALM_{i:04}")).collect::<Vec<_>>());

    let beyond = get(&fake, &token, &format!("/subaccountDestinations?$page=4&{query}")).await;
    assert_eq!(beyond.status(), 200);
    assert_eq!(header(&beyond, "page-count").as_deref(), Some("3"));
    assert_eq!(json(beyond).await, json!([]));

    // Without $pageCount/$entityCount those headers stay away; the default page size is 10.
    let plain = get(&fake, &token, "/subaccountDestinations?$page=1").await;
    assert_eq!(header(&plain, "page-count"), None);
    assert_eq!(header(&plain, "entity-count"), None);
    assert_eq!(header(&plain, "link").as_deref(), Some("</subaccountDestinations?$page=2&$pageSize=10>; rel='next'"));
    assert_eq!(names(&json(plain).await).len(), 10);
}

#[tokio::test]
async fn list_without_page_returns_everything_chunked() {
    let fake =
        FakeService::start(FakeConfig { subaccount: synthetic("CALM_", 25), instance: synthetic("INST_", 120), ..FakeConfig::default() });
    let token = token(&fake).await;
    let all = get(&fake, &token, "/subaccountDestinations").await;
    assert_eq!(all.status(), 200);
    assert!(header(&all, "content-type").unwrap().starts_with("application/json"));
    assert_eq!(header(&all, "page-count"), None);
    assert_eq!(header(&all, "link"), None);
    assert_eq!(names(&json(all).await).len(), 25);

    let instance = get(&fake, &token, "/instanceDestinations").await;
    assert_eq!(header(&instance, "transfer-encoding").as_deref(), Some("chunked"));
    let instance: Value = json(instance).await;
    assert_eq!(names(&instance).len(), 120);
    assert_eq!(names(&instance)[119], "INST_0120");

    let selected: Value = json(get(&fake, &token, "/subaccountDestinations?$select=Name").await).await;
    assert_eq!(selected[0], json!({"Name": "CALM_0001"}));
}

#[tokio::test]
async fn page_size_out_of_range_or_bad_page_is_400_plain_text() {
    let fake = FakeService::start(FakeConfig { subaccount: synthetic("CALM_", 3), ..FakeConfig::default() });
    let token = token(&fake).await;
    for query in ["$page=1&$pageSize=1001", "$page=1&$pageSize=0", "$page=0", "$page=x", "$page=1&$select=Name"] {
        let response = get(&fake, &token, &format!("/subaccountDestinations?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert!(header(&response, "content-type").unwrap().starts_with("text/plain"), "{query}");
        assert!(!response.text().await.unwrap().is_empty());
    }
    let largest = get(&fake, &token, "/subaccountDestinations?$page=1&$pageSize=1000").await;
    assert_eq!(largest.status(), 200);
}

#[tokio::test]
async fn percent_encoded_parameter_names_and_empty_lists() {
    let fake = FakeService::start(FakeConfig { instance: synthetic("INST_", 5), ..FakeConfig::default() });
    let token = token(&fake).await;
    let response = get(&fake, &token, "/instanceDestinations?%24page=2&%24pageSize=2&%24pageCount=true").await;
    assert_eq!(header(&response, "page-count").as_deref(), Some("3"));
    assert_eq!(
        header(&response, "link").as_deref(),
        Some("</instanceDestinations?$page=1&$pageSize=2>; rel='previous', </instanceDestinations?$page=3&$pageSize=2>; rel='next'")
    );
    assert_eq!(names(&json(response).await), ["INST_0003", "INST_0004"]);

    let empty = get(&fake, &token, "/subaccountDestinations?$page=1&$pageCount=true").await;
    assert_eq!(header(&empty, "page-count").as_deref(), Some("1"), "at least one page, even when empty");
    assert_eq!(header(&empty, "link"), None);
    assert_eq!(json(empty).await, json!([]));
    assert_eq!(json(get(&fake, &token, "/subaccountDestinations").await).await, json!([]));
}

// ------------------------------------------------------------------------------------------------
// Find and single reads

fn find_config() -> FakeConfig {
    FakeConfig {
        subaccount: vec![
            destination("CALM_BPMON", "OAuth2ClientCredentials"),
            destination("SHARED", "OAuth2ClientCredentials"),
            destination("BASIC_ONE", "BasicAuthentication"),
            destination("CALM_BROKEN", "OAuth2ClientCredentials"),
        ],
        instance: vec![{
            let mut shared = destination("SHARED", "OAuth2ClientCredentials");
            shared["Description"] = json!("instance level");
            shared
        }],
        find_tokens: HashMap::from([("CALM_BROKEN".to_owned(), FindToken::Error("Unauthorized: Bad credentials".to_owned()))]),
        ..FakeConfig::default()
    }
}

#[tokio::test]
async fn find_prefers_the_instance_level() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    let shared: Value = json(get(&fake, &token, "/destinations/SHARED").await).await;
    assert_eq!(shared["owner"]["InstanceId"], "66666666-7777-4888-9999-000000000000");
    assert_eq!(shared["owner"]["SubaccountId"], "11111111-2222-4333-8444-555555555555");
    assert_eq!(shared["destinationConfiguration"]["Description"], "instance level");
    assert_eq!(shared["certificates"], json!([]));

    let sub: Value = json(get(&fake, &token, "/destinations/CALM_BPMON").await).await;
    assert_eq!(sub["owner"]["InstanceId"], Value::Null);
    assert_eq!(sub["owner"]["SubaccountId"], "11111111-2222-4333-8444-555555555555");
    assert_eq!(sub["destinationConfiguration"]["Name"], "CALM_BPMON");
    let tokens = sub["authTokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["type"], "bearer");
    assert_eq!(tokens[0]["expires_in"], "3600");
    assert_eq!(tokens[0]["http_header"]["key"], "Authorization");
    assert_eq!(tokens[0]["http_header"]["value"], format!("Bearer {}", tokens[0]["value"].as_str().unwrap()));

    let basic: Value = json(get(&fake, &token, "/destinations/BASIC_ONE").await).await;
    assert_eq!(basic["authTokens"], json!([]));

    // Names are percent-decoded.
    let encoded = get(&fake, &token, "/destinations/CALM%5FBPMON").await;
    assert_eq!(encoded.status(), 200);
}

#[tokio::test]
async fn find_of_a_missing_destination_is_404_json() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    for path in ["/destinations/NOPE", "/subaccountDestinations/NOPE", "/instanceDestinations/CALM_BPMON"] {
        let response = get(&fake, &token, path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(header(&response, "content-type").unwrap().starts_with("application/json"));
        let body: Value = json(response).await;
        assert_eq!(body, json!({"ErrorMessage": "Configuration with the specified name was not found"}));
    }
}

#[tokio::test]
async fn skip_token_retrieval_leaves_auth_tokens_out_and_token_errors_show() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    let skipped: Value = json(get(&fake, &token, "/destinations/CALM_BPMON?$skipTokenRetrieval=true").await).await;
    assert!(skipped.get("authTokens").is_none(), "{skipped}");
    assert_eq!(skipped["destinationConfiguration"]["Name"], "CALM_BPMON");

    let broken: Value = json(get(&fake, &token, "/destinations/CALM_BROKEN").await).await;
    assert_eq!(broken["authTokens"], json!([{"type": "", "value": "", "error": "Unauthorized: Bad credentials", "expires_in": "0"}]));
}

#[tokio::test]
async fn single_reads_on_both_levels() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    let sub: Value = json(get(&fake, &token, "/subaccountDestinations/SHARED").await).await;
    assert_eq!(sub["Name"], "SHARED");
    assert!(sub.get("Description").is_none());
    let inst: Value = json(get(&fake, &token, "/instanceDestinations/SHARED").await).await;
    assert_eq!(inst["Description"], "instance level");
}

/// The certificate lists page like the destination lists, items `{Name, Type, Content}`; find
/// returns the keystore a destination names, instance level first.
#[tokio::test]
async fn certificate_lists_and_find_certificates() {
    let certificate = |name: &str, content: &str| json!({"Name": name, "Type": "CERTIFICATE", "Content": content});
    let mut mtls = destination("CALM_MTLS", "OAuth2ClientCredentials");
    mtls["tokenService.KeyStoreLocation"] = json!("calm.p12");
    let mut on_instance = mtls.clone();
    on_instance["Name"] = json!("CALM_MTLS_INSTANCE");
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![mtls],
        instance: vec![on_instance],
        subaccount_certificates: (0..15)
            .map(|i| certificate(&format!("c{i:02}.pem"), "QUJD"))
            .chain([certificate("calm.p12", "c3Vi")])
            .collect(),
        instance_certificates: vec![certificate("calm.p12", "aW5zdA==")],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let page = get(&fake, &token, "/subaccountCertificates?$page=2&$pageSize=10&$pageCount=true").await;
    assert_eq!(header(&page, "page-count").as_deref(), Some("2"));
    assert_eq!(header(&page, "link").as_deref(), Some("</subaccountCertificates?$page=1&$pageSize=10>; rel='previous'"));
    assert_eq!(names(&json(page).await).len(), 6);
    let one: Value = json(get(&fake, &token, "/instanceCertificates/calm.p12").await).await;
    assert_eq!(one["Content"], "aW5zdA==");
    let found: Value = json(get(&fake, &token, "/destinations/CALM_MTLS_INSTANCE?$skipTokenRetrieval=true").await).await;
    assert_eq!(found["certificates"], json!([certificate("calm.p12", "aW5zdA==")]), "instance level first");
    let found: Value = json(get(&fake, &token, "/destinations/CALM_MTLS?$skipTokenRetrieval=true").await).await;
    assert_eq!(found["certificates"], json!([certificate("calm.p12", "c3Vi")]), "a subaccount destination sees the subaccount's");
}

#[tokio::test]
async fn other_paths_and_methods() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    let unknown = get(&fake, &token, "/subaccountTrustStores").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.text().await.unwrap(), "Not Found");
    let delete = client()
        .delete(format!("{}/destination-configuration/v1/subaccountDestinations/CALM_BPMON", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
    let token_get = client().get(format!("{}/oauth/token", fake.base_url())).send().await.unwrap();
    assert_eq!(token_get.status(), 405);
    let root = client().get(fake.base_url()).send().await.unwrap();
    assert_eq!(root.status(), 404);
}

// ------------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn status_fault_with_retry_after_then_normal_answer() {
    let fake = FakeService::start(FakeConfig {
        subaccount: synthetic("CALM_", 3),
        faults: vec![Fault::times(
            Target::Subaccount,
            1,
            FaultKind::Status { status: 429, retry_after: Some("2".to_owned()), body: "Too Many Requests".to_owned() },
        )],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let first = get(&fake, &token, "/subaccountDestinations").await;
    assert_eq!(first.status(), 429);
    assert_eq!(header(&first, "retry-after").as_deref(), Some("2"));
    assert!(header(&first, "content-type").unwrap().starts_with("text/plain"));
    assert_eq!(first.text().await.unwrap(), "Too Many Requests");
    let second = get(&fake, &token, "/subaccountDestinations").await;
    assert_eq!(second.status(), 200);
    assert_eq!(names(&json(second).await).len(), 3);
}

#[tokio::test]
async fn token_fault_hits_only_the_token_endpoint() {
    let fake = FakeService::start(FakeConfig {
        faults: vec![Fault::times(Target::Token, 1, FaultKind::Status { status: 503, retry_after: None, body: "busy".to_owned() })],
        ..FakeConfig::default()
    });
    let response = client()
        .post(format!("{}/oauth/token", fake.base_url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "sb-dest!b1"), ("client_secret", "fake-dest-secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(token(&fake).await, fake.access_token());
}

#[tokio::test]
async fn truncate_fault_breaks_the_body() {
    let fake = FakeService::start(FakeConfig {
        instance: synthetic("INST_", 40),
        faults: vec![Fault::times(Target::Instance, 1, FaultKind::Truncate)],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let response = get(&fake, &token, "/instanceDestinations").await;
    assert_eq!(response.status(), 200);
    let declared: usize = header(&response, "content-length").unwrap().parse().unwrap();
    assert!(declared > 1000);
    let body = response.bytes().await;
    assert!(body.is_err(), "reading a truncated body must fail, got {} bytes", body.map(|b| b.len()).unwrap_or(0));
    // The fault was used up: the next call (on a new connection) is whole.
    let again = get(&fake, &token, "/instanceDestinations").await;
    assert_eq!(names(&json(again).await).len(), 40);
}

#[tokio::test]
async fn hang_fault_makes_the_client_time_out() {
    let fake = FakeService::start(FakeConfig { faults: vec![Fault::always(Target::Find, FaultKind::Hang)], ..FakeConfig::default() });
    let token = token(&fake).await;
    let quick = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let error = quick
        .get(format!("{}/destination-configuration/v1/destinations/X", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("a hanging server must time out");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    // Dropping the fake with a hanging connection returns promptly.
    let dropping = Instant::now();
    drop(fake);
    assert!(dropping.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type() {
    let fake = FakeService::start(FakeConfig {
        subaccount: synthetic("CALM_", 3),
        faults: vec![
            Fault::times(Target::Subaccount, 1, FaultKind::MalformedJson),
            Fault::times(Target::Instance, 1, FaultKind::WrongContentType),
        ],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let malformed = get(&fake, &token, "/subaccountDestinations").await;
    assert_eq!(malformed.status(), 200);
    assert!(header(&malformed, "content-type").unwrap().starts_with("application/json"));
    let text = malformed.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let html = get(&fake, &token, "/instanceDestinations").await;
    assert_eq!(html.status(), 200);
    assert!(header(&html, "content-type").unwrap().starts_with("text/html"));
    assert!(html.text().await.unwrap().contains("<html>"));
}

#[tokio::test]
async fn page_count_change_and_page_specific_faults() {
    let fake = FakeService::start(FakeConfig {
        subaccount: synthetic("CALM_", 25),
        faults: vec![
            Fault::always(Target::Subaccount, FaultKind::PageCountChange(5)).on_page(2),
            Fault::times(Target::Subaccount, 1, FaultKind::Status { status: 500, retry_after: None, body: "boom".to_owned() }).on_page(3),
        ],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let query = "$pageSize=10&$pageCount=true";
    let first = get(&fake, &token, &format!("/subaccountDestinations?$page=1&{query}")).await;
    assert_eq!(header(&first, "page-count").as_deref(), Some("3"));
    let second = get(&fake, &token, &format!("/subaccountDestinations?$page=2&{query}")).await;
    assert_eq!(second.status(), 200);
    assert_eq!(header(&second, "page-count").as_deref(), Some("5"));
    assert_eq!(names(&json(second).await).len(), 10);
    let third = get(&fake, &token, &format!("/subaccountDestinations?$page=3&{query}")).await;
    assert_eq!(third.status(), 500);
    assert_eq!(third.text().await.unwrap(), "boom");
    let third_again = get(&fake, &token, &format!("/subaccountDestinations?$page=3&{query}")).await;
    assert_eq!(third_again.status(), 200);
    // The page-specific faults leave the unpaged call alone.
    assert_eq!(get(&fake, &token, "/subaccountDestinations").await.status(), 200);
}

#[tokio::test]
async fn list_faults_of_issue_27_change_only_what_they_name() {
    let fake = FakeService::start(FakeConfig {
        subaccount: synthetic("CALM_", 25),
        instance: synthetic("INST_", 3),
        faults: vec![
            Fault::always(Target::Subaccount, FaultKind::EntityCount(24)).on_page(2),
            Fault::always(Target::Subaccount, FaultKind::NoPaging).on_page(3),
            Fault::always(Target::Instance, FaultKind::HugePage { items: 2000, pad: 3, chunked: true }),
        ],
        ..FakeConfig::default()
    });
    let token = token(&fake).await;
    let query = "$pageSize=10&$pageCount=true&$entityCount=true";
    let first = get(&fake, &token, &format!("/subaccountDestinations?$page=1&{query}")).await;
    assert_eq!((header(&first, "page-count").as_deref(), header(&first, "entity-count").as_deref()), (Some("3"), Some("25")));
    let second = get(&fake, &token, &format!("/subaccountDestinations?$page=2&{query}")).await;
    assert_eq!((header(&second, "page-count").as_deref(), header(&second, "entity-count").as_deref()), (Some("3"), Some("24")));
    assert_eq!(names(&json(second).await).len(), 10);
    let third = get(&fake, &token, &format!("/subaccountDestinations?$page=3&{query}")).await;
    assert_eq!((header(&third, "page-count"), header(&third, "link")), (None, None));
    assert_eq!(names(&json(third).await).len(), 5);
    let huge = get(&fake, &token, &format!("/instanceDestinations?$page=1&{query}")).await;
    assert_eq!(header(&huge, "content-length"), None, "chunked");
    assert_eq!(names(&json(huge).await).len(), 2000, "whatever $pageSize asked for");
}

#[tokio::test]
async fn echo_secret_answers_are_the_documented_json_shapes() {
    use support::fake_service::EchoForm;
    let secret = "ab/cd+ef=gh\\ij\"kl";
    for form in EchoForm::ALL {
        let fake = FakeService::start(FakeConfig {
            client_secret: secret.to_owned(),
            faults: vec![Fault::always(Target::Token, FaultKind::EchoSecret { status: 401, form })],
            ..FakeConfig::default()
        });
        let response = client()
            .post(format!("{}/oauth/token", fake.base_url()))
            .form(&[("grant_type", "client_credentials"), ("client_id", "sb-dest!b1"), ("client_secret", secret)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let raw = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{form:?}: not JSON ({e}): {raw}"));
        let text = body["error_description"].as_str().unwrap();
        assert_eq!(body["ErrorMessage"].as_str(), Some(text));
        match form {
            EchoForm::JsonEscaped => assert!(raw.contains("ab\\/cd") && text.contains(secret), "{raw}"),
            EchoForm::LowerPercent => assert!(text.contains("%61%62%2f%63"), "{text}"),
            EchoForm::TwoLines => assert!(text.contains('\n') && text.replace('\n', "").contains(secret), "{text}"),
            EchoForm::Base64 => assert!(text.contains("YWIvY2Qr"), "{text}"),
            EchoForm::Interleaved(c) => assert!(text.contains(&format!("a{c}b{c}/{c}c")) && text.replace(c, "").contains(secret), "{text}"),
            EchoForm::FullWidth => assert!(text.contains("ａｂ／ｃｄ＋"), "{text}"),
            EchoForm::Reversed => assert!(text.contains(&secret.chars().rev().collect::<String>()), "{text}"),
            EchoForm::HexUtf16 => assert!(text.contains("00610062002F0063"), "{text}"),
            EchoForm::Base64Utf16Le => assert!(text.contains("YQBiAC8AYwBkACsA"), "{text}"),
            EchoForm::Base32 => assert!(text.contains("MFRC6Y3EFNSWMPLHNBOGS2RCNNWA===="), "{text}"),
        }
    }
}

#[tokio::test]
async fn latency_is_added_before_every_response() {
    let fake = FakeService::start(FakeConfig { latency: Duration::from_millis(300), ..FakeConfig::default() });
    let started = Instant::now();
    let response = client().get(format!("{}/destination-configuration/v1/instanceDestinations", fake.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

// ------------------------------------------------------------------------------------------------
// Recording, key, lifecycle

#[tokio::test]
async fn recorded_requests_carry_method_path_and_headers() {
    let fake = FakeService::start(find_config());
    let token = token(&fake).await;
    let _ = get(&fake, &token, "/subaccountDestinations?$page=1&$pageSize=2").await;
    let _ = get(&fake, &token, "/destinations/CALM_BPMON?$skipTokenRetrieval=true").await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path_and_query, "/oauth/token");
    assert_eq!(requests[0].content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert!(requests[0].body.contains("grant_type=client_credentials"));
    assert_eq!(requests[0].authorization, None);
    assert_eq!(requests[1].method, "GET");
    assert_eq!(requests[1].path(), "/destination-configuration/v1/subaccountDestinations");
    assert_eq!(requests[1].query().get("$pageSize").map(String::as_str), Some("2"));
    assert_eq!(requests[1].authorization, Some(format!("Bearer {token}")));
    assert_eq!(requests[2].path_and_query, "/destination-configuration/v1/destinations/CALM_BPMON?$skipTokenRetrieval=true");
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[test]
fn destination_key_and_vcap_services_point_at_the_fake() {
    let fake = FakeService::start(FakeConfig::default());
    let key = fake.destination_key_json();
    assert_eq!(key["clientid"], "sb-dest!b1");
    assert_eq!(key["clientsecret"], "fake-dest-secret");
    assert_eq!(key["url"], fake.base_url());
    assert_eq!(key["uri"], fake.base_url());
    assert_eq!(key["identityzone"], "acme");
    assert_eq!(key["tenantid"], "acme");
    assert_eq!(key["uaadomain"], "127.0.0.1");
    assert_eq!(key["instanceid"], "66666666-7777-4888-9999-000000000000");
    assert!(key["xsappname"].as_str().is_some_and(|x| !x.is_empty()));
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));

    let vcap: Value = serde_json::from_str(&fake.vcap_services()).unwrap();
    let binding = &vcap["destination"][0];
    assert_eq!(binding["label"], "destination");
    assert_eq!(binding["name"], "d");
    assert_eq!(binding["tags"], json!(["destination"]));
    assert_eq!(binding["credentials"], key);
}

#[test]
fn the_server_stops_when_dropped() {
    let fake = FakeService::start(FakeConfig::default());
    let addr = fake.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(fake);
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn usable_from_a_plain_test_with_a_blocking_caller() {
    let fake = FakeService::start(FakeConfig { subaccount: synthetic("CALM_", 2), ..FakeConfig::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let names = runtime.block_on(async {
        let token = token(&fake).await;
        names(&json(get(&fake, &token, "/subaccountDestinations").await).await)
    });
    assert_eq!(names, ["CALM_0001", "CALM_0002"]);
}

// ------------------------------------------------------------------------------------------------
// TLS

fn tls_client(ca_pem: &str, identity_pem: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(10))
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap());
    if let Some(identity) = identity_pem {
        builder = builder.identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn tls_serves_the_same_protocol() {
    let (fake, tls) = start_tls(FakeConfig { subaccount: synthetic("CALM_", 3), ..FakeConfig::default() });
    assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    let client = tls_client(&tls.ca_pem, None);
    let response = client
        .post(format!("{}/oauth/token", fake.base_url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "sb-dest!b1"), ("client_secret", "fake-dest-secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = json(response).await["access_token"].as_str().unwrap().to_owned();
    let list = client
        .get(format!("{}/destination-configuration/v1/subaccountDestinations", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&json(list).await).len(), 3);

    // A client that does not trust the throwaway CA fails the handshake.
    let untrusting = reqwest::Client::builder().no_proxy().use_rustls_tls().tls_built_in_root_certs(false).build().unwrap();
    assert!(untrusting.get(fake.base_url()).send().await.is_err());
}

#[tokio::test]
async fn mtls_token_needs_the_client_certificate_instead_of_a_secret() {
    let (fake, tls) = start_tls(FakeConfig { require_client_cert: true, ..FakeConfig::default() });
    let url = format!("{}/oauth/token", fake.base_url());
    let form = [("grant_type", "client_credentials"), ("client_id", "sb-dest!b1")];

    // Without a client certificate: refused.
    let without = tls_client(&tls.ca_pem, None).post(&url).form(&form).send().await;
    match without {
        Ok(response) => assert_eq!(response.status(), 401),
        Err(error) => assert!(error.is_connect() || error.is_request(), "{error:?}"),
    }

    // With a certificate of another CA: the handshake fails.
    let (_other, other_tls) = start_tls(FakeConfig { require_client_cert: true, ..FakeConfig::default() });
    let foreign = tls_client(&tls.ca_pem, Some(&other_tls.client_identity_pem())).post(&url).form(&form).send().await;
    assert!(foreign.is_err(), "a client certificate of a foreign CA must be rejected");

    // With it: a token without any secret.
    let with = tls_client(&tls.ca_pem, Some(&tls.client_identity_pem())).post(&url).form(&form).send().await.unwrap();
    assert_eq!(with.status(), 200);
    let token = json(with).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token, fake.access_token());

    // Destination calls need the bearer token only, as on SAP's `uri` host.
    let list = tls_client(&tls.ca_pem, None)
        .get(format!("{}/destination-configuration/v1/instanceDestinations", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);

    // The key is the X.509 variant.
    let key = fake.destination_key_json();
    assert_eq!(key["credential-type"], "x509");
    assert!(key.get("clientsecret").is_none());
    assert_eq!(key["certurl"], fake.base_url());
    assert_eq!(key["certificate"], tls.client_cert_pem);
    assert_eq!(key["key"], tls.client_key_pem);
}

// ------------------------------------------------------------------------------------------------
// SAP's own client against the fake

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn install_sdk(sdk: &Path) {
    if sdk.join("node_modules/@sap-cloud-sdk/connectivity/package.json").is_file() {
        return;
    }
    assert!(on_path("npm").is_some(), "npm is not on PATH: install Node.js (20 or later) with npm to run the SAP Cloud SDK fidelity test");
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(sdk).current_dir(root());
    let (ok, stdout, stderr) = run_bounded(npm, Duration::from_secs(300));
    assert!(ok, "npm ci in tests/sdk failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
}

#[test]
fn sap_cloud_sdk_reads_the_fake() {
    let sdk = root().join("tests/sdk");
    install_sdk(&sdk);
    assert!(on_path("node").is_some(), "node is not on PATH: install Node.js (20 or later) to run the SAP Cloud SDK fidelity test");

    let fake = FakeService::start(FakeConfig {
        subaccount: vec![
            destination("CALM_BPMON", "OAuth2ClientCredentials"),
            destination("CALM_OTHER", "OAuth2ClientCredentials"),
            destination("PLAIN", "NoAuthentication"),
        ],
        instance: vec![destination("INSTANCE_ONLY", "OAuth2ClientCredentials")],
        ..FakeConfig::default()
    });

    let mut node = Command::new("node");
    node.arg(sdk.join("fidelity.mjs"))
        .arg("CALM_BPMON")
        .arg("CALM_NOWHERE")
        .current_dir(&sdk)
        .env("VCAP_SERVICES", fake.vcap_services())
        .env_remove("NODE_OPTIONS")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"] {
        node.env_remove(proxy);
    }
    let (ok, stdout, stderr) = run_bounded(node, Duration::from_secs(60));
    assert!(ok, "fidelity.mjs failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nrequests: {:#?}", fake.requests());
    let line =
        stdout.lines().rev().find(|line| line.starts_with("{\"all\":")).unwrap_or_else(|| panic!("no result line:\n{stdout}\n{stderr}"));
    let result: Value = serde_json::from_str(line).expect("result JSON");

    let mut all: Vec<&str> = result["all"].as_array().expect("all").iter().map(|name| name.as_str().expect("name")).collect();
    all.sort_unstable();
    assert_eq!(all, ["CALM_BPMON", "CALM_OTHER", "INSTANCE_ONLY", "PLAIN"]);

    let found = &result["found"];
    assert_eq!(found["name"], "CALM_BPMON");
    let tokens = found["authTokens"].as_array().expect("authTokens");
    assert_eq!(tokens.len(), 1, "{found}");
    assert_eq!(tokens[0]["type"], "bearer");
    assert!(tokens[0]["value"].as_str().is_some_and(|value| !value.is_empty()));
    assert!(tokens[0].get("error").is_none_or(Value::is_null), "{found}");
    assert_eq!(result["missing"], true, "the SDK must read the fake's find 404 as 'not found'");

    let requests = fake.requests();
    let seen: Vec<(String, String)> = requests.iter().map(|r| (r.method.clone(), r.path_and_query.clone())).collect();
    let has = |method: &str, path_and_query: &str| seen.iter().any(|(m, p)| m == method && p == path_and_query);
    assert!(has("POST", "/oauth/token"), "{seen:#?}");
    assert!(has("GET", "/destination-configuration/v1/subaccountDestinations"), "{seen:#?}");
    assert!(has("GET", "/destination-configuration/v1/instanceDestinations"), "{seen:#?}");
    assert!(has("GET", "/destination-configuration/v1/destinations/CALM_BPMON?$skipTokenRetrieval=true"), "{seen:#?}");
    assert!(has("GET", "/destination-configuration/v1/destinations/CALM_BPMON"), "{seen:#?}");
    assert!(has("GET", "/destination-configuration/v1/destinations/CALM_NOWHERE?$skipTokenRetrieval=true"), "{seen:#?}");
    let bearer = format!("Bearer {}", fake.access_token());
    assert!(
        requests.iter().filter(|r| r.method == "GET").all(|r| r.authorization.as_deref() == Some(bearer.as_str())),
        "every destination call carries the fake's token"
    );
}
