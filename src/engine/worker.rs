//! One owner for the model: a dedicated OS thread holds the [`Backend`] (the candle model, or a
//! scripted fake in tests) and takes jobs from a bounded queue; the model's compute never runs
//! on the async runtime. [`EngineHandle`] is the cloneable, `Send + Sync` front: it submits a
//! job and returns a [`JobStream`] of [`Event`]s readable from async code.
//!
//! Policies:
//! - A full queue is refused at once with [`EngineError::Busy`] (the server answers 503 with
//!   `Retry-After`); nothing waits unboundedly.
//! - Loading happens on the engine thread in the background. Jobs submitted while the status is
//!   `loading`, `failed` or `none` get [`EngineError::NotReady`] at once (they do not wait), so
//!   the server can answer with its extractive fallback instead of hanging.
//! - Dropping the [`JobStream`] (or calling [`JobStream::cancel`]) stops the job within one token.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};

use serde::Serialize;
use tokio::sync::mpsc;

use super::generate::{generate, Event, GenerateRequest};
use super::loaded::{LoadedModel, ModelInfo};
use super::score::{score, ContinuationScore, ScoreRequest};
use super::{EngineError, Result};

/// Events buffered per job before the engine thread waits for the reader.
const EVENT_BUFFER: usize = 256;

/// What owns and runs the model on the engine thread.
pub trait Backend: Send {
    /// Name, architecture and context length of the model.
    fn info(&self) -> ModelInfo;
    /// Runs one job, sending events to `sink` (false: the receiver is gone, stop). `cancel`
    /// becomes true when the caller gives up. Errors are returned; the worker reports them.
    fn run(
        &mut self,
        request: GenerateRequest,
        cancel: &AtomicBool,
        sink: &mut dyn FnMut(Event) -> bool,
    ) -> Result<()>;
    /// Scores continuations ([`super::score`]); `None` when cancelled. Backends that cannot
    /// (scripted fakes) refuse.
    fn score(
        &mut self,
        _request: &ScoreRequest,
        _cancel: &AtomicBool,
    ) -> Result<Option<Vec<ContinuationScore>>> {
        Err(EngineError::InvalidRequest(
            "this model backend cannot score text".into(),
        ))
    }
}

/// The real backend: a candle model loaded from GGUF.
pub struct CandleBackend(pub LoadedModel);

impl Backend for CandleBackend {
    fn info(&self) -> ModelInfo {
        self.0.info.clone()
    }
    fn run(
        &mut self,
        request: GenerateRequest,
        cancel: &AtomicBool,
        sink: &mut dyn FnMut(Event) -> bool,
    ) -> Result<()> {
        generate(&mut self.0, request, cancel, sink)
    }
    fn score(
        &mut self,
        request: &ScoreRequest,
        cancel: &AtomicBool,
    ) -> Result<Option<Vec<ContinuationScore>>> {
        score(&mut self.0, request, cancel)
    }
}

/// Where the engine stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineStatus {
    /// No model configured.
    None,
    /// Loading `path`.
    Loading {
        /// The model file.
        path: PathBuf,
    },
    /// Serving.
    Ready {
        /// The model's name.
        name: String,
        /// `general.architecture`.
        architecture: String,
        /// Context length in tokens.
        context_length: usize,
        /// Weights in the model file.
        parameters: u64,
    },
    /// Loading failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Jobs that may wait while one runs; more are refused with `Busy`.
    pub queue_capacity: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { queue_capacity: 4 }
    }
}

/// What a job asks of the model.
pub enum Work {
    /// Generate a reply.
    Generate(GenerateRequest),
    /// Score given continuations; the answer is one [`Event::Scores`].
    Score(ScoreRequest),
}

/// A queued job: the work, where its events go, and its cancel flag.
pub struct Job {
    /// What to do.
    pub work: Work,
    /// Where events go.
    pub events: mpsc::Sender<Event>,
    /// Set when the caller gives up.
    pub cancel: Arc<AtomicBool>,
}

