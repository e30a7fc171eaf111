//! What an application-scoped (portal) token may do inside its own application: Svix's
//! `AppPortalAccessIn` scope (`readOnly`, `capabilities`, `featureFlags`, `sessionId`) as a
//! domain type, and the pure rule that decides whether such a scope grants one [`Need`].
//!
//! # How `readOnly` and `capabilities` combine
//! Svix documents that a token without `capabilities` gets all of them, that `ViewBase` is
//! always required, and (by deprecating `readOnly` in favour of capabilities) that read-only
//! is a *narrowing*: hookd applies it on top of the capabilities, so a read-only token keeps
//! only the capabilities that change nothing (`ViewBase`, `ViewEndpointSecret`), whatever it
//! was given. `readOnly` alone therefore means "see everything, the secret included, change
//! nothing"; `readOnly` with `["ViewBase"]` hides the secret as well.
//!
//! # Writes no capability names
//! Some writes under an application belong to no capability (publishing a message,
//! expunging content): only a token holding every capability (the default) may make them, so a
//! token narrowed in any way is never more than the portal it describes.
//!
//! This module must not know routes or HTTP: the server maps each route to a [`Need`].

use std::collections::BTreeSet;

/// Svix's `AppPortalCapability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Basic read-only access, without the endpoint secret. Always required.
    ViewBase,
    /// May read the endpoint secret.
    ViewEndpointSecret,
    /// May rotate (and read) the endpoint secret.
    ManageEndpointSecret,
    /// May change endpoint transformations.
    ManageTransformations,
    /// May replay missing messages and send example messages.
    CreateAttempts,
    /// May read and change every field and configuration of an endpoint, secrets included.
    ManageEndpoint,
}

impl Capability {
    /// Every capability, in Svix's order.
    pub const ALL: [Capability; 6] = [
        Self::ViewBase,
        Self::ViewEndpointSecret,
        Self::ManageEndpointSecret,
        Self::ManageTransformations,
        Self::CreateAttempts,
        Self::ManageEndpoint,
    ];

    /// Svix's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewBase => "ViewBase",
            Self::ViewEndpointSecret => "ViewEndpointSecret",
            Self::ManageEndpointSecret => "ManageEndpointSecret",
            Self::ManageTransformations => "ManageTransformations",
            Self::CreateAttempts => "CreateAttempts",
            Self::ManageEndpoint => "ManageEndpoint",
        }
    }

    /// The capability Svix names `name`, if any (names are case-sensitive, as in Svix).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether it only lets a token read.
    pub fn reads_only(self) -> bool {
        matches!(self, Self::ViewBase | Self::ViewEndpointSecret)
    }
}

/// What one route asks of an application token, beyond being its own application's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A read that any portal may make.
    View,
    /// Reading an endpoint's secret.
    ViewSecret,
    /// Rotating an endpoint's secret.
    RotateSecret,
    /// Changing an endpoint's transformation.
    ManageTransformations,
    /// Making attempts: resending, recovering, sending examples or tests.
    CreateAttempts,
    /// Creating, changing or deleting endpoints and their configuration.
    ManageEndpoint,
    /// A write that no capability names (publishing, expunging): every capability.
    Everything,
}

/// The scope of an application token. An admin token carries [`PortalScope::default`], which
/// restricts nothing (admin tokens are never narrowed by it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortalScope {
    /// Svix's `readOnly`: nothing is changed through this token.
    pub read_only: bool,
    /// Svix's `capabilities`; `None` is Svix's default, every capability (and any it adds).
    pub capabilities: Option<BTreeSet<Capability>>,
    /// The feature flags whose event types this token may see.
    pub feature_flags: BTreeSet<String>,
    /// The session the token was minted for, which `expire-all` can single out.
    pub session_id: Option<String>,
}

impl PortalScope {
    /// The capabilities the token effectively holds: those given (or all), less every one
    /// that writes when the token is read-only.
    pub fn effective(&self) -> BTreeSet<Capability> {
        let given = self
            .capabilities
            .clone()
            .unwrap_or_else(|| Capability::ALL.into_iter().collect());
        given
            .into_iter()
            .filter(|c| !self.read_only || c.reads_only())
            .collect()
    }

