//! Reading and writing signature header values in each layout.

use crate::scheme::SignatureFormat;

/// A signature value taken apart: the encoded signatures it carries and, for `pairs`, the
/// other items (such as Stripe's `t=`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed<'a> {
    pub(crate) signatures: Vec<&'a str>,
    pub(crate) params: Vec<(&'a str, &'a str)>,
}

impl<'a> Parsed<'a> {
    pub(crate) fn param(&self, key: &str) -> Option<&'a str> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// Takes a value apart. Nothing here can fail: a value with no usable signature yields an
/// empty list, and the caller says what was expected.
pub(crate) fn parse<'a>(format: &SignatureFormat, value: &'a str) -> Parsed<'a> {
    let mut out = Parsed::default();
    match format {
        SignatureFormat::Single { prefix } => {
            if let Some(sig) = value.strip_prefix(prefix.as_str())
                && !sig.is_empty()
            {
                out.signatures.push(sig);
            }
        }
        SignatureFormat::List { version } => {
            for entry in value.split(' ').filter(|e| !e.is_empty()) {
                if let Some((v, sig)) = entry.split_once(',')
                    && v == version
                    && !sig.is_empty()
                {
                    out.signatures.push(sig);
                }
            }
        }
        SignatureFormat::Pairs { separator, key } => {
            for item in value.split(*separator).map(str::trim) {
                if let Some((k, v)) = item.split_once('=') {
                    if k == key {
                        if !v.is_empty() {
                            out.signatures.push(v);
                        }
                    } else {
                        out.params.push((k, v));
                    }
                }
            }
        }
    }
    out
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
        let p = parse(&pairs(), "t=12,v1=aa,v0=zz, v1=bb,junk");
        assert_eq!(p.signatures, ["aa", "bb"]);
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
        assert_eq!(p.signatures, ["aa", "bb"]);
        assert_eq!(write(&f, &["aa".into(), "bb".into()], &[]), "v1,aa v1,bb");
    }

    #[test]
    fn single_needs_its_prefix() {
        let f = SignatureFormat::Single {
            prefix: "sha256=".into(),
        };
        assert_eq!(parse(&f, "sha256=ab").signatures, ["ab"]);
        assert!(parse(&f, "ab").signatures.is_empty());
        assert!(parse(&f, "sha256=").signatures.is_empty());
    }
}
