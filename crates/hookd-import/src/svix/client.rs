//! A read-only client of Svix's REST API v1 (cloud or open source, or anything that speaks it,
//! hookd included): every list followed page by page to its end, and every request retried
//! politely on 429 and 5xx, waiting as long as the server's `Retry-After` asks (within
//! [`retry::MAX_WAIT`]).
//!
//! This client only ever sends `GET`: it must not change anything on the source.

use std::{sync::Arc, time::Duration};

use hookd_core::clock::Clock;
use serde::de::DeserializeOwned;

use super::{
    retry,
    wire::{
        ApplicationOut, EndpointHeadersOut, EndpointOut, EndpointSecretOut, EventTypeOut,
        ListResponse,
    },
};

/// The page size asked for: the largest Svix serves.
pub const PAGE_LIMIT: &str = "250";

/// How long one request may take. Svix answers list pages in well under a second; a request
/// still unanswered after this is counted as a failed attempt and retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of a refusal's body an error quotes: enough for Svix's `{code, detail}`.
const QUOTED_BODY: usize = 300;

/// Why the source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL given for the source is not an absolute http(s) URL.
    #[error("the source URL {0:?} is not an absolute http or https URL")]
    BadUrl(String),
    /// The source answered with a status that is not worth retrying (or no longer).
    #[error("GET {path} answered {status}: {body}")]
    Status {
        /// The request's path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// No answer came (connection refused, timeout…), after every retry.
    #[error("GET {path} failed")]
    Transport {
        /// The request's path.
        path: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was not the JSON expected.
    #[error("GET {path} answered something that is not Svix's {what}")]
    Decode {
        /// The request's path.
        path: String,
        /// The expected shape.
        what: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A list said it was not done but gave no new cursor, which would loop for ever.
    #[error("GET {path}: the list did not advance (done is false but the iterator repeats)")]
    Stuck {
        /// The request's path.
        path: String,
    },
}

impl ClientError {
    /// Whether the source said the object does not exist (it was deleted while we read).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Status { status: 404, .. })
    }
}

/// A client of one Svix server under one organization token.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    token: String,
    clock: Arc<dyn Clock>,
    backoff: Duration,
}

impl Client {
    /// A client of the server at `base` (with or without a trailing `/api/v1`).
    pub fn new(base: &str, token: &str, clock: Arc<dyn Clock>) -> Result<Self, ClientError> {
        let trimmed = base.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/api/v1").unwrap_or(trimmed);
        let parsed = url::Url::parse(&format!("{trimmed}/"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| ClientError::BadUrl(base.to_owned()))?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("hookd-import/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| ClientError::Transport {
                path: String::new(),
                source,
            })?;
        Ok(Self {
            http,
            base: parsed,
            token: token.trim().to_owned(),
            clock,
            backoff: retry::BASE_BACKOFF,
        })
    }

    /// The same client with another first backoff step (tests make it tiny).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    /// Every event type, archived ones included, with their schemas.
    pub async fn event_types(&self) -> Result<Vec<EventTypeOut>, ClientError> {
        self.list_all(
            "api/v1/event-type",
            &[("include_archived", "true"), ("with_content", "true")],
        )
        .await
    }

    /// Every application.
    pub async fn applications(&self) -> Result<Vec<ApplicationOut>, ClientError> {
        self.list_all("api/v1/app", &[]).await
    }

    /// Every endpoint of an application.
    pub async fn endpoints(&self, app_id: &str) -> Result<Vec<EndpointOut>, ClientError> {
        self.list_all(&format!("api/v1/app/{app_id}/endpoint"), &[])
            .await
    }

    /// An endpoint's signing secret.
    pub async fn endpoint_secret(
        &self,
        app_id: &str,
        ep_id: &str,
    ) -> Result<EndpointSecretOut, ClientError> {
        self.get(
            &format!("api/v1/app/{app_id}/endpoint/{ep_id}/secret"),
            &[],
            "EndpointSecretOut",
        )
        .await
    }

    /// An endpoint's custom headers.
    pub async fn endpoint_headers(
        &self,
        app_id: &str,
        ep_id: &str,
    ) -> Result<EndpointHeadersOut, ClientError> {
        self.get(
            &format!("api/v1/app/{app_id}/endpoint/{ep_id}/headers"),
            &[],
            "EndpointHeadersOut",
        )
        .await
    }

    /// Follows a list from its first page to the one that says `done`.
    async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        let mut iterator: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", PAGE_LIMIT));
            if let Some(it) = &iterator {
                q.push(("iterator", it));
            }
            let page: ListResponse<T> = self.get(path, &q, "ListResponse").await?;
            let empty = page.data.is_empty();
            items.extend(page.data);
            if page.done {
                return Ok(items);
            }
            // Svix's cloud has answered `done: false` on a last, empty page; an empty page or
            // a cursor that does not move ends the list rather than looping on it.
            match page.iterator {
                Some(next) if !empty && Some(&next) != iterator.as_ref() => iterator = Some(next),
                _ if empty => return Ok(items),
                _ => {
                    return Err(ClientError::Stuck {
                        path: path.to_owned(),
                    })
                }
            }
        }
    }

    /// One GET, retried on 429, 5xx and transport failures until [`retry::wait_before`] gives
    /// up.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &'static str,
    ) -> Result<T, ClientError> {
        let url = self
            .base
            .join(path)
            .map_err(|_| ClientError::BadUrl(format!("{}{path}", self.base)))?;
        // The number of the attempt after the one about to be made, which is what
        // `wait_before` is asked about when this one fails.
        let mut next = 1;
        loop {
            next += 1;
            let sent = self
                .http
                .get(url.clone())
                .query(query)
                .bearer_auth(&self.token)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let (failure, retry_after) = match sent {
                Ok(resp) if resp.status().is_success() => {
                    let body = resp
                        .bytes()
                        .await
                        .map_err(|source| ClientError::Transport {
                            path: path.to_owned(),
                            source,
                        })?;
                    return serde_json::from_slice(&body).map_err(|source| ClientError::Decode {
                        path: path.to_owned(),
                        what,
                        source,
                    });
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry::parse_retry_after(v, self.clock.now()));
                    let body = resp.text().await.unwrap_or_default();
                    let failure = ClientError::Status {
                        path: path.to_owned(),
                        status,
                        body: body.chars().take(QUOTED_BODY).collect(),
                    };
                    if !retry::retryable_status(status) {
                        return Err(failure);
                    }
                    (failure, retry_after)
                }
                Err(source) => (
                    ClientError::Transport {
                        path: path.to_owned(),
                        source,
                    },
                    None,
                ),
            };
            match retry::wait_before(next, retry_after, self.backoff) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(failure),
            }
        }
    }
}
