//! A scriptable local GitHub API for tests: HTTP/1.1 on `127.0.0.1:0`, std only.
//!
//! ```ignore
//! let mock = MockGitHub::start();
//! mock.on("GET", "/repos/o/r/releases/latest")
//!     .then(Reply::status(502))
//!     .then(Reply::json(200, fixture("release-latest.json")));
//! // point the client at mock.url(), run it, then:
//! assert_eq!(mock.requests()[0].header("x-github-api-version"), Some("2022-11-28"));
//! ```
//!
//! - A route is a method and a path. A path with `?` matches path and query exactly; without,
//!   it matches the path whatever the query.
//! - Each route answers its replies in order; the last one repeats.
//! - Unscripted requests get GitHub's 404 body (`basic-error`).
//! - Every request is logged: method, path, query, headers (names lower-cased), body.
//! - `{base}` in a reply's headers or body is replaced by the server's URL, for `Link`.
//! - Bodies come from `tests/fixtures/github/*.json`, cut from the OpenAPI examples of GitHub's
//!   REST description (`../shared/data/github-rest-subset.json`).
//!
//! Each connection serves one request and closes (`connection: close`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One logged request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query without `?` (empty when none).
    pub query: String,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// A binary body sent as is instead of `body` (no `{base}` substitution).
    raw: Option<Vec<u8>>,
}

impl Reply {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            raw: None,
        }
    }

    /// A binary answer, e.g. a zip archive.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        let mut reply = Self::status(status).header("content-type", content_type);
        reply.raw = Some(body);
        reply
    }

    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::status(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(body)
    }

    /// GitHub's error body (`basic-error`) with `message`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({
                "message": message,
                "documentation_url": "https://docs.github.com/rest",
                "status": status.to_string(),
            })
            .to_string(),
        )
    }

    /// A secondary rate limit: 403 with `retry-after`.
    pub fn secondary_limit(retry_after: u64) -> Self {
        Self::error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
            .header("retry-after", &retry_after.to_string())
    }

    /// An exhausted primary rate limit: 403 with `x-ratelimit-remaining: 0` and the reset.
    pub fn primary_limit(reset: u64) -> Self {
        Self::error(403, "API rate limit exceeded for installation ID 1.")
            .header("x-ratelimit-limit", "1000")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-used", "1000")
            .header("x-ratelimit-reset", &reset.to_string())
            .header("x-ratelimit-resource", "core")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds `Link: <{base}{next}>; rel="next"`.
    pub fn next_page(self, next: &str) -> Self {
        let value = format!("<{{base}}{next}>; rel=\"next\"");
        self.header("link", &value)
    }
}

/// A route that computes its reply from the request.
type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct Route {
    method: String,
    path: String,
    replies: Vec<Reply>,
    served: usize,
    handler: Option<Handler>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("replies", &self.replies)
            .field("served", &self.served)
            .field("handler", &self.handler.is_some())
            .finish()
    }
}

#[derive(Debug, Default)]
struct State {
    routes: Vec<Route>,
    log: Vec<Request>,
}

/// The query parameter `name` of a request, percent-decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match (pair, bytes[i]) {
            (Some(b), _) => {
                out.push(b as u8);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The running server; it stops with the test process.
#[derive(Debug, Clone)]
pub struct MockGitHub {
    url: String,
    state: Arc<Mutex<State>>,
}

/// Adds replies to one route.
pub struct RouteBuilder<'a> {
    mock: &'a MockGitHub,
    index: usize,
}

impl RouteBuilder<'_> {
    /// Appends a reply to the route's sequence.
    pub fn then(self, reply: Reply) -> Self {
        self.mock.state.lock().unwrap().routes[self.index]
            .replies
            .push(reply);
        self
    }
}

impl MockGitHub {
    /// Starts a server on a free local port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the mock server");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let mock = Self { url, state };
        let served = mock.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mock = served.clone();
                std::thread::spawn(move || mock.serve(stream));
            }
        });
        mock
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Scripts `method path`; add replies with [`RouteBuilder::then`].
    pub fn on(&self, method: &str, path: &str) -> RouteBuilder<'_> {
        let mut state = self.state.lock().unwrap();
        state.routes.push(Route {
            method: method.to_owned(),
            path: path.to_owned(),
            replies: Vec::new(),
            served: 0,
            handler: None,
        });
        let index = state.routes.len() - 1;
        RouteBuilder { mock: self, index }
    }

    /// Answers `method path` with whatever `handler` makes of each request (e.g. a GraphQL
    /// query read from the body, or a list filtered by the query). Matching is as for
    /// [`MockGitHub::on`]; the handler runs with the server's state locked, so it must not
    /// call back into the mock.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) {
        self.state.lock().unwrap().routes.push(Route {
            method: method.to_owned(),
            path: path.to_owned(),
            replies: Vec::new(),
            served: 0,
            handler: Some(Arc::new(handler)),
        });
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().log.clone()
    }

    fn reply_for(&self, req: &Request) -> Reply {
        let mut state = self.state.lock().unwrap();
        state.log.push(req.clone());
        let full = if req.query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.query)
        };
        // Exact (path + query) routes win over path-only ones.
        let pick = state
            .routes
            .iter()
            .position(|r| r.method == req.method && r.path.contains('?') && r.path == full)
            .or_else(|| {
                state.routes.iter().position(|r| {
                    r.method == req.method && !r.path.contains('?') && r.path == req.path
                })
            });
        match pick {
            Some(i) if state.routes[i].handler.is_some() => {
                let route = &mut state.routes[i];
                route.served += 1;
                route
                    .handler
                    .as_ref()
                    .map_or_else(|| Reply::error(404, "Not Found"), |handler| handler(req))
            }
            Some(i) if !state.routes[i].replies.is_empty() => {
                let route = &mut state.routes[i];
                let n = route.served.min(route.replies.len() - 1);
                route.served += 1;
                route.replies[n].clone()
            }
            _ => Reply::error(404, "Not Found"),
        }
    }

    fn serve(&self, stream: TcpStream) {
        let Ok(read_half) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(read_half);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                break;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (target.clone(), String::new()),
        };
        let req = Request {
            method,
            path,
            query,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let reply = self.reply_for(&req);
        let body = match &reply.raw {
            Some(raw) => raw.clone(),
            None => reply.body.replace("{base}", &self.url).into_bytes(),
        };
        let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {}\r\n", v.replace("{base}", &self.url)));
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\nx-github-api-version-selected: 2022-11-28\r\n\r\n",
            body.len()
        ));
        let mut out = out.into_bytes();
        out.extend_from_slice(&body);
        let mut stream = stream;
        let _ = stream.write_all(&out);
        let _ = stream.flush();
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A fixture from `tests/fixtures/github/`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
