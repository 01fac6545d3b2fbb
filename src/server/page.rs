//! The chat page: `GET /` and its static files under `/assets/`, embedded in the binary.
//!
//! The files live in the repository's `assets/` folder and are compiled in with `include_str!`,
//! so the binary serves the page with nothing to install or build at run time. The page is plain
//! HTML, CSS and JavaScript modules with no inline script or style, so it runs under the strict
//! Content-Security-Policy that [`super::guard::security_headers`] puts on HTML. Every response
//! carries a strong `ETag` (a hash of the file) and `Cache-Control: no-cache`: browsers keep the
//! files but ask again each time, and get a `304 Not Modified` while the binary is unchanged.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::ApiError;

/// One embedded file.
struct Asset {
    /// Name under `/assets/` (the page itself is `index.html`, served at `/`).
    name: &'static str,
    /// The `Content-Type` header value.
    content_type: &'static str,
    body: &'static str,
}

/// Every file the page uses.
const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../../assets/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/app.js"),
    },
    Asset {
        name: "logic.mjs",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/logic.mjs"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../assets/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../../assets/favicon.svg"),
    },
];

/// The `ETag` of each asset (same order as [`ASSETS`]), computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.body.as_bytes());
                let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// The response for asset `i`: the body, or `304` when the client already holds this version.
fn respond(i: usize, headers: &HeaderMap) -> Response {
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

fn find(name: &str) -> Option<usize> {
    ASSETS.iter().position(|a| a.name == name)
}

/// `GET /`: the chat page.
pub async fn index(headers: HeaderMap) -> Response {
    respond(
        find("index.html").expect("index.html is embedded"),
        &headers,
    )
}

/// `GET /assets/{name}`: a script, style sheet or icon of the page.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    match find(&name).filter(|_| name != "index.html") {
        Some(i) => Ok(respond(i, &headers)),
        None => Err(ApiError::NotFound(format!("no asset named `{name}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_distinct_quoted_etag() {
        let tags = etags();
        assert_eq!(tags.len(), ASSETS.len());
        for (i, t) in tags.iter().enumerate() {
            assert!(
                t.starts_with('"') && t.ends_with('"') && t.len() == 26,
                "{t}"
            );
            assert!(!tags[..i].contains(t));
        }
    }

    #[test]
    fn conditional_request_gets_not_modified() {
        let i = find("app.css").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&etags()[i]).unwrap(),
        );
        assert_eq!(respond(i, &headers).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(respond(i, &HeaderMap::new()).status(), StatusCode::OK);
    }
}
