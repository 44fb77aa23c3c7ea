//! The Entitlement Management *SAP Cloud ALM Integration* settings, as the user wrote them down.

#[derive(Debug)]
pub struct Settings {
    /// Display path of the settings file.
    pub path: String,
    pub enable_integration_monitoring: bool,
    pub enable_business_process_monitoring: bool,
    pub destination_name: Option<String>,
    /// Line of each key in the file (TOML or JSON).
    pub lines: Vec<(&'static str, u32)>,
}

impl Settings {
    pub fn line_of(&self, key: &str) -> u32 {
        self.lines.iter().find(|(k, _)| *k == key).map_or(1, |(_, l)| *l)
    }

    /// The destination name, when one is set and not blank.
    pub fn named_destination(&self) -> Option<&str> {
        self.destination_name.as_deref().filter(|n| !n.trim().is_empty())
    }
}
