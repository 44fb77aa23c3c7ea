//! Variables files: the linear reader of their common shape (`terraform::tfvars`) against the
//! general one (`hcl-edit`). Wherever the linear reader answers, the general one reads the file
//! too and gives the same names, values and lines.
#![no_main]

use calm_audit::source::code::terraform::{syntax, tfvars};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(fast) = tfvars::parse(text, 0) else { return };
    let general = syntax::parse("terraform.tfvars", text, 0).expect("the general reader reads what the linear one reads");
    assert_eq!(fast.len(), general.attrs.len());
    for (a, b) in fast.iter().zip(&general.attrs) {
        assert_eq!((&a.name, a.line), (&b.name, b.line));
        assert!(tfvars::same(&a.expr, &b.expr), "{}: {:?} / {:?}", a.name, a.expr, b.expr);
    }
});
