//! Password hashing with Argon2id. Parameters come from the configuration and never go
//! below 19 MiB / 2 passes / 1 lane; a stored hash that is weaker (lower parameters, or
//! argon2i/argon2d) is reported by [`Verified::Valid`] so the login can re-hash it. Hashing
//! runs on tokio's blocking pool, as it takes tens of milliseconds of CPU by design.
//!
//! For an unknown account the login verifies against a dummy hash made with the same
//! parameters, so a wrong e-mail and a wrong password take about the same time.

use crate::domain::Password;
use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;

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
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Builds the hasher and its dummy hash (one hash computed now, blocking).
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> anyhow::Result<PasswordHasher> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid Argon2 parameters: {e}"))?;
        let dummy = hash_with(&params, &crate::auth::random_token())?;
        Ok(PasswordHasher {
            params,
            dummy_hash: Arc::new(dummy),
        })
    }

    /// Hashes a new password (salted, PHC string).
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.expose().to_string();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .context("hashing task failed")?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// account (always `Invalid` then, after the same work).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let params = self.params.clone();
        let password = password.to_string();
        let (stored, real) = match stored {
            Some(s) => (s.to_string(), true),
            None => (self.dummy_hash.as_ref().clone(), false),
        };
        tokio::task::spawn_blocking(move || {
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
        .context("verification task failed")?
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
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify_long_passwords_without_truncation() {
        let h = hasher();
        let long = "a".repeat(99) + "b";
        let other = "a".repeat(99) + "c";
        let hash = h.hash(&Password::parse(&long).unwrap()).await.unwrap();
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
