//! Tests of the layering and of the messages bad values give.

use super::*;

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn layers_apply_in_order() {
    let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("h.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 4096\nlog_format = \"json\"\n",
    )
    .expect("write");
    let flags = Overrides {
        config_file: Some(file),
        ..Default::default()
    };
    let c = Config::load(
        &flags,
        env(&[
            ("HOOKLINE_SSRF_ALLOW", "127.0.0.0/8, ::1"),
            ("HOOKLINE_RETRY_SCHEDULE", "0.5,2"),
        ]),
    )
    .expect("loads");
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.ssrf_allow.len(), 2);
    assert_eq!(
        c.retry_schedule,
        [Duration::from_millis(500), Duration::from_secs(2)]
    );
    assert_eq!(c.max_body_bytes, 4096);
    let c = Config::load(&flags, env(&[("HOOKLINE_LISTEN", "127.0.0.1:9001")])).expect("loads");
    assert_eq!(c.listen.port(), 9001);
    let flags = Overrides {
        listen: Some("127.0.0.1:9002".into()),
        ..flags
    };
    let c = Config::load(
        &flags,
        env(&[
            ("HOOKLINE_LISTEN", "127.0.0.1:9001"),
            ("HOOKLINE_ADMIN_TOKEN", "a-token-that-is-long-enough"),
        ]),
    )
    .expect("loads");
    assert_eq!(c.listen.port(), 9002);
    assert_eq!(format!("{:?}", c.admin_token), "[redacted]");
}

#[test]
fn connection_limits_have_defaults_and_come_from_file_and_env() {
    let c = Config::load(&Overrides::default(), env(&[])).expect("loads");
    assert_eq!(c.header_timeout, Duration::from_secs(10));
    assert_eq!(c.max_connections, 4096);
    let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("h.toml");
    std::fs::write(
        &file,
        "header_timeout_secs = 2.5\nbody_timeout_secs = 4\nkeep_alive_timeout_secs = 90\nmax_connections = 100\nshutdown_grace_secs = 3\n",
    )
    .expect("write");
    let flags = Overrides {
        config_file: Some(file),
        ..Default::default()
    };
    let c = Config::load(&flags, env(&[("HOOKLINE_MAX_CONNECTIONS", "200")])).expect("loads");
    assert_eq!(c.header_timeout, Duration::from_millis(2500));
    assert_eq!(c.body_timeout, Duration::from_secs(4));
    assert_eq!(c.keep_alive_timeout, Duration::from_secs(90));
    assert_eq!(c.shutdown_grace, Duration::from_secs(3));
    assert_eq!(c.max_connections, 200);
    let err = |e: &[(&str, &str)]| {
        Config::load(&Overrides::default(), env(e))
            .expect_err("fails")
            .to_string()
    };
    assert!(err(&[("HOOKLINE_HEADER_TIMEOUT_SECS", "0")]).contains("header_timeout_secs"));
    assert!(err(&[("HOOKLINE_BODY_TIMEOUT_SECS", "soon")]).contains("HOOKLINE_BODY_TIMEOUT_SECS"));
    assert!(err(&[("HOOKLINE_SHUTDOWN_GRACE_SECS", "1e12")]).contains("shutdown_grace_secs"));
    assert!(err(&[("HOOKLINE_MAX_CONNECTIONS", "0")]).contains("max_connections"));
}

#[test]
fn bad_values_name_their_key() {
    let err = |flags: Overrides, e: &[(&str, &str)]| {
        Config::load(&flags, env(e)).expect_err("fails").to_string()
    };
    assert!(err(Overrides::default(), &[("HOOKLINE_LISTEN", "nope")]).contains("HOOKLINE_LISTEN"));
    assert!(
        err(Overrides::default(), &[("HOOKLINE_MAX_BODY_BYTES", "x")])
            .contains("HOOKLINE_MAX_BODY_BYTES")
    );
    assert!(
        err(
            Overrides {
                log_format: Some("xml".into()),
                ..Default::default()
            },
            &[]
        )
        .contains("--log-format")
    );
    assert!(
        err(Overrides::default(), &[("HOOKLINE_ADMIN_TOKEN", "short")])
            .contains("HOOKLINE_ADMIN_TOKEN")
    );
    let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("h.toml");
    std::fs::write(&file, "lisen = \"x\"\n").expect("write");
    assert!(
        err(
            Overrides {
                config_file: Some(file.clone()),
                ..Default::default()
            },
            &[]
        )
        .contains("lisen")
    );
    std::fs::write(&file, "listen = \"x\"\n").expect("write");
    assert!(
        err(
            Overrides {
                config_file: Some(file),
                ..Default::default()
            },
            &[]
        )
        .contains("listen")
    );
    assert!(
        err(
            Overrides {
                config_file: Some("/nonexistent/h.toml".into()),
                ..Default::default()
            },
            &[]
        )
        .contains("/nonexistent/h.toml")
    );
}
