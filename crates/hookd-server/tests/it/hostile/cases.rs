//! One test per hostile answer. Each publishes one message to an endpoint at a scripted raw
//! receiver, waits for the workers' one completion and checks the recorded attempt: its
//! status code (0 when no HTTP answer arrived), whether it counts as delivered, the kept body
//! or the reason, and how long it took. Cases whose recorded text exercises the store (huge
//! and non-UTF-8 bodies) run on both stores.

use std::time::{Duration, Instant};

use hookd_core::{delivery::MessageStatus, model::Attempt};
use hookd_server::config::DEFAULT_RESPONSE_BODY_LIMIT;
use tokio::{io::AsyncWriteExt, net::TcpStream};

use super::{read_request, write_until_refused, Raw};
use crate::reliability::{on_both_stores, world, Backend};

/// How much later than its timeout an attempt may end: scheduling and the completion write on
/// a loaded two-core machine, never the receiver.
const GRACE: Duration = Duration::from_secs(3);

/// The body a script offers at most: 64 MiB, four thousand times what hookd keeps, far more
/// than loopback socket buffers absorb, so a script that wrote all of it would mean hookd read
/// it all.
const HUGE: u64 = 64 * 1024 * 1024;

/// What one delivery to `url` came to, with the wall time it took.
async fn one_attempt(backend: Backend, url: String, timeout: Duration) -> (Attempt, Duration) {
    let mut w = world(backend, |c| c.request_timeout = timeout).await;
    w.endpoint(url, |_| {}).await;
    let started = Instant::now();
    let msg = w.publish(r#"{"hostile":true}"#).await;
    w.wait_completed(1).await;
    let took = started.elapsed();
    let mut attempts = w.attempts(&msg.id).await;
    assert_eq!(attempts.len(), 1, "exactly one attempt is recorded");
    let attempt = attempts.remove(0);
    assert!(
        took < timeout + GRACE,
        "the attempt ended {took:?} after it started; the timeout is {timeout:?}"
    );
    assert!(
        u64::try_from(attempt.response_duration_ms).unwrap() < (timeout + GRACE).as_millis() as u64
    );
    (attempt, took)
}

fn body(attempt: &Attempt) -> &str {
    attempt.response.as_deref().unwrap_or_default()
}

fn failed_without_answer(attempt: &Attempt) {
    assert_eq!(attempt.status, MessageStatus::Fail);
    assert_eq!(attempt.response_status_code, 0);
    assert!(!body(attempt).is_empty(), "a reason is recorded");
    assert!(
        !body(attempt).contains("127.0.0.1"),
        "reasons never name the URL: {}",
        body(attempt)
    );
}

async fn respond(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
}

on_both_stores!(
    a_huge_body_is_cut_at_the_limit_and_not_read_further,
    bodies_that_are_not_utf8_are_stored_lossily_within_the_limit,
);

/// A 500 with a 64 MiB body: 16 KiB are kept, and hookd hangs up instead of reading on, so the
/// receiver cannot write more than a fraction of it.
async fn a_huge_body_is_cut_at_the_limit_and_not_read_further(backend: Backend) {
    let mut rx = Raw::start(|mut s, report| async move {
        read_request(&mut s).await;
        let head = format!("HTTP/1.1 500 Internal Server Error\r\nContent-Length: {HUGE}\r\n\r\n");
        respond(&mut s, head.as_bytes()).await;
        let written = write_until_refused(&mut s, &[b'x'; 64 * 1024], HUGE).await;
        let _ = report.send(written);
    })
    .await;
    let (attempt, _) = one_attempt(backend, rx.url("http"), Duration::from_secs(10)).await;
    assert_eq!(attempt.status, MessageStatus::Fail);
    assert_eq!(attempt.response_status_code, 500);
    assert_eq!(body(&attempt).len(), DEFAULT_RESPONSE_BODY_LIMIT);
    assert!(body(&attempt).bytes().all(|b| b == b'x'));
    let written = rx.report().await;
    assert!(
        written < HUGE / 4,
        "the receiver wrote {written} bytes before hookd hung up"
    );
    // The README's Reliability figures.
    eprintln!(
        "huge body ({backend:?}): kept {} bytes; the receiver wrote {written} of {HUGE} bytes \
         before hookd hung up, in {} ms",
        body(&attempt).len(),
        attempt.response_duration_ms
    );
}

/// A 200 whose chunked body never ends: the attempt is judged by its status (delivered), keeps
/// 16 KiB and ends as soon as they are read, long before the timeout.
#[tokio::test]
async fn an_endless_body_is_judged_by_its_status_and_not_read_to_the_end() {
    let mut rx = Raw::start(|mut s, report| async move {
        read_request(&mut s).await;
        respond(
            &mut s,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await;
        let mut chunk = b"1000\r\n".to_vec();
        chunk.extend_from_slice(&[b'e'; 0x1000]);
        chunk.extend_from_slice(b"\r\n");
        let written = write_until_refused(&mut s, &chunk, u64::MAX).await;
        let _ = report.send(written);
    })
    .await;
    let timeout = Duration::from_secs(20);
    let (attempt, took) = one_attempt(Backend::Sqlite, rx.url("http"), timeout).await;
    assert_eq!(attempt.status, MessageStatus::Success);
    assert_eq!(attempt.response_status_code, 200);
    assert_eq!(body(&attempt).len(), DEFAULT_RESPONSE_BODY_LIMIT);
    assert!(
        took < timeout / 2,
        "stopped reading at the limit, not at the timeout: {took:?}"
    );
    let written = rx.report().await;
    assert!(written < HUGE, "the receiver was cut off");
    eprintln!(
        "endless body: delivered (200) in {} ms with a {timeout:?} timeout; the receiver \
         wrote {written} bytes before hookd hung up",
        attempt.response_duration_ms
    );
}

/// A 503 whose body arrives a byte every 20 ms: the attempt ends at the 1 s timeout with the
/// status and the bytes that came.
#[tokio::test]
async fn a_slow_drip_body_ends_at_the_timeout() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        respond(
            &mut s,
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100000\r\n\r\n",
        )
        .await;
        for _ in 0..100_000 {
            if s.write_all(b".").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let timeout = Duration::from_secs(1);
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), timeout).await;
    assert_eq!(attempt.status, MessageStatus::Fail);
    assert_eq!(attempt.response_status_code, 503);
    assert!(attempt.response_duration_ms >= 900, "{attempt:?}");
    assert!(
        body(&attempt).starts_with('.') && body(&attempt).len() < 100,
        "the drops that came: {:?}",
        body(&attempt)
    );
    eprintln!(
        "slow drip: ended after {} ms with a {timeout:?} timeout, {} bytes kept",
        attempt.response_duration_ms,
        body(&attempt).len()
    );
}

