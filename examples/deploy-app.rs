//! A small HTTP/1.1 app server for the deploy tests and benchmark: `/up` (health), `/version`,
//! `/smoke` and `/` (anything else), with behaviour read from a `mode` file in the working
//! directory so each retained version can behave differently:
//!
//! - `healthy` (or no file): every path answers 200;
//! - `unhealthy`: `/up` answers 503;
//! - `fail-smoke`: `/smoke` answers 500;
//! - `crash-after=N`: the process exits after N requests that are not `/up`;
//! - `start-delay=MS`: waits before listening;
//! - `slow=MS`: every answer waits MS.
//!
//! Several words may be combined on separate lines. Usage:
//! `deploy-app --port 8001 --version 1.4.2` (or `SLIPWAY_PORT` / `SLIPWAY_VERSION`).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
struct Mode {
    unhealthy: bool,
    fail_smoke: bool,
    crash_after: Option<u64>,
    start_delay: u64,
    slow: u64,
}

fn mode() -> Mode {
    let mut m = Mode::default();
    let text = std::fs::read_to_string("mode").unwrap_or_default();
    for word in text.split_whitespace() {
        let (k, v) = word.split_once('=').unwrap_or((word, ""));
        match k {
            "unhealthy" => m.unhealthy = true,
            "fail-smoke" => m.fail_smoke = true,
            "crash-after" => m.crash_after = v.parse().ok(),
            "start-delay" => m.start_delay = v.parse().unwrap_or(0),
            "slow" => m.slow = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    m
}

fn arg(name: &str, env: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(env).ok())
}

fn main() {
    let port: u16 = arg("--port", "SLIPWAY_PORT")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("deploy-app: --port is required");
            std::process::exit(2)
        });
    let version = arg("--version", "SLIPWAY_VERSION").unwrap_or_else(|| "unknown".to_owned());
    let mode = Arc::new(mode());
    if mode.start_delay > 0 {
        std::thread::sleep(Duration::from_millis(mode.start_delay));
    }
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("deploy-app: cannot listen on {port}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("deploy-app {version} listening on 127.0.0.1:{port}");
    let served = Arc::new(AtomicU64::new(0));
    let version = Arc::new(version);
    for stream in listener.incoming().flatten() {
        let (mode, served, version) =
            (Arc::clone(&mode), Arc::clone(&served), Arc::clone(&version));
        std::thread::spawn(move || serve(stream, &mode, &served, &version));
    }
}

fn serve(stream: TcpStream, mode: &Mode, served: &AtomicU64, version: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let _method = parts.next().unwrap_or("");
        let path = parts.next().unwrap_or("/").to_owned();
        let http10 = parts.next().unwrap_or("") == "HTTP/1.0";
        let mut close = http10;
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            match reader.read_line(&mut h) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
                if k == "connection" && v == "close" {
                    close = true;
                }
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                }
            }
        }
        if length > 0 {
            let mut body = vec![0u8; length.min(1 << 20)];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        if mode.slow > 0 {
            std::thread::sleep(Duration::from_millis(mode.slow));
        }
        let path = path.split('?').next().unwrap_or("/").to_owned();
        let (status, body) = match path.as_str() {
            "/up" if mode.unhealthy => ("503 Service Unavailable", "unhealthy".to_owned()),
            "/up" => ("200 OK", "ok".to_owned()),
            "/smoke" if mode.fail_smoke => ("500 Internal Server Error", "smoke failed".to_owned()),
            "/version" => ("200 OK", version.to_owned()),
            _ => ("200 OK", format!("hello from {version}")),
        };
        if path != "/up" {
            let n = served.fetch_add(1, Ordering::SeqCst) + 1;
            if mode.crash_after.is_some_and(|limit| n > limit) {
                eprintln!("deploy-app {version}: crashing after {} requests", n - 1);
                std::process::exit(3);
            }
        }
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nX-Version: {version}\r\nContent-Length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}
