//! Plain data types: no I/O here.

pub mod certificate;
pub mod destination;
pub mod glob;
pub mod key;
pub mod result;
pub mod secret;
pub mod settings;
pub mod shown;
pub mod url;

pub use destination::{CodeKind, CodeOrigin, Destination, Key, Level, Origin, Probe, Property, Value};
pub use key::CloudAlmKey;
pub use result::{
    BaselineState, Finding, Fix, LiteralRegion, Location, NotAudited, ObjectKind, ObjectRef, ProfileChoice, Severity, SourceFailure,
    Status, Waived,
};
pub use secret::Secret;
pub use settings::Settings;
