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

/// What stands in for a hidden part of a URL.
pub const HIDDEN: &str = "***";

/// The URL as it may be shown: scheme, host, port, path and the *names* of query parameters.
/// Credentials (`user:password@`), query values and the fragment are replaced by `***`: query
/// values are secrets as often as not (`?token=...`, `?client_secret=...`). The names of
/// OData system options (`$page`, `$pageSize`, ...) keep their values: calm-audit sets them itself.
pub fn redact(url: &str) -> String {
    redact_urls_in(url).into_owned()
}

/// Every URL (`scheme://...`) in a text redacted as [`redact`] says; the rest of the text as is.
/// Messages, errors and logs pass through here before they are shown or saved.
pub fn redact_urls_in(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") && !text.contains('?') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = rest[at..].find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`')).map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        redact_one(&rest[start..end], &mut out);
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn redact_one(url: &str, out: &mut String) {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, _)) => (b, Some(())),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let (scheme, after) = base.split_once("://").unwrap_or(("", base));
    let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
    out.push_str(scheme);
    out.push_str("://");
    match authority.rsplit_once('@') {
        Some((_, host)) => {
            out.push_str(HIDDEN);
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value)) if name.starts_with('$') && !name.contains('%') => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(value);
                }
                Some((name, _)) => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(HIDDEN);
                }
                // A bare item may be a value (`?SECRET`): hidden too.
                None if pair.is_empty() => {}
                None => out.push_str(HIDDEN),
            }
        }
    }
    if fragment.is_some() {
        out.push('#');
        out.push_str(HIDDEN);
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
        assert_eq!(redact("https://u:p@h/"), "https://***@h/");
    }

    #[test]
    fn redaction_keeps_names_and_hides_values() {
        for (raw, shown) in [
            ("https://acme.eu10.alm.cloud.sap/", "https://acme.eu10.alm.cloud.sap/"),
            ("https://acme.eu10.alm.cloud.sap/?token=abc", "https://acme.eu10.alm.cloud.sap/?token=***"),
            ("https://h/oauth/token?client_secret=s3&grant_type=cc", "https://h/oauth/token?client_secret=***&grant_type=***"),
            ("https://user:pw@h:8443/p?x#frag", "https://***@h:8443/p?***#***"),
            ("https://h/p#access_token=t", "https://h/p#***"),
            ("https://h/v1/x?$page=2&$pageSize=1000", "https://h/v1/x?$page=2&$pageSize=1000"),
            (" https://h/?a=b ", " https://h/?a=*** "),
        ] {
            assert_eq!(redact(raw), shown, "{raw}");
        }
        assert_eq!(
            redact_urls_in("URL \"https://a/?k=v\" and (see http://b/x?y=z) done"),
            "URL \"https://a/?k=***\" and (see http://b/x?y=*** done"
        );
        assert_eq!(redact_urls_in("no url here"), "no url here");
        assert_eq!(redact_urls_in("\u{2423}https://h/?a=b\u{2423} é://x"), "\u{2423}https://h/?a=*** é://x");
        assert_eq!(redact_urls_in("weird://"), "weird://");
        assert_eq!(redact_urls_in("://?a=b"), "://?a=***");
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
