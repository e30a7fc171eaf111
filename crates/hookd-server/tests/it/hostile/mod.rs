//! Hostile receivers: raw `tokio::net::TcpListener` servers on 127.0.0.1, each scripted to
//! answer in one broken way (a huge body, an endless one, a slow drip, a silent socket,
//! garbage instead of HTTP, a connection closed halfway, plain TCP where TLS was expected,
//! bytes that are not UTF-8). Every case must end as one recorded attempt within the timeout,
//! with at most the documented 16 KiB of body kept, and hookd must stop reading what it does
//! not keep (the scripts report how much they managed to write before hookd hung up).
//!
//! The scripts may sleep: slowness is their hostile behaviour. The tests never do; they wait
//! for the workers' completion count and for the scripts' own reports.

mod cases;

use std::{future::Future, net::SocketAddr, sync::Arc};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};

/// The most request bytes a script reads: far more than any delivery hookd sends in these
/// tests, so that a script always reads the whole request before it misbehaves.
const MAX_REQUEST: usize = 1024 * 1024;

/// A scripted raw receiver. Each connection runs the script; what a script reports (say, how
/// many bytes it wrote before the peer hung up) arrives on [`Raw::reports`].
pub struct Raw {
    pub addr: SocketAddr,
    pub reports: mpsc::UnboundedReceiver<u64>,
}

impl Raw {
    /// Starts a listener whose every connection is handed to `script` with a channel for its
    /// report.
    pub async fn start<F, Fut>(script: F) -> Raw
    where
        F: Fn(TcpStream, mpsc::UnboundedSender<u64>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, reports) = mpsc::unbounded_channel();
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = script.clone();
                let tx = tx.clone();
                tokio::spawn(async move { script(stream, tx).await });
            }
        });
        Raw { addr, reports }
    }

    /// `http://` (or another scheme) URL of this receiver.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/hook", self.addr)
    }

    /// The next report of a script. The timeout only turns a hang into a clear failure.
    pub async fn report(&mut self) -> u64 {
        tokio::time::timeout(crate::reliability::SIGNAL_TIMEOUT, self.reports.recv())
            .await
            .expect("the script reported in time")
            .expect("the script is running")
    }
}

/// Reads one HTTP request (headers, then as many body bytes as `Content-Length` says), so that
/// the script misbehaves only after the request is in, as a real receiver would. Returns
/// whatever was read; a peer that is not speaking HTTP (a TLS handshake) just ends it early.
pub async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return buf;
        };
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length && buf.len() < MAX_REQUEST {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            return buf;
        }
        if buf.len() >= MAX_REQUEST || !buf.is_ascii() {
            // Not an HTTP request (a TLS ClientHello is binary).
            return buf;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `chunk` over and over (at most `total` bytes) until the peer stops reading and a
/// write fails; returns how many bytes were written.
pub async fn write_until_refused(stream: &mut TcpStream, chunk: &[u8], total: u64) -> u64 {
    let mut written = 0u64;
    while written < total {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
        written += chunk.len() as u64;
    }
    written
}
