//! Prefixed ids that sort by creation time: `app_`, `ep_`, `msg_`, `atmpt_`, ...
//!
//! The part after the prefix is 22 base62 characters of a 128-bit number whose top 48 bits
//! are the creation time in milliseconds and the rest random. Base62 written with a fixed
//! width in ASCII order (`0-9A-Za-z`) keeps numeric order, so ids sort by time as strings:
//! pagination can use the id itself as its cursor.

use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::{SecureRandom as _, SystemRandom};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh id with `prefix` (written with its `_`).
pub fn new_id(prefix: &str) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut random = [0u8; 10];
    // The system generator failing leaves all-zero randomness; the time part still
    // orders ids, and a collision is caught by the primary key.
    let _ = SystemRandom::new().fill(&mut random);
    let mut n = (millis & 0xffff_ffff_ffff) << 80;
    for (i, b) in random.iter().enumerate() {
        n |= u128::from(*b) << (8 * (9 - i));
    }
    let mut digits = [b'0'; 22];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    let mut id = String::with_capacity(prefix.len() + 23);
    id.push_str(prefix);
    id.push('_');
    id.extend(digits.iter().map(|&b| char::from(b)));
    id
}

/// The smallest id with `prefix` that [`new_id`] could make at `millis`: ids made from
/// then on sort at or after it, so `id >= floor` finds them on the primary key's index.
pub fn id_floor(prefix: &str, millis: i64) -> String {
    let mut n = (u128::try_from(millis.max(0)).unwrap_or(0) & 0xffff_ffff_ffff) << 80;
    let mut digits = [b'0'; 22];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    let mut id = String::with_capacity(prefix.len() + 23);
    id.push_str(prefix);
    id.push('_');
    id.extend(digits.iter().map(|&b| char::from(b)));
    id
}

/// Random bytes as URL-safe base64 without padding: tokens and secrets.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    // See `new_id`: on failure the token would be predictable, so fail closed instead.
    if SystemRandom::new().fill(&mut buf).is_err() {
        panic!("the operating system's random generator failed");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_unique_and_time_ordered() {
        let a = new_id("msg");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("msg");
        assert!(a.starts_with("msg_") && a.len() == 26, "{a}");
        assert!(a < b, "{a} < {b}");
        let many: std::collections::HashSet<String> = (0..1000).map(|_| new_id("x")).collect();
        assert_eq!(many.len(), 1000);
    }
}
