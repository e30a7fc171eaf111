//! A fake webhook receiver on `127.0.0.1:0` with scripted answers. It records every request
//! (headers, body) and lets a test wait for the n-th request as a signal instead of sleeping.

use std::{collections::VecDeque, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Router,
};
use tokio::sync::{watch, Mutex};

/// One scripted answer.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// Answer with this status at once.
    Status(u16),
    /// Answer 200 after this long (to provoke the sender's timeout).
    Slow(Duration),
}

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

/// A running receiver. Once the script runs out it answers 200.
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    count: watch::Receiver<usize>,
}

impl Receiver {
    pub async fn start(script: &[Answer]) -> Self {
        let inner = Arc::new(Inner {
            script: Mutex::new(script.iter().copied().collect()),
            seen: Mutex::default(),
        });
        let (count_tx, count) = watch::channel(0usize);
        let count_tx = Arc::new(count_tx);
        let app = Router::new().route(
            "/{*path}",
            post(
                |State((inner, tx)): State<(Arc<Inner>, Arc<watch::Sender<usize>>)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let answer = inner
                        .script
                        .lock()
                        .await
                        .pop_front()
                        .unwrap_or(Answer::Status(200));
                    {
                        let mut seen = inner.seen.lock().await;
                        seen.push(Seen { headers, body });
                        tx.send_replace(seen.len());
                    }
                    match answer {
                        Answer::Status(code) => (
                            StatusCode::from_u16(code).unwrap(),
                            format!("answer {code}"),
                        ),
                        Answer::Slow(d) => {
                            tokio::time::sleep(d).await;
                            (StatusCode::OK, "late".to_owned())
                        }
                    }
                },
            ),
        );
        let app = app.with_state((inner.clone(), count_tx));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, inner, count }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Waits until at least `n` requests arrived. The timeout only turns a hang into a clear
    /// failure; it is not how the test synchronises.
    pub async fn wait_requests(&mut self, n: usize) -> Vec<Seen> {
        tokio::time::timeout(Duration::from_secs(20), self.count.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("receiver did not see {n} requests in time"))
            .unwrap();
        self.seen().await
    }

    pub async fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().await.clone()
    }
}
