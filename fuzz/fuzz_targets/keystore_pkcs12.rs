//! PKCS#12 keystores (`.p12`, `.pfx`) opened in memory: the bounded pre-check of iteration
//! counts and nesting, then p12-keystore, with the right, a wrong and no password.
#![no_main]

use calm_audit::model::Secret;
use calm_audit::model::certificate::Password;
use calm_audit::source::certs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for password in [Password::Given(Secret::new("changeit".into())), Password::Given(Secret::new("not-the-password".into())), Password::Absent]
    {
        let opened = certs::open(data, &password);
        // Whatever the bytes, opening ends in contents or a reason, never both missing.
        assert!(opened.contents.is_some() || opened.problem.is_some());
    }
});
