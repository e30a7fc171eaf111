//! Property tests of the address guard by class: for every range the IANA special-purpose
//! registries mark not globally reachable (written out here from the registries, apart from
//! the guard's own tables), addresses drawn from it are refused, as they are under every
//! IPv4-in-IPv6 embedding; addresses drawn from the rest of the space pass, and a public IPv4
//! address embedded follows its embedding's rule. The allowed networks admit what they name,
//! also when it is carried.
//!
//! These tests must not list spellings: every address is drawn from its class.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rand::{rngs::StdRng, Rng, SeedableRng};

use super::AddressPolicy;

/// Draws per class.
const DRAWS: usize = 64;

/// IPv4 blocks that are not globally reachable (the registry's "false" rows, deprecated
/// 192.88.99.0/24), multicast, and 192.0.0.0/24 as a whole (refused on purpose, see `ranges`).
const V4_INTERNAL: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
];

/// IPv6 blocks that are not globally reachable (registry rows, deprecated site-local and
/// 6bone, what is still reserved), leaving out the embeddings, tested on their own below.
const V6_INTERNAL: &[&str] = &[
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001:1::/48",
    "2001:2::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:100::/24",
    "2001:db8::/32",
    "3ffe::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    // Reserved by IETF, outside global unicast 2000::/3.
    "::/8",
    "100::/8",
    "200::/7",
    "400::/6",
    "800::/5",
    "1000::/4",
    "4000::/3",
    "6000::/3",
    "8000::/2",
    "c000::/3",
    "e000::/4",
    "f000::/5",
    "f800::/6",
    "fe00::/9",
];

/// Where the public IPv6 draws come from: global unicast without the blocks above and the
/// embeddings' prefixes (2001::/23 holds Teredo; 2002::/16 is 6to4).
const V6_PUBLIC: &[&str] = &["2400::/6", "2600::/7", "2a00::/8", "2c00::/6", "3000::/5"];

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|n| n.parse().unwrap()).collect()
}

fn v4_in(net: &Ipv4Net, rng: &mut StdRng) -> Ipv4Addr {
    let host = u32::MAX
        .checked_shr(u32::from(net.prefix_len()))
        .unwrap_or(0);
    Ipv4Addr::from(u32::from(net.network()) | (rng.gen::<u32>() & host))
}

fn v6_in(net: &Ipv6Net, rng: &mut StdRng) -> Ipv6Addr {
    let host = u128::MAX
        .checked_shr(u32::from(net.prefix_len()))
        .unwrap_or(0);
    Ipv6Addr::from(u128::from(net.network()) | (rng.gen::<u128>() & host))
}

/// Addresses of each internal IPv4 class: its first, its last and random ones between.
fn internal_v4(rng: &mut StdRng) -> Vec<(Ipv4Net, Ipv4Addr)> {
    let mut out = vec![];
    for net in nets(V4_INTERNAL) {
        let IpNet::V4(net) = net else { unreachable!() };
        out.push((net, net.network()));
        out.push((net, net.broadcast()));
        out.extend((0..DRAWS).map(|_| (net, v4_in(&net, rng))));
    }
    out
}

/// Random IPv4 addresses outside every internal class.
fn public_v4(rng: &mut StdRng) -> Vec<Ipv4Addr> {
    let internal = nets(V4_INTERNAL);
    std::iter::repeat_with(|| Ipv4Addr::from(rng.gen::<u32>()))
        .filter(|a| !internal.iter().any(|n| n.contains(&IpAddr::V4(*a))))
        .take(DRAWS * 4)
        .collect()
}

/// The IPv4-in-IPv6 embeddings, each as a way of building an address that carries `v4`, and
/// whether a public IPv4 address carried that way may be reached.
#[derive(Debug, Clone, Copy)]
enum Form {
    Mapped,
    Compatible,
    Translated,
    Nat64,
    SixToFour,
    TeredoClient,
    TeredoServer,
    Isatap,
    IsatapUniversal,
}

const FORMS: [Form; 9] = [
    Form::Mapped,
    Form::Compatible,
    Form::Translated,
    Form::Nat64,
    Form::SixToFour,
    Form::TeredoClient,
    Form::TeredoServer,
    Form::Isatap,
    Form::IsatapUniversal,
];

