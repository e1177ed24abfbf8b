//! Algorithms, key formats, and keys parsed once for repeated use.
//!
//! Parsing a key does the expensive part once: for HMAC, ring's `hmac::Key` holds the inner
//! and outer hash states already keyed, so each verification hashes only the message.

use std::fmt;

use ring::signature::{self, Ed25519KeyPair, KeyPair as _};
use ring::{hmac, rand};
use serde::{Deserialize, Serialize};

use crate::encoding::decode_base64;

/// The signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HmacSha256,
    /// HMAC with SHA-1 (GitHub's legacy header, Twilio).
    HmacSha1,
    /// HMAC with SHA-512.
    HmacSha512,
    /// Ed25519 (Standard Webhooks `v1a`, Discord).
    Ed25519,
    /// ECDSA over P-256 with SHA-256, DER-encoded signatures (SendGrid).
    EcdsaP256Sha256,
}

impl Algorithm {
    /// Whether one shared secret both signs and verifies.
    pub fn is_symmetric(self) -> bool {
        matches!(
            self,
            Algorithm::HmacSha256 | Algorithm::HmacSha1 | Algorithm::HmacSha512
        )
    }

    /// The length of a signature in bytes, where it is fixed.
    pub fn signature_len(self) -> Option<usize> {
        match self {
            Algorithm::HmacSha256 => Some(32),
            Algorithm::HmacSha1 => Some(20),
            Algorithm::HmacSha512 => Some(64),
            Algorithm::Ed25519 => Some(64),
            Algorithm::EcdsaP256Sha256 => None,
        }
    }

    /// The name used in TOML and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha512 => "hmac-sha512",
            Algorithm::Ed25519 => "ed25519",
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }

    fn hmac(self) -> Option<hmac::Algorithm> {
        match self {
            Algorithm::HmacSha256 => Some(hmac::HMAC_SHA256),
            Algorithm::HmacSha1 => Some(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            Algorithm::HmacSha512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }
}

/// How a key's text becomes key bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum KeyEncoding {
    /// The text's UTF-8 bytes, as they are (GitHub, Stripe: the whole `whsec_…` string).
    Utf8,
    /// Standard base64 (Standard Webhooks: the part after `whsec_`).
    Base64,
    /// Hexadecimal (Discord's public keys).
    Hex,
}

/// How a key is written: an encoding and an optional prefix that is removed first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFormat {
    /// The encoding of the text after the prefix.
    pub encoding: KeyEncoding,
    /// A prefix such as `whsec_`, removed when present (it is optional on input, as in the
    /// Svix and Standard Webhooks libraries) and added when a key is printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

impl KeyFormat {
    /// The key text's own bytes.
    pub const fn utf8() -> Self {
        KeyFormat {
            encoding: KeyEncoding::Utf8,
            prefix: None,
        }
    }

    /// Decodes key text into key bytes.
    pub fn decode(&self, text: &str) -> Result<Vec<u8>, KeyError> {
        let body = match &self.prefix {
            Some(p) => text.strip_prefix(p.as_str()).unwrap_or(text),
            None => text,
        };
        let bytes = match self.encoding {
            KeyEncoding::Utf8 => Some(body.as_bytes().to_vec()),
            KeyEncoding::Base64 => decode_base64(body),
            KeyEncoding::Hex => hex::decode(body).ok(),
        };
        match bytes {
            None => Err(KeyError::Encoding {
                expected: self.encoding,
            }),
            Some(b) if b.is_empty() => Err(KeyError::Empty),
            Some(b) => Ok(b),
        }
    }
}

/// A key that cannot be used with its scheme.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is empty.
    #[error("the key is empty")]
    Empty,
    /// No key was given at all.
    #[error("no key given")]
    NoKeys,
    /// The key text is not valid in its encoding.
    #[error("the key is not valid {}", match expected { KeyEncoding::Utf8 => "UTF-8", KeyEncoding::Base64 => "base64", KeyEncoding::Hex => "hex" })]
    Encoding {
        /// The encoding the scheme expects.
        expected: KeyEncoding,
    },
    /// The decoded key has the wrong length or structure for the algorithm.
    #[error("not a valid {algorithm} {role}: {reason}")]
    Invalid {
        /// The scheme's algorithm.
        algorithm: &'static str,
        /// `public key` or `private key`.
        role: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The scheme cannot sign: it has no private-key format, or it is verify-only.
    #[error("scheme `{0}` cannot sign")]
    CannotSign(String),
}

/// A key ready to verify signatures: an HMAC secret or a public key.
#[derive(Clone)]
pub struct VerifyingKey(pub(crate) Verify);

#[derive(Clone)]
pub(crate) enum Verify {
    Hmac(hmac::Key),
    Ed25519([u8; 32]),
    /// The uncompressed SEC1 point.
    EcdsaP256(Vec<u8>),
}

/// A key ready to sign: an HMAC secret or a private key.
pub struct SigningKey(pub(crate) Sign);

