//! `hookline serve`: the admin token printed once, answering, and stopping on SIGTERM.

use super::*;

#[test]
fn serve_prints_a_token_once_answers_and_stops_on_sigterm() {
    use std::io::{BufRead as _, BufReader};
    let dir = temp_dir("serve");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_hookline"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                dir.to_str().expect("utf8"),
            ])
            .env_remove("HOOKLINE_ADMIN_TOKEN")
            .env("HOOKLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve")
    };
    let read_until_listening = |child: &mut std::process::Child| {
        let mut lines = Vec::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).expect("read") > 0,
                "serve exited early: {lines:?}"
            );
            lines.push(line.trim().to_owned());
            if line.contains("listening on") {
                return lines;
            }
        }
    };
    let mut child = start();
    let lines = read_until_listening(&mut child);
    let token = lines
        .iter()
        .find(|l| l.starts_with("hk_"))
        .expect("a token on first start")
        .clone();
    let addr = lines
        .last()
        .expect("line")
        .rsplit("http://")
        .next()
        .expect("addr")
        .to_owned();
    // A raw HTTP/1.1 request on loopback: the health check and an authenticated list.
    let get = |path: &str, auth: Option<&str>| {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        let auth = auth
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nhost: x\r\n{auth}connection: close\r\n\r\n"
        )
        .expect("write");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read");
        resp
    };
    assert!(get("/api/v1/health", None).starts_with("HTTP/1.1 204"));
    assert!(get("/api/v1/app", Some(&token)).starts_with("HTTP/1.1 200"));
    assert!(get("/api/v1/app", Some("hk_wrong")).starts_with("HTTP/1.1 401"));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
    // The second start shows no token.
    let mut child = start();
    let lines = read_until_listening(&mut child);
    assert!(!lines.iter().any(|l| l.starts_with("hk_")), "{lines:?}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
