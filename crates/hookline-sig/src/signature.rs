//! Reading and writing signature header values in each layout.

use crate::scheme::SignatureFormat;

/// A signature value, read in place: the encoded signatures it carries and, for `pairs`, the
/// other items (such as Stripe's `t=`). Nothing is copied or collected: verification is a
/// hot path, and a header is read once or twice.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Parsed<'a> {
    format: Option<&'a SignatureFormat>,
    value: &'a str,
}

/// Takes a value apart. Nothing here can fail: a value with no usable signature yields no
/// signatures, and the caller says what was expected.
pub(crate) fn parse<'a>(format: &'a SignatureFormat, value: &'a str) -> Parsed<'a> {
    Parsed {
        format: Some(format),
        value,
    }
}

impl<'a> Parsed<'a> {
    /// The encoded signatures, in order.
    pub(crate) fn signatures(&self) -> Items<'a> {
        Items {
            parsed: *self,
            rest: Some(self.value),
            want_signatures: true,
        }
    }

    /// The `key=value` items that are not signatures (`pairs` only).
    pub(crate) fn params(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        Items {
            parsed: *self,
            rest: Some(self.value),
            want_signatures: false,
        }
        .filter_map(|item| item.split_once('='))
    }

    pub(crate) fn param(&self, key: &str) -> Option<&'a str> {
        self.params().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// Walks the value: signatures, or (for `pairs`) the other items.
pub(crate) struct Items<'a> {
    parsed: Parsed<'a>,
    rest: Option<&'a str>,
    want_signatures: bool,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let format = self.parsed.format?;
        loop {
            let rest = self.rest?;
            let sep = match format {
                SignatureFormat::Single { .. } => None,
                SignatureFormat::List { .. } => Some(' '),
                SignatureFormat::Pairs { separator, .. } => Some(*separator),
            };
            // The item separator is searched with memchr (items are tens of bytes); the
            // `=` or `,` inside an item, which comes within a few bytes, byte by byte.
            let (item, tail) = match sep.and_then(|c| rest.split_once(c)) {
                Some((item, tail)) => (item, Some(tail)),
                None => (rest, None),
            };
            self.rest = tail;
            let found = match format {
                SignatureFormat::Single { prefix } if self.want_signatures => {
                    item.strip_prefix(prefix.as_str())
                }
                SignatureFormat::List { version } if self.want_signatures => split_once(item, ',')
                    .filter(|(v, _)| v == version)
                    .map(|(_, sig)| sig),
                SignatureFormat::Single { .. } | SignatureFormat::List { .. } => return None,
                SignatureFormat::Pairs { key, .. } => {
                    let item = item.trim_ascii();
                    match split_once(item, '=') {
                        Some((k, v)) if k == key => self.want_signatures.then_some(v),
                        _ => (!self.want_signatures).then_some(item),
                    }
                }
            };
            if let Some(found) = found.filter(|f| !f.is_empty()) {
                return Some(found);
            }
        }
    }
}

/// `str::split_once` for a one-byte separator, without the general char searcher: these
/// values are short, and this runs on every verification.
fn split_once(s: &str, sep: char) -> Option<(&str, &str)> {
    if !sep.is_ascii() {
        return s.split_once(sep);
    }
    // An ASCII byte is always a char boundary, so both slices are valid.
    let i = s.bytes().position(|b| b == sep as u8)?;
    Some((&s[..i], &s[i + 1..]))
}

/// Writes a value carrying `signatures` (already encoded) and `params` (written first).
/// `Single` carries one signature: callers pass exactly one.
pub(crate) fn write(
    format: &SignatureFormat,
    signatures: &[String],
    params: &[(&str, &str)],
) -> String {
    match format {
        SignatureFormat::Single { prefix } => {
            format!("{prefix}{}", signatures.first().map_or("", String::as_str))
        }
        SignatureFormat::List { version } => signatures
            .iter()
            .map(|s| format!("{version},{s}"))
            .collect::<Vec<_>>()
            .join(" "),
        SignatureFormat::Pairs { separator, key } => params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(signatures.iter().map(|s| format!("{key}={s}")))
            .collect::<Vec<_>>()
            .join(&separator.to_string()),
    }
}

/// How many signatures a value in this layout can carry.
pub(crate) fn carries_several(format: &SignatureFormat) -> bool {
    !matches!(format, SignatureFormat::Single { .. })
}

/// A human name for what the layout expects, used in errors.
pub(crate) fn expectation(format: &SignatureFormat) -> String {
    match format {
        SignatureFormat::Single { prefix } if prefix.is_empty() => "a signature".into(),
        SignatureFormat::Single { prefix } => format!("a signature after `{prefix}`"),
        SignatureFormat::List { version } => {
            format!("space-separated `{version},<signature>` entries")
        }
        SignatureFormat::Pairs { separator, key } => {
            format!("`{key}=<signature>` items separated by `{separator}`")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs() -> SignatureFormat {
        SignatureFormat::Pairs {
            separator: ',',
            key: "v1".into(),
        }
    }

    #[test]
    fn pairs_collect_every_signature_and_keep_params() {
        let f = pairs();
        let p = parse(&f, "t=12,v1=aa,v0=zz, v1=bb,junk");
        assert_eq!(p.signatures().collect::<Vec<_>>(), ["aa", "bb"]);
        assert_eq!(p.param("t"), Some("12"));
        assert_eq!(p.param("v0"), Some("zz"));
        assert_eq!(
            write(&pairs(), &["aa".into(), "bb".into()], &[("t", "12")]),
            "t=12,v1=aa,v1=bb"
        );
    }

    #[test]
    fn list_ignores_other_versions() {
        let f = SignatureFormat::List {
            version: "v1".into(),
        };
        let p = parse(&f, "v1a,xx  v1,aa v2,cc v1,bb broken");
        assert_eq!(p.signatures().collect::<Vec<_>>(), ["aa", "bb"]);
        assert_eq!(write(&f, &["aa".into(), "bb".into()], &[]), "v1,aa v1,bb");
    }

    #[test]
    fn single_needs_its_prefix() {
        let f = SignatureFormat::Single {
            prefix: "sha256=".into(),
        };
        assert_eq!(
            parse(&f, "sha256=ab").signatures().collect::<Vec<_>>(),
            ["ab"]
        );
        assert!(parse(&f, "ab").signatures().next().is_none());
        assert!(parse(&f, "sha256=").signatures().next().is_none());
    }
}
