//! Destination checks written in Rust: URLs, secrets and the comparisons with the key.

use super::context::{Inputs, Outcome};
use super::profiles::Profile;
use super::url::{self, Parsed};
use crate::model::secret::is_secret_key;
use crate::model::{CodeKind, Destination, Fix, Level, Probe, Severity, Value};

fn not_set(d: &Destination, property: &str) -> String {
    match d.case_variant(property) {
        Some(variant) => format!("{property} is not set (\"{variant}\" is, but property names are case-sensitive)"),
        None => format!("{property} is not set"),
    }
}

/// A URL as text for a message: credentials masked, white space and control characters escaped
/// so that a trailing space or tab can be seen.
/// A URL that holds a secret of the run, however short, is not shown at all: its escaped form
/// would be a form of the secret the output's masker does not know.
fn visible(raw: &str) -> String {
    if crate::model::secret::holds_remembered(raw) {
        return super::context::SECRET_NOT_SHOWN.to_owned();
    }
    url::redact(raw).chars().map(|c| if c == ' ' { "\u{2423}".to_owned() } else { c.escape_debug().to_string() }).collect()
}

/// mTLS destination: a keystore for the token call and no client secret.
fn is_mtls(d: &Destination) -> bool {
    d.text("tokenService.KeyStoreLocation").is_some_and(|l| !l.trim().is_empty()) && d.get("clientSecret").is_none()
}

/// Where the value of a property the key decides comes from, as a step names it.
pub fn source_of(property: &str) -> &'static str {
    match property {
        "URL" => "the key's endpoints.Api without the final api, keeping the trailing /",
        "clientId" => "the key's uaa.clientid",
        "clientSecret" => "the key's uaa.clientsecret",
        "tokenServiceURL" => "the key's uaa.url + /oauth/token",
        _ => "the value the setup page asks for",
    }
}

/// The value the key gives a property (the URL, clientId, tokenServiceURL), from the same
/// functions the match rules CALM012, CALM013 and CALM015 compare with; `None` without a key
/// or when the key lacks the field.
pub fn key_value(property: &str, d: &Destination, inputs: &Inputs) -> Option<String> {
    let key = inputs.key?;
    match property {
        "URL" => key.expected_destination_url(),
        "clientId" => key.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned),
        "tokenServiceURL" => key.expected_token_url(is_mtls(d)),
        _ => None,
    }
}

/// The fix of a property the key decides: its value when the key gives it, else `fallback`
/// (a value the rule itself can tell), else the step naming where the value comes from.
fn key_fix(property: &str, d: &Destination, inputs: &Inputs, fallback: Option<String>) -> Fix {
    match key_value(property, d, inputs).or(fallback) {
        Some(value) => Fix::set(property, value, source_of(property)),
        None => Fix::step(Some(property), format!("set {property} to {}", source_of(property))),
    }
}

/// A declarative check's fix that names a property the key decides, given the key's value
/// when the run has it (the template itself does not see the key).
pub fn with_key_value(mut outcome: Outcome, d: &Destination, inputs: &Inputs) -> Outcome {
    let unknown = outcome.fix.as_ref().and_then(|f| f.property().filter(|_| f.value().is_none() && !f.removes()).map(str::to_owned));
    if let Some(property) = unknown
        && let Some(value) = key_value(&property, d, inputs)
    {
        outcome.fix = Some(Box::new(Fix::set(&property, value, source_of(&property))));
    }
    outcome
}

pub fn url_trailing_slash(d: &Destination, inputs: &Inputs) -> Outcome {
    match d.text("URL").map(str::trim) {
        None => Outcome::not_applicable("URL is not set (reported by CALM006)").on("URL"),
        Some(u) if u.ends_with('/') => Outcome::pass(format!("URL \"{}\" ends with /", url::redact(u))).on("URL"),
        Some(u) => {
            // The slash alone would leave an `/api` CALM005 fails: one fix that satisfies both.
            let without_api = url_without_api(d, inputs).fix.and_then(|f| f.value().map(str::to_owned));
            Outcome::fail(format!("URL \"{}\" does not end with /", visible(d.text("URL").unwrap_or(u)))).on("URL").fix(key_fix(
                "URL",
                d,
                inputs,
                Some(without_api.unwrap_or_else(|| format!("{u}/"))),
            ))
        }
    }
}

