//! Every metric hookd exports, declared once (name, unit, help text, labels) and recorded
//! through the functions below over the `metrics` facade, and `GET /metrics`, which renders
//! them in Prometheus's text format. The binary installs the Prometheus recorder
//! ([`Exporter::install`]); without one (tests, embedders) every recording is a no-op.
//!
//! Labels are bounded by construction: outcomes, status classes, states, operations and route
//! templates come from fixed sets. This module must never label by an id, a URL or any other
//! input, and must not decide anything about deliveries: it counts what others decided.
//!
//! Gauges that describe the store (queue depth, delivery lag) and this process (deliveries in
//! flight, resources) are read when scraped, not sampled by a task: they are always fresh and
//! cost nothing between scrapes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, HeaderValue, Method},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use hookd_core::store::StoreError;
use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Counter,
    Histogram, Unit,
};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

pub const MESSAGES_PUBLISHED: &str = "hookd_messages_published_total";
pub const PUBLISH_DURATION: &str = "hookd_publish_duration_seconds";
pub const ATTEMPTS: &str = "hookd_delivery_attempts_total";
pub const ATTEMPT_DURATION: &str = "hookd_delivery_attempt_duration_seconds";
pub const DELIVERIES_FINISHED: &str = "hookd_deliveries_finished_total";
pub const GATE_HANDBACKS: &str = "hookd_gate_handbacks_total";
pub const ENDPOINTS_DISABLED: &str = "hookd_endpoints_disabled_total";
pub const IN_FLIGHT: &str = "hookd_deliveries_in_flight";
pub const QUEUE_DEPTH: &str = "hookd_queue_depth";
pub const DELIVERY_LAG: &str = "hookd_delivery_lag_seconds";
pub const STORE_UP: &str = "hookd_store_up";
pub const STORE_DURATION: &str = "hookd_store_operation_duration_seconds";
pub const STORE_ERRORS: &str = "hookd_store_errors_total";
pub const API_REQUESTS: &str = "hookd_api_requests_total";
pub const API_DURATION: &str = "hookd_api_request_duration_seconds";

/// The histograms' buckets, in seconds: from a millisecond (a local receiver, a cached
/// lookup) to a minute (the longest delivery timeout), about three per decade, so that
/// `histogram_quantile` reads p50 and p99 to within a bucket's width.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Every metric with its help text, so that `/metrics` says what each one means.
fn describe() {
    describe_counter!(
        MESSAGES_PUBLISHED,
        Unit::Count,
        "Messages written, with their deliveries, by this process."
    );
    describe_histogram!(
        PUBLISH_DURATION,
        Unit::Seconds,
        "From a publish reaching the engine to its message being committed."
    );
    describe_counter!(ATTEMPTS, Unit::Count, "Delivery attempts made, by outcome (success, failure) and HTTP status class (2xx … 5xx; none when no response came).");
    describe_histogram!(
        ATTEMPT_DURATION,
        Unit::Seconds,
        "How long delivery attempts took, by outcome."
    );
    describe_counter!(DELIVERIES_FINISHED, Unit::Count, "Deliveries that reached a final state: succeeded, exhausted (every allowed attempt failed) or canceled (endpoint disabled).");
    describe_counter!(GATE_HANDBACKS, Unit::Count, "Claimed deliveries handed back, without an attempt, because their endpoint had `endpoint_concurrency` requests in flight.");
    describe_counter!(ENDPOINTS_DISABLED, Unit::Count, "Endpoints this process disabled because every attempt failed for `endpoint_failure_disable_after_secs`.");
    describe_gauge!(
        IN_FLIGHT,
        Unit::Count,
        "Deliveries this process holds in worker slots (attempting, or waiting to be recorded)."
    );
    describe_gauge!(QUEUE_DEPTH, Unit::Count, "Deliveries not finished, by state (pending, claimed, retry_scheduled), in the whole store.");
    describe_gauge!(
        DELIVERY_LAG,
        Unit::Seconds,
        "How long the oldest due delivery has been due (0 when nothing is late): the queue's lag."
    );
    describe_gauge!(
        STORE_UP,
        Unit::Count,
        "1 when the store answered the last scrape's queries, else 0."
    );
    describe_histogram!(STORE_DURATION, Unit::Seconds, "The delivery engine's store operations (create_messages, claim_due, complete, depth), by operation.");
    describe_counter!(STORE_ERRORS, Unit::Count, "Store operations that failed, by operation and kind (unavailable, conflict, not_found, other).");
    describe_counter!(
        API_REQUESTS,
        Unit::Count,
        "API answers, by method, route template and status."
    );
    describe_histogram!(
        API_DURATION,
        Unit::Seconds,
        "How long API answers took, by method and route template."
    );
    // Counters that may stay at zero for a long time are exported from the start, so that
    // `rate()` and alerts over them see a series rather than nothing.
    counter!(GATE_HANDBACKS).absolute(0);
    counter!(ENDPOINTS_DISABLED).absolute(0);
    for operation in STORE_OPERATIONS {
        for kind in ERROR_KINDS {
            counter!(STORE_ERRORS, "operation" => operation, "kind" => kind).absolute(0);
        }
    }
}

