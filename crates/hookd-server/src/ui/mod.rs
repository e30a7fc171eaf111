//! hookd's two web consoles, served by the same binary with no build step: the operator
//! dashboard (`/dashboard`) and the tenant portal (`/portal`, the link that
//! `app-portal-access` returns).
//!
//! Both are hand-written HTML, CSS and JavaScript files in `assets/`, embedded into the binary
//! with `include_bytes!` and served from `/ui/{file}`; nothing is fetched from anywhere else at
//! run time. The pages are public shells: all data comes from the JSON API (`/api/v1/…`) with a
//! token the page holds in `sessionStorage` (the admin token typed at login, or the portal's
//! `appsk_` token read from the URL fragment, which browsers never send to the server and so
//! never reaches a log). What a token may see is enforced by the API alone; the pages must not
//! be trusted with any access decision, and this module must not serve data.
//!
//! The scripts are ES modules (`<script type="module">`, which `script-src 'self'` allows like
//! any script of hookd's own): one per concern (API client, DOM builder, forms, …), each saying
//! at its top what it does and must not do, imported by the page's entry module. Each page also
//! lists every module its entry imports, directly or not, as a `modulepreload`, so the browser
//! fetches them at once instead of one import level at a time; the tests below keep those lists,
//! the imports and the embedded files in step.
//!
//! Every page carries a strict `Content-Security-Policy` (see [`csp`]), which is why the assets
//! contain no inline script or style.

pub mod csp;

use std::sync::OnceLock;