pub fn url_without_api(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(u) = d.text("URL").map(str::trim) else {
        return Outcome::not_applicable("URL is not set (reported by CALM006)").on("URL");
    };
    let Some(parts) = url::parse(u) else {
        return Outcome::not_applicable(format!("URL \"{}\" is not an absolute URL (reported by CALM006)", visible(u))).on("URL");
    };
    let last = parts.path().trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    if last.eq_ignore_ascii_case("api") {
        let shown = url::redact(u);
        let kept = parts.path().trim_end_matches('/');
        let base_path = kept.get(..kept.len().saturating_sub(last.len())).unwrap_or("/");
        let authority = if parts.has_credentials() { format!("{}@{}", url::HIDDEN, parts.authority()) } else { parts.authority() };
        let expected = format!("{}://{authority}{base_path}", parts.scheme());
        // "The key's" only when the run has a key: without one, the endpoint is the one a key would give.
        let message = if inputs.key.is_some() {
            format!("URL \"{shown}\" keeps the \"{last}\" of the key's Api endpoint; expected \"{expected}\"")
        } else {
            format!(
                "URL \"{shown}\" ends in \"{last}\": the destination takes a Cloud ALM service key's Api endpoint without its final api; expected \"{expected}\""
            )
        };
        let fallback = (!parts.has_credentials()).then(|| if expected.ends_with('/') { expected.clone() } else { format!("{expected}/") });
        Outcome::fail(message).on("URL").fix(key_fix("URL", d, inputs, fallback))
    } else {
        Outcome::pass("URL path does not end in api").on("URL")
    }
}

/// Problems with a URL that must be absolute `https` and plain.
/// Parsed as a browser parses it; credentials are failed whatever the password holds, also
/// when they keep the text from parsing (a `/` or a space in the password).
fn url_problems(raw: &str, parts: Option<&Parsed>) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if raw.trim() != raw {
        problems.push("has leading or trailing white space");
    }
    let credentials = url::has_credentials(raw.trim());
    let Some(p) = parts else {
        problems.push(if raw.contains("://") { "is not a valid absolute URL" } else { "is not an absolute URL (no scheme://)" });
        if credentials {
            problems.push("contains credentials before the host");
        }
        return problems;
    };
    if p.scheme() != "https" {
        problems.push("does not use https");
    }
    if credentials {
        problems.push("contains credentials before the host");
    }
    if p.query().is_some() {
        problems.push("has a query (?...)");
    }
    if p.fragment().is_some() {
        problems.push("has a fragment (#...)");
    }
    if raw.trim().chars().any(char::is_whitespace) {
        problems.push("contains white space");
    }
    problems
}

pub fn url_valid(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(raw) = d.text("URL") else {
        return Outcome::fail(not_set(d, "URL")).on("URL").fix(key_fix("URL", d, inputs, None));
    };
    let parts = url::parse(raw.trim());
    let problems = url_problems(raw, parts.as_ref());
    let shown = visible(raw);
    if problems.is_empty() {
        Outcome::pass(format!("URL \"{shown}\" is an absolute https URL")).on("URL")
    } else {
        // Only white space around an otherwise right URL: the rule knows the value.
        let trimmed = raw.trim();
        let fallback = url_problems(trimmed, parts.as_ref()).is_empty().then(|| trimmed.to_owned());
        Outcome::fail(format!("URL \"{shown}\" {}", problems.join(", "))).on("URL").fix(key_fix("URL", d, inputs, fallback))
    }
}

