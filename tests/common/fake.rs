//! The one fake model of the tests: a [`Backend`] that writes scripted text in small pieces. A
//! test can hold a job at a gate, slow the pieces down, cap the context, and see (through its
//! [`Probe`]) what each job was sent, whether it ran, and whether it was cancelled.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use factcheck::engine::constraint::{TokenConstraint, TokenMask, Vocab};
use factcheck::engine::loaded::ModelInfo;
use factcheck::engine::{Backend, EngineError, Event, FinishReason, GenerateRequest, Timings};

/// What the fake writes for each job.
#[derive(Debug, Clone)]
pub enum Script {
    /// The next reply queued with [`Probe::reply`] (`NO_ANSWER` when none is), then `Stop`.
    Queue,
    /// The same text for every job, then `Stop`.
    Fixed(String),
    /// `tok ` up to the request's `max_tokens`, then `Length`.
    Tokens,
}

/// What a job was sent.
#[derive(Debug, Clone)]
pub struct Seen {
    pub system: String,
    /// The last user message (the request; worked examples come before it).
    pub user: String,
    /// Characters in all the messages.
    pub prompt_chars: usize,
    /// Labels the request's constraint allows right after `[`: for the quote-first form, those
    /// of a second quote (after the first, which is settled when the form has a lead).
    pub allowed_labels: Vec<String>,
    /// Labels allowed for the form's first quote.
    pub first_labels: Vec<String>,
}

/// The test's side of the fake, shared with it while the engine thread owns the backend.
#[derive(Clone, Default)]
pub struct Probe {
    pub replies: Arc<Mutex<VecDeque<String>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// A context length in characters (one token per character); longer prompts overflow.
    pub context: Arc<Mutex<Option<usize>>>,
    /// A job has started.
    pub running: Arc<AtomicBool>,
    /// A job stopped early: cancelled, or its reader went away.
    pub cancelled: Arc<AtomicBool>,
    /// Pieces written so far.
    pub emitted: Arc<AtomicUsize>,
}

impl Probe {
    /// Queues the reply of a later job ([`Script::Queue`]).
    pub fn reply(&self, text: &str) {
        self.replies.lock().unwrap().push_back(text.to_string());
    }

    /// What the last job was sent.
    pub fn last_seen(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a job ran")
    }
}

/// The fake model.
pub struct FakeModel {
    /// Its name and architecture in the engine's status.
    pub name: &'static str,
    pub context_length: usize,
    /// Its weights in the engine's status (what the default abstention bias goes by).
    pub parameters: u64,
    pub script: Script,
    /// Characters per piece.
    pub chunk: usize,
    /// Pause after each piece.
    pub delay: Duration,
    /// Reported in `Started` and the final timings.
    pub prompt_tokens: usize,
    /// Each job waits for a message on this channel before it writes anything.
    pub gate: Option<Arc<Mutex<mpsc::Receiver<()>>>>,
    pub probe: Probe,
}

impl FakeModel {
    /// A fake named `scripted` (context 4096) writing `script` four characters at a time.
    pub fn new(script: Script) -> FakeModel {
        FakeModel {
            name: "scripted",
            context_length: 4096,
            parameters: 1_500_000_000,
            script,
            chunk: 4,
            delay: Duration::ZERO,
            prompt_tokens: 7,
            gate: None,
            probe: Probe::default(),
        }
    }

    /// Jobs wait for a message on `gate` first.
    pub fn gated(mut self, gate: Option<mpsc::Receiver<()>>) -> FakeModel {
        self.gate = gate.map(|g| Arc::new(Mutex::new(g)));
        self
    }

    /// The labels the request's constraint allows right after `[` (see [`Seen`]), asked of a
    /// tiny vocabulary: (later quotes or markers, the first quote).
    fn allowed_labels(req: &mut GenerateRequest) -> (Vec<String>, Vec<String>) {
        let words = ["[", "]", "P1", "P2", "P3", "P4", "P5", "P6", "P9"];
        let pieces: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        let vocab = Vocab::from_pieces(&pieces, &[]);
        let Some(c) = req.constraint.as_mut() else {
            return Default::default();
        };
        let labels = |c: &mut Box<dyn TokenConstraint + Send>, generated: &str| match c
            .allowed(generated, &vocab)
        {
            Some(TokenMask::Allow(ids)) => Some(
                ids.iter()
                    .map(|&i| vocab.text(i).to_string())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        // The quote-first form opens a label after `근거: [`; a marker constraint after any `[`.
        let Some(first) = labels(c, "근거: [") else {
            return (labels(c, "x [").unwrap_or_default(), Vec::new());
        };
        // A second quote, after a first of P1 (its settled text when the form has a lead).
        let opened = "근거: [P1] \"";
        let quote = c.forced(opened).unwrap_or_else(|| "x\"".into());
        let later = labels(c, &format!("{opened}{quote}\n[")).unwrap_or_default();
        (later, first)
    }
}

impl Backend for FakeModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            name: self.name.into(),
            architecture: self.name.into(),
            context_length: self.context_length,
            parameters: self.parameters,
            path: PathBuf::new(),
        }
    }

    fn run(
        &mut self,
        mut req: GenerateRequest,
        cancel: &AtomicBool,
        sink: &mut dyn FnMut(Event) -> bool,
    ) -> Result<(), EngineError> {
        let probe = &self.probe;
        probe.running.store(true, Ordering::SeqCst);
        if let Some(g) = &self.gate {
            let _ = g.lock().unwrap().recv();
        }
        let (allowed_labels, first_labels) = Self::allowed_labels(&mut req);
        let text = |i: usize| req.messages.get(i).map_or("", |m| m.content.as_str());
        let prompt: usize = req.messages.iter().map(|m| m.content.chars().count()).sum();
        let last = req.messages.len().saturating_sub(1);
        if let Some(limit) = *probe.context.lock().unwrap() {
            if prompt + req.max_tokens > limit {
                return Err(EngineError::ContextOverflow {
                    needed: prompt + req.max_tokens,
                    limit,
                });
            }
        }
        probe.seen.lock().unwrap().push(Seen {
            system: text(0).to_string(),
            user: text(last).to_string(),
            prompt_chars: prompt,
            allowed_labels,
            first_labels,
        });
        let (pieces, finish_reason) = match &self.script {
            Script::Tokens => (
                vec!["tok ".to_string(); req.max_tokens],
                FinishReason::Length,
            ),
            script => {
                let reply = match script {
                    Script::Fixed(t) => t.clone(),
                    _ => probe
                        .replies
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or_else(|| "NO_ANSWER".into()),
                };
                let chars: Vec<char> = reply.chars().collect();
                let pieces = chars
                    .chunks(self.chunk)
                    .map(|c| c.iter().collect())
                    .collect();
                (pieces, FinishReason::Stop)
            }
        };
        sink(Event::Started {
            prompt_tokens: self.prompt_tokens,
        });
        let mut written = 0;
        for piece in pieces {
            written += piece.chars().count();
            if cancel.load(Ordering::Relaxed) || !sink(Event::Delta(piece)) {
                probe.cancelled.store(true, Ordering::SeqCst);
                return Ok(());
            }
            probe.emitted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.delay);
        }
        sink(Event::Done {
            finish_reason,
            timings: Timings {
                prompt_tokens: self.prompt_tokens,
                completion_tokens: written,
                ..Timings::default()
            },
        });
        Ok(())
    }
}