use axum::{
    extract::{Path, State},
    http::{
        header::{
            CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
            REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use sha2::{Digest, Sha256};

use crate::{error::ApiError, AppState};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Scripts are ES modules, which browsers load only with a JavaScript content type (and
/// `nosniff` makes them check it).
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// An embedded file of `assets/`, served as `/ui/{name}`.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("assets/", $name)),
        }
    };
}

/// The files under `/ui/`. Pages (`*.html`) are served under their own routes instead. The
/// scripts are ES modules: each page loads one entry module (`dashboard.js`, `portal.js`) that
/// imports the shared ones by relative path, which resolves under `/ui/` as well.
const ASSETS: &[Asset] = &[
    asset!("hookd.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    // The pages' entry modules.
    asset!("dashboard.js", JAVASCRIPT),
    asset!("portal.js", JAVASCRIPT),
    // The dashboard's views.
    asset!("dashboard-app.js", JAVASCRIPT),
    asset!("dashboard-charts.js", JAVASCRIPT),
    asset!("dashboard-endpoint.js", JAVASCRIPT),
    asset!("dashboard-event-types.js", JAVASCRIPT),
    asset!("dashboard-messages.js", JAVASCRIPT),
    // The modules they share.
    asset!("api.js", JAVASCRIPT),
    asset!("attempts.js", JAVASCRIPT),
    asset!("catalogue.js", JAVASCRIPT),
    asset!("charts.js", JAVASCRIPT),
    asset!("checks.js", JAVASCRIPT),
    asset!("common.js", JAVASCRIPT),
    asset!("dom.js", JAVASCRIPT),
    asset!("feedback.js", JAVASCRIPT),
    asset!("format.js", JAVASCRIPT),
    asset!("forms.js", JAVASCRIPT),
    asset!("options.js", JAVASCRIPT),
    asset!("paging.js", JAVASCRIPT),
    asset!("router.js", JAVASCRIPT),
    asset!("secrets.js", JAVASCRIPT),
];

const DASHBOARD_HTML: &[u8] = include_bytes!("assets/dashboard.html");
const PORTAL_HTML: &[u8] = include_bytes!("assets/portal.html");

/// The routes of the consoles. They need no token: the pages hold no data. The server's root
/// leads to the dashboard, which is where someone who opens hookd's address in a browser is
/// looking to go (temporarily: a later version may serve something else there).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/dashboard") }))
        .route("/dashboard", get(dashboard))
        .route("/portal", get(portal))
        .route("/ui/{file}", get(asset))
}

/// Headers every console page carries besides its policy.
fn page(policy: String, body: &'static [u8], frameable: bool) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page's policy comes from validated origins, so it is always a valid header value; if
    // it somehow were not, refusing to serve is safer than serving the page unprotected.
    match HeaderValue::from_str(&policy) {
        Ok(value) => headers.insert(CONTENT_SECURITY_POLICY, value),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if !frameable {
        // For browsers that predate `frame-ancestors`.
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // The pages change with the binary and are tiny: never serve a stale one.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /dashboard`.
async fn dashboard() -> Response {
    page(csp::dashboard_policy(), DASHBOARD_HTML, false)
}

/// `GET /portal`.
async fn portal(State(state): State<AppState>) -> Response {
    page(
        csp::portal_policy(&state.config.portal_frame_ancestors),
        PORTAL_HTML,
        true,
    )
}

/// The entity tag of each asset, computed once: a hash of its bytes, so that a new binary's
/// files are fetched again and unchanged ones are answered with 304.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.bytes);
                let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// `GET /ui/{file}`.
async fn asset(Path(file): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == file) else {
        return ApiError::not_found().into_response();
    };
    let asset = &ASSETS[index];
    let etag = &etags()[index];
    let fresh = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    // Revalidate every time: a cheap 304, and never a script older than its page.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(ETAG, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn text(name: &str) -> &'static str {
        let asset = ASSETS
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} is not embedded"));
        std::str::from_utf8(asset.bytes).unwrap()
    }

    /// The modules a script imports (`import … from './x.js';`, one statement a line).
    fn imports(name: &str) -> Vec<String> {
        text(name)
            .lines()
            .filter(|l| l.starts_with("import "))
            .map(|l| {
                let from = l.rsplit_once(" from ").map_or("", |(_, f)| f);
                let path = from.trim_end_matches(';').trim_matches('\'');
                path.strip_prefix("./")
                    .unwrap_or_else(|| panic!("{name}: '{l}' is not a relative import"))
                    .to_owned()
            })
            .collect()
    }

    /// The values of `attr="…"` in the tags of `page` that contain `marker`.
    fn tag_values(page: &str, marker: &str, attr: &str) -> BTreeSet<String> {
        page.split('<')
            .filter(|tag| tag.contains(marker))
            .filter_map(|tag| tag.split(&format!("{attr}=\"")).nth(1))
            .filter_map(|rest| rest.split('"').next())
            .map(|v| v.trim_start_matches("/ui/").to_owned())
            .collect()
    }

    #[test]
    fn pages_reference_only_embedded_assets() {
        for page in [DASHBOARD_HTML, PORTAL_HTML] {
            let text = std::str::from_utf8(page).unwrap();
            for part in text.split("/ui/").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "the page links /ui/{name}, which is not embedded"
                );
            }
            // The policy forbids inline code; a page that had some would silently break.
            assert!(!text.contains("<script>"), "inline script");
            assert!(!text.contains("<style"), "inline style");
            assert!(!text.contains(" style="), "inline style attribute");
            assert!(!text.contains(" onclick="), "inline handler");
        }
    }

    #[test]
    fn every_file_in_assets_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/assets");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".html") {
                continue;
            }
            assert!(
                ASSETS.iter().any(|a| a.name == name),
                "assets/{name} is not served: add it to ASSETS"
            );
        }
    }

    #[test]
    fn each_page_preloads_exactly_the_modules_its_entry_imports() {
        for (page, entry) in [(DASHBOARD_HTML, "dashboard.js"), (PORTAL_HTML, "portal.js")] {
            let page = std::str::from_utf8(page).unwrap();
            assert_eq!(
                tag_values(page, "type=\"module\"", "src"),
                BTreeSet::from([entry.to_owned()]),
                "one entry module per page"
            );
            let mut reached = BTreeSet::new();
            let mut todo = imports(entry);
            while let Some(module) = todo.pop() {
                if reached.insert(module.clone()) {
                    todo.extend(imports(&module));
                }
            }
            assert_eq!(
                tag_values(page, "rel=\"modulepreload\"", "href"),
                reached,
                "{entry}: the page's modulepreload links"
            );
        }
    }

    /// Past this, a module holds more than one concern: split it by concern.
    const MODULE_MAX_LINES: usize = 300;

    #[test]
    fn modules_are_small_and_say_what_they_are_for() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = text(asset.name);
            assert!(
                text.starts_with("// "),
                "{} opens without its comment",
                asset.name
            );
            assert!(
                text.lines().count() <= MODULE_MAX_LINES,
                "{} has more than {MODULE_MAX_LINES} lines",
                asset.name
            );
        }
    }
}