/// A descriptor or configuration that leaves the secret empty, for the deployment to fill in.
fn left_to_deployment(d: &Destination, secret: &crate::model::Secret) -> bool {
    secret.is_blank() && d.code_kind().is_some_and(CodeKind::is_source)
}

pub fn client_secret_set(d: &Destination, _: &Inputs) -> Outcome {
    match d.get("clientSecret").map(|p| &p.value) {
        Some(Value::Secret(s)) if left_to_deployment(d, s) => Outcome::manual(
            "clientSecret is left empty in the file, to be supplied at deployment (the right practice); after deploying, check in the BTP cockpit that Client Secret is filled",
        )
        .on("clientSecret"),
        Some(Value::Unresolved(e)) => {
            Outcome::not_applicable(format!("clientSecret is supplied at deployment ({e}), the right practice")).on("clientSecret")
        }
        Some(Value::Secret(s)) if s.is_blank() => Outcome::fail("clientSecret is blank").on("clientSecret").fix(enter_secret()),
        Some(Value::Text(t)) if t.trim().is_empty() => Outcome::fail("clientSecret is blank").on("clientSecret").fix(enter_secret()),
        Some(Value::Removed) => Outcome::manual(
            "the export removed clientSecret; open the destination in the BTP cockpit and check that Client Secret is filled",
        )
        .on("clientSecret"),
        Some(_) => Outcome::pass("clientSecret is set (not shown)").on("clientSecret"),
        None if is_mtls(d) => Outcome::pass("no clientSecret, but an mTLS keystore (tokenService.KeyStoreLocation) is configured")
            .on("tokenService.KeyStoreLocation"),
        None => Outcome::fail(not_set(d, "clientSecret")).on("clientSecret").fix(enter_secret()),
    }
}

/// The fix of a client secret: never its value, the step that names where it comes from.
fn enter_secret() -> Fix {
    Fix::step(Some("clientSecret"), "enter the key's `uaa.clientsecret` as clientSecret")
}

pub fn token_url_valid(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(raw) = d.text("tokenServiceURL") else {
        return Outcome::fail(not_set(d, "tokenServiceURL")).on("tokenServiceURL").fix(key_fix("tokenServiceURL", d, inputs, None));
    };
    let t = raw.trim();
    let parts = url::parse(t);
    let mut problems: Vec<&str> = url_problems(t, parts.as_ref());
    if let Some(p) = &parts {
        // Each fault said as it is: no path, a slash after /oauth/token, another path, or `//`.
        let path = p.path();
        if path.is_empty() || path == "/" {
            problems.push("has no path (expected one ending with /oauth/token)");
        } else if path.trim_end_matches('/').ends_with("/oauth/token") && path.ends_with('/') {
            problems.push("ends with a slash after /oauth/token (expected it to end with /oauth/token)");
        } else if !path.ends_with("/oauth/token") {
            problems.push("does not end with /oauth/token");
        }
        if path.contains("//") {
            problems.push("has an empty path segment (//)");
        }
    }
    let shown = url::redact(t);
    if problems.is_empty() {
        Outcome::pass(format!("tokenServiceURL \"{shown}\" is an https URL ending in /oauth/token")).on("tokenServiceURL")
    } else {
        Outcome::fail(format!("tokenServiceURL \"{shown}\" {}", problems.join(", "))).on("tokenServiceURL").fix(key_fix(
            "tokenServiceURL",
            d,
            inputs,
            None,
        ))
    }
}

