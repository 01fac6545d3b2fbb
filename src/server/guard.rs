//! Who may talk to the server: the API key, the Host-header allowlist, and the security headers
//! of every response.
//!
//! With an API key set, every route but `/health` and the page's static assets needs
//! `Authorization: Bearer <key>` (compared in constant time); a missing or wrong key is a 401.
//! The Host allowlist stops DNS rebinding: a browser tricked into calling a loopback server under
//! an attacker's name still sends that name as `Host`, which is refused with a 403.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use subtle::ConstantTimeEq;

/// Access settings, fixed at start-up.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Required bearer token, if any.
    pub api_key: Option<String>,
    /// Host names (without port) accepted in the `Host` header, lowercase.
    pub allowed_hosts: Vec<String>,
}

impl Access {
    /// Loopback names plus the host of the bound address and any extra names.
    pub fn new(
        api_key: Option<String>,
        bound_host: Option<&str>,
        extra_hosts: &[String],
    ) -> Access {
        let mut allowed_hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        allowed_hosts.extend(bound_host.map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()));
        allowed_hosts.extend(extra_hosts.iter().map(|h| h.to_ascii_lowercase()));
        Access {
            api_key: api_key.filter(|k| !k.is_empty()),
            allowed_hosts,
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        self.allowed_hosts.contains(&name)
    }

    fn key_ok(&self, req: &Request<Body>) -> bool {
        let Some(key) = &self.api_key else {
            return true;
        };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        given.as_bytes().ct_eq(key.as_bytes()).into()
    }
}

/// The host part of a `Host` header value (`[::1]:8080` → `::1`, `localhost:8080` → `localhost`).
pub fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Routes open without a key: health and the chat page's static files.
fn is_public(path: &str) -> bool {
    path == "/health" || path == "/" || path.starts_with("/assets/")
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// Middleware: Host allowlist, then the API key.
pub async fn check_access(
    State(access): State<Arc<Access>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if let Some(host) = host {
        if !access.host_allowed(host) {
            tracing::warn!(%host, "request refused: Host not allowed");
            return refuse(
                StatusCode::FORBIDDEN,
                "host_not_allowed",
                "this Host is not allowed; start the server with --allowed-host to add it",
            );
        }
    }
    if !is_public(req.uri().path()) && !access.key_ok(&req) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong API key: send `Authorization: Bearer <key>`",
        );
    }
    next.run(req).await
}

/// Middleware: security headers on every response; the page's strict Content-Security-Policy
/// (no inline script, nothing from other origins) on HTML.
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    let is_html = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                 connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
                 frame-ancestors 'none'",
            ),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_without_ports() {
        assert_eq!(host_name("localhost:8080"), "localhost");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("example.com"), "example.com");
    }

    #[test]
    fn default_hosts_are_loopback_and_bound() {
        let a = Access::new(None, Some("10.0.0.5"), &["box.lan".into()]);
        assert!(a.host_allowed("LOCALHOST:1"));
        assert!(a.host_allowed("10.0.0.5:8080"));
        assert!(a.host_allowed("box.lan"));
        assert!(!a.host_allowed("evil.example"));
        assert!(Access::new(Some(String::new()), None, &[])
            .api_key
            .is_none());
    }
}
