//! Deliveries through `outbound_proxy`: a tiny proxy on 127.0.0.1, written here, that speaks
//! both forms a client uses (an absolute-form request for `http://`, `CONNECT` for
//! `https://`) and tells the test every request line it received. The address guard must
//! still apply to the destination, checked by hookd before the proxy is asked, while the
//! proxy's own loopback address is not refused.

use std::{net::SocketAddr, time::Duration};

use hookd_core::{delivery::MessageStatus, id::MsgId, model::Endpoint};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};

use super::{world, Backend, World};
use crate::common::receiver::Receiver;

/// The answer the proxy gives itself for destinations it does not forward (public addresses
/// the test cannot reach), so that the test can tell they went through it.
const ANSWERED_BY_PROXY: &str = "answered by the proxy";

/// A running test proxy.
struct Proxy {
    addr: SocketAddr,
    /// Every request line received (`CONNECT localhost:1234 HTTP/1.1`, `POST http://… HTTP/1.1`).
    lines: mpsc::UnboundedReceiver<String>,
}

impl Proxy {
    /// Starts the proxy. Requests to `localhost` are forwarded (CONNECT tunnels too); any other
    /// destination is answered by the proxy itself.
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move { serve(client, tx).await });
            }
        });
        Proxy { addr, lines }
    }

    fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}", self.addr)).unwrap()
    }

    /// The request lines received so far.
    fn received(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.try_recv() {
            out.push(line);
        }
        out
    }
}

/// Reads up to the end of the request head; returns the head's text and every byte read.
async fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some((String::from_utf8_lossy(&buf[..end]).into_owned(), buf));
        }
    }
}

async fn serve(mut client: TcpStream, tx: mpsc::UnboundedSender<String>) {
    let Some((head, bytes)) = read_head(&mut client).await else {
        return;
    };
    let line = head.lines().next().unwrap_or_default().to_owned();
    let _ = tx.send(line.clone());
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        let Ok(mut upstream) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        let _ = client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await;
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    let Ok(url) = url::Url::parse(target) else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    if url.host_str() != Some("localhost") {
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ANSWERED_BY_PROXY}",
            ANSWERED_BY_PROXY.len()
        );
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let port = url.port().unwrap_or(80);
    let Ok(mut upstream) = TcpStream::connect(("localhost", port)).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    // Forwards the request in origin form, then whatever follows, both ways.
    let origin_form = line.replacen(target, &url[url::Position::BeforePath..], 1);
    let rest = &bytes[line.len()..];
    if upstream.write_all(origin_form.as_bytes()).await.is_err()
        || upstream.write_all(rest).await.is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// A world whose deliveries go through `proxy`, with `allowed` as the allowed networks.
async fn proxied(proxy: &Proxy, allowed: &[&str]) -> World {
    let allowed: Vec<ipnet::IpNet> = allowed.iter().map(|n| n.parse().unwrap()).collect();
    let proxy = proxy.url();
    world(Backend::Sqlite, move |c| {
        c.outbound_proxy = Some(proxy);
        c.allowed_networks = allowed;
        c.request_timeout = Duration::from_secs(5);
    })
    .await
}

/// The one attempt of `msg` to `ep`.
async fn attempt_to(w: &World, msg: &MsgId, ep: &Endpoint) -> hookd_core::model::Attempt {
    let mut attempts: Vec<_> = w
        .attempts(msg)
        .await
        .into_iter()
        .filter(|a| a.endpoint_id == ep.id)
        .collect();
    assert_eq!(attempts.len(), 1, "one attempt to {}", ep.url);
    attempts.remove(0)
}

/// With loopback allowed, an `http://localhost` delivery is sent to the proxy in absolute form
/// and forwarded to the receiver, signed as always; an `https://localhost` delivery asks the
/// proxy to `CONNECT` by name (the TLS handshake then fails against the plain receiver).
#[tokio::test]
async fn deliveries_go_through_the_proxy() {
    let mut proxy = Proxy::start().await;
    let mut w = proxied(&proxy, &["127.0.0.0/8", "::1/128"]).await;
    let mut rx = Receiver::start(&[]).await;
    let port = rx.addr.port();
    let plain = w
        .endpoint(format!("http://localhost:{port}/hook"), |_| {})
        .await;
    let tls = w
        .endpoint(format!("https://localhost:{port}/hook"), |_| {})
        .await;
    let msg = w.publish(r#"{"via":"proxy"}"#).await;
    let seen = rx.wait_requests(1).await;
    w.wait_completed(2).await;

    assert_eq!(seen[0].header("webhook-id"), msg.id.as_str());
    assert_eq!(&seen[0].body[..], br#"{"via":"proxy"}"#);
    let ok = attempt_to(&w, &msg.id, &plain).await;
    assert_eq!(ok.status, MessageStatus::Success, "{ok:?}");
    let failed = attempt_to(&w, &msg.id, &tls).await;
    assert_eq!(failed.status, MessageStatus::Fail);
    assert_eq!(failed.response_status_code, 0);

    let mut lines = proxy.received();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("CONNECT localhost:{port} HTTP/1.1"),
            format!("POST http://localhost:{port}/hook HTTP/1.1"),
        ]
    );
}

/// With no network allowed, destinations that are or resolve to internal addresses are
/// refused before the proxy hears of them, and so is a name that does not resolve; a public
/// address goes through the proxy (which is itself on loopback, and not refused for it).
#[tokio::test]
async fn the_address_guard_still_applies_to_the_destination() {
    let mut proxy = Proxy::start().await;
    let mut w = proxied(&proxy, &[]).await;
    let mut refused = Vec::new();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "https://10.0.0.1/hook",
        "http://receiver.invalid/hook",
    ] {
        refused.push(w.endpoint(url.into(), |_| {}).await);
    }
    let public = w.endpoint("http://93.184.216.34/hook".into(), |_| {}).await;
    let msg = w.publish("{}").await;
    w.wait_completed(6).await;

    for ep in &refused {
        let a = attempt_to(&w, &msg.id, ep).await;
        assert_eq!(a.status, MessageStatus::Fail, "{}", ep.url);
        assert_eq!(a.response_status_code, 0);
        let reason = a.response.unwrap_or_default();
        assert!(
            reason.contains("blocked range") || reason.contains("did not resolve"),
            "{}: {reason}",
            ep.url
        );
    }
    let a = attempt_to(&w, &msg.id, &public).await;
    assert_eq!(a.status, MessageStatus::Success);
    assert_eq!(a.response.as_deref(), Some(ANSWERED_BY_PROXY));
    // The proxy reports each request line before it answers, so all are in by now.
    assert_eq!(
        proxy.received(),
        ["POST http://93.184.216.34/hook HTTP/1.1"]
    );
}