/// The engine's store operations [`timed`] measures.
const STORE_OPERATIONS: [&str; 4] = ["create_messages", "claim_due", "complete", "depth"];

/// How a store error is labelled, from [`StoreError`]'s kinds.
const ERROR_KINDS: [&str; 4] = ["not_found", "conflict", "unavailable", "other"];

/// The installed Prometheus recorder, which renders `/metrics`.
#[derive(Clone, Debug)]
pub struct Exporter {
    handle: PrometheusHandle,
    process: Arc<metrics_process::Collector>,
    routes: Arc<Mutex<HashMap<String, RouteHandles>>>,
}

impl Exporter {
    /// Installs the process-wide recorder (once per process: the binary calls this).
    pub fn install() -> Result<Exporter, BuildError> {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
            .install_recorder()?;
        describe();
        // A second install in one process (tests) finds the handles already registered.
        let _ = HOT.set(Hot::register());
        let process = metrics_process::Collector::default();
        process.describe();
        Ok(Exporter {
            handle,
            process: Arc::new(process),
            routes: Arc::default(),
        })
    }

    /// Drains the histograms' recorded samples into their buckets every `every`, on a thread
    /// of its own, so that memory stays bounded however rarely (or never) anyone scrapes.
    pub fn spawn_upkeep(&self, every: Duration) {
        let handle = self.handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                handle.run_upkeep();
            })
            .map(drop)
            .unwrap_or_else(
                |e| tracing::warn!(error = %e, "the metrics upkeep thread did not start"),
            );
    }

    /// The API answered `status` to `method route` after `took`.
    pub fn api_answered(&self, method: &Method, route: &str, status: u16, took: Duration) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteHandles::default());
        }
        let Some(handles) = routes.get_mut(route) else {
            return;
        };
        handles
            .answers
            .entry((method.clone(), status))
            .or_insert_with(|| {
                counter!(
                    API_REQUESTS,
                    "method" => method.as_str().to_owned(),
                    "route" => route.to_owned(),
                    "status" => status.to_string()
                )
            })
            .increment(1);
        handles
            .durations
            .entry(method.clone())
            .or_insert_with(|| {
                histogram!(API_DURATION, "method" => method.as_str().to_owned(), "route" => route.to_owned())
            })
            .record(took.as_secs_f64());
    }

    /// The metrics as Prometheus's text format, with the scrape-time gauges read first.
    async fn render(&self, state: &AppState) -> String {
        self.process.collect();
        gauge!(IN_FLIGHT).set(state.engine.in_flight() as f64);
        let now = state.clock.now();
        match timed("depth", state.queue.depth(now)).await {
            Ok(depth) => {
                gauge!(STORE_UP).set(1.0);
                for (s, n) in [
                    ("pending", depth.pending),
                    ("claimed", depth.claimed),
                    ("retry_scheduled", depth.retry_scheduled),
                ] {
                    gauge!(QUEUE_DEPTH, "state" => s).set(n as f64);
                }
                let lag = depth.oldest_due_at.map_or(0.0, |at| {
                    (now - at).num_milliseconds().max(0) as f64 / 1000.0
                });
                gauge!(DELIVERY_LAG).set(lag);
            }
            Err(_) => gauge!(STORE_UP).set(0.0),
        }
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// `GET /metrics`, on the API's listener or on a listener of its own.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Serves `GET /metrics` alone on `listener` (`metrics_listen`), until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) {
    let app = router()
        .route_layer(axum::middleware::from_fn(
            crate::api::declared::refuse_every_query,
        ))
        .with_state(state);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let Some(exporter) = state.exporter.clone() else {
        return crate::error::ApiError::not_found().into_response();
    };
    let body = exporter.render(&state).await;
    let mut response = body.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Times a store operation of the engine's, counting its failure by kind.
pub async fn timed<T>(
    operation: &'static str,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let result = call.await;
    histogram!(STORE_DURATION, "operation" => operation).record(started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        let kind = match e {
            StoreError::NotFound => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Other(_) => "other",
        };
        counter!(STORE_ERRORS, "operation" => operation, "kind" => kind).increment(1);
    }
    result
}

/// The outcome labels of an attempt, by index.
const OUTCOMES: [&str; 2] = ["success", "failure"];
/// The status-class labels of an attempt, by index (`none`: no response came).
const CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
/// The final states a delivery reaches, as labels.
const FINAL_STATES: [&str; 3] = ["succeeded", "exhausted", "canceled"];

/// The handles of the metrics recorded once or more per delivery, registered once with the
/// installed recorder: a recording is then an atomic add, not a registry lookup with a label
/// set built for each call. Empty until [`Exporter::install`], so that without a recorder every
/// recording costs a check.
struct Hot {
    published: Counter,
    publish_duration: Histogram,
    attempts: [[Counter; CLASSES.len()]; OUTCOMES.len()],
    attempt_duration: [Histogram; OUTCOMES.len()],
    finished: [Counter; FINAL_STATES.len()],
}

static HOT: OnceLock<Hot> = OnceLock::new();

impl Hot {
    fn register() -> Hot {
        Hot {
            published: counter!(MESSAGES_PUBLISHED),
            publish_duration: histogram!(PUBLISH_DURATION),
            attempts: OUTCOMES.map(|outcome| {
                CLASSES
                    .map(|class| counter!(ATTEMPTS, "outcome" => outcome, "status_class" => class))
            }),
            attempt_duration: OUTCOMES
                .map(|outcome| histogram!(ATTEMPT_DURATION, "outcome" => outcome)),
            finished: FINAL_STATES.map(|state| counter!(DELIVERIES_FINISHED, "state" => state)),
        }
    }
}

/// The API request metrics of one route, by method and status, registered on first use: the
/// set is bounded by the routes and the statuses they answer.
#[derive(Debug, Default)]
struct RouteHandles {
    answers: HashMap<(Method, u16), Counter>,
    durations: HashMap<Method, Histogram>,
}

/// `n` messages were committed, `took` after their publish reached the engine.
pub fn published(n: u64, took: Duration) {
    if let Some(hot) = HOT.get() {
        hot.published.increment(n);
        hot.publish_duration.record(took.as_secs_f64());
    }
}

/// An attempt was made: its outcome, HTTP status (0: none) and duration.
pub fn attempted(success: bool, status: i16, took_ms: i64) {
    let Some(hot) = HOT.get() else { return };
    let outcome = usize::from(!success);
    let class = match status / 100 {
        c @ 1..=5 => usize::try_from(c - 1).unwrap_or(5),
        _ => 5,
    };
    hot.attempts[outcome][class].increment(1);
    hot.attempt_duration[outcome].record(took_ms.max(0) as f64 / 1000.0);
}

/// A delivery reached a final state.
#[derive(Debug, Clone, Copy)]
pub enum Final {
    Succeeded,
    Exhausted,
    Canceled,
}

/// A delivery reached a final state.
pub fn finished(state: Final) {
    if let Some(hot) = HOT.get() {
        hot.finished[state as usize].increment(1);
    }
}

/// A claimed delivery was handed back for want of a turn at its endpoint.
pub fn handed_back() {
    counter!(GATE_HANDBACKS).increment(1);
}

/// This process disabled a failing endpoint.
pub fn endpoint_disabled() {
    counter!(ENDPOINTS_DISABLED).increment(1);
}
