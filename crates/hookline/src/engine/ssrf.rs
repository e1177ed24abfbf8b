//! The SSRF guard: which addresses outbound deliveries may reach.
//!
//! A webhook URL is chosen by a customer, so by default deliveries are refused for
//! loopback, private (RFC 1918, unique-local), link-local (cloud metadata lives at
//! 169.254.169.254), CGNAT, multicast, broadcast, documentation, benchmark and unspecified
//! addresses, in IPv4 and IPv6, IPv4-mapped and NAT64 forms included. The check applies to
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
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
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

/// IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) addresses are judged as the
/// IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let o = v6.octets();
                return IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// Why an address is refused; `None` when it is public.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
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
        [198, b, ..] if b == 18 || b == 19 => "benchmarking address",
        _ if ip.is_multicast() => "multicast address",
        _ if ip.is_broadcast() || o[0] >= 240 => "reserved or broadcast address",
        _ => return None,
    })
}

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
        [0x100, 0, 0, 0, ..] => "discard-only address",
        // IPv4-compatible (deprecated) forms: judge the embedded IPv4 address.
        [0, 0, 0, 0, 0, 0, ..] => {
            return forbidden_v4(Ipv4Addr::from(
                u32::try_from(u128::from(ip) & 0xffff_ffff).unwrap_or(0),
            ));
        }
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

    #[test]
    fn refuses_every_internal_range() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "2001:db8::1",
            "192.0.2.1",
        ] {
            assert!(forbidden(ip(bad)).is_some(), "{bad} should be refused");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert_eq!(forbidden(ip(good)), None, "{good} should pass");
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
