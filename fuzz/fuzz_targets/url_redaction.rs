//! URL redaction on arbitrary text: a password and a query value cut from the input are placed
//! in URLs of every shape (no scheme, one slash, `//`, odd schemes); neither may survive
//! [`url::redact`], whatever characters they hold. Free text with the URL in it keeps them
//! hidden too when they hold no separator (white space, quotes), as [`url::redact_urls_in`]
//! cannot know where such a token ends.
#![no_main]

use calm_audit::model::url;
use libfuzzer_sys::fuzz_target;

const SCHEMES: [&str; 6] = ["https://", "https:/", "//", "", "http://", "x+y://"];

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (a, b) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i));
    let password = format!("PW{a}");
    let value = format!("QV{}", b.replace(['&', '#', '='], ""));
    let scheme = SCHEMES[usize::from(shape) % SCHEMES.len()];
    let url = match shape / 8 % 3 {
        0 => format!("{scheme}calm:{password}@acme.eu10.alm.cloud.sap/p?token={value}"),
        1 => format!("{scheme}:{password}@acme.eu10.alm.cloud.sap/"),
        _ => format!("{scheme}acme.eu10.alm.cloud.sap/?x=1&token={value}#{password}"),
    };
    let shown = url::redact(&url);
    for secret in [&password, &value] {
        if url.contains(secret.as_str()) {
            assert!(!shown.contains(secret.as_str()), "{url:?} shown as {shown:?}");
        }
    }
    let separators = |s: &str| s.contains(|c: char| c.is_whitespace() || "\"'<>`()[]{},".contains(c));
    if !separators(&url) {
        let in_text = url::redact_urls_in(&format!("GET {url} failed")).into_owned();
        assert!(!in_text.contains(&password) && !in_text.contains(&value), "{url:?} in text as {in_text:?}");
    }
});
