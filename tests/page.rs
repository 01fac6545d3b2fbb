//! The chat page as served by the router: HTML under the strict CSP, its embedded assets with
//! the right content types and cache validators, no inline script or event-handler attribute,
//! no HTML-string sinks in the scripts, and access without the API key.

mod common;

use axum::http::{header, StatusCode};
use axum::Router;
use common::http::{get, send, with_headers};
use factcheck::retrieval::index::Retriever;
use factcheck::server::{router, Access, AppState, ServerOptions};

fn app() -> Router {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    router(AppState::new(r))
}

/// Every `<tag …>` opening tag in `html`, lowercased, with the text up to its closing tag.
fn tags<'a>(html: &'a str, tag: &str) -> Vec<(String, &'a str)> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let end_of_open = start + lower[start..].find('>').expect("tag closes");
        let attrs = lower[start..=end_of_open].to_string();
        let body_end = lower[end_of_open..]
            .find(&close)
            .map(|j| end_of_open + j)
            .unwrap_or(end_of_open + 1);
        out.push((attrs, &html[end_of_open + 1..body_end.max(end_of_open + 1)]));
        from = end_of_open + 1;
    }
    out
}

#[tokio::test]
async fn page_is_html_under_the_strict_csp() {
    let r = send(&app(), get("/")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"));
    let csp = r.header(header::CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "CSP {csp:?} lacks {directive:?}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(r.header(header::CACHE_CONTROL), "no-cache");
    assert!(r.header(header::ETAG).starts_with('"'));
    assert!(r.body.contains("<html lang=\"ko\">"));
}

#[tokio::test]
async fn page_has_no_inline_script_style_or_handlers() {
    let html = send(&app(), get("/")).await.body;
    let scripts = tags(&html, "script");
    assert!(!scripts.is_empty());
    for (attrs, body) in &scripts {
        assert!(
            attrs.contains("src=\"/assets/"),
            "script without src: {attrs}"
        );
        assert!(body.trim().is_empty(), "inline script body: {body:?}");
    }
    assert!(tags(&html, "style").is_empty(), "inline <style>");
    let lower = html.to_ascii_lowercase();
    // No event-handler attributes (` onclick=`, ` onerror =` …), no style attributes, no
    // javascript: URLs.
    for (i, _) in lower.match_indices(" on") {
        let rest = &lower[i + 3..];
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let after = rest[name_len..].trim_start();
        let inside_tag = lower[..i].rfind('<') > lower[..i].rfind('>');
        assert!(
            !(inside_tag && name_len > 0 && after.starts_with('=')),
            "event handler attribute near: {}",
            &html[i..(i + 40).min(html.len())]
        );
    }
    assert!(!lower.contains(" style="), "style attribute");
    assert!(!lower.contains("javascript:"));
    // Nothing from another origin.
    assert!(!lower.contains("http://") && !lower.contains("https://") && !lower.contains("//cdn"));
}

#[tokio::test]
async fn assets_are_served_with_their_content_types() {
    let app = app();
    let html = send(&app, get("/")).await.body;
    for (path, want) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/logic.mjs", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        assert!(
            html.contains(path) || path.ends_with(".mjs"),
            "{path} is not used"
        );
        let r = send(&app, get(path)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.header(header::CONTENT_TYPE).starts_with(want),
            "{path}: {}",
            r.header(header::CONTENT_TYPE)
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert!(!r.body.is_empty());
    }
    // app.js loads its logic module from the same folder.
    assert!(send(&app, get("/assets/app.js"))
        .await
        .body
        .contains("from './logic.mjs'"));
}

#[tokio::test]
async fn scripts_never_parse_html_strings() {
    let app = app();
    for path in ["/assets/app.js", "/assets/logic.mjs"] {
        let js = send(&app, get(path)).await.body;
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "createContextualFragment",
            "DOMParser",
        ] {
            assert!(!js.contains(sink), "{path} uses {sink}");
        }
    }
}

#[tokio::test]
async fn unchanged_assets_answer_not_modified() {
    let app = app();
    let first = send(&app, get("/assets/app.css")).await;
    let etag = first.header(header::ETAG).to_string();
    let again = send(
        &app,
        with_headers(get("/assets/app.css"), &[(header::IF_NONE_MATCH, &etag)]),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let stale = send(
        &app,
        with_headers(
            get("/assets/app.css"),
            &[(header::IF_NONE_MATCH, "\"old\"")],
        ),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_assets_are_json_404s() {
    let app = app();
    for path in [
        "/assets/nope.js",
        "/assets/index.html",
        "/assets/..%2Fsrc%2Fmain.rs",
    ] {
        let r = send(&app, get(path)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r
            .header(header::CONTENT_TYPE)
            .starts_with("application/json"));
        assert!(r.body.contains("\"not_found\""));
    }
}

#[tokio::test]
async fn page_and_assets_need_no_api_key() {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    let options = ServerOptions {
        access: Access::new(Some("sekrit".into()), None, &[]),
        ..ServerOptions::default()
    };
    let app = router(AppState::with_options(r, options));
    assert_eq!(send(&app, get("/")).await.status, StatusCode::OK);
    assert_eq!(
        send(&app, get("/assets/app.js")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get("/v1/sources")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn served_on_port_zero_the_address_file_leads_to_the_page() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let addr_file = dir.path().join("addr");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    factcheck::server::write_addr_file(&addr_file, listener.local_addr().unwrap()).unwrap();
    let state = AppState::new(Retriever::new(common::fixture_corpus()).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(factcheck::server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let written = std::fs::read_to_string(&addr_file).unwrap();
    assert!(written.ends_with('\n'));
    assert!(!dir.path().join("addr.tmp").exists());
    let mut tcp = tokio::net::TcpStream::connect(written.trim())
        .await
        .unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "{}",
        &reply[..80.min(reply.len())]
    );
    assert!(reply
        .to_ascii_lowercase()
        .contains("content-security-policy:"));
    assert!(reply.contains("<script type=\"module\" src=\"/assets/app.js\"></script>"));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
