//! The blocking bridge between the synchronous [`Storage`](super::super::Storage) trait and
//! `tokio-postgres`: a private tokio runtime owns the connections, and a caller on any thread
//! (a tokio worker, a blocking-pool thread, a plain test thread) sends it one statement at a
//! time and waits on a std channel for the rows.
//!
//! Why not the `postgres` crate: it blocks on a runtime of its own *on the calling thread*,
//! which panics when that thread is already inside a tokio runtime (the daemon, every
//! `#[tokio::test]`). Why one statement at a time rather than a whole closure: the trait's job
//! rewrites (`JobChange`) borrow caller data and are not `Send`, so they must run on the
//! caller's thread between statements; only owned SQL and parameters cross the channel.

use std::sync::{mpsc, Arc, Mutex};
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Row};

/// One statement parameter, owned so it can cross to the runtime's threads.
pub type Param = Box<dyn ToSql + Send + Sync>;

/// Connections one process opens at most (besides its LISTEN connection): a burst of API
/// requests waits for a connection rather than exhausting the server's `max_connections`
/// (100 by default) for every daemon of the cluster.
const MAX_OPEN: usize = 10;

/// The runtime and the connections.
pub struct Pool {
    runtime: Option<tokio::runtime::Runtime>,
    config: Config,
    /// Run on every new connection (e.g. `SET search_path`).
    setup: String,
    slots: Mutex<Slots>,
    /// Signalled when a connection is handed back or closed.
    freed: std::sync::Condvar,
}

/// The open connections: the idle ones, and how many are open in all.
#[derive(Default)]
struct Slots {
    idle: Vec<Arc<Client>>,
    open: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime; this does not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Pool {
    /// A pool for `config`; `setup` runs on each new connection.
    pub fn new(config: Config, setup: String) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("claimcheck-pg")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
            config,
            setup,
            slots: Mutex::default(),
            freed: std::sync::Condvar::new(),
        })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        // Only `drop` takes the runtime out.
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the pool")
            .handle()
    }

    /// Runs `future` on the pool's runtime and waits for it on this thread.
    fn wait<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().ok()
    }

    /// An open connection: an idle one, a new one while fewer than [`MAX_OPEN`] are open,
    /// else the next one handed back.
    pub fn checkout(&self) -> Result<Conn<'_>, BridgeError> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            while let Some(client) = slots.idle.pop() {
                if !client.is_closed() {
                    return Ok(self.conn(client));
                }
                slots.open -= 1;
            }
            if slots.open < MAX_OPEN {
                slots.open += 1;
                drop(slots);
                return match self.connect() {
                    Ok(client) => Ok(self.conn(client)),
                    Err(e) => {
                        self.release(None);
                        Err(e)
                    }
                };
            }
            slots = self.freed.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn conn(&self, client: Arc<Client>) -> Conn<'_> {
        Conn {
            pool: self,
            client: Some(client),
        }
    }

    /// Takes back a connection (`None`, or a closed one: it no longer counts as open).
    fn release(&self, client: Option<Arc<Client>>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match client {
            Some(client) if !client.is_closed() => slots.idle.push(client),
            _ => slots.open = slots.open.saturating_sub(1),
        }
        self.freed.notify_one();
    }

    fn connect(&self) -> Result<Arc<Client>, BridgeError> {
        let config = self.config.clone();
        let setup = self.setup.clone();
        let connected = self.wait(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "PostgreSQL connection closed");
                }
            });
            if !setup.is_empty() {
                client.batch_execute(&setup).await?;
            }
            Ok::<_, tokio_postgres::Error>(Arc::new(client))
        });
        Ok(connected.ok_or(BridgeError::Gone)??)
    }
}

/// Called for each notification on a listened channel.
pub type OnNotify = Arc<dyn Fn() + Send + Sync>;

impl Pool {
    /// Listens on `channel` on a connection of its own, calling `on_notify` for every
    /// notification, reconnecting with backoff when the connection is lost; returns once the
    /// first `LISTEN` is in place (so nothing sent after this returns is missed).
    pub fn listen(&self, channel: String, on_notify: OnNotify) -> Result<(), BridgeError> {
        let config = self.config.clone();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let mut ready = Some(ready_tx);
            let mut failures = 0u32;
            loop {
                match listen_once(&config, &channel, &on_notify, &mut ready).await {
                    Ok(()) => failures = 0,
                    Err(e) => match ready.take() {
                        Some(tx) => return drop(tx.send(Err(e))),
                        None => {
                            tracing::warn!(error = %e, "LISTEN connection to PostgreSQL lost; reconnecting");
                            failures += 1;
                        }
                    },
                }
                // A missed notification costs one poll interval; keep trying quietly.
                let wait = (100u64 << failures.min(6)).min(5000);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
        });
        Ok(ready_rx.recv().map_err(|_| BridgeError::Gone)??)
    }
}

/// One listening connection, until it ends.
async fn listen_once(
    config: &Config,
    channel: &str,
    on_notify: &OnNotify,
    ready: &mut Option<mpsc::SyncSender<Result<(), tokio_postgres::Error>>>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (heard_tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    // Polling the messages also drives the connection (the LISTEN below goes through it).
    let driver = tokio::spawn(async move {
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if matches!(message, AsyncMessage::Notification(_)) && heard_tx.send(()).is_err() {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    if let Some(tx) = ready.take() {
        let _ = tx.send(Ok(()));
    }
    while heard.recv().await.is_some() {
        on_notify();
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// What a statement can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// PostgreSQL answered with an error, or the connection failed.
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// The pool's runtime stopped (only while the store is being dropped).
    #[error("the PostgreSQL connection pool has shut down")]
    Gone,
}

impl BridgeError {
    /// True when trying the whole transaction again may succeed: the connection broke
    /// (PostgreSQL restarted), or PostgreSQL chose this transaction to lose a conflict
    /// (serialization failure, deadlock, a unique index another transaction just filled).
    pub fn is_transient(&self) -> bool {
        let BridgeError::Postgres(e) = self else {
            return false;
        };
        if e.is_closed() {
            return true;
        }
        match e.code() {
            Some(code) => {
                let code = code.code();
                matches!(
                    code,
                    "40001" | "40P01" | "23505" | "57P01" | "57P02" | "57P03"
                ) || code.starts_with("08")
            }
            // No SQLSTATE: transient when the connection itself failed (I/O).
            None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
        }
    }
}

/// A checked-out connection; back to the pool when dropped (unless it broke).
pub struct Conn<'a> {
    pool: &'a Pool,
    client: Option<Arc<Client>>,
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let client = self.client.take();
        self.pool.release(client);
    }
}

impl Conn<'_> {
    fn client(&self) -> Arc<Client> {
        Arc::clone(self.client.as_ref().expect("held until dropped"))
    }

    /// Runs one statement; its rows.
    pub fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, BridgeError> {
        let client = self.client();
        let sql = sql.to_string();
        let rows = self.pool.wait(async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            client.query(&sql, &refs).await
        });
        Ok(rows.ok_or(BridgeError::Gone)??)
    }

    /// Runs statements without parameters (BEGIN, COMMIT, migrations).
    pub fn batch(&self, sql: &str) -> Result<(), BridgeError> {
        let client = self.client();
        let sql = sql.to_string();
        let done = self
            .pool
            .wait(async move { client.batch_execute(&sql).await });
        Ok(done.ok_or(BridgeError::Gone)??)
    }
}

impl Conn<'_> {
    /// Closes the connection instead of pooling it (its state is unknown after a failure).
    pub fn discard(mut self) {
        self.client = None; // `drop` then releases its slot
    }
}
