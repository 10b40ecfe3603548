//! Sticky issue and pull-request comments: one comment per marker, updated in place on every
//! run instead of piling up.
//!
//! The comment carries a hidden HTML marker (`<!-- slipway-quality -->`); the comments of the
//! issue are listed (`GET /repos/{owner}/{repo}/issues/{n}/comments`), the one carrying the
//! marker is updated (`PATCH /repos/{owner}/{repo}/issues/comments/{id}`), else one is created
//! (`POST /repos/{owner}/{repo}/issues/{n}/comments`). Pull requests are issues to this API
//! (<https://docs.github.com/en/rest/issues/comments>).

use http::Method;
use serde::Deserialize;

use super::client::{Client, Error as ApiError};
use crate::error::Hint;

/// GitHub's limit on a comment body, in characters.
pub const MAX_BODY: usize = 65_536;

/// What posting a sticky comment can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The marker would not stay hidden or unique.
    #[error("`{0}` is not a marker: use letters, digits, `-`, `_` and `.`")]
    BadMarker(String),
    /// The API refused.
    #[error("could not post the comment on #{number}")]
    Api {
        /// The issue or pull request.
        number: u64,
        /// Why.
        #[source]
        source: Box<ApiError>,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::BadMarker(_) => Some("e.g. `--marker slipway-quality`".into()),
            Self::Api { source, .. } => match source.as_ref() {
                ApiError::Forbidden { .. } | ApiError::NotFound { .. } => Some(
                    "the job needs `pull-requests: write` (pull requests) or `issues: write` (issues) under `permissions:`; pull requests from forks get a read-only token"
                        .into(),
                ),
                other => other.hint(),
            },
        }
    }
}

/// Whether the comment was created or updated, and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// True when an existing comment was updated.
    pub updated: bool,
    /// The comment's web address.
    pub url: String,
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: String,
}

/// The hidden line that identifies the comment.
pub fn marker_line(marker: &str) -> Result<String, Error> {
    if marker.is_empty()
        || marker.len() > 100
        || !marker
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::BadMarker(marker.to_owned()));
    }
    Ok(format!("<!-- {marker} -->"))
}

/// The full body: the marker, then `text`, cut to GitHub's limit with a note.
pub fn body(marker_line: &str, text: &str) -> String {
    let mut out = format!("{marker_line}\n{text}");
    if out.chars().count() > MAX_BODY {
        let note = "\n\n… (shortened to fit GitHub's comment size limit)";
        let keep = MAX_BODY - note.chars().count();
        out = out.chars().take(keep).collect::<String>() + note;
    }
    out
}

/// Creates or updates the comment carrying `marker` on issue or pull request `number`.
pub async fn upsert(
    client: &Client,
    number: u64,
    marker: &str,
    text: &str,
) -> Result<Posted, Error> {
    let line = marker_line(marker)?;
    let api = |source| Error::Api {
        number,
        source: Box::new(source),
    };
    let repo = client.repo().map_err(api)?.clone();
    let comments: Vec<Comment> = client
        .paginate(
            &format!(
                "/repos/{}/{}/issues/{number}/comments?per_page=100",
                repo.owner, repo.name
            ),
            10_000,
            Some,
        )
        .await
        .map_err(api)?;
    let body = serde_json::json!({ "body": body(&line, text) });
    let existing = comments
        .iter()
        .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(&line)));
    let (method, path, updated) = match existing {
        Some(c) => (
            Method::PATCH,
            format!(
                "/repos/{}/{}/issues/comments/{}",
                repo.owner, repo.name, c.id
            ),
            true,
        ),
        None => (
            Method::POST,
            format!(
                "/repos/{}/{}/issues/{number}/comments",
                repo.owner, repo.name
            ),
            false,
        ),
    };
    let resp = client.send(method, &path, Some(&body)).await.map_err(api)?;
    let posted: Comment = resp.json(&path).map_err(api)?;
    let _ = posted.id;
    Ok(Posted {
        updated,
        url: posted.html_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_stay_inside_the_html_comment() {
        assert_eq!(
            marker_line("slipway-quality").unwrap(),
            "<!-- slipway-quality -->"
        );
        for bad in ["", "a -->b", "x y", "<!--"] {
            assert!(marker_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_bodies_are_cut_to_the_limit() {
        let b = body("<!-- m -->", &"x".repeat(70_000));
        assert_eq!(b.chars().count(), MAX_BODY);
        assert!(b.ends_with("comment size limit)"));
    }
}
