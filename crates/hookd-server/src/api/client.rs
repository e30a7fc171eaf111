//! Who is calling: Svix's SDKs name themselves in `User-Agent: svix-libs/<version>/<language>`.
//!
//! Two operations are documented differently in Svix's open-source document (which the open
//! server follows) and in the cloud document that every official SDK is generated from, and the
//! generated code of some SDK generations accepts only its own document's answer:
//! - `rotate-secret`: 204 in both documents, but SDKs from 2.x on want the new secret back
//!   (see `endpoint::secret`);
//! - `send-example`: 200 in the open-source document, 202 in the cloud one; the Python SDK
//!   1.24.0 raises `UnexpectedStatus` for 200 (2.x SDKs accept any 2xx).
//!
//! For those two operations only, an SDK gets the answer its generated code expects and every
//! other client gets what the open-source document says. This module must not be used to vary
//! anything else by client.

use axum::http::{header::USER_AGENT, HeaderMap};

/// The major version of the Svix SDK making the request, if it is one.
pub fn svix_sdk_major(headers: &HeaderMap) -> Option<u64> {
    let ua = headers.get(USER_AGENT)?.to_str().ok()?;
    let version = ua
        .split_whitespace()
        .find_map(|field| field.strip_prefix("svix-libs/"))?
        .split('/')
        .next()?;
    version.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_the_sdk_major_version() {
        let mut h = HeaderMap::new();
        assert_eq!(svix_sdk_major(&h), None);
        h.insert(
            USER_AGENT,
            HeaderValue::from_static("svix-libs/2.9.1/python python/3.12"),
        );
        assert_eq!(svix_sdk_major(&h), Some(2));
        h.insert(
            USER_AGENT,
            HeaderValue::from_static("svix-libs/1.24.0/python"),
        );
        assert_eq!(svix_sdk_major(&h), Some(1));
        h.insert(
            USER_AGENT,
            HeaderValue::from_static("svix-libs/1.66.0/go/mytool go/go1.22"),
        );
        assert_eq!(svix_sdk_major(&h), Some(1));
        h.insert(USER_AGENT, HeaderValue::from_static("curl/8.5.0"));
        assert_eq!(svix_sdk_major(&h), None);
    }
}
