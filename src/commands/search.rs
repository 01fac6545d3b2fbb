//! `factcheck search`: the best passages for a query, as numbered text blocks or as the API's
//! JSON.

use std::fmt::Write;

use super::{CommandError, CorpusArgs};
use crate::retrieval::index::{IndexError, Retriever, DEFAULT_TOP_K, MAX_TOP_K};

/// Options of `search`.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// The query text.
    pub query: String,
    /// Number of passages to return (1..=50).
    #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = DEFAULT_TOP_K)]
    pub top_k: usize,
    /// Print JSON instead of text.
    #[arg(long, env = "FACTCHECK_JSON")]
    pub json: bool,
}

/// `factcheck search`.
pub fn run(corpus: &CorpusArgs, args: SearchArgs) -> Result<(), CommandError> {
    let r = corpus.retriever()?;
    print!("{}", search_output(&r, &args.query, args.top_k, args.json)?);
    Ok(())
}

/// Search results for `query`, as numbered text blocks or as the API's JSON.
pub fn search_output(
    r: &Retriever,
    query: &str,
    top_k: usize,
    json: bool,
) -> Result<String, IndexError> {
    let hits = r.search(query, top_k.clamp(1, MAX_TOP_K))?;
    let views: Vec<_> = hits.iter().map(|h| r.view(h)).collect();
    if json {
        let v = serde_json::json!({ "passages": views });
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
    }
    let mut out = String::new();
    if views.is_empty() {
        out.push_str("no passage matches\n");
    }
    for (i, v) in views.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} lines {}-{} (score {:.2})\n   > {}\n",
            i + 1,
            v.source,
            v.start_line,
            v.end_line,
            v.score,
            v.highlight
        );
    }
    Ok(out)
}
