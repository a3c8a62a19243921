//! Who may call the server: API keys with a role each, and the secret the
//! processes of a cluster share for their internal routes.
//!
//! Keys come from `--api-key` (write) and `--read-key` (read) on the command line,
//! from a file (`--api-key-file`, a key per line, `read:KEY` or `write:KEY` or just
//! `KEY` for write; `#` comments) and from the environment (`SLUICE_API_KEYS`, the
//! same entries separated by commas). The command line shows keys in `ps`; the
//! file and the environment do not. Keys are compared in constant time.
//!
//! A `read` key lists apps, shows them, reads `/metrics`, follows streams and runs
//! queries that only read; everything else (creating, changing and deleting apps,
//! pushing events, queries that write to a table) needs a `write` key.

use super::error::ApiError;
use std::path::Path;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use warp::http::{Method, StatusCode};
use warp::{Filter, Rejection};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// List, show, follow, metrics, and queries that only read.
    Read,
    /// Everything.
    Write,
}

/// The server's API keys; none means every request may do everything.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Vec<(Vec<u8>, Role)>,
}

/// The environment variable that holds API keys.
pub const KEYS_ENV: &str = "SLUICE_API_KEYS";

impl Keys {
    /// Gathers keys from the command line, a key file and the environment
    /// (`env`, the value of [`KEYS_ENV`] if set).
    pub fn gather(write: &[String], read: &[String], file: Option<&Path>, env: Option<&str>) -> Result<Keys, String> {
        let mut keys = Keys::default();
        for k in write {
            keys.add(k, Role::Write)?;
        }
        for k in read {
            keys.add(k, Role::Read)?;
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the API key file {}: {e}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                keys.add_entry(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            }
        }
        if let Some(list) = env {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                keys.add_entry(entry).map_err(|e| format!("{KEYS_ENV}: {e}"))?;
            }
        }
        Ok(keys)
    }

    /// `read:KEY`, `write:KEY` or `KEY` (write).
    fn add_entry(&mut self, entry: &str) -> Result<(), String> {
        match entry.split_once(':') {
            Some(("read", k)) => self.add(k, Role::Read),
            Some(("write", k)) => self.add(k, Role::Write),
            _ => self.add(entry, Role::Write),
        }
    }

    fn add(&mut self, key: &str, role: Role) -> Result<(), String> {
        let key = key.trim();
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("an API key must be non-empty, without spaces or control characters".into());
        }
        self.keys.push((key.as_bytes().to_vec(), role));
        Ok(())
    }

    /// Whether any key is configured.
    pub fn required(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The role of `token`, comparing it with every key in constant time.
    pub fn role_of(&self, token: &[u8]) -> Option<Role> {
        let mut found = None;
        for (key, role) in &self.keys {
            // Every key is compared, whatever matched before.
            if bool::from(key.as_slice().ct_eq(token)) {
                found = found.or(Some(*role));
            }
        }
        found
    }

    /// The role of a request with `Authorization: header`; everything is allowed
    /// when no key is configured.
    pub fn role_of_header(&self, header: Option<&str>) -> Option<Role> {
        if !self.required() {
            return Some(Role::Write);
        }
        let token = header
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())?;
        self.role_of(token.as_bytes())
    }
}

/// A request refused before its handler: the answer it gets.
#[derive(Debug)]
pub struct Refusal(pub ApiError);
impl warp::reject::Reject for Refusal {}

fn refuse(status: StatusCode, code: &'static str, message: &str) -> Rejection {
    warp::reject::custom(Refusal(ApiError::new(status, code, message)))
}

/// Whether a `read` key may make this request (the query route checks the
/// statement itself: see [`may_run`]).
fn read_allows(method: &Method, path: &str) -> bool {
    method == Method::GET || (method == Method::POST && path.starts_with("/v1/apps/") && path.ends_with("/query"))
}

/// Passes requests whose key may make them; 401 without a valid key, 403 when a
/// `read` key asks to change something.
pub fn authorized(keys: Arc<Keys>) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(warp::method())
        .and(warp::path::full())
        .and_then(move |header: Option<String>, method: Method, path: warp::path::FullPath| {
            let keys = keys.clone();
            async move {
                match keys.role_of_header(header.as_deref()) {
                    Some(Role::Write) => Ok(()),
                    Some(Role::Read) if read_allows(&method, path.as_str()) => Ok(()),
                    Some(Role::Read) => Err(refuse(StatusCode::FORBIDDEN, "forbidden", "this API key may only read")),
                    None => Err(refuse(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "this server needs `Authorization: Bearer <api key>`",
                    )),
                }
            }
        })
        .untuple_one()
}