/// The key's Api endpoint without the final `api`. The slash before it is CALM004's to ask for:
/// a profile that leaves CALM004 out (its page does not ask for the slash) accepts the URL with
/// or without it.
pub fn url_matches_key(d: &Destination, inputs: &Inputs, profile: &Profile) -> Outcome {
    let Some(key) = inputs.key else {
        return Outcome::not_applicable("no Cloud ALM key");
    };
    let Some(expected) = key.expected_destination_url() else {
        return Outcome::not_applicable("the key's endpoints.Api is missing or does not end in /api (reported by CALM040/CALM041)")
            .on("URL");
    };
    let slash_optional = profile.leaves_out.contains_key("CALM004");
    let bare = expected.strip_suffix('/').filter(|_| slash_optional);
    let matches = |u: &str| u == expected || bare == Some(u);
    let asks = match bare {
        Some(bare) => format!("\"{expected}\" or \"{bare}\" (profile {} does not ask for the trailing slash)", profile.name),
        None => format!("\"{expected}\""),
    };
    match d.text("URL") {
        None => Outcome::not_applicable("URL is not set (reported by CALM006)").on("URL"),
        Some(u) if matches(u) => Outcome::pass(format!("URL is \"{u}\", the key's Api endpoint without api")).on("URL"),
        Some(u) if matches(u.trim()) => {
            Outcome::fail(only_whitespace("URL", &visible(u), &asks)).on("URL").fix(Fix::set("URL", u.trim(), source_of("URL")))
        }
        Some(u) => Outcome::fail(format!("URL is \"{}\"; the key's endpoints.Api asks for {asks}", visible(u))).on("URL").fix(Fix::set(
            "URL",
            expected,
            source_of("URL"),
        )),
    }
}

/// The message of a match rule whose values are equal only once surrounding white space is
/// removed: the Destination service sends the value as written, white space included.
fn only_whitespace(property: &str, found: &str, expected: &str) -> String {
    format!(
        "{property} {found} differs from {expected} only by leading or trailing white space; that white space is the difference (also reported by CALM017)"
    )
}

/// A failing result without a fix gets `fix`.
fn or_fix(outcome: Outcome, fix: impl FnOnce() -> Fix) -> Outcome {
    if outcome.status == crate::model::Status::Fail && outcome.fix.is_none() { outcome.fix(fix()) } else { outcome }
}

pub fn client_id_matches_key(d: &Destination, inputs: &Inputs) -> Outcome {
    or_fix(client_id_compared(d, inputs), || key_fix("clientId", d, inputs, None))
}

fn client_id_compared(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(key) = inputs.key else {
        return Outcome::not_applicable("no Cloud ALM key");
    };
    let Some(expected) = key.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
        return Outcome::not_applicable("the key has no uaa.clientid (reported by CALM040)").on("clientId");
    };
    match d.text("clientId") {
        // A snapshot keeps a clientId that held a secret as a digest (SPEC §8): it is not the id.
        None if matches!(d.get("clientId").map(|p| &p.value), Some(Value::Secret(_))) => {
            Outcome::fail("clientId holds a secret (not shown; the snapshot kept it as a digest); it must be the key's uaa.clientid")
                .on("clientId")
                .fix(Fix::set("clientId", expected, source_of("clientId")))
        }
        None => Outcome::not_applicable("clientId is not set (reported by CALM008)").on("clientId"),
        Some(c) if c == expected => Outcome::pass("clientId equals the key's uaa.clientid").on("clientId"),
        Some(c) if c.trim() == expected => {
            Outcome::fail(only_whitespace("clientId", &super::context::quoted_escaped(c), "the key's uaa.clientid")).on("clientId")
        }
        // Compared first, shown after: the key's secret in the clientId field is never printed.
        Some(c) if key.client_secret.as_ref().is_some_and(|s| s.is_text(c)) => Outcome::fail(
            "clientId holds the key's uaa.clientsecret (not shown): clientId and clientSecret look swapped; clientId must be the key's uaa.clientid",
        )
        .on("clientId"),
        Some(c) if crate::model::secret::is_remembered(c) => {
            Outcome::fail("clientId holds a value equal to a secret (not shown); it must be the key's uaa.clientid").on("clientId")
        }
        // However short the secret: a message never quotes a value that contains one.
        Some(c) if key.client_secret.as_ref().is_some_and(|s| s.is_within(c)) => Outcome::fail(
            "clientId contains the key's uaa.clientsecret (not shown): the secret was pasted into clientId; clientId must be the key's uaa.clientid alone",
        )
        .on("clientId"),
        Some(c) if crate::model::secret::holds_remembered(c) => {
            Outcome::fail("clientId contains a secret of the run (not shown); it must be the key's uaa.clientid alone").on("clientId")
        }
        Some(c) => client_id_differs(c.trim(), expected),
    }
}

