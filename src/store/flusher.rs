//! One flusher per database: a thread that makes writes durable on behalf of every writer.
//!
//! sled 0.34 can deadlock when `flush_async` runs from several tasks at once (sled issue
//! #1308: all I/O threads wait in `iobuf::flush`). So nothing else flushes: a writer asks for
//! a flush and waits for the next one that starts after its request, and requests that pile
//! up while a flush runs are served together by the next one.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

#[derive(Debug, Default)]
struct State {
    /// Flush requests made so far (a writer's ticket is the count after its own).
    requested: u64,
    /// Requests covered by a finished flush.
    done: u64,
    /// The newest failed flush: the ticket it covered and why it failed.
    failed: Option<(u64, String)>,
    stop: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked while holding the lock left only counters behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}

/// The flusher thread of one sled database.
#[derive(Debug)]
pub(super) struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Starts the thread for `db`.
    pub(super) fn start(db: sled::Db) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("claimcheck-flush".into())
            .spawn(move || run(&worker, &db))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Blocks until a flush that started after this call has finished.
    pub(super) fn flush(&self) -> Result<(), String> {
        let mut state = self.shared.lock();
        state.requested += 1;
        let ticket = state.requested;
        self.shared.changed.notify_all();
        while state.done < ticket {
            state = self.shared.wait(state);
        }
        match &state.failed {
            Some((covered, reason)) if *covered >= ticket => Err(reason.clone()),
            _ => Ok(()),
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, db: &sled::Db) {
    let mut state = shared.lock();
    loop {
        while state.requested == state.done && !state.stop {
            state = shared.wait(state);
        }
        if state.requested == state.done {
            return; // stopping, nothing owed
        }
        let target = state.requested;
        drop(state);
        let result = db.flush();
        state = shared.lock();
        state.done = target;
        if let Err(e) = result {
            state.failed = Some((target, e.to_string()));
        }
        shared.changed.notify_all();
    }
}
