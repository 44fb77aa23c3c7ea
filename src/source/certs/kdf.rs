//! The cost of opening a keystore, known before it is paid (SPEC §8): each key derivation's
//! parameters are read first and refused past a bound, and what is allowed is charged to the
//! run's [`Budget`]. A derivation runs on the calling thread, to its end: bounded by its
//! parameters, it needs no timeout, so no work is ever left running after the result.
//!
//! Work is counted in units of one hash-based iteration (one round of PBKDF2's HMAC or of the
//! PKCS#12 key derivation, for each block of output); scrypt's `N·r·p` counts as that many units,
//! each about twice what one of PBKDF2 costs (measured in a test build: 2,097,152 units of
//! scrypt in 1.4 s; some 4,000,000 of PBKDF2-HMAC-SHA-256 and the MAC in 1.5 s, whole run).

use std::time::{Duration, Instant};

/// The most iterations one derivation may ask for: OpenSSL writes 2048, Java 10,000
/// (the MAC's and each encrypted part's alike); `p12-keystore` refuses above the same number.
pub const MAX_ITERATIONS: u64 = 1_000_000;
/// The most memory one scrypt derivation may need (`128·N·r` bytes): 128 MiB, eight times what
/// OpenSSL's `-scrypt` default (N=16384, r=8) takes.
pub const MAX_SCRYPT_MEMORY: u64 = 128 * 1024 * 1024;
/// The most work one scrypt derivation may ask for (`N·r·p`): as much as [`MAX_ITERATIONS`].
pub const MAX_SCRYPT_WORK: u64 = 1 << 20;
/// The most work opening one keystore with one password may ask for, all derivations together.
pub const MAX_KEYSTORE_WORK: u64 = 4_000_000;
/// The most work all keystores of a run may ask for together: some 2,000 keystores written
/// by OpenSSL, 600 by Java's keytool, each opened with one password.
pub const MAX_RUN_WORK: u64 = 40_000_000;
/// The most time all keystores of a run may take to open; past it, the rest are refused.
pub const RUN_TIME: Duration = Duration::from_secs(60);

/// A bound that stopped a keystore from being read: the keystore is a failed source (exit 3),
/// never a pass or a guess. The text names the bound and the number that broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One key derivation, as its parameters describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derivation {
    /// PBKDF2 (PBES2): `iterations` for each of `blocks` blocks of output.
    Pbkdf2 { iterations: u64, blocks: u64 },
    /// The PKCS#12 key derivation (the MAC, and the legacy PBES1 ciphers, key and IV together).
    Pkcs12 { iterations: u64, blocks: u64 },
    /// scrypt (PBES2, RFC 7914).
    Scrypt { n: u64, r: u64, p: u64 },
}

fn shown(n: u64) -> String {
    if n == u64::MAX { "a number beyond 64 bits".to_owned() } else { n.to_string() }
}

impl Derivation {
    /// Its work, or why it is refused before it runs.
    pub fn work(self) -> Result<u64, Refused> {
        match self {
            Derivation::Pbkdf2 { iterations, blocks } | Derivation::Pkcs12 { iterations, blocks } => {
                if iterations > MAX_ITERATIONS {
                    return Err(Refused(format!(
                        "an iteration count of {}, above the {MAX_ITERATIONS} calm-audit allows: refused before deriving the key, which would take too long",
                        shown(iterations)
                    )));
                }
                Ok(iterations.saturating_mul(blocks.max(1)))
            }
            Derivation::Scrypt { n, r, p } => {
                let memory = 128u64.saturating_mul(n).saturating_mul(r);
                let work = n.saturating_mul(r).saturating_mul(p);
                if memory > MAX_SCRYPT_MEMORY || work > MAX_SCRYPT_WORK {
                    return Err(Refused(format!(
                        "scrypt with N={}, r={}, p={} needs {} MiB of memory and {} units of work, above the {} MiB and {MAX_SCRYPT_WORK} calm-audit allows: refused before deriving the key",
                        shown(n),
                        shown(r),
                        shown(p),
                        if memory == u64::MAX { "more than 2^44".to_owned() } else { (memory.div_ceil(1 << 20)).to_string() },
                        shown(work),
                        MAX_SCRYPT_MEMORY >> 20
                    )));
                }
                Ok(work)
            }
        }
    }
}

/// What the keystores of one run may still cost: work and time, drawn down as they open.
#[derive(Debug)]
pub struct Budget {
    work_left: u64,
    run_work: u64,
    time_left: Duration,
    run_time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_RUN_WORK, RUN_TIME)
    }
}

impl Budget {
    /// A budget of `work` units and `time` (tests force them low).
    pub fn new(work: u64, time: Duration) -> Budget {
        Budget { work_left: work, run_work: work, time_left: time, run_time: time }
    }

    /// Charges `work` before it is done; refused (nothing charged) when the run cannot afford it.
    pub fn charge(&mut self, work: u64) -> Result<(), Refused> {
        if self.time_left.is_zero() {
            return Err(Refused(format!(
                "opening the run's keystores has taken the {} s calm-audit allows: refused, not opened",
                self.run_time.as_secs()
            )));
        }
        if work > self.work_left {
            return Err(Refused(format!(
                "opening it would take the run's keystores past the {} units of key-derivation work calm-audit allows in one run: refused, not opened",
                self.run_work
            )));
        }
        self.work_left -= work;
        Ok(())
    }

    /// The work charged so far.
    pub fn spent(&self) -> u64 {
        self.run_work - self.work_left
    }

    /// Runs `f`, counting the time it takes against the run's.
    pub fn timed<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.time_left = self.time_left.saturating_sub(started.elapsed());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reported_scrypt_keystore_is_refused_by_its_parameters() {
        let e = Derivation::Scrypt { n: 1 << 19, r: 16, p: 16 }.work().unwrap_err().0;
        assert!(e.contains("N=524288, r=16, p=16") && e.contains("1024 MiB") && e.contains("134217728"), "{e}");
        // OpenSSL's default and the largest allowed pass.
        assert_eq!(Derivation::Scrypt { n: 16384, r: 8, p: 1 }.work(), Ok(131_072));
        assert!(Derivation::Scrypt { n: 1 << 17, r: 8, p: 1 }.work().is_ok());
        // Memory alone, work alone, and numbers that overflow.
        assert!(Derivation::Scrypt { n: 1 << 18, r: 8, p: 1 }.work().is_err());
        assert!(Derivation::Scrypt { n: 1 << 14, r: 8, p: 9 }.work().is_err());
        assert!(Derivation::Scrypt { n: u64::MAX, r: u64::MAX, p: 1 }.work().unwrap_err().0.contains("beyond 64 bits"));
        assert!(Derivation::Pbkdf2 { iterations: MAX_ITERATIONS + 1, blocks: 1 }.work().is_err());
        assert_eq!(Derivation::Pkcs12 { iterations: 2048, blocks: 3 }.work(), Ok(6144));
    }

    #[test]
    fn a_budget_refuses_what_it_cannot_afford_and_names_the_bound() {
        let mut b = Budget::new(10, Duration::from_secs(60));
        assert!(b.charge(6).is_ok());
        let e = b.charge(5).unwrap_err().0;
        assert!(e.contains("10 units"), "{e}");
        assert!(b.charge(4).is_ok());
        let mut spent = Budget::new(100, Duration::ZERO);
        assert!(spent.charge(1).unwrap_err().0.contains("0 s"));
    }
}
