//! The decision table of application (portal) tokens: from a route *template* and a method to
//! what an application token needs there. A pure function, so the whole table is unit-tested
//! and the isolation tests can hold every route of the OpenAPI document against it.
//!
//! The rules, in order:
//! - `/api/v1/app/{app_id}` and everything under it: the `{app_id}` must be the token's own
//!   application, and the route's [`Need`] must be granted by the token's
//!   [`hookd_core::portal::PortalScope`]. Reads need [`Need::View`], except the endpoint secret
//!   and an endpoint's signing token, which are credentials ([`Need::ViewSecret`]). Writes are
//!   named by what they change (endpoints, the secret, attempts); a write this table does not
//!   name needs [`Need::Everything`], so a route added later is closed to every narrowed token
//!   until someone decides otherwise. The application record itself is the operator's: a
//!   tenant may read it, never change or delete it (Svix requires an organization token too).
//! - the event-type catalogue may be read ([`Need::View`]), because a portal shows which types
//!   an endpoint can subscribe to; never written.
//! - `POST /api/v1/auth/logout` is open to every application token, read-only ones included:
//!   the one write a read-only portal needs is to end its own session.
//! - everything else is for admin tokens only.
//!
//! This module must not look at tokens, requests or the store; `crate::auth` applies it.

use axum::http::Method;
use hookd_core::portal::Need;

/// What an application token may do on one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppTokenAccess {
    /// Any application token, whatever its scope.
    Allowed,
    /// Any application token whose scope grants the need (no application in the path).
    Granted(Need),
    /// The route's `{app_id}` must resolve to the token's application, and its scope must
    /// grant the need.
    OwnApplication(Need),
    /// Only admin tokens may use the route.
    AdminOnly,
}

/// The prefix of every route of one application.
const APP_ROUTE: &str = "/api/v1/app/{app_id}";

/// Decides, from the route template and method, what an application token needs there.
pub fn app_token_access(method: &Method, route: &str) -> AppTokenAccess {
    let reads = method == Method::GET || method == Method::HEAD;
    if route == APP_ROUTE {
        return if reads {
            AppTokenAccess::OwnApplication(Need::View)
        } else {
            AppTokenAccess::AdminOnly
        };
    }
    if let Some(rest) = route.strip_prefix(APP_ROUTE).filter(|r| r.starts_with('/')) {
        return AppTokenAccess::OwnApplication(within_app(method, reads, rest));
    }
    if route == "/api/v1/auth/logout" {
        return AppTokenAccess::Allowed;
    }
    if reads && (route == "/api/v1/event-type" || route.starts_with("/api/v1/event-type/")) {
        return AppTokenAccess::Granted(Need::View);
    }
    AppTokenAccess::AdminOnly
}

/// The need of a route under one application; `rest` is the template after `{app_id}`.
fn within_app(method: &Method, reads: bool, rest: &str) -> Need {
    const ENDPOINT: &str = "/endpoint/{endpoint_id}";
    let endpoint_part = rest.strip_prefix(ENDPOINT);
    if reads {
        return match endpoint_part {
            Some("/secret" | "/signing-token") => Need::ViewSecret,
            _ => Need::View,
        };
    }
    if rest == "/endpoint" && method == Method::POST {
        return Need::ManageEndpoint;
    }
    if rest.starts_with("/msg/{msg_id}/endpoint/{endpoint_id}/resend") {
        return Need::CreateAttempts;
    }
    match endpoint_part {
        // The endpoint itself (PUT, PATCH, DELETE) and its headers.
        Some("" | "/headers") => Need::ManageEndpoint,
        Some("/secret/rotate") => Need::RotateSecret,
        Some("/transformation" | "/transformation/simulate") => Need::ManageTransformations,
        Some(
            "/recover" | "/send-example" | "/test" | "/bulk-resend" | "/replay-missing"
            | "/bulk-replay",
        ) => Need::CreateAttempts,
        _ => Need::Everything,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppTokenAccess::*;

    #[test]
    fn app_tokens_reach_their_routes_only() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(app_token_access(&get, "/api/v1/app"), AdminOnly);
        assert_eq!(app_token_access(&post, "/api/v1/app"), AdminOnly);
        assert_eq!(
            app_token_access(&get, "/api/v1/app/{app_id}"),
            OwnApplication(Need::View)
        );
        assert_eq!(
            app_token_access(&Method::PUT, "/api/v1/app/{app_id}"),
            AdminOnly
        );
        assert_eq!(app_token_access(&post, "/api/v1/auth/logout"), Allowed);
        assert_eq!(
            app_token_access(&post, "/api/v1/auth/app-portal-access/{app_id}"),
            AdminOnly
        );
        assert_eq!(
            app_token_access(&post, "/api/v1/auth/app/{app_id}/expire-all"),
            AdminOnly
        );
        assert_eq!(
            app_token_access(&get, "/api/v1/event-type"),
            Granted(Need::View)
        );
        assert_eq!(app_token_access(&post, "/api/v1/event-type"), AdminOnly);
        assert_eq!(
            app_token_access(&Method::DELETE, "/api/v1/event-type/{event_type_name}"),
            AdminOnly
        );
        // A prefix that only looks like an application's routes is not one (built, so that the
        // route-coverage scan of the sources does not take it for a route).
        assert_eq!(app_token_access(&get, &format!("{APP_ROUTE}x")), AdminOnly);
    }

    #[test]
    fn each_route_under_an_application_names_its_need() {
        let ep = "/api/v1/app/{app_id}/endpoint/{endpoint_id}";
        let table = [
            (Method::GET, ep.to_string(), Need::View),
            (Method::HEAD, format!("{ep}/stats"), Need::View),
            (Method::GET, format!("{ep}/secret"), Need::ViewSecret),
            (Method::GET, format!("{ep}/signing-token"), Need::ViewSecret),
            (
                Method::POST,
                format!("{ep}/secret/rotate"),
                Need::RotateSecret,
            ),
            (
                Method::POST,
                "/api/v1/app/{app_id}/endpoint".into(),
                Need::ManageEndpoint,
            ),
            (Method::PATCH, ep.to_string(), Need::ManageEndpoint),
            (Method::DELETE, ep.to_string(), Need::ManageEndpoint),
            (Method::PUT, format!("{ep}/headers"), Need::ManageEndpoint),
            (Method::POST, format!("{ep}/recover"), Need::CreateAttempts),
            (
                Method::POST,
                format!("{ep}/send-example"),
                Need::CreateAttempts,
            ),
            (Method::POST, format!("{ep}/test"), Need::CreateAttempts),
            (
                Method::POST,
                "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend".into(),
                Need::CreateAttempts,
            ),
            (
                Method::POST,
                "/api/v1/app/{app_id}/msg".into(),
                Need::Everything,
            ),
            (
                Method::DELETE,
                "/api/v1/app/{app_id}/msg/{msg_id}/content".into(),
                Need::Everything,
            ),
            (
                Method::POST,
                format!("{ep}/some-future-route"),
                Need::Everything,
            ),
        ];
        for (method, route, need) in table {
            assert_eq!(
                app_token_access(&method, &route),
                OwnApplication(need),
                "{method} {route}"
            );
        }
    }
}
