//! Java keystores (JKS, JCEKS) through calm-audit's own bounded reader: every length checked
//! before it is used, the integrity digest with and without a password.
#![no_main]

use calm_audit::model::certificate::Problem;
use calm_audit::source::certs::jks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for password in [Some("changeit"), Some("not-the-password"), None] {
        if let Ok((contents, problem)) = jks::read(data, password) {
            // A JKS shows its certificates whatever the password; only a given one can be wrong.
            assert!(problem.is_none() || (password.is_some() && problem == Some(Problem::WrongPassword)));
            assert!(contents.certificates.len() <= calm_audit::source::certs::MAX_CERTIFICATES);
        }
    }
});
