//! Bounds are errors (SPEC 2.1). Every reader and evaluator of destinations as code works within
//! [`Bounds`]; one that reaches a bound returns a [`Bound`] naming it, which the run maps to a
//! failed source (exit 3) for the file where it was reached, whether that file was named or
//! walked. What a bound cut short is never turned into a default: never `manual`,
//! `not_applicable`, scope unknown or a pass.

use std::fmt;

/// The bounds one run reads destinations as code within. The defaults are what the command
/// uses; tests lower them to prove that whatever a bound cuts short fails the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Steps of expression evaluation a root module starts with (its module calls included).
    pub steps: u64,
    /// Steps each resource or module instance adds to its root's budget: an idiom that reads a
    /// whole collection once per instance costs the square of the instances, and a
    /// configuration of that shape is judged rather than failed, up to [`Bounds::steps_cap`].
    /// (The commonest, `[for d in var.dests : d.url if d.name == each.key][0]`, is read through
    /// an index and costs one step per instance.)
    pub steps_per_instance: u64,
    /// The most steps one root module may take, however many instances it has.
    pub steps_cap: u64,
    /// Values (list items, object members, and each 64 bytes of text) the expressions of one
    /// root module may make: the budget on memory, as the steps are on time.
    pub values: u64,
    /// Nesting of expressions, values, locals and of the syntax itself (HCL, JSON, YAML).
    pub depth: usize,
    /// The longest text an expression may make (a template, `join`, `replace`, ...).
    pub text: usize,
    /// The longest list `range()` makes.
    pub range: usize,
    /// Resource and module instances one root module expands to.
    pub instances: usize,
    /// Module calls inside module calls.
    pub module_depth: usize,
    /// Folders of configuration one run reads (module folders found through calls included).
    pub folders: usize,
    /// Members of one HCL object or block (the HCL parser's cost grows with their square).
    pub members: usize,
    /// Values YAML aliases may copy into a descriptor, at least (ten times what the descriptor
    /// writes when that is more).
    pub aliases: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            steps: 8_000_000,
            steps_per_instance: 20_000,
            steps_cap: 100_000_000,
            values: 8_000_000,
            depth: 64,
            text: 4 * 1024 * 1024,
            range: 100_000,
            instances: 200_000,
            module_depth: 32,
            folders: 10_000,
            members: 20_000,
            aliases: 100_000,
        }
    }
}

impl Bounds {
    /// The step budget of a root module that has expanded `instances` instances so far.
    pub fn step_budget(&self, instances: usize) -> u64 {
        let grown = self.steps_per_instance.saturating_mul(u64::try_from(instances).unwrap_or(u64::MAX));
        self.steps.saturating_add(grown).min(self.steps_cap.max(self.steps))
    }
}

/// A bound that was reached, with its limit. Its text names the bound and the limit, so a
/// failed source says which bound stopped it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Steps(u64),
    Values(u64),
    Depth(usize),
    Text(usize),
    Range(usize),
    Instances(usize),
    ModuleDepth(usize),
    Folders(usize),
    Members(usize),
    Aliases(usize),
    /// Binary operators chained in one HCL expression (the HCL parser's own bound).
    Operators(usize),
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Steps(n) => write!(f, "the expression budget ({n} steps of evaluation for this root module)"),
            Bound::Values(n) => write!(f, "the value budget ({n} values made by the expressions of this root module)"),
            Bound::Depth(n) => write!(f, "the nesting depth ({n} levels)"),
            Bound::Text(n) => write!(f, "the text bound ({n} bytes in one value)"),
            Bound::Range(n) => write!(f, "the range() bound ({n} items)"),
            Bound::Instances(n) => write!(f, "the expansion bound ({n} resource and module instances in one root module)"),
            Bound::ModuleDepth(n) => write!(f, "the module nesting depth ({n} levels of module calls)"),
            Bound::Folders(n) => write!(f, "the folder bound ({n} folders of Terraform configuration in one run)"),
            Bound::Members(n) => write!(f, "the member count ({n} members in one object or block)"),
            Bound::Aliases(n) => write!(f, "the YAML alias expansion bound ({n} values copied by aliases)"),
            Bound::Operators(n) => write!(f, "the operator chain bound ({n} chained binary operators)"),
        }
    }
}

impl Bound {
    /// The message of a failed source this bound stopped: the bound, then what it stopped.
    pub fn message(&self, what: &str) -> String {
        format!("stopped by {self}: {what}; nothing it cut short is judged, so the audit is incomplete")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_budget_grows_with_the_instances_up_to_its_cap() {
        let b = Bounds { steps: 10, steps_per_instance: 3, steps_cap: 100, ..Bounds::default() };
        assert_eq!(b.step_budget(0), 10);
        assert_eq!(b.step_budget(5), 25);
        assert_eq!(b.step_budget(1_000), 100);
        assert_eq!(b.step_budget(usize::MAX), 100);
        let low_cap = Bounds { steps: 10, steps_cap: 1, ..b };
        assert_eq!(low_cap.step_budget(1_000), 10, "the cap never lowers the base");
    }

    #[test]
    fn a_bound_names_itself_and_its_limit() {
        let m = Bound::Steps(8_000_000).message("evaluation stopped at btp_subaccount_destination.calm[\"x\"]");
        assert!(m.contains("expression budget") && m.contains("8000000"), "{m}");
    }
}
