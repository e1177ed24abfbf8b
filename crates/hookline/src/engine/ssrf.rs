//! The SSRF guard: which addresses outbound deliveries may reach.
//!
//! A webhook URL is chosen by a customer, so by default deliveries are refused for
//! loopback, private (RFC 1918, unique-local), link-local (cloud metadata lives at
//! 169.254.169.254), CGNAT, multicast, broadcast, documentation, benchmark and unspecified
//! addresses, in IPv4 and IPv6. An IPv6 address that embeds an IPv4 address (mapped,
//! translated, compatible, NAT64, 6to4, Teredo, ISATAP) is judged by the IPv4 address it
//! carries as well, and one whose embedded address cannot be located (the local-use NAT64
//! prefix) is refused. The check applies to
//! the addresses the host name resolves to, and the connection is made to a checked
//! address, so a DNS answer that changes between check and connect (rebinding) gains
//! nothing. An allow-list of subnets reopens ranges for local development and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A subnet in CIDR notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Subnet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR subnet"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Subnet { addr, prefix })
    }
}

impl Subnet {
    /// Whether the subnet holds `ip`, or the IPv4 host that `ip` names in an IPv6 form.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.holds(ip) || canonical(ip).is_ipv4() && ip.is_ipv6() && self.holds(canonical(ip))
    }

    fn holds(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The forms in which an IPv6 address stands for the IPv4 host it carries: mapped
/// (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765), IPv4-compatible
/// (`::a.b.c.d`, deprecated) and the well-known NAT64 prefix (`64:ff9b::a.b.c.d`, RFC
/// 6052). An allow-list entry for the IPv4 address covers these too.
fn same_host_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::from(low32(v6));
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => Some(low),
        // `::` and `::1` are IPv6's own unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0, ..] if u32::from(low) > 1 => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low),
        _ => None,
    }
}

fn low32(v6: Ipv6Addr) -> u32 {
    // Truncation intended: the low 32 bits are where these forms carry the address.
    (u128::from(v6) & 0xffff_ffff) as u32
}

