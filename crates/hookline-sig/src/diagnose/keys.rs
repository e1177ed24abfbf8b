//! Is the secret right but used the wrong way?

use super::{Cx, Finding, FindingKind};
use crate::key::{KeyEncoding, KeyFormat};
use crate::scheme::Scheme;

pub(super) fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let s = cx.scheme;
    for (i, key) in cx.keys.iter().enumerate() {
        let which = if cx.keys.len() > 1 {
            format!("Secret #{} ", i + 1)
        } else {
            "The secret ".into()
        };
        let trimmed = key.trim();
        if trimmed != key && cx.verifies(s, &[trimmed.to_owned()], &cx.req) {
            out.push(Finding {
                kind: FindingKind::SecretWhitespace,
                message: format!("{which}has whitespace or a newline around it; without it, the signature matches."),
                fix: "Remove the surrounding whitespace where the secret is stored (a newline at the end of a file or environment variable is the usual culprit).".into(),
            });
            return;
        }
        if let Some((_, what)) = alternative_formats(s, trimmed).into_iter().find(|(f, _)| {
            let mut other = s.clone();
            other.key = f.clone();
            cx.verifies(&other, &[trimmed.to_owned()], &cx.req)
        }) {
            out.push(Finding {
                kind: FindingKind::SecretEncoding,
                message: format!("{which}matches when {what}: the sender and this check turn the secret into key bytes differently."),
                fix: format!("Scheme `{}` uses {}. {}", s.name, describe(&s.key), fix_for(s)),
            });
            return;
        }
        if !s.algorithm.is_symmetric() {
            continue;
        }
        if let Err(e) = s.key.decode(key) {
            out.push(Finding {
                kind: FindingKind::SecretEncoding,
                message: format!(
                    "{which}cannot be used with scheme `{}`: {e}. It expects {}.",
                    s.name,
                    describe(&s.key)
                ),
                fix: fix_for(s).into(),
            });
        }
    }
}

/// Ways of reading the secret that senders get mixed up, with a description of each.
fn alternative_formats(s: &Scheme, key: &str) -> Vec<(KeyFormat, String)> {
    let mut out = Vec::new();
    let utf8 = KeyFormat::utf8();
    match s.key.encoding {
        KeyEncoding::Base64 => {
            out.push((utf8, "its text is used as the key as it is, instead of base64-decoding the part after the prefix".into()));
            if let Some(p) = &s.key.prefix
                && key.starts_with(p.as_str())
            {
                out.push((
                    KeyFormat {
                        encoding: KeyEncoding::Utf8,
                        prefix: Some(p.clone()),
                    },
                    format!("the text after `{p}` is used as the key without base64-decoding it"),
                ));
            }
        }
        KeyEncoding::Utf8 => {
            if let Some(rest) = key.strip_prefix("whsec_") {
                out.push((
                    KeyFormat {
                        encoding: KeyEncoding::Base64,
                        prefix: Some("whsec_".into()),
                    },
                    "the part after `whsec_` is base64-decoded (Standard Webhooks' convention)"
                        .into(),
                ));
                if !rest.is_empty() {
                    out.push((
                        KeyFormat {
                            encoding: KeyEncoding::Utf8,
                            prefix: Some("whsec_".into()),
                        },
                        "the `whsec_` prefix is left out of the key".into(),
                    ));
                }
            } else {
                out.push((
                    KeyFormat {
                        encoding: KeyEncoding::Base64,
                        prefix: None,
                    },
                    "it is base64-decoded first".into(),
                ));
                out.push((
                    KeyFormat {
                        encoding: KeyEncoding::Hex,
                        prefix: None,
                    },
                    "it is hex-decoded first".into(),
                ));
            }
        }
        KeyEncoding::Hex => {
            out.push((
                utf8,
                "its text is used as the key as it is, instead of hex-decoding it".into(),
            ));
        }
    }
    out
}

fn describe(f: &KeyFormat) -> String {
    match (f.encoding, &f.prefix) {
        (KeyEncoding::Utf8, _) => "the secret's text, byte for byte, as the key".into(),
        (KeyEncoding::Base64, Some(p)) => format!("the base64-decoded part after `{p}` as the key"),
        (KeyEncoding::Base64, None) => "the base64-decoded secret as the key".into(),
        (KeyEncoding::Hex, Some(p)) => format!("the hex-decoded part after `{p}` as the key"),
        (KeyEncoding::Hex, None) => "the hex-decoded secret as the key".into(),
    }
}

fn fix_for(s: &Scheme) -> &'static str {
    match s.key.encoding {
        KeyEncoding::Base64 => {
            "If you control the sender, make it decode the secret the same way (the Standard Webhooks and Svix libraries do); if you don't, declare a custom scheme with key.encoding = \"utf8\"."
        }
        _ => {
            "If you control the sender, make it use the secret's text as the key; if you don't, declare a custom scheme with the key encoding it uses."
        }
    }
}

/// Secrets that look like API keys or tokens rather than webhook signing secrets.
pub(super) fn api_key_hint(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    const API_KEY_PREFIXES: &[(&str, &str)] = &[
        ("sk_live_", "a Stripe secret API key"),
        ("sk_test_", "a Stripe secret API key"),
        ("rk_live_", "a Stripe restricted API key"),
        ("rk_test_", "a Stripe restricted API key"),
        ("pk_live_", "a Stripe publishable key"),
        ("pk_test_", "a Stripe publishable key"),
        ("xoxb-", "a Slack bot token"),
        ("xoxp-", "a Slack user token"),
        ("ghp_", "a GitHub personal access token"),
        ("github_pat_", "a GitHub personal access token"),
        ("shpat_", "a Shopify Admin API access token"),
        ("SG.", "a SendGrid API key"),
        ("sk-", "an API key"),
    ];
    for key in cx.keys {
        if let Some((_, what)) = API_KEY_PREFIXES
            .iter()
            .find(|(p, _)| key.trim().starts_with(p))
        {
            out.push(Finding {
                kind: FindingKind::SecretLooksLikeApiKey,
                message: format!("A key given looks like {what}, not a webhook signing secret."),
                fix: "Use the endpoint's webhook signing secret, shown where the webhook endpoint is configured (for Stripe it starts with `whsec_`).".into(),
            });
            return;
        }
    }
}