fn client_id_differs(c: &str, expected: &str) -> Outcome {
    let (c_shown, expected_shown) = (super::context::quoted(c), super::context::quoted(expected));
    if expected.starts_with(c) || c.starts_with(expected) {
        Outcome::fail(format!("clientId {c_shown} is a partial copy of the key's uaa.clientid {expected_shown}")).on("clientId")
    } else {
        Outcome::fail(format!("clientId is {c_shown}; the key's uaa.clientid is {expected_shown}")).on("clientId")
    }
}

pub fn client_secret_matches_key(d: &Destination, inputs: &Inputs) -> Outcome {
    or_fix(client_secret_compared(d, inputs), enter_secret)
}

fn client_secret_compared(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(key) = inputs.key else {
        return Outcome::not_applicable("no Cloud ALM key");
    };
    if is_mtls(d) {
        return Outcome::not_applicable("an mTLS destination has no client secret").on("tokenService.KeyStoreLocation");
    }
    let Some(expected) = key.client_secret.as_ref().filter(|s| !s.is_blank()) else {
        return Outcome::not_applicable("the key has no uaa.clientsecret (reported by CALM040)").on("clientSecret");
    };
    match d.get("clientSecret").map(|p| &p.value) {
        None => Outcome::not_applicable("clientSecret is not set (reported by CALM009)").on("clientSecret"),
        Some(Value::Secret(s)) if left_to_deployment(d, s) => {
            Outcome::not_applicable("clientSecret is left empty in the file, to be supplied at deployment").on("clientSecret")
        }
        Some(Value::Unresolved(e)) => Outcome::not_applicable(format!("clientSecret is supplied at deployment ({e})")).on("clientSecret"),
        Some(Value::Removed) => {
            Outcome::manual("the export removed clientSecret; compare Client Secret in the BTP cockpit with the key's uaa.clientsecret")
                .on("clientSecret")
        }
        Some(Value::Secret(s)) if s.matches(expected) => {
            Outcome::pass("clientSecret equals the key's uaa.clientsecret (neither shown)").on("clientSecret")
        }
        Some(Value::Secret(s)) if s.matches_trimmed(expected) => {
            Outcome::fail(only_whitespace("clientSecret", "(not shown)", "the key's uaa.clientsecret")).on("clientSecret")
        }
        Some(Value::Secret(s)) => Outcome::fail(format!(
            "clientSecret differs from the key's uaa.clientsecret (neither shown; {} characters against {})",
            s.char_count(),
            expected.char_count()
        ))
        .on("clientSecret"),
        Some(Value::Text(_)) => Outcome::fail("clientSecret differs from the key's uaa.clientsecret").on("clientSecret"),
    }
}

pub fn token_url_matches_key(d: &Destination, inputs: &Inputs) -> Outcome {
    or_fix(token_url_compared(d, inputs), || key_fix("tokenServiceURL", d, inputs, None))
}