/// The events of one job. Dropping it cancels the job.
pub struct JobStream {
    rx: mpsc::Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl JobStream {
    /// The next event; `None` after `Done`/`Error`.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
    /// The next event, blocking (not for use inside the async runtime).
    pub fn blocking_recv(&mut self) -> Option<Event> {
        self.rx.blocking_recv()
    }
    /// Asks the engine to stop this job.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for JobStream {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Cloneable handle to the engine thread.
#[derive(Clone)]
pub struct EngineHandle {
    jobs: SyncSender<Job>,
    status: Arc<StatusCell>,
}

/// The engine's status, shared by the handles and the engine thread, with a condition variable
/// so that [`EngineHandle::wait_loaded`] sleeps until loading ends rather than polling.
struct StatusCell {
    value: Mutex<EngineStatus>,
    changed: Condvar,
}

impl StatusCell {
    fn new(value: EngineStatus) -> Arc<StatusCell> {
        Arc::new(StatusCell {
            value: Mutex::new(value),
            changed: Condvar::new(),
        })
    }
}

impl EngineHandle {
    /// Starts the engine thread and loads the GGUF model at `path` on it in the background.
    pub fn start(path: PathBuf, config: EngineConfig) -> Result<Self> {
        let status = EngineStatus::Loading { path: path.clone() };
        Self::spawn(status, config, move || {
            LoadedModel::load(&path).map(|m| Box::new(CandleBackend(m)) as Box<dyn Backend>)
        })
    }

    /// Starts the engine thread with a backend built by `load` on that thread (tests plug in
    /// fakes here). The status is `Loading { path: "" }` until `load` returns.
    pub fn with_loader<F>(config: EngineConfig, load: F) -> Result<Self>
    where
        F: FnOnce() -> Result<Box<dyn Backend>> + Send + 'static,
    {
        Self::spawn(
            EngineStatus::Loading {
                path: PathBuf::new(),
            },
            config,
            load,
        )
    }

    /// A handle with no model: every job gets `NotReady`.
    pub fn none() -> Self {
        let (jobs, _) = sync_channel(0);
        Self {
            jobs,
            status: StatusCell::new(EngineStatus::None),
        }
    }

    fn spawn<F>(initial: EngineStatus, config: EngineConfig, load: F) -> Result<Self>
    where
        F: FnOnce() -> Result<Box<dyn Backend>> + Send + 'static,
    {
        let (jobs, rx) = sync_channel(config.queue_capacity);
        let status = StatusCell::new(initial);
        let thread_status = Arc::clone(&status);
        std::thread::Builder::new()
            .name("factcheck-engine".into())
            .spawn(move || engine_thread(load, rx, thread_status))
            .map_err(|e| EngineError::Internal(format!("cannot start the engine thread: {e}")))?;
        Ok(Self { jobs, status })
    }

    /// The current status.
    pub fn status(&self) -> EngineStatus {
        self.status
            .value
            .lock()
            .map(|s| s.clone())
            .unwrap_or(EngineStatus::Failed {
                reason: "status lock poisoned".into(),
            })
    }

    /// Blocks until loading has ended (at once when there is no model); an error says why
    /// loading failed.
    pub fn wait_loaded(&self) -> std::result::Result<(), String> {
        let Ok(guard) = self.status.value.lock() else {
            return Err("the model failed to load: status lock poisoned".into());
        };
        let loaded = self
            .status
            .changed
            .wait_while(guard, |s| matches!(s, EngineStatus::Loading { .. }));
        match loaded.as_deref() {
            Ok(EngineStatus::Failed { reason }) => {
                Err(format!("the model failed to load: {reason}"))
            }
            Ok(_) => Ok(()),
            Err(_) => Err("the model failed to load: status lock poisoned".into()),
        }
    }

    /// Queues a job. Fails at once with `NotReady` unless the model is ready, and with `Busy`
    /// when the queue is full.
    pub fn submit(&self, request: GenerateRequest) -> Result<JobStream> {
        self.queue(Work::Generate(request))
    }

    /// Queues a scoring job (see [`Self::submit`] for refusals); the stream yields one
    /// [`Event::Scores`] or an [`Event::Error`].
    pub fn submit_score(&self, request: ScoreRequest) -> Result<JobStream> {
        self.queue(Work::Score(request))
    }

    /// Scores `request` and waits for the result, blocking (not for use inside the async
    /// runtime).
    pub fn score_blocking(&self, request: ScoreRequest) -> Result<Vec<ContinuationScore>> {
        let mut stream = self.submit_score(request)?;
        match stream.blocking_recv() {
            Some(Event::Scores(s)) => Ok(s),
            Some(Event::Error(e)) => Err(e),
            _ => Err(EngineError::Internal(
                "the scoring job ended without scores".into(),
            )),
        }
    }

    fn queue(&self, work: Work) -> Result<JobStream> {
        match self.status() {
            EngineStatus::Ready { .. } => {}
            EngineStatus::None => {
                return Err(EngineError::NotReady("no model is configured".into()))
            }
            EngineStatus::Loading { .. } => {
                return Err(EngineError::NotReady("the model is still loading".into()))
            }
            EngineStatus::Failed { reason } => {
                return Err(EngineError::NotReady(format!("loading failed: {reason}")))
            }
        }
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            work,
            events: tx,
            cancel: Arc::clone(&cancel),
        };
        match self.jobs.try_send(job) {
            Ok(()) => Ok(JobStream { rx, cancel }),
            Err(TrySendError::Full(_)) => Err(EngineError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(EngineError::Stopped),
        }
    }
}

fn set(status: &StatusCell, value: EngineStatus) {
    if let Ok(mut s) = status.value.lock() {
        *s = value;
    }
    status.changed.notify_all();
}

fn engine_thread<F>(load: F, jobs: Receiver<Job>, status: Arc<StatusCell>)
where
    F: FnOnce() -> Result<Box<dyn Backend>>,
{
    // A panic inside candle's loader must not leave the status at `loading` forever.
    let loaded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(load)).unwrap_or_else(|_| {
            Err(EngineError::BadModel(
                "loading the model panicked inside candle".into(),
            ))
        });
    let mut backend = match loaded {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("model loading failed: {e}");
            set(
                &status,
                EngineStatus::Failed {
                    reason: e.to_string(),
                },
            );
            return;
        }
    };
    let info = backend.info();
    tracing::info!(model = %info.name, arch = %info.architecture, "model ready");
    set(
        &status,
        EngineStatus::Ready {
            name: info.name,
            architecture: info.architecture,
            context_length: info.context_length,
            parameters: info.parameters,
        },
    );
    while let Ok(job) = jobs.recv() {
        if job.cancel.load(Ordering::Relaxed) || job.events.is_closed() {
            continue;
        }
        let events = job.events.clone();
        let mut sink = |ev: Event| events.blocking_send(ev).is_ok();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match job.work {
            Work::Generate(request) => backend.run(request, &job.cancel, &mut sink),
            Work::Score(request) => match backend.score(&request, &job.cancel)? {
                Some(scores) => {
                    sink(Event::Scores(scores));
                    Ok(())
                }
                None => Ok(()),
            },
        }));
        let err = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(EngineError::Internal("generation panicked".into())),
        };
        if let Some(e) = err {
            let _ = job.events.blocking_send(Event::Error(e));
        }
    }
}
