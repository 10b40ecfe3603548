//! The OSV API (<https://google.github.io/osv.dev/api/>): `POST /v1/querybatch` says which
//! advisories affect each package version (ids only), then `GET /v1/vulns/{id}` fetches each
//! advisory once for its aliases, severity and fixed versions.

use std::collections::{HashMap, HashSet};

use octocrab::Octocrab;
use serde::{Deserialize, Serialize};

use super::osv::Vuln;
use super::{Ecosystem, Error};

/// OSV accepts at most 1000 queries per batch.
const BATCH: usize = 1000;
/// Pages of one query's results followed at most (each page holds up to 1000 ids).
const MAX_PAGES: usize = 10;
/// Advisories fetched at once.
const CONCURRENCY: usize = 16;

#[derive(Serialize)]
struct Query<'a> {
    package: QueryPackage<'a>,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<String>,
}

#[derive(Serialize)]
struct QueryPackage<'a> {
    name: &'a str,
    ecosystem: &'static str,
}

#[derive(Serialize)]
struct Batch<'a> {
    queries: Vec<Query<'a>>,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize, Default)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<IdOnly>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

fn api_error(url: &str, what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Api {
        url: url.to_owned(),
        what: what.to_owned(),
        source: Box::new(e),
    }
}

/// For each `(ecosystem, name, version)`, the advisories the API says affect it.
pub fn query(url: &str, packages: &[(Ecosystem, String, String)]) -> Result<Vec<Vec<Vuln>>, Error> {
    let base: http::Uri = url
        .trim_end_matches('/')
        .parse()
        .map_err(|_| Error::ApiUrl(url.to_owned()))?;
    if !matches!(base.scheme_str(), Some("http" | "https")) || base.host().is_none() {
        return Err(Error::ApiUrl(url.to_owned()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(run(url, base, packages))
}

async fn run(
    url: &str,
    base: http::Uri,
    packages: &[(Ecosystem, String, String)],
) -> Result<Vec<Vec<Vuln>>, Error> {
    let octo = Octocrab::builder()
        .base_uri(base)
        .map_err(|e| api_error(url, "client", e))?
        .build()
        .map_err(|e| api_error(url, "client", e))?;
    let mut ids: Vec<Vec<String>> = vec![Vec::new(); packages.len()];
    let mut pending: Vec<(usize, Option<String>)> =
        (0..packages.len()).map(|i| (i, None)).collect();
    let mut pages = 0;
    while !pending.is_empty() && pages <= MAX_PAGES {
        let mut next = Vec::new();
        for chunk in pending.chunks(BATCH) {
            let batch = Batch {
                queries: chunk
                    .iter()
                    .map(|(i, token)| {
                        let (eco, name, version) = &packages[*i];
                        // Go versions go without their `v`, as the Go advisories write them
                        // (and as osv-scanner queries).
                        let version = match eco {
                            Ecosystem::Go => version.strip_prefix('v').unwrap_or(version),
                            _ => version.as_str(),
                        };
                        Query {
                            package: QueryPackage {
                                name,
                                ecosystem: eco.osv_name(),
                            },
                            version,
                            page_token: token.clone(),
                        }
                    })
                    .collect(),
            };
            let resp: BatchResponse = octo
                .post("/v1/querybatch", Some(&batch))
                .await
                .map_err(|e| api_error(url, "POST /v1/querybatch", e))?;
            if resp.results.len() != chunk.len() {
                return Err(api_error(
                    url,
                    "POST /v1/querybatch",
                    std::io::Error::other(format!(
                        "{} results for {} queries",
                        resp.results.len(),
                        chunk.len()
                    )),
                ));
            }
            for ((i, _), result) in chunk.iter().zip(resp.results) {
                ids[*i].extend(result.vulns.into_iter().map(|v| v.id));
                if let Some(t) = result.next_page_token.filter(|t| !t.is_empty()) {
                    next.push((*i, Some(t)));
                }
            }
        }
        pending = next;
        pages += 1;
    }
    let unique: Vec<String> = {
        let mut seen = HashSet::new();
        ids.iter()
            .flatten()
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect()
    };
    let mut vulns: HashMap<String, Vuln> = HashMap::new();
    for chunk in unique.chunks(CONCURRENCY) {
        let mut set = tokio::task::JoinSet::new();
        for id in chunk {
            let octo = octo.clone();
            let id = id.clone();
            set.spawn(async move {
                let route = format!("/v1/vulns/{}", encode(&id));
                let r: Result<Vuln, _> = octo.get(route, None::<&()>).await;
                (id, r)
            });
        }
        while let Some(done) = set.join_next().await {
            let (id, r) = done.map_err(|e| api_error(url, "GET /v1/vulns", e))?;
            let v = r.map_err(|e| api_error(url, &format!("GET /v1/vulns/{id}"), e))?;
            vulns.insert(id, v);
        }
    }
    Ok(ids
        .into_iter()
        .map(|list| {
            list.iter()
                .filter_map(|id| vulns.get(id).cloned())
                .collect()
        })
        .collect())
}

/// Advisory ids are `[A-Za-z0-9-]` in practice; anything else is percent-encoded.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