fn token_url_compared(d: &Destination, inputs: &Inputs) -> Outcome {
    let Some(key) = inputs.key else {
        return Outcome::not_applicable("no Cloud ALM key");
    };
    let mtls = is_mtls(d);
    let field = if mtls { "uaa.certurl" } else { "uaa.url" };
    let Some(expected) = key.expected_token_url(mtls) else {
        return Outcome::not_applicable(format!("the key has no {field} (reported by CALM040/CALM042)")).on("tokenServiceURL");
    };
    match d.text("tokenServiceURL") {
        None => Outcome::not_applicable("tokenServiceURL is not set (reported by CALM011)").on("tokenServiceURL"),
        Some(t) if t == expected => Outcome::pass(format!("tokenServiceURL is the key's {field} + /oauth/token")).on("tokenServiceURL"),
        Some(t) if t.trim() == expected => Outcome::fail(only_whitespace(
            "tokenServiceURL",
            &format!("\"{}\"", visible(t)),
            &format!("the key's {field} + /oauth/token \"{expected}\""),
        ))
        .on("tokenServiceURL"),
        Some(t) => {
            Outcome::fail(format!("tokenServiceURL is \"{}\"; the key's {field} asks for \"{expected}\"", visible(t))).on("tokenServiceURL")
        }
    }
}

/// Judged from SAP's find call (`--probe`): did the Destination service get a token?
pub fn token_retrieval(d: &Destination, inputs: &Inputs) -> Outcome {
    let outcome = token_probed(d, inputs);
    match outcome.status {
        crate::model::Status::Fail => outcome.fix(Fix::step(
            None,
            "correct clientId, clientSecret and tokenServiceURL from the key (CALM013 to CALM015), then run `calm-audit check --probe` again",
        )),
        _ => outcome,
    }
}

fn token_probed(d: &Destination, _: &Inputs) -> Outcome {
    match d.probe.as_deref() {
        Some(Probe::Token { token_type }) => {
            Outcome::pass(format!("the Destination service fetched a {token_type} token with this destination's client credentials"))
        }
        Some(Probe::Error { reason }) => Outcome::fail(format!("the Destination service could not fetch a token: {reason}")),
        Some(Probe::NoToken) => Outcome::fail("the find call returned no token for this destination"),
        Some(Probe::Failed { reason }) => Outcome::new_error(format!("the find call failed: {reason}")),
        None => Outcome::not_applicable(match d.origin.level {
            Some(Level::Subaccount) => "no find result: the find call resolves a same-named instance-level destination first",
            _ => "no find response was read for this destination",
        }),
    }
}

pub fn region_consistent(d: &Destination, inputs: &Inputs) -> Outcome {
    let url_host = d.text("URL").and_then(url::host_lower);
    let token_host = d.text("tokenServiceURL").and_then(url::host_lower);
    let (Some(uh), Some(th)) = (url_host, token_host) else {
        return Outcome::not_applicable("URL or tokenServiceURL is missing or not a URL (reported by CALM006/CALM011)");
    };
    let Some(url_region) = url::calm_region(&uh).map(str::to_owned) else {
        return Outcome::not_applicable(format!("URL host \"{uh}\" is not <tenant>.<region>.alm.cloud.sap")).on("URL");
    };
    let Some(token_region) = url::token_region(&th).map(str::to_owned) else {
        return Outcome::not_applicable(format!("tokenServiceURL host \"{th}\" is not <zone>.authentication.<region>.hana.ondemand.com"))
            .on("tokenServiceURL");
    };
    if url_region == token_region {
        Outcome::pass(format!("URL and tokenServiceURL are both in region {url_region}")).on("tokenServiceURL")
    } else {
        let fix = match key_value("tokenServiceURL", d, inputs) {
            Some(value) => Fix::set("tokenServiceURL", value, source_of("tokenServiceURL")),
            None => Fix::step(
                Some("tokenServiceURL"),
                format!("take URL and tokenServiceURL from the one Cloud ALM service key of region {url_region}"),
            ),
        };
        Outcome::fail(format!("URL is in region {url_region} but tokenServiceURL is in region {token_region}"))
            .on("tokenServiceURL")
            .at(Severity::Warning)
            .fix(fix)
    }
}

