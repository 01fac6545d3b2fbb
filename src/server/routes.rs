//! The handlers of the retrieval API: health, sources and search.

use axum::extract::{Path, Query, State};
use axum::http::{Method, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiJson, AppState, MAX_QUERY_CHARS};
use crate::retrieval::index::{DEFAULT_TOP_K, MAX_TOP_K};
use crate::text::char_len;

/// Names of skipped corpus files `/health` shows, at most.
const SKIPPED_NAMES: usize = 20;

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    let r = &state.retriever;
    let corpus = r.corpus();
    Json(json!({
        "status": if corpus.problems.is_empty() { "ok" } else { "degraded" },
        "ready": true,
        "corpus": {
            "files": corpus.files.len(),
            "passages": r.passages().len(),
            "problems": corpus.problems,
            // A folder of thousands of scans would make a long list: the count, and a few names.
            "skipped": {
                "count": corpus.skipped.len(),
                "names": corpus.skipped.iter().take(SKIPPED_NAMES).collect::<Vec<_>>(),
            },
        },
        "model": model_status(&state.answerer.engine().status()),
        "retrieval": {"dense": r.embedder_name(), "dense_status": r.dense_status()},
        "prompts": {"origin": state.answerer.prompts().origin, "version": state.answerer.prompts().version},
    }))
}

/// The engine status as `{"status": "none" | "loading" | "ready" | "failed", ...details}`.
fn model_status(status: &crate::engine::EngineStatus) -> Value {
    let mut v = serde_json::to_value(status).unwrap_or_else(|_| json!({}));
    if let Some(obj) = v.as_object_mut() {
        if let Some(state) = obj.remove("state") {
            obj.insert("status".into(), state);
        }
    }
    v
}

pub async fn list_sources(State(state): State<AppState>) -> Json<Value> {
    let r = &state.retriever;
    let sources: Vec<Value> = r
        .corpus()
        .files
        .iter()
        .map(|f| {
            let passages = r.passages().iter().filter(|p| p.source == f.name).count();
            json!({"name": f.name, "lines": f.lines.len(), "passages": passages, "encoding": f.encoding})
        })
        .collect();
    Json(json!({ "sources": sources }))
}

#[derive(Deserialize)]
pub struct LineRange {
    start: Option<usize>,
    end: Option<usize>,
}

pub async fn read_source(
    State(state): State<AppState>,
    Path(file): Path<String>,
    range: Result<Query<LineRange>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    // Names are only ever compared with the loaded files' names, never opened; still, anything
    // shaped like a path out of the folder is refused outright.
    if file.contains(['\\', '\0'])
        || file
            .split('/')
            .any(|part| part.is_empty() || part.starts_with('.'))
    {
        return Err(ApiError::BadRequest(format!(
            "`{file}` is not a corpus file name (a name as `/v1/sources` lists it: folders \
             separated by `/`, none empty or hidden)"
        )));
    }
    let corpus = state.retriever.corpus();
    let f = corpus
        .file(&file)
        .ok_or_else(|| ApiError::NotFound(format!("no corpus file named `{file}`")))?;
    let Query(range) = range.map_err(|_| {
        ApiError::Invalid("`start` and `end` must be positive integers (1-based lines)".into())
    })?;
    let total = f.lines.len();
    let start = range.start.unwrap_or(1);
    let end = range.end.unwrap_or(total);
    if start < 1 || start > total {
        return Err(ApiError::Invalid(format!(
            "`start` must be between 1 and {total} (got {start})"
        )));
    }
    if end < start || end > total {
        return Err(ApiError::Invalid(format!(
            "`end` must be between `start` ({start}) and {total} (got {end})"
        )));
    }
    let lines: Vec<Value> = (start..=end)
        .map(|n| json!({"number": n, "text": f.lines[n - 1]}))
        .collect();
    Ok(Json(json!({
        "name": f.name, "total_lines": total, "start": start, "end": end, "lines": lines,
    })))
}

#[derive(Deserialize)]
pub struct SearchRequest {
    query: String,
    #[serde(default = "default_top_k")]
    top_k: i64,
    /// Re-order the best candidates with the server's reranker, if it has one.
    #[serde(default)]
    rerank: bool,
}

/// [`DEFAULT_TOP_K`] as a serde default.
pub(super) fn default_top_k() -> i64 {
    DEFAULT_TOP_K as i64
}

/// Checks a query or claim text: not blank, at most [`MAX_QUERY_CHARS`] characters.
pub fn validate_text(field: &str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::Invalid(format!("`{field}` must not be empty")));
    }
    let n = char_len(text);
    if n > MAX_QUERY_CHARS {
        return Err(ApiError::Invalid(format!(
            "`{field}` must be at most {MAX_QUERY_CHARS} characters (got {n})"
        )));
    }
    Ok(())
}

/// Checks `top_k` against `1..=MAX_TOP_K`.
pub fn validate_top_k(top_k: i64) -> Result<usize, ApiError> {
    if (1..=MAX_TOP_K as i64).contains(&top_k) {
        Ok(top_k as usize)
    } else {
        Err(ApiError::Invalid(format!(
            "`top_k` must be between 1 and {MAX_TOP_K} (got {top_k})"
        )))
    }
}

pub async fn search(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SearchRequest>,
) -> Result<Json<Value>, ApiError> {
    validate_text("query", &req.query)?;
    let top_k = validate_top_k(req.top_k)?;
    let r = state.retriever.clone();
    let first_stage = |r: std::sync::Arc<crate::retrieval::index::Retriever>| {
        let query = req.query.clone();
        async move {
            r.search_off_runtime(&query, top_k)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))
        }
    };
    let (hits, rerank) = match (req.rerank, state.reranker.clone()) {
        (true, Some(reranker)) => {
            // The first stage searches a question not in Korean with its translation too, as
            // `ask` does; the reranker scores the question itself.
            let searched =
                crate::retrieval::translate::search_query(state.answerer.engine(), &r, &req.query)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!("translating the query for retrieval failed: {e}");
                        req.query.clone()
                    });
            // The model's forward passes take seconds: off the async workers.
            let (r2, query) = (r.clone(), req.query.clone());
            let scored = tokio::task::spawn_blocking(move || {
                crate::retrieval::rerank::search_reranked(
                    &r2,
                    &query,
                    &searched,
                    top_k,
                    reranker.as_ref(),
                )
                .map(|hits| (hits, reranker.name().to_string()))
            })
            .await
            .map_err(|e| ApiError::Internal(format!("reranking task failed: {e}")))?;
            match scored {
                Ok((hits, name)) => (hits, json!({"applied": true, "reranker": name})),
                // A model that is loading, busy or failed leaves the first stage's order.
                Err(e) => {
                    tracing::warn!("reranking skipped: {e}");
                    let reason = format!("the reranker could not run: {e}");
                    (
                        first_stage(r.clone()).await?,
                        json!({"applied": false, "reason": reason}),
                    )
                }
            }
        }
        (asked, _) => {
            let rerank = match asked {
                true => json!({"applied": false, "reason": "this server has no reranker"}),
                false => json!({"applied": false}),
            };
            (first_stage(r.clone()).await?, rerank)
        }
    };
    let passages: Vec<_> = hits.iter().map(|h| r.view(h)).collect();
    Ok(Json(json!({ "passages": passages, "rerank": rerank })))
}

pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}