/// Headers that arrive a line every 100 ms, forever: no status ever completes, so the attempt
/// fails with no code at the timeout.
#[tokio::test]
async fn headers_that_never_end_time_out() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        respond(&mut s, b"HTTP/1.1 200 OK\r\n").await;
        for i in 0..100_000 {
            if s.write_all(format!("X-Drip-{i}: .\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(1)).await;
    failed_without_answer(&attempt);
    assert_eq!(body(&attempt), "no answer within the 1 s timeout");
}

/// A receiver that accepts, reads the request and says nothing.
#[tokio::test]
async fn a_silent_receiver_times_out() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        // Holds the connection until hookd gives up and closes it.
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest).await;
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(1)).await;
    failed_without_answer(&attempt);
    assert_eq!(body(&attempt), "no answer within the 1 s timeout");
}

/// Bytes that are not HTTP at all.
#[tokio::test]
async fn garbage_instead_of_http_is_a_failed_attempt() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        respond(&mut s, b"\x00\xff\x16\x03 this is not HTTP\r\n\r\n").await;
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(5)).await;
    failed_without_answer(&attempt);
}

/// The connection closes in the middle of the status line's headers: no answer.
#[tokio::test]
async fn a_connection_closed_mid_headers_is_a_failed_attempt() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        respond(&mut s, b"HTTP/1.1 200 OK\r\nContent-Le").await;
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(5)).await;
    failed_without_answer(&attempt);
}

