//! A fake webhook receiver on `127.0.0.1:0` with scripted answers. It records every request
//! (the raw path and query as they arrived, headers, body, and the injected clock's time when
//! one is given) and lets a test wait for the n-th request as a signal instead of sleeping.
//! Shared by the delivery and seed tests; it must not assert anything itself.

use std::{collections::VecDeque, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::State,
    http::{header::RETRY_AFTER, HeaderMap, HeaderValue, StatusCode, Uri},
    routing::post,
    Router,
};
use hookd_core::{clock::Clock, Timestamp};
use tokio::sync::{watch, Mutex};

/// One scripted answer.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// Answer with this status at once.
    Status(u16),
    /// Answer 200 after this long (to provoke the sender's timeout).
    Slow(Duration),
    /// Answer with this status and this `Retry-After` header, as written.
    RetryAfter(u16, &'static str),
    /// Answer with this status and a `Retry-After` naming this time as an HTTP-date
    /// (IMF-fixdate, the form RFC 9110 asks senders to use).
    RetryAfterDate(u16, Timestamp),
}

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path and query exactly as requested.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The injected clock's time when the request arrived, if the receiver has a clock.
    pub at: Option<Timestamp>,
}

#[allow(dead_code)]
impl Seen {
    /// The header names, lower case and sorted.
    pub fn header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.headers.keys().map(|k| k.as_str().to_owned()).collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

struct Inner {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
    clock: Option<Arc<dyn Clock>>,
}

/// A running receiver. Once the script runs out it answers 200.
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    count: watch::Receiver<usize>,
}

#[allow(dead_code)]
impl Receiver {
    pub async fn start(script: &[Answer]) -> Self {
        Self::start_with(script, None).await
    }

    /// A receiver that stamps each request with `clock`'s time.
    pub async fn with_clock(script: &[Answer], clock: Arc<dyn Clock>) -> Self {
        Self::start_with(script, Some(clock)).await
    }

    async fn start_with(script: &[Answer], clock: Option<Arc<dyn Clock>>) -> Self {
        let inner = Arc::new(Inner {
            script: Mutex::new(script.iter().copied().collect()),
            seen: Mutex::default(),
            clock,
        });
        let (count_tx, count) = watch::channel(0usize);
        let count_tx = Arc::new(count_tx);
        let app = Router::new().route(
            "/{*path}",
            post(
                |State((inner, tx)): State<(Arc<Inner>, Arc<watch::Sender<usize>>)>,
                 uri: Uri,
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
                        let uri = uri
                            .path_and_query()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default();
                        let at = inner.clock.as_ref().map(|c| c.now());
                        seen.push(Seen {
                            uri,
                            headers,
                            body,
                            at,
                        });
                        tx.send_replace(seen.len());
                    }
                    let status = |code| StatusCode::from_u16(code).unwrap();
                    let retry_after = |value: String| {
                        let mut h = HeaderMap::new();
                        h.insert(RETRY_AFTER, HeaderValue::from_str(&value).unwrap());
                        h
                    };
                    match answer {
                        Answer::Status(code) => {
                            (status(code), HeaderMap::new(), format!("answer {code}"))
                        }
                        Answer::Slow(d) => {
                            tokio::time::sleep(d).await;
                            (StatusCode::OK, HeaderMap::new(), "late".to_owned())
                        }
                        Answer::RetryAfter(code, value) => (
                            status(code),
                            retry_after(value.to_owned()),
                            format!("answer {code}"),
                        ),
                        Answer::RetryAfterDate(code, at) => (
                            status(code),
                            retry_after(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
                            format!("answer {code}"),
                        ),
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
