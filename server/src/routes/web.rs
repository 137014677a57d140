//! `GET /web/...`: another application's page, from `--web DIR`.
//!
//! `socketlab --web /usr/share/novnc --relay-target vnc=tcp://127.0.0.1:5900`
//! does what `websockify --web` does: noVNC's page and its WebSocket come
//! from one origin, so the page passes the Origin check without
//! `--allowed-origin`, and the Host check (421) applies to it as to the
//! rest of the server.
//!
//! Nothing outside DIR is ever served: each path segment is
//! percent-decoded and refused if it is `..`, `.`, hidden (`.git`), or
//! holds a `/`, `\` or NUL once decoded; the file found is then
//! canonicalized and must still be inside DIR, so a symbolic link that
//! points out of DIR is not followed out. A directory is served as its
//! `index.html`, never as a listing. Files are read whole, up to
//! [`MAX_FILE`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::{header, HeaderValue, StatusCode};
use warp::filters::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::problem::Problem;

/// Where `/web/` is mounted.
pub const PREFIX: &str = "/web";

/// Largest file served; a static page's assets are far smaller.
pub const MAX_FILE: u64 = 32 * 1024 * 1024;

/// `--web DIR`, checked and canonicalized at start-up.
#[derive(Debug, Clone)]
pub struct WebRoot(Arc<PathBuf>);

impl WebRoot {
    /// Checks that `dir` is a readable directory; the error names the flag.
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        let root = std::fs::canonicalize(dir).map_err(|e| {
            anyhow::anyhow!("--web {}: {e}; give a directory to serve", dir.display())
        })?;
        if !root.is_dir() {
            anyhow::bail!(
                "--web {}: not a directory; give a directory to serve",
                dir.display()
            );
        }
        Ok(Self(Arc::new(root)))
    }

    /// The canonical directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// `GET /web` and everything under it; passes when `--web` is not set.
pub fn filter(
    root: Option<WebRoot>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::get()
        .and(warp::path::full())
        .and_then(move |path: FullPath| {
            let root = root.clone();
            async move {
                let Some(rest) = under_prefix(path.as_str()) else {
                    return Err(warp::reject::not_found());
                };
                let Some(root) = root else {
                    return Err(warp::reject::not_found());
                };
                // Answered here, found or not: a miss under /web/ must
                // not fall through to the embedded page's files.
                Ok::<_, Rejection>(
                    serve(&root, path.as_str(), rest)
                        .await
                        .unwrap_or_else(|problem| problem.into_response()),
                )
            }
        })
}

/// The part of `path` after `/web`, if it is under it (`/webcam` is not).
fn under_prefix(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(PREFIX)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

async fn serve(root: &WebRoot, full: &str, rest: &str) -> Result<Response, Problem> {
    let segments = segments(rest).ok_or(Problem::NotFound)?;
    let mut candidate = root.path().to_path_buf();
    candidate.extend(&segments);
    let found = inside(root, &candidate).await.ok_or(Problem::NotFound)?;
    let meta = tokio::fs::metadata(&found)
        .await
        .map_err(|_| Problem::NotFound)?;
    let file = if meta.is_dir() {
        if !full.ends_with('/') {
            // Relative links in the index must resolve inside the directory.
            return Ok(redirect(&format!("{full}/")));
        }
        inside(root, &found.join("index.html"))
            .await
            .ok_or(Problem::NotFound)?
    } else {
        found
    };
    read(&file).await
}

/// The decoded segments of `rest`, or `None` if any could leave the
/// directory or name a hidden file.
fn segments(rest: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let segment = crate::net::percent::decode(raw)?;
        if segment.starts_with('.') || segment.contains(['/', '\\', '\0']) {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

/// `path` canonicalized, if it exists and is inside `root` (a symbolic
/// link may point anywhere inside, but not out).
async fn inside(root: &WebRoot, path: &Path) -> Option<PathBuf> {
    let real = tokio::fs::canonicalize(path).await.ok()?;
    real.starts_with(root.path()).then_some(real)
}

async fn read(file: &Path) -> Result<Response, Problem> {
    let meta = tokio::fs::metadata(file)
        .await
        .map_err(|_| Problem::NotFound)?;
    if !meta.is_file() {
        return Err(Problem::NotFound);
    }
    if meta.len() > MAX_FILE {
        tracing::warn!(file = %file.display(), "not served: larger than {MAX_FILE} bytes (--web)");
        return Err(Problem::NotFound);
    }
    let bytes = tokio::fs::read(file).await.map_err(|err| {
        tracing::warn!(file = %file.display(), "cannot read a --web file: {err}");
        Problem::NotFound
    })?;
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    let mut response = Response::new(bytes.into());
    let headers = response.headers_mut();
    let content_type = match (mime.type_(), mime.get_param(mime_guess::mime::CHARSET)) {
        (mime_guess::mime::TEXT, None) => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Another application's files carry no content hash: revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn redirect(location: &str) -> Response {
    let mut response = warp::reply::with_status("", StatusCode::MOVED_PERMANENTLY).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_never_leave_the_directory() {
        assert_eq!(
            segments("/a/b.html"),
            Some(vec!["a".into(), "b.html".into()])
        );
        assert_eq!(segments("/a%20b/"), Some(vec!["a b".into()]));
        assert_eq!(segments(""), Some(vec![]));
        for bad in [
            "/../x",
            "/a/../../x",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/a%2f..%2f..%2fx",
            "/.git/config",
            "/a%5c..%5cx",
            "/a%00",
            "/%zz",
            "/%c3",
        ] {
            assert_eq!(segments(bad), None, "{bad}");
        }
        assert_eq!(under_prefix("/web"), Some(""));
        assert_eq!(under_prefix("/web/x"), Some("/x"));
        assert_eq!(under_prefix("/webcam"), None);
    }
}
