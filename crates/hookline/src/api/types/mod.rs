//! Wire types, named as in Svix's API (`ApplicationIn`, `EndpointOut`, ...), and the checks
//! that turn input into valid model values. Field names are camelCase on the wire.
//!
//! One file per resource (`app`, `event_type`, `endpoint`, `message`), the shapes they
//! share in `wire` and the shared checks in `checks`; everything is re-exported here, so
//! every type is named `crate::api::types::X`.

mod app;
mod checks;
mod endpoint;
mod event_type;
mod message;
mod wire;

pub use app::*;
pub use checks::*;
pub use endpoint::*;
pub use event_type::*;
pub use message::*;
pub use wire::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn dates_round_trip_with_millis() {
        assert_eq!(format_date(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(
            parse_date("q", "2023-11-14T22:13:20.123Z").expect("parses"),
            1_700_000_000_123
        );
        assert!(parse_date("q", "yesterday").is_err());
    }

    #[test]
    fn patch_tells_missing_from_null() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            a: Patch<u16>,
        }
        let p: P = serde_json::from_str("{}").expect("json");
        assert_eq!(p.a, Patch::Missing);
        let p: P = serde_json::from_str(r#"{"a":null}"#).expect("json");
        assert_eq!(p.a, Patch::Null);
        let p: P = serde_json::from_str(r#"{"a":3}"#).expect("json");
        assert_eq!(p.a, Patch::Value(3));
    }

    #[test]
    fn update_refuses_null() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            a: Update<u16>,
        }
        let p: P = serde_json::from_str("{}").expect("json");
        assert_eq!(p.a, Update::Missing);
        let p: P = serde_json::from_str(r#"{"a":3}"#).expect("json");
        assert_eq!(p.a, Update::Value(3));
        let e = serde_json::from_str::<P>(r#"{"a":null}"#)
            .err()
            .expect("null");
        assert!(e.to_string().contains("must not be null"), "{e}");
    }

    #[test]
    fn url_and_uid_checks() {
        assert!(check_url("u", "https://example.com/x").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "example.com",
            "https://a b",
            "http:///x",
            "http://ⅻ27.0.0.1",
        ] {
            assert!(check_url("u", bad).is_err(), "{bad}");
        }
        assert!(check_uid("u", "a-b_c.d").is_ok());
        assert!(check_uid("u", "").is_err());
        assert!(check_uid("u", "a b").is_err());
    }
}
