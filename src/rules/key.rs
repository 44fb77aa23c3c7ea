//! Checks of the SAP Cloud ALM service key itself.

use super::context::{Inputs, Outcome};
use super::url;
use crate::model::{CloudAlmKey, Value};

fn filled(v: Option<&str>) -> bool {
    v.is_some_and(|s| !s.trim().is_empty())
}

pub fn complete(k: &CloudAlmKey, _: &Inputs) -> Outcome {
    let mut missing = Vec::new();
    if !filled(k.api.as_deref()) {
        missing.push("endpoints.Api");
    }
    if !filled(k.uaa_url.as_deref()) {
        missing.push("uaa.url");
    }
    if !filled(k.client_id.as_deref()) {
        missing.push("uaa.clientid");
    }
    if !k.has_secret() && !filled(k.cert_url.as_deref()) {
        missing.push("uaa.clientsecret (or uaa.certurl)");
    }
    if missing.is_empty() {
        Outcome::pass("the key has endpoints.Api, uaa.url, uaa.clientid and a credential")
    } else {
        Outcome::fail(format!("the key lacks {}", missing.join(", ")))
    }
}

pub fn api_endpoint(k: &CloudAlmKey, _: &Inputs) -> Outcome {
    let Some(api) = k.api.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
        return Outcome::not_applicable("the key has no endpoints.Api (reported by CALM040)");
    };
    let mut problems = Vec::new();
    match url::parse(api) {
        None => problems.push("is not an absolute URL".to_owned()),
        Some(p) => {
            if p.scheme() != "https" {
                problems.push("does not use https".into());
            }
            if !api.ends_with("/api") {
                problems.push("does not end in /api".into());
            }
            let host = p.host().strip_suffix('.').unwrap_or(p.host()).to_owned();
            if host != "alm.cloud.sap" && !host.ends_with(".alm.cloud.sap") {
                problems.push(format!("host \"{host}\" is not under alm.cloud.sap"));
            }
        }
    }
    if problems.is_empty() {
        Outcome::pass(format!("endpoints.Api \"{}\" is an https Cloud ALM API endpoint", url::redact(api))).on("endpoints.Api")
    } else {
        Outcome::fail(format!("endpoints.Api \"{}\" {}", url::redact(api), problems.join(", "))).on("endpoints.Api")
    }
}

const SECRET_TYPES: [&str; 2] = ["binding-secret", "instance-secret"];

pub fn credential_type(k: &CloudAlmKey, inputs: &Inputs) -> Outcome {
    let scoped = inputs.scoped().iter();
    let (mut secret_based, mut mtls) = (0, 0);
    for d in scoped {
        match d.get("clientSecret").map(|p| &p.value) {
            Some(Value::Secret(_) | Value::Removed | Value::Text(_) | Value::Unresolved(_)) => secret_based += 1,
            None if filled(d.text("tokenService.KeyStoreLocation")) => mtls += 1,
            None => {}
        }
    }
    let kind = k.credential_type.as_deref().map(str::trim);
    let mut problems = Vec::new();
    let secret_key = k.has_secret() && kind.is_none_or(|t| SECRET_TYPES.contains(&t));
    if secret_based > 0 && !secret_key {
        problems.push(match kind {
            Some(t) if k.has_secret() => format!("{secret_based} destination(s) use a client secret, but the key's uaa.credential-type is \"{t}\", not binding-secret or instance-secret"),
            _ => format!("{secret_based} destination(s) use a client secret, but the key has no uaa.clientsecret"),
        });
    }
    if mtls > 0 && !filled(k.cert_url.as_deref()) {
        problems.push(format!("{mtls} destination(s) use an mTLS keystore, but the key is not an X.509 key (no uaa.certurl)"));
    }
    if secret_based == 0 && mtls == 0 {
        // Nothing to compare with: judge the key on its own terms.
        if let Some(t) = kind
            && k.has_secret()
            && !SECRET_TYPES.contains(&t)
        {
            problems.push(format!("the key has a client secret but uaa.credential-type \"{t}\""));
        }
    }
    if problems.is_empty() {
        let detail = match kind {
            Some(t) => format!("uaa.credential-type \"{t}\""),
            None => "no uaa.credential-type".into(),
        };
        Outcome::pass(format!("the key's kind fits the destinations ({detail})")).on("uaa.credential-type")
    } else {
        Outcome::fail(problems.join("; ")).on("uaa.credential-type")
    }
}

pub fn zone_consistent(k: &CloudAlmKey, _: &Inputs) -> Outcome {
    let (Some(zone), Some(host)) =
        (k.identity_zone.as_deref().map(str::trim).filter(|z| !z.is_empty()), k.uaa_url.as_deref().and_then(url::host_lower))
    else {
        return Outcome::not_applicable("the key lacks uaa.identityzone or a readable uaa.url").on("uaa.identityzone");
    };
    let first = host.split('.').next().unwrap_or_default();
    if first == zone.to_ascii_lowercase() {
        Outcome::pass(format!("uaa.identityzone \"{zone}\" is the first label of the uaa.url host")).on("uaa.identityzone")
    } else {
        Outcome::fail(format!(
            "uaa.identityzone is \"{zone}\" but the uaa.url host \"{host}\" starts with \"{first}\": the key may be from another tenant"
        ))
        .on("uaa.identityzone")
    }
}