/// What an IPv6 address says about an IPv4 address it embeds.
enum Embedded {
    /// A plain IPv6 address.
    Nothing,
    /// Traffic to the address reaches (or is relayed by) these IPv4 hosts, every one of
    /// which must be allowed.
    V4(&'static str, Vec<Ipv4Addr>),
    /// An IPv4 address is embedded, but where depends on a network's own configuration.
    Unknown(&'static str),
}

fn embedded(v6: Ipv6Addr) -> Embedded {
    let s = v6.segments();
    let bits = u128::from(v6);
    if let Some(v4) = same_host_v4(v6) {
        let form = match s[..6] {
            [0, 0, 0, 0, 0, 0xffff] => "an IPv4-mapped address",
            [0, 0, 0, 0, 0xffff, 0] => "an IPv4-translated address",
            [0, 0, 0, 0, 0, 0] => "an IPv4-compatible address",
            _ => "a NAT64 address",
        };
        return Embedded::V4(form, vec![v4]);
    }
    match s {
        // RFC 8215's local-use NAT64 prefix: operators choose the prefix length, and with it
        // where the IPv4 address sits (RFC 6052, section 2.2), so it cannot be read off.
        [0x64, 0xff9b, 1, ..] => Embedded::Unknown("a local-use NAT64 address (RFC 8215)"),
        // 6to4 (RFC 3056): the IPv4 address of the tunnel's end in bits 16 to 48.
        [0x2002, ..] => Embedded::V4(
            "a 6to4 address",
            vec![Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32)],
        ),
        // Teredo (RFC 4380): the server in bits 32 to 64, the client's address inverted in
        // the low 32 bits.
        [0x2001, 0, ..] => Embedded::V4(
            "a Teredo address",
            vec![
                Ipv4Addr::from(((bits >> 64) & 0xffff_ffff) as u32),
                Ipv4Addr::from(!low32(v6)),
            ],
        ),
        // ISATAP (RFC 5214): an interface id of `0:5efe` or `200:5efe` carries the IPv4
        // address of the tunnel's end, whatever the prefix.
        [_, _, _, _, i, 0x5efe, ..] if i & 0xfdff == 0 => {
            Embedded::V4("an ISATAP address", vec![Ipv4Addr::from(low32(v6))])
        }
        _ => Embedded::Nothing,
    }
}

/// Allow-list matching sees an address in the forms that name the same IPv4 host as that
/// IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => same_host_v4(v6).map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Why an address is refused; `None` when it is public.
pub fn forbidden(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4).map(str::to_owned),
        IpAddr::V6(v6) => {
            if let Some(why) = forbidden_v6(v6) {
                return Some(why.to_owned());
            }
            match embedded(v6) {
                Embedded::Nothing => None,
                Embedded::Unknown(form) => Some(format!(
                    "{form}, whose embedded IPv4 address cannot be located and so cannot be judged"
                )),
                Embedded::V4(form, hosts) => hosts.into_iter().find_map(|v4| {
                    forbidden_v4(v4).map(|why| format!("{why} {v4}, embedded in {form}"))
                }),
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(match o {
        _ if ip.is_unspecified() || o[0] == 0 => "unspecified or 'this network' address",
        _ if ip.is_loopback() => "loopback address",
        _ if ip.is_private() => "private network address",
        _ if ip.is_link_local() => "link-local address (cloud metadata lives here)",
        [100, b, ..] if (64..128).contains(&b) => "carrier-grade NAT address",
        [192, 0, 0, _] => "IETF protocol assignment",
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => "documentation address",
        [192, 88, 99, _] => "6to4 relay anycast address",
        [198, b, ..] if b == 18 || b == 19 => "benchmarking address",
        _ if ip.is_multicast() => "multicast address",
        _ if ip.is_broadcast() || o[0] >= 240 => "reserved or broadcast address",
        _ => return None,
    })
}

/// The IPv6 ranges refused for what they are; embedded IPv4 addresses are judged apart.
fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(match s {
        _ if ip.is_unspecified() => "unspecified address",
        _ if ip.is_loopback() => "loopback address",
        _ if ip.is_multicast() => "multicast address",
        [a, ..] if a & 0xfe00 == 0xfc00 => "unique-local (private) address",
        [a, ..] if a & 0xffc0 == 0xfe80 => "link-local address",
        [a, ..] if a & 0xffc0 == 0xfec0 => "site-local address",
        [0x2001, 0xdb8, ..] => "documentation address",
        [0x3fff, b, ..] if b & 0xf000 == 0 => "documentation address",
        [0x2001, 2, 0, ..] => "benchmarking address",
        [0x2001, b, ..] if b & 0xfff0 == 0x0020 || b & 0xfff0 == 0x0010 => {
            "ORCHID address (not routable)"
        }
        [0x5f00, ..] => "SRv6 segment identifier (not routable)",
        [0x100, 0, 0, 0, ..] => "discard-only address",
        _ => return None,
    })
}

/// The policy: refuse forbidden addresses unless an allowed subnet contains them.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    pub allow: Vec<Subnet>,
}