pub(crate) enum Sign {
    Hmac(hmac::Key),
    Ed25519(Ed25519KeyPair),
    EcdsaP256(signature::EcdsaKeyPair),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey([redacted])")
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

/// DER prefix of a P-256 SubjectPublicKeyInfo; the 65-byte uncompressed point follows it.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

impl VerifyingKey {
    /// Builds a verifying key from decoded bytes.
    pub(crate) fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        let invalid = |reason: &str| KeyError::Invalid {
            algorithm: algorithm.as_str(),
            role: "public key",
            reason: reason.to_owned(),
        };
        if let Some(alg) = algorithm.hmac() {
            return Ok(VerifyingKey(Verify::Hmac(hmac::Key::new(alg, bytes))));
        }
        match algorithm {
            Algorithm::Ed25519 => {
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| invalid(&format!("expected 32 bytes, got {}", bytes.len())))?;
                Ok(VerifyingKey(Verify::Ed25519(key)))
            }
            Algorithm::EcdsaP256Sha256 => {
                let point = bytes.strip_prefix(&P256_SPKI_PREFIX[..]).unwrap_or(bytes);
                if point.len() != 65 || point[0] != 0x04 {
                    return Err(invalid(
                        "expected a P-256 SubjectPublicKeyInfo (DER) or an uncompressed point",
                    ));
                }
                Ok(VerifyingKey(Verify::EcdsaP256(point.to_vec())))
            }
            _ => Err(invalid("unsupported algorithm")),
        }
    }

    /// Whether `sig` is a valid signature of `message` (asymmetric keys only).
    pub(crate) fn verify_asymmetric(&self, message: &[u8], sig: &[u8]) -> bool {
        let (alg, key): (&dyn signature::VerificationAlgorithm, &[u8]) = match &self.0 {
            Verify::Ed25519(k) => (&signature::ED25519, k),
            Verify::EcdsaP256(k) => (&signature::ECDSA_P256_SHA256_ASN1, k),
            Verify::Hmac(_) => return false,
        };
        signature::UnparsedPublicKey::new(alg, key)
            .verify(message, sig)
            .is_ok()
    }
}

impl SigningKey {
    /// Builds a signing key from decoded bytes.
    pub(crate) fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        let invalid = |reason: String| KeyError::Invalid {
            algorithm: algorithm.as_str(),
            role: "private key",
            reason,
        };
        if let Some(alg) = algorithm.hmac() {
            return Ok(SigningKey(Sign::Hmac(hmac::Key::new(alg, bytes))));
        }
        match algorithm {
            Algorithm::Ed25519 => {
                // A 32-byte seed, or the 64-byte seed ‖ public key that libsodium and the
                // Standard Webhooks libraries write; the second half is then checked.
                let pair = match bytes.len() {
                    32 => Ed25519KeyPair::from_seed_unchecked(bytes),
                    64 => Ed25519KeyPair::from_seed_and_public_key(&bytes[..32], &bytes[32..]),
                    n => return Err(invalid(format!("expected a 32- or 64-byte key, got {n}"))),
                };
                pair.map(|p| SigningKey(Sign::Ed25519(p)))
                    .map_err(|e| invalid(e.to_string()))
            }
            Algorithm::EcdsaP256Sha256 => signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                bytes,
                &rand::SystemRandom::new(),
            )
            .map(|p| SigningKey(Sign::EcdsaP256(p)))
            .map_err(|e| invalid(format!("expected PKCS#8 DER ({e})"))),
            _ => Err(invalid("unsupported algorithm".into())),
        }
    }

    /// Signs `message`. ECDSA draws its nonce from the operating system's generator.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.0 {
            Sign::Hmac(k) => hmac::sign(k, message).as_ref().to_vec(),
            Sign::Ed25519(p) => p.sign(message).as_ref().to_vec(),
            // ring fails only when the system generator fails, which leaves nothing to sign with.
            Sign::EcdsaP256(p) => p
                .sign(&rand::SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .unwrap_or_default(),
        }
    }

    /// The public half, for asymmetric keys (ECDSA as SubjectPublicKeyInfo DER).
    pub fn public_key_bytes(&self) -> Option<Vec<u8>> {
        match &self.0 {
            Sign::Hmac(_) => None,
            Sign::Ed25519(p) => Some(p.public_key().as_ref().to_vec()),
            // As SubjectPublicKeyInfo DER, the form SendGrid publishes.
            Sign::EcdsaP256(p) => Some([&P256_SPKI_PREFIX[..], p.public_key().as_ref()].concat()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_optional_and_encoding_checked() {
        let f = KeyFormat {
            encoding: KeyEncoding::Base64,
            prefix: Some("whsec_".into()),
        };
        assert_eq!(f.decode("whsec_YWJj"), Ok(b"abc".to_vec()));
        assert_eq!(f.decode("YWJj"), Ok(b"abc".to_vec()));
        assert_eq!(
            f.decode("whsec_!!"),
            Err(KeyError::Encoding {
                expected: KeyEncoding::Base64
            })
        );
        assert_eq!(f.decode("whsec_"), Err(KeyError::Empty));
        assert_eq!(KeyFormat::utf8().decode("whsec_x"), Ok(b"whsec_x".to_vec()));
    }

    #[test]
    fn asymmetric_keys_check_lengths() {
        assert!(VerifyingKey::from_bytes(Algorithm::Ed25519, &[0; 31]).is_err());
        assert!(VerifyingKey::from_bytes(Algorithm::EcdsaP256Sha256, &[4; 64]).is_err());
        assert!(SigningKey::from_bytes(Algorithm::Ed25519, &[7; 33]).is_err());
        let sk = SigningKey::from_bytes(Algorithm::Ed25519, &[7; 32]).expect("seed");
        let pk = sk.public_key_bytes().expect("public");
        let vk = VerifyingKey::from_bytes(Algorithm::Ed25519, &pk).expect("public key");
        let sig = sk.sign(b"m");
        assert!(vk.verify_asymmetric(b"m", &sig));
        assert!(!vk.verify_asymmetric(b"n", &sig));
        assert_eq!(format!("{sk:?}"), "SigningKey([redacted])");
    }
}