/// CALM034: a destination defined as code whose name is known only at deployment, and whose
/// known parts do not show Cloud ALM, cannot be given a purpose here: a person decides.
pub fn scope_known(d: &Destination, _: &Inputs) -> Outcome {
    match d.name_expression() {
        Some(expression) => {
            let object = d.origin.code.as_ref().map_or("", |c| c.object.as_str());
            Outcome::manual(format!(
                "the name comes from {expression}, known only at deployment, and nothing known of {object} shows SAP Cloud ALM: it may be a Cloud ALM \
                 destination or not. Apply the values the deployment uses (--var-file, the extension descriptor), or settle its purpose \
                 in [profiles] with \"{expression}\" or \"{object}\""
            ))
            .on("Name")
        }
        None => Outcome::pass("the name is known before deployment"),
    }
}

/// CALM070: a destination defined as code holds no literal secret; every secret is supplied at
/// deployment (a placeholder, a variable without a value in the repository, an empty string).
pub fn secret_not_in_source(d: &Destination, _: &Inputs) -> Outcome {
    let Some(kind) = d.code_kind() else {
        return Outcome::not_applicable("not defined as code (only MTA descriptors and Terraform configurations are judged)");
    };
    if !kind.is_source() {
        return Outcome::not_applicable(
            "a Terraform plan or state holds the values supplied at deployment; the configuration it came from is what CALM070 judges",
        );
    }
    let written: Vec<(&str, usize)> = d
        .properties
        .iter()
        .filter(|p| is_secret_key(&p.key))
        .filter_map(|p| match &p.value {
            Value::Secret(s) if !s.is_blank() => Some((p.key.as_str(), s.char_count())),
            Value::Text(t) if !t.trim().is_empty() => Some((p.key.as_str(), t.chars().count())),
            _ => None,
        })
        .collect();
    let in_expression: Vec<(&str, &str)> =
        d.origin.code.as_ref().map(|c| c.literal_secrets.iter().map(|(k, kind)| (k.as_str(), *kind)).collect()).unwrap_or_default();
    if let Some((first, _)) = in_expression.first().filter(|_| written.is_empty()) {
        let listed: Vec<String> = in_expression
            .iter()
            .map(|(k, kind)| format!("{k} at {}:{} holds a string literal as {kind} (not shown)", d.path_of(k), d.line_of(k)))
            .collect();
        return Outcome::fail(format!("a secret may be written in the file: {}", listed.join("; "))).on(first).fix(from_deployment(first));
    }
    match written.first() {
        None => {
            let deferred: Vec<&str> = d.properties.iter().filter(|p| is_secret_key(&p.key)).map(|p| p.key.as_str()).collect();
            if deferred.is_empty() {
                Outcome::pass("no secret is written in the file")
            } else {
                // Not `.on()` the property: a result about a value left to deployment is never judged.
                Outcome::pass(format!("{} left to deployment, none written in the file", deferred.join(", ")))
            }
        }
        Some((first, _)) => {
            let listed: Vec<String> =
                written.iter().map(|(k, n)| format!("{k} ({n} characters, not shown) at {}:{}", d.path_of(k), d.line_of(k))).collect();
            // The properties whose expression may hold the secret are named too: every problem
            // of the destination in the one result.
            let also: Vec<String> = in_expression
                .iter()
                .map(|(k, kind)| format!("{k} at {}:{} holds a string literal as {kind} (not shown)", d.path_of(k), d.line_of(k)))
                .collect();
            let also =
                if also.is_empty() { String::new() } else { format!("; and a secret may be written in the file: {}", also.join("; ")) };
            Outcome::fail(format!("a secret is written in the file: {}{also}", listed.join("; "))).on(first).fix(from_deployment(first))
        }
    }
}

/// The fix of a secret written in code: never edited by calm-audit, supplied at deployment.
fn from_deployment(property: &str) -> Fix {
    Fix::step(
        Some(property),
        format!(
            "remove the literal {property} from the file and supply it at deployment (an MTA placeholder in an extension descriptor kept out of the repository, a Terraform variable without a default), then rotate the secret"
        ),
    )
}
