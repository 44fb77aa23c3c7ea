//! A deliberately literal URL splitter: the rules must see the value exactly as typed,
//! so nothing here normalises case, paths or ports.

pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub userinfo: Option<&'a str>,
    /// Host and port as written.
    pub authority: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// Splits `scheme://[userinfo@]host[:port][/path][?query][#fragment]`; `None` when there is no `://`.
pub fn split(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        return None;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority_full, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, authority) = match authority_full.rsplit_once('@') {
        Some((u, a)) => (Some(u), a),
        None => (None, authority_full),
    };
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    Some(UrlParts { scheme, userinfo, authority, host, path, query, fragment })
}

/// The host in lower case, for comparing tenants and regions.
pub fn host_lower(url: &str) -> Option<String> {
    split(url.trim()).map(|p| p.host.to_ascii_lowercase()).filter(|h| !h.is_empty())
}

/// The URL with any `user:password@` replaced, safe to print.
pub fn redact_userinfo(url: &str) -> String {
    match split(url) {
        Some(UrlParts { userinfo: Some(u), .. }) => url.replacen(&format!("{u}@"), "***@", 1),
        _ => url.to_owned(),
    }
}

/// A Cloud ALM region code such as `eu10` or `cn20`.
fn is_region(label: &str) -> bool {
    let b = label.as_bytes();
    b.len() == 4 && b[..2].iter().all(u8::is_ascii_lowercase) && b[2..].iter().all(u8::is_ascii_digit)
}

/// `<tenant>.<region>.alm.cloud.sap` or `<region>.alm.cloud.sap` → region.
pub fn calm_region(host: &str) -> Option<&str> {
    let prefix = host.strip_suffix(".alm.cloud.sap")?;
    let region = prefix.rsplit('.').next()?;
    is_region(region).then_some(region)
}

/// `<zone>.authentication[.cert].<region>.hana.ondemand.com` → region.
pub fn token_region(host: &str) -> Option<&str> {
    let prefix = host.strip_suffix(".hana.ondemand.com")?;
    let mut labels = prefix.split('.').skip_while(|l| *l != "authentication").skip(1);
    let region = match labels.next()? {
        "cert" => labels.next()?,
        other => other,
    };
    (labels.next().is_none() && is_region(region)).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literally() {
        let p = split("https://u:p@Host.example:8443/a//b?q=1#f").unwrap();
        assert_eq!(
            (p.scheme, p.userinfo, p.host, p.path, p.query, p.fragment),
            ("https", Some("u:p"), "Host.example", "/a//b", Some("q=1"), Some("f"))
        );
        assert_eq!(split("https://h").unwrap().path, "");
        assert!(split("h/x").is_none());
        assert_eq!(redact_userinfo("https://u:p@h/"), "https://***@h/");
    }

    #[test]
    fn regions() {
        assert_eq!(calm_region("acme.eu10.alm.cloud.sap"), Some("eu10"));
        assert_eq!(calm_region("eu20.alm.cloud.sap"), Some("eu20"));
        assert_eq!(calm_region("acme.alm.cloud.sap"), None);
        assert_eq!(token_region("acme.authentication.eu10.hana.ondemand.com"), Some("eu10"));
        assert_eq!(token_region("acme.authentication.cert.us10.hana.ondemand.com"), Some("us10"));
        assert_eq!(token_region("acme.authentication.sap.hana.ondemand.com"), None);
    }
}
