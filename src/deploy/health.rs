//! Health checks: a small HTTP/1.1 client over `std::net::TcpStream` with connect, read and
//! write timeouts, and the polling loop around it.
//!
//! A probe is `GET <path>` with `Connection: close`; a 2xx status is healthy, anything else
//! (another status, a refused connection, a timeout, a malformed response) is not, with the
//! reason kept for the log. Responses are read up to [`MAX_RESPONSE`] bytes, enough for a
//! status line, headers and a short body. See RFC 9112 for the message syntax.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The most bytes of a response that are read.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// A response: the status and the body (as far as it was read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The body, decoded lossily; chunked bodies are returned as sent.
    pub body: String,
}

impl Response {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// `GET http://<address><path>`, e.g. `get("127.0.0.1:8001", "/up", 5s)`. The whole exchange
/// (connect, send, read) takes at most about `timeout`.
pub fn get(address: &str, path: &str, timeout: Duration) -> Result<Response, String> {
    let started = Instant::now();
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{address}`: {e}"))?
        .collect();
    let addr = addrs
        .first()
        .ok_or_else(|| format!("`{address}` resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(addr, timeout)
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    let left = |started: Instant| {
        timeout
            .checked_sub(started.elapsed())
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_millis(1))
    };
    stream
        .set_write_timeout(Some(left(started)))
        .map_err(|e| e.to_string())?;
    let host = address;
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slipway-health\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending to {address}: {e}"))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        stream
            .set_read_timeout(Some(left(started)))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() >= MAX_RESPONSE || complete(&buf) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if buf.is_empty() || !complete(&buf) {
                    return Err(format!(
                        "no complete answer from {address} within {}ms",
                        timeout.as_millis()
                    ));
                }
                break;
            }
            Err(e) if !buf.is_empty() && complete(&buf) => {
                let _ = e;
                break;
            }
            Err(e) => return Err(format!("reading from {address}: {e}")),
        }
        if started.elapsed() >= timeout && !complete(&buf) {
            return Err(format!(
                "no complete answer from {address} within {}ms",
                timeout.as_millis()
            ));
        }
    }
    parse_response(&buf).map_err(|e| format!("{address}: {e}"))
}

/// Whether `buf` holds the head and, when it declares one, the whole `Content-Length` body.
fn complete(buf: &[u8]) -> bool {
    let Some(end) = find_head_end(buf) else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    match content_length(&head) {
        Some(n) => buf.len() >= end + 4 + n,
        None => false,
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().skip(1).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            value.trim().parse().ok()
        } else {
            None
        }
    })
}

/// Parses a raw HTTP/1.x response. Never panics, whatever the bytes.
pub fn parse_response(buf: &[u8]) -> Result<Response, String> {
    let Some(end) = find_head_end(buf) else {
        return Err(if buf.is_empty() {
            "empty response (connection closed)".to_owned()
        } else {
            "response ended inside its headers".to_owned()
        });
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let status_line = head.lines().next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!(
            "not an HTTP/1.x response: `{}`",
            truncate(status_line)
        ));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| format!("bad status line `{}`", truncate(status_line)))?;
    let mut body = &buf[end + 4..];
    if let Some(n) = content_length(&head) {
        body = &body[..n.min(body.len())];
    }
    Ok(Response {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// One probe: `Ok` on 2xx, else why not.
pub fn probe(address: &str, path: &str, timeout: Duration) -> Result<(), String> {
    let r = get(address, path, timeout)?;
    if r.is_success() {
        Ok(())
    } else {
        Err(format!("{address}{path} answered {}", r.status))
    }
}

/// Probes `address` every `interval` until it answers 2xx or `deadline` passes; the error is
/// the last probe's. The first probe goes out at once; while connections are refused (the
/// process is still starting) probes repeat faster, at most every 50 ms, so a quick app is not
/// kept waiting a whole interval.
pub fn wait_healthy(
    address: &str,
    path: &str,
    interval: Duration,
    timeout: Duration,
    deadline: Duration,
) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        let result = probe(address, path, timeout);
        match result {
            Ok(()) => return Ok(started.elapsed()),
            Err(e) => {
                if started.elapsed() >= deadline {
                    return Err(format!(
                        "not healthy after {}s: {e}",
                        deadline.as_secs_f32()
                    ));
                }
                let refused = e.contains("refused");
                let pause = if refused {
                    interval.min(Duration::from_millis(50))
                } else {
                    interval
                };
                let remaining = deadline.saturating_sub(started.elapsed());
                std::thread::sleep(pause.min(remaining).max(Duration::from_millis(1)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(response: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(response);
            }
        });
        addr
    }

    #[test]
    fn a_2xx_answer_is_healthy_and_the_body_is_read() {
        let addr = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n1.4.2");
        let r = get(&addr, "/version", Duration::from_secs(2)).expect("get");
        assert_eq!(
            r,
            Response {
                status: 200,
                body: "1.4.2".to_owned()
            }
        );
    }

    #[test]
    fn a_5xx_answer_is_unhealthy_with_its_status() {
        let addr = serve_once(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        let e = probe(&addr, "/up", Duration::from_secs(2)).expect_err("503");
        assert!(e.ends_with("/up answered 503"), "{e}");
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let keep = std::thread::spawn(move || {
            let conn = listener.accept();
            std::thread::sleep(Duration::from_millis(800));
            drop(conn);
        });
        let e = probe(&addr, "/up", Duration::from_millis(200)).expect_err("timeout");
        assert!(e.contains("within 200ms"), "{e}");
        keep.join().expect("join");
    }

    #[test]
    fn a_refused_connection_is_unhealthy() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        drop(listener);
        let e = wait_healthy(
            &addr,
            "/up",
            Duration::from_millis(10),
            Duration::from_millis(100),
            Duration::from_millis(100),
        )
        .expect_err("refused");
        assert!(e.starts_with("not healthy after"), "{e}");
    }

    #[test]
    fn malformed_responses_are_errors() {
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nab").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn parsing_random_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_response(&bytes);
            let _ = complete(&bytes);
        }
    }
}