impl Form {
    /// An address carrying `v4` this way; the rest of it random where the form allows, and
    /// public where it holds a second address or a prefix.
    fn embed(self, v4: Ipv4Addr, rng: &mut StdRng) -> Ipv6Addr {
        let v = u128::from(u32::from(v4));
        let public_prefix: Ipv6Net = "2a00::/8".parse().unwrap();
        // A random interface id that is not ISATAP's (whose first 16 bits are 0 or 0x200).
        let iid = rng.gen::<u64>() | (1 << 63);
        let bits = match self {
            Self::Mapped => 0xffff_0000_0000 | v,
            Self::Compatible => v,
            Self::Translated => 0xffff_0000_0000_0000 | v,
            Self::Nat64 => (0x0064_ff9b_u128 << 96) | v,
            Self::SixToFour => {
                (0x2002_u128 << 112)
                    | (v << 80)
                    | (u128::from(rng.gen::<u16>()) << 64)
                    | u128::from(iid)
            }
            // Server 93.184.216.34 (public); flags and obfuscated port random.
            Self::TeredoClient => {
                (0x2001_0000_u128 << 96)
                    | (0x5db8_d822_u128 << 64)
                    | (u128::from(rng.gen::<u32>()) << 32)
                    | u128::from(!u32::from(v4))
            }
            Self::TeredoServer => {
                (0x2001_0000_u128 << 96)
                    | (v << 64)
                    | (u128::from(rng.gen::<u32>()) << 32)
                    | u128::from(!0x5db8_d822_u32)
            }
            Self::Isatap | Self::IsatapUniversal => {
                let marker: u128 = if matches!(self, Self::Isatap) {
                    0x5efe
                } else {
                    0x0200_5efe
                };
                let prefix = u128::from(v6_in(&public_prefix, rng)) & !u128::from(u64::MAX);
                prefix | (marker << 32) | v
            }
        };
        Ipv6Addr::from(bits)
    }

    /// Whether a public IPv4 address carried this way is reached: every form but the
    /// deprecated ones.
    fn public_passes(self) -> bool {
        !matches!(self, Self::Compatible | Self::Translated)
    }
}

fn admits(p: &AddressPolicy, ip: impl Into<IpAddr>) -> bool {
    p.check(ip.into()).is_ok()
}

#[test]
fn internal_ipv4_classes_are_refused_and_the_rest_passes() {
    let (p, rng) = (AddressPolicy::default(), &mut StdRng::seed_from_u64(4));
    for (net, a) in internal_v4(rng) {
        assert!(!admits(&p, a), "{a} (in {net}) must be refused");
    }
    for a in public_v4(rng) {
        assert!(admits(&p, a), "{a} is public and must pass");
    }
}

#[test]
fn internal_ipv6_classes_are_refused_and_the_rest_passes() {
    let (p, rng) = (AddressPolicy::default(), &mut StdRng::seed_from_u64(6));
    for net in nets(V6_INTERNAL) {
        let IpNet::V6(net) = net else { unreachable!() };
        for a in [net.network(), net.broadcast()]
            .into_iter()
            .chain((0..DRAWS).map(|_| v6_in(&net, rng)))
        {
            assert!(!admits(&p, a), "{a} (in {net}) must be refused");
        }
    }
    for net in nets(V6_PUBLIC) {
        let IpNet::V6(net) = net else { unreachable!() };
        for _ in 0..DRAWS {
            let a = v6_in(&net, rng);
            assert!(admits(&p, a), "{a} (in {net}) is global and must pass");
        }
    }
}

#[test]
fn every_embedding_of_an_internal_ipv4_address_is_refused() {
    let (p, rng) = (AddressPolicy::default(), &mut StdRng::seed_from_u64(8));
    for (net, v4) in internal_v4(rng) {
        for form in FORMS {
            let a = form.embed(v4, rng);
            assert!(
                !admits(&p, a),
                "{a} ({form:?} of {v4}, in {net}) must be refused"
            );
        }
    }
}

#[test]
fn a_public_ipv4_address_embedded_follows_the_embeddings_rule() {
    let (p, rng) = (AddressPolicy::default(), &mut StdRng::seed_from_u64(10));
    for v4 in public_v4(rng) {
        for form in FORMS {
            let a = form.embed(v4, rng);
            assert_eq!(
                admits(&p, a),
                form.public_passes(),
                "{a} ({form:?} of {v4})"
            );
        }
    }
    // ISATAP tunnels inside a site: under a prefix that is not global it stays inside, even
    // when the IPv4 address it names is public.
    let ula: Ipv6Addr = "fd12:3456:789a:1::5efe:5db8:d822".parse().unwrap();
    assert!(!admits(&p, ula));
}

#[test]
fn allowed_networks_admit_what_they_name_also_when_carried() {
    let rng = &mut StdRng::seed_from_u64(12);
    for (net, v4) in internal_v4(rng) {
        let p = AddressPolicy::new(vec![IpNet::V4(net)]);
        assert!(admits(&p, v4), "{v4} in the allowed {net}");
        for form in FORMS {
            let a = form.embed(v4, rng);
            assert_eq!(
                admits(&p, a),
                form.public_passes(),
                "{a} ({form:?} of {v4}, {net} allowed)"
            );
        }
    }
    for net in nets(V6_INTERNAL) {
        let IpNet::V6(v6net) = net else {
            unreachable!()
        };
        let p = AddressPolicy::new(vec![net]);
        let a = v6_in(&v6net, rng);
        assert!(admits(&p, a), "{a} in the allowed {net}");
    }
    // A deprecated form is admitted only when the IPv6 address itself is allowed.
    let compat = Form::Compatible.embed(Ipv4Addr::new(10, 1, 2, 3), rng);
    assert!(admits(
        &AddressPolicy::new(vec!["::/96".parse().unwrap()]),
        compat
    ));
}
