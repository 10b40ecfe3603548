//! Everything GitHub-specific: the Actions runtime (outputs, env, step summary, annotations,
//! masking, groups) and the REST API client.

pub mod annotations;

/// True when running inside GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn in_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}
