//! A value that must never be shown: client secrets, passwords, private keys, tokens.
//!
//! `Secret` has no `Display` and no `Serialize`, and its `Debug` prints a fixed
//! placeholder, so a secret cannot reach a report, a log line or an error by accident.
//! Rules learn what they need through the methods below, none of which return the text.

use std::fmt;

/// The text shown wherever a secret would have been.
pub const REDACTED: &str = "<redacted>";

pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// Empty or only white space.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Leading or trailing white space, the classic copy-paste fault.
    pub fn has_surrounding_whitespace(&self) -> bool {
        self.0.trim() != self.0
    }

    /// Number of characters; safe to show, it says nothing usable about the value.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    /// Compares in time that depends only on the lengths, never printing either value.
    pub fn matches(&self, other: &Secret) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            diff |= usize::from(x ^ y);
        }
        diff == 0
    }

    /// Same comparison after removing surrounding white space on both sides (CALM017 reports that fault).
    pub fn matches_trimmed(&self, other: &Secret) -> bool {
        Secret(self.0.trim().to_owned()).matches(&Secret(other.0.trim().to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

/// Whether a property key holds a secret. Matches on the lower-cased key so that
/// `clientSecret`, `Password`, `tokenServicePassword`, `KeyStorePassword`,
/// `tokenService.body.client_secret` and their kin are all covered.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "passphrase", "privatekey", "private_key", "apikey", "api_key"].iter().any(|needle| k.contains(needle))
        || k.ends_with("keystorecontent")
        || k == "key"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret".into());
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(s)), format!("Some({REDACTED})"));
    }

    #[test]
    fn matching_is_exact() {
        let a = Secret::new("abc".into());
        assert!(a.matches(&Secret::new("abc".into())));
        assert!(!a.matches(&Secret::new("abd".into())));
        assert!(!a.matches(&Secret::new("abc ".into())));
        assert!(!a.matches(&Secret::new("ab".into())));
        assert!(a.matches_trimmed(&Secret::new(" abc\t".into())));
    }

    #[test]
    fn secret_keys_are_recognised() {
        for k in ["clientSecret", "Password", "tokenServicePassword", "tokenService.KeyStorePassword", "tokenService.body.client_secret"] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["clientId", "URL", "tokenServiceURL", "tokenServiceURLType", "Name"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