    /// Whether the token may do what a route needs.
    pub fn grants(&self, need: Need) -> bool {
        use Capability::*;
        let held = self.effective();
        let has = |c: Capability| held.contains(&c);
        match need {
            Need::View => has(ViewBase),
            Need::ViewSecret => {
                has(ViewEndpointSecret) || has(ManageEndpointSecret) || has(ManageEndpoint)
            }
            Need::RotateSecret => has(ManageEndpointSecret) || has(ManageEndpoint),
            Need::ManageTransformations => has(ManageTransformations) || has(ManageEndpoint),
            Need::CreateAttempts => has(CreateAttempts),
            Need::ManageEndpoint => has(ManageEndpoint),
            Need::Everything => Capability::ALL.into_iter().all(has),
        }
    }

    /// Whether the token may see an event type gated by `flags`: an ungated type is seen by
    /// all; a gated one by a token holding at least one of its flags (each flag opens it, as
    /// Svix's single `featureFlag` did).
    pub fn sees_flags(&self, flags: &BTreeSet<String>) -> bool {
        flags.is_empty() || flags.iter().any(|f| self.feature_flags.contains(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(list: &[Capability]) -> Option<BTreeSet<Capability>> {
        Some(list.iter().copied().collect())
    }

    const NEEDS: [Need; 7] = [
        Need::View,
        Need::ViewSecret,
        Need::RotateSecret,
        Need::ManageTransformations,
        Need::CreateAttempts,
        Need::ManageEndpoint,
        Need::Everything,
    ];

    fn granted(scope: &PortalScope) -> Vec<Need> {
        NEEDS.into_iter().filter(|n| scope.grants(*n)).collect()
    }

    #[test]
    fn the_default_scope_grants_everything() {
        assert_eq!(granted(&PortalScope::default()), NEEDS.to_vec());
        let listed = PortalScope {
            capabilities: caps(&Capability::ALL),
            ..PortalScope::default()
        };
        assert_eq!(granted(&listed), NEEDS.to_vec());
    }

    #[test]
    fn read_only_keeps_the_reading_capabilities_only() {
        let ro = PortalScope {
            read_only: true,
            ..PortalScope::default()
        };
        assert_eq!(granted(&ro), vec![Need::View, Need::ViewSecret]);
        let ro_manage = PortalScope {
            read_only: true,
            capabilities: caps(&[Capability::ViewBase, Capability::ManageEndpoint]),
            ..PortalScope::default()
        };
        assert_eq!(granted(&ro_manage), vec![Need::View]);
    }

    #[test]
    fn each_capability_grants_its_needs() {
        use Capability::*;
        let table: [(&[Capability], &[Need]); 6] = [
            (&[ViewBase], &[Need::View]),
            (
                &[ViewBase, ViewEndpointSecret],
                &[Need::View, Need::ViewSecret],
            ),
            (
                &[ViewBase, ManageEndpointSecret],
                &[Need::View, Need::ViewSecret, Need::RotateSecret],
            ),
            (
                &[ViewBase, ManageTransformations],
                &[Need::View, Need::ManageTransformations],
            ),
            (
                &[ViewBase, CreateAttempts],
                &[Need::View, Need::CreateAttempts],
            ),
            (
                &[ViewBase, ManageEndpoint],
                &[
                    Need::View,
                    Need::ViewSecret,
                    Need::RotateSecret,
                    Need::ManageTransformations,
                    Need::ManageEndpoint,
                ],
            ),
        ];
        for (given, needs) in table {
            let scope = PortalScope {
                capabilities: caps(given),
                ..PortalScope::default()
            };
            assert_eq!(granted(&scope), needs.to_vec(), "{given:?}");
        }
    }

    #[test]
    fn names_round_trip_and_flags_open_types() {
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.as_str()), Some(c));
        }
        assert_eq!(Capability::parse("viewbase"), None);
        let scope = PortalScope {
            feature_flags: ["beta".to_owned()].into(),
            ..PortalScope::default()
        };
        let set = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert!(scope.sees_flags(&set(&[])));
        assert!(scope.sees_flags(&set(&["beta"])));
        assert!(scope.sees_flags(&set(&["alpha", "beta"])));
        assert!(!scope.sees_flags(&set(&["alpha"])));
        assert!(!PortalScope::default().sees_flags(&set(&["beta"])));
    }
}
