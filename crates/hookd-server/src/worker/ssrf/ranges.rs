//! Which addresses are internal, and which IPv4 address an IPv6 address carries: the IANA
//! special-purpose address registries (IPv4 and IPv6) and the standard IPv4-in-IPv6
//! embeddings, reduced to what a webhook delivery must not reach.
//!
//! This module only classifies. It must not know the operator's allowed networks (the policy
//! in the parent module applies them, to the address and to what it carries), and it does no
//! I/O.

use std::net::{Ipv4Addr, Ipv6Addr};

/// IPv4 ranges refused: every block of the IANA IPv4 special-purpose registry that is not
/// globally reachable, plus multicast and the reserved class E (which holds the broadcast
/// address). Stricter than the registry in one place, on purpose: all of 192.0.0.0/24, whose
/// two "globally reachable" members are PCP and TURN anycast addresses, answered by the
/// nearest such service, usually the network's own.
const INTERNAL_V4: [(Ipv4Addr, u8); 15] = [
    // "This network": connecting to 0.0.0.0 reaches the local host on Linux.
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    // Shared address space (carrier-grade NAT): internal to a provider's network.
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    // Link-local, where cloud metadata services answer (169.254.169.254).
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    // IETF protocol assignments (DS-Lite, NAT64 discovery, the anycast services above).
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    // The deprecated 6to4 relay anycast (RFC 7526): the nearest relay, wherever it is.
    (Ipv4Addr::new(192, 88, 99, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    // Benchmarking.
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    // Multicast: not a destination a TCP connection can have.
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    // Reserved, and 255.255.255.255 (limited broadcast).
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// IPv6 ranges refused inside 2000::/3, the only space IANA allocates as global unicast
/// (everything outside it is refused as a whole: the unspecified and loopback addresses, the
/// deprecated IPv4-compatible and SIIT forms, local-use NAT64 64:ff9b:1::/48, discard-only
/// 100::/64, SRv6 SIDs 5f00::/16, unique-local fc00::/7, link-local fe80::/10, the
/// deprecated site-local fec0::/10, multicast and all that is still reserved). Teredo,
/// 2001::/32, is left out here because the addresses it carries decide (see
/// [`Embedding::TeredoClient`]).
const INTERNAL_V6: [(Ipv6Addr, u8); 4] = [
    // IETF protocol assignments: benchmarking, ORCHID identifiers (never routed), anycast
    // services answered by the nearest (usually local) server; none is a webhook receiver.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    // Documentation.
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
    // The 6bone test network, returned to IANA (RFC 3701).
    (Ipv6Addr::new(0x3ffe, 0, 0, 0, 0, 0, 0, 0), 16),
];

/// Global unicast, 2000::/3.
const GLOBAL_UNICAST: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Teredo, 2001::/32 (RFC 4380).
const TEREDO: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32);

/// How an IPv6 address carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Embedding {
    /// `::ffff:0:0/96` (RFC 4291): a dual-stack socket connects to the IPv4 host itself.
    Mapped,
    /// `64:ff9b::/96` (RFC 6052): a NAT64 gateway connects to the IPv4 host.
    Nat64,
    /// `2002::/16` (RFC 3056): bits 16–47 are the IPv4 address of the site's 6to4 router,
    /// which forwards to the host.
    SixToFour,
    /// `2001::/32`: bits 32–63 are the Teredo server's IPv4 address.
    TeredoServer,
    /// `2001::/32`: the last 32 bits, inverted, are the Teredo client's IPv4 address, which
    /// the relay sends the packets to.
    TeredoClient,
    /// An ISATAP interface identifier (RFC 5214), `…:0:5efe:a.b.c.d` or `…:200:5efe:a.b.c.d`
    /// under any prefix: the IPv4 address of the host inside the site that the site's router
    /// tunnels to.
    Isatap,
    /// `::/96` (RFC 4291, deprecated): IPv4-compatible.
    Compatible,
    /// `::ffff:0:0:0/96` (RFC 2765, obsoleted): SIIT's IPv4-translated form.
    Translated,
}

impl Embedding {
    /// Deprecated forms: no router forwards them any more, only a host's own tunnel interface
    /// (Linux's `sit0` takes `::/96`), so they are refused whatever they carry.
    pub(crate) fn deprecated(self) -> bool {
        matches!(self, Self::Compatible | Self::Translated)
    }

    /// Whether the carried IPv4 host is the destination itself, the IPv6 prefix only naming
    /// the translation: then what it carries is all there is to judge.
    pub(crate) fn is_destination(self) -> bool {
        matches!(self, Self::Mapped | Self::Nat64)
    }
}

/// Every IPv4 address `ip` carries, with how. An address is read under every embedding whose
/// form it has: a chance match (a Teredo port that looks like ISATAP's marker) can only make
/// the guard refuse more, never less.
pub(crate) fn carried(ip: Ipv6Addr) -> Vec<(Embedding, Ipv4Addr)> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let mut out = Vec::new();
    let last = v4(s[6], s[7]);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] => out.push((Embedding::Mapped, last)),
        [0, 0, 0, 0, 0, 0] => out.push((Embedding::Compatible, last)),
        [0, 0, 0, 0, 0xffff, 0] => out.push((Embedding::Translated, last)),
        [0x64, 0xff9b, 0, 0, 0, 0] => out.push((Embedding::Nat64, last)),
        _ => {}
    }
    if s[0] == 0x2002 {
        out.push((Embedding::SixToFour, v4(s[1], s[2])));
    }
    if in_v6(ip, TEREDO) {
        out.push((Embedding::TeredoServer, v4(s[2], s[3])));
        out.push((Embedding::TeredoClient, v4(!s[6], !s[7])));
    }
    // The universal/local bit (0x0200) says whether the IPv4 address is global; both count.
    if s[4] & !0x0200 == 0 && s[5] == 0x5efe {
        out.push((Embedding::Isatap, last));
    }
    out
}

/// Whether `ip` is in a refused IPv4 range.
pub(crate) fn is_internal_v4(ip: Ipv4Addr) -> bool {
    INTERNAL_V4.iter().any(|&(net, len)| {
        let shift = 32 - u32::from(len);
        (u32::from(ip) ^ u32::from(net))
            .checked_shr(shift)
            .unwrap_or(0)
            == 0
    })
}

/// Whether `ip`'s own range is refused, leaving aside the IPv4 addresses it may carry (the
/// caller judges those, and decides for the forms whose carried host is the destination).
pub(crate) fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if !in_v6(ip, GLOBAL_UNICAST) {
        return true;
    }
    !in_v6(ip, TEREDO) && INTERNAL_V6.iter().any(|&net| in_v6(ip, net))
}

fn in_v6(ip: Ipv6Addr, (net, len): (Ipv6Addr, u8)) -> bool {
    let shift = 128 - u32::from(len);
    (u128::from(ip) ^ u128::from(net))
        .checked_shr(shift)
        .unwrap_or(0)
        == 0
}
