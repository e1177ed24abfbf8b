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

/// Hex (either case) into `out`; `None` if invalid or longer than `out`. Table-driven: this
/// runs on every verification.
pub(crate) fn decode_hex_into(text: &str, out: &mut [u8]) -> Option<usize> {
    const fn table() -> [u8; 256] {
        let mut t = [0xff; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    }
    static HEX: [u8; 256] = table();
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) || bytes.len() / 2 > out.len() {
        return None;
    }
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        bad |= (hi | lo) & 0xf0;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad == 0).then_some(bytes.len() / 2)
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
        let mut out = [0u8; 4];
        assert_eq!(decode_hex_into("00fFa9", &mut out), Some(3));
        assert_eq!(out[..3], [0x00, 0xff, 0xa9]);
        for bad in ["0", "0g", "g0", "0 ", "000000000000"] {
            assert_eq!(decode_hex_into(bad, &mut out), None, "{bad:?}");
        }
    }

    #[test]
    fn base64_accepts_missing_padding() {
        assert_eq!(Encoding::Base64.decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(Encoding::Base64.decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(Encoding::Base64.decode("Y"), None);
        assert_eq!(Encoding::Base64.encode(b"a"), "YQ==");
    }
}
