//! Text encodings of signatures and keys on the wire.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::{Deserialize, Serialize};

/// How a signature's bytes are written in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Encoding {
    /// Lower-case hexadecimal (upper case is accepted when verifying).
    Hex,
    /// Standard base64 with padding (RFC 4648 §4). A missing padding is accepted when verifying.
    Base64,
}

impl Encoding {
    /// Encodes `bytes` the way a sender writes them.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64 => STANDARD.encode(bytes),
        }
    }

    /// Decodes a signature as written by a sender; `None` when it is not valid in this encoding.
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Encoding::Hex => hex::decode(text).ok(),
            Encoding::Base64 => decode_base64(text),
        }
    }

    /// The other encoding: used by the diagnosis to spot hex read as base64 and the reverse.
    pub(crate) fn other(self) -> Encoding {
        match self {
            Encoding::Hex => Encoding::Base64,
            Encoding::Base64 => Encoding::Hex,
        }
    }

    /// The name used in TOML and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }
}

/// Standard base64, padded or not.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

/// Standard base64, padded or not, into `out`; `None` if invalid or longer than `out`.
pub(crate) fn decode_base64_into(text: &str, out: &mut [u8]) -> Option<usize> {
    if text.len() / 4 * 3 > out.len() + 2 {
        return None;
    }
    STANDARD
        .decode_slice(text, out)
        .or_else(|_| STANDARD_NO_PAD.decode_slice(text, out))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_accepts_upper_case_and_writes_lower_case() {
        assert_eq!(Encoding::Hex.decode("AbCd"), Some(vec![0xab, 0xcd]));
        assert_eq!(Encoding::Hex.encode(&[0xab, 0xcd]), "abcd");
        assert_eq!(Encoding::Hex.decode("abc"), None);
        assert_eq!(Encoding::Hex.decode("zz"), None);
    }

    #[test]
    fn base64_accepts_missing_padding() {
        assert_eq!(Encoding::Base64.decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(Encoding::Base64.decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(Encoding::Base64.decode("Y"), None);
        assert_eq!(Encoding::Base64.encode(b"a"), "YQ==");
    }
}