/// The role of the request's key (after [`authorized`] let it through).
pub fn role(keys: Arc<Keys>) -> impl Filter<Extract = (Role,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .map(move |header: Option<String>| keys.role_of_header(header.as_deref()).unwrap_or(Role::Read))
}

/// Whether `role` may run a query that writes (`writes`) or only reads.
pub fn may_run(role: Role, writes: bool) -> Result<(), ApiError> {
    if writes && role == Role::Read {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this API key may only read: the query writes to a table",
        ));
    }
    Ok(())
}

/// The header that carries the cluster secret on internal routes.
pub const SECRET_HEADER: &str = "x-sluice-cluster-secret";

/// The environment variable that holds the cluster secret.
pub const SECRET_ENV: &str = "SLUICE_CLUSTER_SECRET";

/// The cluster secret from `--cluster-secret`, `--cluster-secret-file` or the
/// environment; a cluster cannot run without one.
pub fn cluster_secret(arg: Option<&str>, file: Option<&Path>, env: Option<&str>) -> Result<Option<String>, String> {
    let secret = match (arg, file) {
        (Some(s), _) => Some(s.to_string()),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the cluster secret file {}: {e}", path.display()))?
                .trim()
                .to_string(),
        ),
        (None, None) => env.map(|s| s.trim().to_string()),
    };
    match secret {
        Some(s) if s.len() < 16 => Err("the cluster secret must be at least 16 characters".into()),
        other => Ok(other),
    }
}

/// Passes requests that carry the cluster secret (compared in constant time).
pub fn has_secret(secret: Arc<String>) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::optional::<String>(SECRET_HEADER)
        .and_then(move |given: Option<String>| {
            let secret = secret.clone();
            async move {
                match given {
                    Some(g) if bool::from(g.as_bytes().ct_eq(secret.as_bytes())) => Ok(()),
                    _ => {
                        Err(refuse(StatusCode::UNAUTHORIZED, "unauthorized", "internal routes need the cluster secret"))
                    }
                }
            }
        })
        .untuple_one()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_every_source_with_their_roles() {
        let dir = std::env::temp_dir().join(format!("sluice-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        std::fs::write(&file, "# keys\nread:r1\n\nwrite:w1\nw2\n").unwrap();
        let keys = Keys::gather(&["w0".into()], &["r0".into()], Some(&file), Some("read:r2, w3")).unwrap();
        for (k, role) in [("w0", Role::Write), ("r0", Role::Read), ("r1", Role::Read), ("w1", Role::Write)] {
            assert_eq!(keys.role_of(k.as_bytes()), Some(role), "{k}");
        }
        assert_eq!(keys.role_of(b"w2"), Some(Role::Write));
        assert_eq!(keys.role_of(b"r2"), Some(Role::Read));
        assert_eq!(keys.role_of(b"w3"), Some(Role::Write));
        assert_eq!(keys.role_of(b"w"), None);
        assert_eq!(keys.role_of_header(Some("Bearer r1")), Some(Role::Read));
        assert_eq!(keys.role_of_header(Some("Basic r1")), None);
        assert_eq!(keys.role_of_header(None), None);
        assert_eq!(Keys::default().role_of_header(None), Some(Role::Write));
        std::fs::write(&file, "read:has space\n").unwrap();
        let err = Keys::gather(&[], &[], Some(&file), None).unwrap_err();
        assert!(err.ends_with("keys:1: an API key must be non-empty, without spaces or control characters"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn read_keys_read_and_query() {
        assert!(read_allows(&Method::GET, "/v1/apps"));
        assert!(read_allows(&Method::POST, "/v1/apps/A/query"));
        assert!(!read_allows(&Method::POST, "/v1/apps"));
        assert!(!read_allows(&Method::DELETE, "/v1/apps/A"));
        assert!(!read_allows(&Method::POST, "/v1/apps/A/streams/S"));
        assert!(may_run(Role::Read, true).is_err());
        assert!(may_run(Role::Read, false).is_ok());
    }

    #[test]
    fn a_cluster_secret_is_long_enough() {
        assert!(cluster_secret(Some("short"), None, None).is_err());
        assert_eq!(
            cluster_secret(None, None, Some(" 0123456789abcdef ")).unwrap().as_deref(),
            Some("0123456789abcdef")
        );
        assert_eq!(cluster_secret(None, None, None).unwrap(), None);
    }
}
