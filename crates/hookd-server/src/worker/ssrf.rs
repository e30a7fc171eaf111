//! The outbound address guard: deliveries must not reach private, loopback, link-local or
//! otherwise internal addresses unless the operator allowed those networks
//! (`HOOKD_ALLOWED_NETWORKS`). Internal means in a range the IANA special-purpose registries
//! mark not globally reachable, or an IPv6 address carrying such an IPv4 address in any of
//! the standard embeddings (`ranges` holds both).
//!
//! What is checked where:
//!
//! - **Direct connections** (no `outbound_proxy`): the check runs on the *resolved* address
//!   inside the HTTP client's DNS resolver ([`GuardedResolver`]), and the client connects only
//!   to the addresses the resolver returned, so a hostname cannot resolve to a public address
//!   at check time and a private one at connect time. IP-literal URLs never reach a resolver,
//!   so [`check_url_host`] covers them before the request is built.
//! - **Through `outbound_proxy`**: hookd connects only to the proxy, and the proxy resolves
//!   the destination's name itself (CONNECT for `https://`, an absolute-form request for
//!   `http://`). Before every request [`check_destination`] checks an IP literal as above, and
//!   resolves a name with hookd's own resolver and refuses the delivery unless *every*
//!   address it resolves to is allowed (the proxy may pick any of them), or if it does not
//!   resolve at all (fail closed: a name hookd cannot check is not sent). What remains open is
//!   the proxy's own, later lookup: a name whose DNS answer changes between the two (rebinding)
//!   or differs from the proxy's point of view (split-horizon DNS) can still lead the proxy to
//!   an internal address, so the proxy should refuse internal destinations too (for Squid,
//!   `acl internal dst 10.0.0.0/8 …` with `http_access deny internal`). The proxy's own address
//!   is not checked: the operator chose it, and it is usually internal.
//!
//! Redirects are never followed, in either mode. This module must not make requests itself.

mod ranges;

#[cfg(test)]
mod classes;

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A refused destination; its text is what the attempt records as the reason.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("the address {0} is in a blocked range (private, loopback, link-local or reserved, or an IPv6 form carrying such an IPv4 address); allow it with HOOKD_ALLOWED_NETWORKS")]
pub struct BlockedAddress(pub IpAddr);

/// Which addresses are refused: those in a range of the IANA special-purpose registries that
/// is not globally reachable (see [`ranges`]), and IPv6 addresses that carry such an IPv4
/// address, unless the operator allowed them.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// A policy that lets `allowed` through although they are internal.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// Checks one address.
    pub fn check(&self, ip: IpAddr) -> Result<(), BlockedAddress> {
        if self.admits(ip) {
            Ok(())
        } else {
            Err(BlockedAddress(ip))
        }
    }

    fn admits(&self, ip: IpAddr) -> bool {
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return true;
        }
        let v6 = match ip {
            IpAddr::V4(v4) => return !ranges::is_internal_v4(v4),
            IpAddr::V6(v6) => v6,
        };
        // An IPv6 address that carries an IPv4 address reaches (or tunnels through) that IPv4
        // host, so each carried address is judged as that host, against the allowed networks
        // too; a deprecated form is refused whatever it carries.
        let carried = ranges::carried(v6);
        for (how, v4) in &carried {
            if how.deprecated() || !self.admits(IpAddr::V4(*v4)) {
                return false;
            }
        }
        // Mapped and NAT64 addresses are only their IPv4 host; any other address's own range
        // must be global too (an ISATAP identifier under a unique-local prefix stays inside).
        carried.iter().any(|(how, _)| how.is_destination()) || !ranges::is_internal_v6(v6)
    }
}

/// Checks a URL whose host is an IP literal (the `url` crate has already normalised decimal,
/// octal and hex IPv4 forms into a plain address). Hostnames pass here and are checked by
/// [`GuardedResolver`] after resolution.
pub fn check_url_host(policy: &AddressPolicy, url: &url::Url) -> Result<(), BlockedAddress> {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => policy.check(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => policy.check(IpAddr::V6(v6)),
        _ => Ok(()),
    }
}

