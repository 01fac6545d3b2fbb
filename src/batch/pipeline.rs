//! The batch processor backed by the answer pipeline ([`Answerer::run`]),
//! and every row carries the same provenance (model file and sha256, corpus hash, prompt version).

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::{BatchRow, Processor};
use crate::answer::{AnswerError, Answerer, Request};
use crate::pull::sha256_file;
use crate::retrieval::index::DEFAULT_TOP_K;

/// Answers rows with an [`Answerer`].
pub struct PipelineProcessor {
    answerer: Arc<Answerer>,
    provenance: Value,
}

impl PipelineProcessor {
    /// `model` is the model file in use, if any (hashed once here).
    pub fn new(
        answerer: Arc<Answerer>,
        model: Option<&Path>,
    ) -> std::io::Result<PipelineProcessor> {
        let (name, sha) = match model {
            Some(path) => (
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                ),
                sha256_file(path)?,
            ),
            None => ("none".to_string(), "none".to_string()),
        };
        let provenance = json!({
            "model": name, "model_sha256": sha,
            "corpus_sha256": answerer.retriever().corpus().fingerprint(),
            "prompt_version": answerer.prompts().version,
        });
        Ok(PipelineProcessor {
            answerer,
            provenance,
        })
    }
}

impl PipelineProcessor {
    /// Runs one row, waiting and retrying while the model's queue is full: rows go to the model
    /// as fast as it takes them, never failing for being early.
    async fn answer(&self, request: &Request, top_k: usize) -> Result<Value, AnswerError> {
        loop {
            let result = self.answerer.run(request, top_k, &mut |_| {}).await;
            match result.map(|r| r.to_json()) {
                Err(AnswerError::Busy) => tokio::time::sleep(BUSY_RETRY).await,
                other => return other,
            }
        }
    }
}

/// Pause before offering a row again to a full model queue.
const BUSY_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

impl Processor for PipelineProcessor {
    fn process<'a>(&'a self, row: &'a BatchRow) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let top_k = row.top_k.unwrap_or(DEFAULT_TOP_K);
            self.answer(&row.request, top_k)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn provenance(&self) -> Value {
        self.provenance.clone()
    }
}
