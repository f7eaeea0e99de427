//! Password hashing with Argon2id. Parameters come from the configuration and never go
//! below 19 MiB / 2 passes / 1 lane; a stored hash that is weaker (lower parameters, or
//! argon2i/argon2d) is reported by [`Verified::Valid`] so the login can re-hash it. Hashing
//! runs on tokio's blocking pool, as it takes tens of milliseconds of CPU by design.
//!
//! Each hash holds 19 MiB or more while it runs, and logins need no account to arrive, so
//! hashing runs under a bound: at most `max_concurrent_hashes` at once (the number of
//! cores by default), at most `hash_queue` more waiting, each for at most
//! [`QUEUE_WAIT`]; beyond that the caller gets [`Error::Busy`] (503 with `Retry-After`)
//! at once. A flood of logins then costs a bounded amount of memory and CPU, and the
//! other pages keep their speed.
//!
//! For an unknown account the login verifies against a dummy hash made with the same
//! parameters, so a wrong e-mail and a wrong password take about the same time.

use crate::domain::Password;
use crate::error::{Error, Result};
use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a hash may wait for its turn before the caller is told to come back.
pub const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    Valid { needs_rehash: bool },
    Invalid,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy_hash: Arc<String>,
    gate: Arc<Gate>,
}

/// The bound on hashing: permits to run, and permits to wait for one.
struct Gate {
    running: Semaphore,
    waiting: Semaphore,
}

impl Gate {
    /// A turn to hash, or `Busy` when too many are running and waiting already.
    async fn turn(&self) -> Result<SemaphorePermit<'_>> {
        let busy = || Error::Busy {
            retry_after: Duration::from_secs(2),
        };
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(permit);
        }
        let Ok(_waiting) = self.waiting.try_acquire() else {
            tracing::warn!("password hashing refused: the queue is full");
            return Err(busy());
        };
        match tokio::time::timeout(QUEUE_WAIT, self.running.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!("password hashing refused: waited too long for a turn");
                Err(busy())
            }
        }
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// How many hashes may run and wait at once.
#[derive(Debug, Clone, Copy)]
pub struct HashBound {
    pub running: usize,
    pub waiting: usize,
}

impl HashBound {
    /// `running` 0 means one per core; `waiting` 0 means four per running hash.
    pub fn new(running: u32, waiting: u32) -> HashBound {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = if running == 0 {
            cores
        } else {
            running as usize
        };
        let waiting = if waiting == 0 {
            4 * running
        } else {
            waiting as usize
        };
        HashBound { running, waiting }
    }
}

impl PasswordHasher {
    /// Builds the hasher and its dummy hash (one hash computed now, blocking).
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        bound: HashBound,
    ) -> anyhow::Result<PasswordHasher> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid Argon2 parameters: {e}"))?;
        let dummy = hash_with(&params, &crate::token::random_token())?;
        Ok(PasswordHasher {
            params,
            dummy_hash: Arc::new(dummy),
            gate: Arc::new(Gate {
                running: Semaphore::new(bound.running.max(1)),
                waiting: Semaphore::new(bound.waiting),
            }),
        })
    }

    /// Hashes a new password (salted, PHC string).
    pub async fn hash(&self, password: &Password) -> Result<String> {
        let _turn = self.gate.turn().await?;
        let params = self.params.clone();
        let password = password.expose().to_string();
        Ok(
            tokio::task::spawn_blocking(move || hash_with(&params, &password))
                .await
                .context("hashing task failed")??,
        )
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// account (always `Invalid` then, after the same work).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified> {
        let _turn = self.gate.turn().await?;
        let params = self.params.clone();
        let password = password.to_string();
        let (stored, real) = match stored {
            Some(s) => (s.to_string(), true),
            None => (self.dummy_hash.as_ref().clone(), false),
        };
        let verified = tokio::task::spawn_blocking(move || -> anyhow::Result<Verified> {
            let hash = PasswordHash::new(&stored)
                .map_err(|e| anyhow::anyhow!("stored password hash is unreadable: {e}"))?;
            // Verification uses the algorithm and parameters recorded in the hash itself.
            let ok = Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok();
            if !(ok && real) {
                return Ok(Verified::Invalid);
            }
            Ok(Verified::Valid {
                needs_rehash: is_weaker(&hash, &params),
            })
        })
        .await
        .context("verification task failed")??;
        Ok(verified)
    }
}

fn hash_with(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Whether a hash is below the configured strength.
fn is_weaker(hash: &PasswordHash<'_>, wanted: &Params) -> bool {
    if hash.algorithm != Algorithm::Argon2id.ident() || hash.version != Some(Version::V0x13.into())
    {
        return true;
    }
    match Params::try_from(hash) {
        Ok(p) => {
            p.m_cost() < wanted.m_cost()
                || p.t_cost() < wanted.t_cost()
                || p.p_cost() < wanted.p_cost()
        }
        Err(_) => true,
    }
}

/// Hashes with arbitrary (possibly weak) parameters and algorithm. Exists so tests and
/// migrations from older systems can produce legacy hashes; the service itself never
/// uses it for new passwords.
pub fn legacy_hash(
    password: &str,
    algorithm: Algorithm,
    m: u32,
    t: u32,
    p: u32,
) -> anyhow::Result<String> {
    let params = Params::new(m, t, p, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(algorithm, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ARGON2_MIN_ITERATIONS, ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PARALLELISM};

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(
            ARGON2_MIN_MEMORY_KIB,
            ARGON2_MIN_ITERATIONS,
            ARGON2_MIN_PARALLELISM,
            HashBound::new(0, 0),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify_long_passwords_without_truncation() {
        let h = hasher();
        let long = "a".repeat(99) + "b";
        let other = "a".repeat(99) + "c";
        let hash = h
            .hash(&Password::parse(&long, 0, &[]).unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            h.verify(&long, Some(&hash)).await.unwrap(),
            Verified::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify(&other, Some(&hash)).await.unwrap(),
            Verified::Invalid
        );
        assert_eq!(h.verify(&long, None).await.unwrap(), Verified::Invalid);
    }

    #[tokio::test]
    async fn weaker_hashes_need_rehash() {
        let h = hasher();
        for (alg, m, t) in [
            (Algorithm::Argon2id, 8192, 1),
            (Algorithm::Argon2i, 19456, 2),
            (Algorithm::Argon2d, 19456, 2),
        ] {
            let weak = legacy_hash("correct horse battery", alg, m, t, 1).unwrap();
            assert_eq!(
                h.verify("correct horse battery", Some(&weak))
                    .await
                    .unwrap(),
                Verified::Valid { needs_rehash: true },
                "{weak}"
            );
        }
    }
}
