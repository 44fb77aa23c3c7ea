//! PKCS#12 keystores (`.p12`, `.pfx`) opened in memory: the bounded walk over every key
//! derivation's parameters (PBKDF2, scrypt, the legacy ciphers, the MAC), the encrypted parts
//! decrypted to bound what they hide, then p12-keystore, with the right, a wrong and no password.
#![no_main]

use calm_audit::model::Secret;
use calm_audit::model::certificate::Password;
use calm_audit::source::certs;
use calm_audit::source::certs::kdf::{Budget, MAX_KEYSTORE_WORK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for password in [Password::Given(Secret::new("changeit".into())), Password::Given(Secret::new("not-the-password".into())), Password::Absent]
    {
        let opened = certs::open(data, &password);
        // Whatever the bytes, opening ends in contents or a reason, never both missing.
        assert!(opened.contents.is_some() || opened.problem.is_some());
        // Whatever the bytes, one opening never asks for more work than one keystore may cost,
        // and what it asks is charged before it runs.
        let mut budget = Budget::default();
        let _ = certs::open_within(data, &password, &mut budget);
        assert!(budget.spent() <= MAX_KEYSTORE_WORK, "{}", budget.spent());
    }
});
