//! Secrets at rest and tokens.
//!
//! Endpoint secrets and custom headers are sealed with ChaCha20-Poly1305 under a 32-byte key
//! from `HOOKLINE_ENCRYPTION_KEY` or a key file created (mode 0600) in the data directory.
//! API tokens are stored as SHA-256 hashes: they are 256-bit random strings, so a fast hash
//! is enough, and a stolen database holds no usable token.

use std::path::Path;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use ring::aead::{CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest;
use ring::rand::{SecureRandom as _, SystemRandom};

/// Seals and opens secrets stored in the database.
pub struct Cipher {
    key: LessSafeKey,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher([redacted])")
    }
}

impl Cipher {
    /// A cipher over a 32-byte key.
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, key)
            .map_err(|_| anyhow::anyhow!("the encryption key must be 32 bytes"))?;
        Ok(Cipher {
            key: LessSafeKey::new(key),
        })
    }

    /// The key from `HOOKLINE_ENCRYPTION_KEY` (64 hex digits or base64 of 32 bytes) if set,
    /// else from `<data_dir>/encryption.key`, created on first use with mode 0600.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(text) = env_key {
            let text = text.trim();
            let bytes = hex::decode(text)
                .ok()
                .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
                .filter(|b| b.len() == 32);
            let Some(bytes) = bytes else {
                bail!("HOOKLINE_ENCRYPTION_KEY: expected 32 bytes as 64 hex digits or base64");
            };
            return Cipher::new(&bytes);
        }
        let path = data_dir.join("encryption.key");
        if !path.exists() {
            let mut key = [0u8; 32];
            SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
            write_private(&path, hex::encode(key).as_bytes())?;
        }
        crate::data_dir::restrict_existing(&path, 0o600)
            .with_context(|| format!("closing {} to other users", path.display()))?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .with_context(|| format!("{}: expected 64 hex digits", path.display()))?;
        Cipher::new(&bytes)
    }

    /// `nonce ‖ ciphertext ‖ tag`. `context` (such as the row id) is bound as associated
    /// data, so a sealed value cannot be moved to another row.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        if SystemRandom::new().fill(&mut nonce).is_err() {
            // A reused nonce would break the AEAD: refuse to continue.
            panic!("the operating system's random generator failed");
        }
        let mut out = plaintext.to_vec();
        let aad = ring::aead::Aad::from(context.as_bytes());
        // Sealing fails only for inputs over ~256 GiB.
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), aad, &mut out)
            .unwrap_or_else(|_| panic!("plaintext too large to seal"));
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&out);
        sealed.extend_from_slice(tag.as_ref());
        sealed
    }

    /// Opens what [`Cipher::seal`] produced with the same `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            bail!("sealed value too short");
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, ring::aead::Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| {
                anyhow::anyhow!(
                    "a stored secret does not decrypt: wrong HOOKLINE_ENCRYPTION_KEY or key file?"
                )
            })?;
        Ok(plain.to_vec())
    }
}

/// The stored form of an API token.
pub fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// Writes `bytes` to a new file only the owner can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_context() {
        let c = Cipher::new(&[7; 32]).expect("key");
        let sealed = c.seal("ep_1", b"whsec_abc");
        assert_ne!(&sealed[NONCE_LEN..NONCE_LEN + 9], b"whsec_abc");
        assert_eq!(c.open("ep_1", &sealed).expect("opens"), b"whsec_abc");
        assert!(c.open("ep_2", &sealed).is_err());
        assert!(
            Cipher::new(&[8; 32])
                .expect("key")
                .open("ep_1", &sealed)
                .is_err()
        );
        assert!(c.open("ep_1", &sealed[..5]).is_err());
    }
}
