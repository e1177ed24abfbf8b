//! `hookline login`: the token is checked, stored 0600 in a 0700 directory, and used by the
//! other commands; flags and environment variables take precedence.

use std::os::unix::fs::PermissionsExt as _;

use crate::common::{ADMIN_TOKEN, spawn_app};
use crate::run::Shell;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn login_stores_the_token_privately_and_commands_use_it() {
    let app = spawn_app().await;
    let sh = Shell::new();
    // Without a login, a client command says what is missing.
    let o = sh.run(&["app", "list"], b"").await;
    assert_eq!(o.code(), 2, "{o}");
    assert!(o.stderr().contains("hookline login"), "{o}");

    // A wrong token is refused by the server, and nothing is stored.
    let o = sh
        .run(&["login", "--server", &app.base], b"hk_not-a-token\n")
        .await;
    assert_eq!(o.code(), 3, "{o}");
    assert!(o.stderr().contains("401"), "{o}");
    let file = sh.config_home.join("hookline/config.toml");
    assert!(!file.exists());

    // The token from standard input.
    let o = sh
        .run(
            &["login", "--server", &app.base],
            format!("{ADMIN_TOKEN}\n").as_bytes(),
        )
        .await;
    assert_eq!(o.code(), 0, "{o}");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().expect("dir")), 0o700);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.contains(ADMIN_TOKEN) && text.contains(&app.base),
        "{text}"
    );

    sh.ok(&["app", "create", "--name", "Stored login"]).await;
    let out = sh.ok(&["app", "list"]).await;
    assert!(out.contains("Stored login"), "{out}");

    // A flag wins over the file: a bad token given on the command line is used, and refused.
    let o = sh.run(&["app", "list", "--token", "hk_wrong"], b"").await;
    assert_eq!(o.code(), 3, "{o}");
    // A server that is not there: exit 4.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let o = sh.run(&["app", "list", "--server", &url], b"").await;
    assert_eq!(o.code(), 4, "{o}");
    app.stop().await;
}