impl Guard {
    /// `Err(reason)` when deliveries may not go to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        match forbidden(ip) {
            Some(why) if !self.allow.iter().any(|s| s.contains(ip)) => {
                Err(format!("{ip} is a {why}"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    /// Every form in which an address can reach an internal host, with the words that
    /// say why (each decision made without connecting anywhere).
    #[test]
    fn refuses_every_internal_range_in_every_form() {
        for (bad, why) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("192.88.99.1", "6to4 relay"),
            ("192.0.2.1", "documentation"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "unique-local"),
            ("fd12::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff:123::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("2001:10::1", "ORCHID"),
            ("2001:20::1", "ORCHID"),
            ("5f00::1", "SRv6"),
            ("100::1", "discard"),
            // IPv4-mapped, ::ffff:0:0/96.
            (
                "::ffff:127.0.0.1",
                "loopback address 127.0.0.1, embedded in an IPv4-mapped",
            ),
            (
                "::ffff:169.254.169.254",
                "link-local address (cloud metadata lives here) 169.254.169.254",
            ),
            // IPv4-translated, ::ffff:0:0:0/96 (RFC 2765): the form that got through.
            (
                "::ffff:0:7f00:1",
                "loopback address 127.0.0.1, embedded in an IPv4-translated",
            ),
            ("::ffff:0:a00:1", "private network address 10.0.0.1"),
            // IPv4-compatible, ::/96.
            (
                "::127.0.0.1",
                "loopback address 127.0.0.1, embedded in an IPv4-compatible",
            ),
            (
                "::a9fe:a9fe",
                "link-local address (cloud metadata lives here) 169.254.169.254",
            ),
            // NAT64, well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
            (
                "64:ff9b::a9fe:a9fe",
                "link-local address (cloud metadata lives here) 169.254.169.254, embedded in a NAT64",
            ),
            (
                "64:ff9b::7f00:1",
                "loopback address 127.0.0.1, embedded in a NAT64",
            ),
            ("64:ff9b:1::808:808", "cannot be judged"),
            ("64:ff9b:1:7f00:1::", "cannot be judged"),
            // 6to4, 2002::/16: the IPv4 address in bits 16 to 48.
            (
                "2002:7f00:1::1",
                "loopback address 127.0.0.1, embedded in a 6to4",
            ),
            (
                "2002:a9fe:a9fe::",
                "link-local address (cloud metadata lives here) 169.254.169.254, embedded in a 6to4",
            ),
            ("2002:c0a8:101:1::1", "private network address 192.168.1.1"),
            // Teredo, 2001::/32: RFC 4380's example (client 192.0.2.45, inverted), a
            // loopback client, and an internal server.
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                "documentation address 192.0.2.45, embedded in a Teredo",
            ),
            (
                "2001:0:4136:e378:8000:63bf:80ff:fffe",
                "loopback address 127.0.0.1",
            ),
            (
                "2001:0:a00:1:8000:63bf:f7f7:f7f7",
                "private network address 10.0.0.1",
            ),
            // ISATAP interface ids under a public prefix.
            (
                "2607:f8b0::5efe:a00:1",
                "private network address 10.0.0.1, embedded in an ISATAP",
            ),
            ("2607:f8b0::200:5efe:7f00:1", "loopback address 127.0.0.1"),
        ] {
            let got = forbidden(ip(bad)).unwrap_or_else(|| panic!("{bad} should be refused"));
            assert!(got.contains(why), "{bad}: {got:?} should say {why:?}");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "::ffff:0:808:808",
            "::808:808",
            "64:ff9b::808:808",
            "2002:808:808::1",
            // Teredo with a public server (65.54.227.120) and client (8.8.8.8).
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
            "2607:f8b0::200:5efe:808:808",
            "2a00:1450:4001:81c::200e",
        ] {
            assert_eq!(forbidden(ip(good)), None, "{good} should pass");
        }
    }

    /// The guard as the sender applies it to URLs: a literal in any spelling the client
    /// accepts is the address it means.
    #[test]
    fn url_literals_are_judged_as_the_address_they_mean() {
        let g = Guard::default();
        for url in [
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:127.0.0.1]:8080/",
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
            "http://[2002:7f00:1::1]/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://169.254.169.254/",
        ] {
            let parsed = crate::engine::target::DeliveryUrl::parse(url).expect(url);
            let literal = parsed.ip_literal().expect("an IP literal");
            assert!(
                g.check(literal).is_err(),
                "{url} ({literal}) should be refused"
            );
        }
    }

    #[test]
    fn allow_list_reopens_subnets() {
        let g = Guard {
            allow: vec![
                "127.0.0.0/8".parse().expect("subnet"),
                "::1".parse().expect("subnet"),
            ],
        };
        assert!(g.check(ip("127.0.0.1")).is_ok());
        assert!(g.check(ip("::ffff:127.0.0.2")).is_ok());
        assert!(g.check(ip("::ffff:0:7f00:2")).is_ok());
        assert!(g.check(ip("64:ff9b::7f00:3")).is_ok());
        // A tunnel end is another host: allowing 127.0.0.0/8 does not allow 6to4 to it.
        assert!(g.check(ip("2002:7f00:1::1")).is_err());
        assert!(g.check(ip("::1")).is_ok());
        assert!(
            g.check(ip("10.0.0.1"))
                .expect_err("refused")
                .contains("private")
        );
        assert!("10.0.0.0/33".parse::<Subnet>().is_err());
        assert!("nope".parse::<Subnet>().is_err());
        assert!(
            "0.0.0.0/0"
                .parse::<Subnet>()
                .expect("all")
                .contains(ip("10.0.0.1"))
        );
    }
}