/// The connection closes in the middle of the body: the status arrived, so it decides (a 500
/// fails, a 200 counts as delivered), and the part of the body that came is kept.
#[tokio::test]
async fn a_connection_closed_mid_body_is_judged_by_its_status() {
    for (head, delivered) in [
        ("HTTP/1.1 500 Internal Server Error", false),
        ("HTTP/1.1 200 OK", true),
    ] {
        let rx = Raw::start(move |mut s, _| async move {
            read_request(&mut s).await;
            let answer = format!("{head}\r\nContent-Length: 1000\r\n\r\npartial");
            respond(&mut s, answer.as_bytes()).await;
        })
        .await;
        let (attempt, _) =
            one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(5)).await;
        assert_eq!(
            attempt.status == MessageStatus::Success,
            delivered,
            "{head}"
        );
        assert_eq!(body(&attempt), "partial");
    }
}

/// An `https://` endpoint whose listener speaks plain TCP: the TLS handshake fails.
#[tokio::test]
async fn tls_to_a_plain_listener_is_a_failed_attempt() {
    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        respond(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("https"), Duration::from_secs(5)).await;
    failed_without_answer(&attempt);
}

/// Invalid UTF-8 and NUL bytes (which PostgreSQL cannot store in text) are recorded as
/// U+FFFD; a huge body of invalid bytes, each of which becomes three bytes of U+FFFD, is
/// still kept within the 16 KiB limit.
async fn bodies_that_are_not_utf8_are_stored_lossily_within_the_limit(backend: Backend) {
    let mixed: &'static [u8] = b"caf\xc3\xa9 \xff\xfe nul:\x00 end";
    let rx = Raw::start(move |mut s, _| async move {
        read_request(&mut s).await;
        let head = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n",
            mixed.len()
        );
        respond(&mut s, head.as_bytes()).await;
        respond(&mut s, mixed).await;
    })
    .await;
    let (attempt, _) = one_attempt(backend, rx.url("http"), Duration::from_secs(5)).await;
    assert_eq!(attempt.response_status_code, 400);
    assert_eq!(body(&attempt), "café \u{FFFD}\u{FFFD} nul:\u{FFFD} end");

    let rx = Raw::start(|mut s, _| async move {
        read_request(&mut s).await;
        let n = 40 * 1024;
        let head = format!("HTTP/1.1 502 Bad Gateway\r\nContent-Length: {n}\r\n\r\n");
        respond(&mut s, head.as_bytes()).await;
        respond(&mut s, &vec![0xff; n]).await;
    })
    .await;
    let (attempt, _) = one_attempt(backend, rx.url("http"), Duration::from_secs(5)).await;
    assert_eq!(attempt.response_status_code, 502);
    let kept = body(&attempt);
    assert!(
        kept.len() <= DEFAULT_RESPONSE_BODY_LIMIT,
        "{} bytes",
        kept.len()
    );
    assert!(
        kept.len() > DEFAULT_RESPONSE_BODY_LIMIT - 4,
        "as much as fits"
    );
    assert!(kept.chars().all(|c| c == '\u{FFFD}'));
}

/// A header section that never ends within any sane size: the HTTP client refuses it once
/// its header buffer is full (hyper's limit, about 400 KiB) instead of buffering on, so the
/// receiver cannot write more than a fraction of it.
#[tokio::test]
async fn an_endless_header_is_refused_not_buffered() {
    let mut rx = Raw::start(|mut s, report| async move {
        read_request(&mut s).await;
        respond(&mut s, b"HTTP/1.1 200 OK\r\nX-Endless: ").await;
        let written = write_until_refused(&mut s, &[b'h'; 64 * 1024], HUGE).await;
        let _ = report.send(written);
    })
    .await;
    let (attempt, _) = one_attempt(Backend::Sqlite, rx.url("http"), Duration::from_secs(10)).await;
    failed_without_answer(&attempt);
    let written = rx.report().await;
    assert!(
        written < HUGE / 4,
        "the receiver wrote {written} bytes before hookd hung up"
    );
    eprintln!(
        "endless header: refused after {written} bytes written, in {} ms ({})",
        attempt.response_duration_ms,
        body(&attempt)
    );
}
