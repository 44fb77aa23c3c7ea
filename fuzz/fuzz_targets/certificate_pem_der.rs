//! Certificates in PEM (chains, keys, openssl's bag attributes, `\n` escapes of a service key)
//! and in DER, as files named as a keystore and as an X.509 key's `certificate`.
#![no_main]

use calm_audit::model::certificate::Password;
use calm_audit::source::certs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opened = certs::open(data, &Password::Absent);
    assert!(opened.contents.is_some() || opened.problem.is_some());
    if let Ok(text) = std::str::from_utf8(data) {
        let key = certs::key_certificate(text, "key.json", 1, "certificate");
        assert!(key.opened.contents.is_some() || key.opened.problem.is_some());
    }
});
