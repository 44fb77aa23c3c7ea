//! Globs over destination names, as waivers (`destination = "CALM_LEGACY*"`) and the
//! `[profiles]` table write them. Kept in the model, below the rules and the overlays, because
//! both match names with it and neither may reach into the other.

/// `*` any run of characters, `?` one character; everything else literal, case-sensitive
/// (destination names are).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken so far: on a mismatch it
    // takes one more character, so the walk is linear in practice and never recursive.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("CALM_LEGACY*", "CALM_LEGACY"));
        assert!(glob_match("CALM_LEGACY*", "CALM_LEGACY_2"));
        assert!(!glob_match("CALM_LEGACY*", "calm_legacy"));
        assert!(glob_match("CALM_?PMON", "CALM_BPMON"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*MON*", "CALM_BPMON_X"));
        assert!(!glob_match("CALM_A", "CALM_AB"));
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(!glob_match("a*b*c", "a-b-b-d"));
    }
}