/// Why a destination reached through the outbound proxy was refused; its text is what the
/// attempt records (it never names the host, which is part of the URL).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DestinationError {
    /// The destination is, or resolves to, a blocked address.
    #[error(transparent)]
    Blocked(#[from] BlockedAddress),
    /// The destination's name did not resolve, so its address could not be checked.
    #[error("the receiver's host name did not resolve, so its address could not be checked")]
    Unresolved,
}

/// Checks the destination of a request that goes through the outbound proxy: an IP literal
/// directly, a name by resolving it here and requiring every address it resolves to to be
/// allowed. See the module documentation for what this cannot see.
pub async fn check_destination(
    policy: &AddressPolicy,
    url: &url::Url,
) -> Result<(), DestinationError> {
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(_) => return Ok(check_url_host(policy, url)?),
        None => return Err(DestinationError::Unresolved),
    };
    let port = url.port_or_known_default().unwrap_or(0);
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| DestinationError::Unresolved)?
        .collect();
    if resolved.is_empty() {
        return Err(DestinationError::Unresolved);
    }
    for addr in resolved {
        policy.check(addr.ip())?;
    }
    Ok(())
}

/// A DNS resolver for the HTTP client that drops refused addresses, and fails with
/// [`BlockedAddress`] when none is left.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    pub fn new(policy: Arc<AddressPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            // Port 0: the client substitutes the URL's port.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut first_blocked = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(blocked) => {
                        first_blocked.get_or_insert(blocked);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                if let Some(blocked) = first_blocked {
                    return Err(Box::new(blocked) as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(policy: &AddressPolicy, url: &str) -> bool {
        check_url_host(policy, &url::Url::parse(url).unwrap()).is_err()
    }

    #[test]
    fn internal_forms_are_refused() {
        let p = AddressPolicy::default();
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f000001/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[64:ff9b::a00:1]/",
        ] {
            assert!(blocked(&p, url), "{url} should be refused");
        }
        for url in [
            "http://93.184.216.34/",
            "http://[2606:4700::1111]/",
            "https://example.com/",
        ] {
            assert!(!blocked(&p, url), "{url} should pass");
        }
    }

    #[test]
    fn allowed_networks_open_exactly_themselves() {
        let p = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(!blocked(&p, "http://127.0.0.1:9000/"));
        assert!(
            !blocked(&p, "http://[::ffff:127.0.0.1]/"),
            "the mapped form of an allowed address is allowed"
        );
        assert!(blocked(&p, "http://10.0.0.1/"));
        assert!(blocked(&p, "http://[::1]/"));
    }

    #[tokio::test]
    async fn destinations_behind_a_proxy_need_every_address_allowed() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        let closed = AddressPolicy::default();
        assert!(matches!(
            check_destination(&closed, &url("http://127.0.0.1:9/")).await,
            Err(DestinationError::Blocked(_))
        ));
        assert!(matches!(
            check_destination(&closed, &url("http://localhost:9/")).await,
            Err(DestinationError::Blocked(_))
        ));
        assert_eq!(
            check_destination(&closed, &url("http://93.184.216.34/")).await,
            Ok(())
        );
        assert_eq!(
            check_destination(&closed, &url("http://name.invalid/")).await,
            Err(DestinationError::Unresolved),
            "a name that does not resolve is refused, not passed to the proxy"
        );
        // localhost resolves to 127.0.0.1 and often ::1 as well: allowing only one of them is
        // not enough when the proxy may use either.
        let v4_only = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let both = AddressPolicy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        let resolves_to_v6 = tokio::net::lookup_host(("localhost", 9))
            .await
            .unwrap()
            .any(|a| a.is_ipv6());
        assert_eq!(
            check_destination(&v4_only, &url("http://localhost:9/"))
                .await
                .is_ok(),
            !resolves_to_v6
        );
        assert_eq!(
            check_destination(&both, &url("http://localhost:9/")).await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_inside() {
        let resolver = GuardedResolver::new(Arc::new(AddressPolicy::default()));
        let err = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        assert!(err.to_string().contains("blocked range"), "{err}");
        let open = GuardedResolver::new(Arc::new(AddressPolicy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ])));
        let addrs: Vec<_> = match open.resolve("localhost".parse().unwrap()).await {
            Ok(a) => a.collect(),
            Err(e) => panic!("{e}"),
        };
        assert!(!addrs.is_empty());
    }
}
