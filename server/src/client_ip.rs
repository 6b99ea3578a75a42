//! Who the client is when Tessera runs behind reverse proxies or a load balancer.
//!
//! The address a connection comes from is the client's unless it is one of the proxies the
//! operator named in `TESSERA_TRUSTED_PROXIES`. Only then is the forwarding header read, and only
//! the one the proxies write (`TESSERA_FORWARDED_HEADER`: `X-Forwarded-For` by default, or
//! `Forwarded`): a header the proxy passes through untouched is the client's to invent. Its
//! addresses are read from the right (the hop nearest to us) and the first one that is not a
//! trusted proxy is the client: whatever a client writes itself stands to the left of that and
//! is never reached. A hop that is not an address (`unknown`, an obfuscated name, garbage) stops
//! the walk at the proxy that wrote it, so a malformed header limits the proxy's address rather
//! than nobody's.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// At most this many hops are read from the right of a header; a longer chain is treated as if
/// its next hop were malformed.
const MAX_HOPS: usize = 32;

/// Which header the trusted proxies write the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (HAProxy's `option forwardfor`, nginx, most
    /// cloud load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The proxies whose forwarding header is believed, and which header that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Parses a list of addresses and CIDR ranges separated by commas or spaces
    /// (`10.0.0.0/8, 127.0.0.1, fd00::/8`) and a header name (`x-forwarded-for` or `forwarded`,
    /// any case; empty for the default).
    pub fn parse(list: &str, header: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(format!("{item:?} is not an address or a range like 10.0.0.0/8 or fd00::/8")),
                },
            };
            nets.push(net);
        }
        let header = match header.trim().to_ascii_lowercase().as_str() {
            "" | "x-forwarded-for" => ForwardedHeader::XForwardedFor,
            "forwarded" => ForwardedHeader::Forwarded,
            other => return Err(format!("{other:?} is neither X-Forwarded-For nor Forwarded")),
        };
        Ok(TrustedProxies { nets, header })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let name = match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        // Several header lines are one list, in order.
        let mut hops: Vec<&str> = Vec::new();
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else { return peer };
            hops.extend(value.split(','));
        }
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS + 1) {
            let parsed = match self.header {
                ForwardedHeader::XForwardedFor => address(hop),
                ForwardedHeader::Forwarded => forwarded_for(hop).and_then(address),
            };
            let Some(ip) = parsed else { return client };
            if !self.trusts(ip) {
                return ip;
            }
            client = ip;
        }
        if hops.len() > MAX_HOPS {
            return peer;
        }
        // Every hop was a trusted proxy: the leftmost is where the request began.
        client
    }
}

/// IPv4 written as IPv6 (`::ffff:192.0.2.1`, as a dual-stack socket reports it) is the IPv4
/// address, so one range covers both spellings.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One hop's address: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`,
/// optionally quoted.
fn address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, _port) = rest.split_once(']')?;
        return inside.parse().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The `for=` parameter of one element of a `Forwarded` header.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const LB: &str = "10.0.0.5";

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_says() {
        let none = TrustedProxies::default();
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(none.client(ip(LB), &h), ip(LB));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_an_untrusted_one_does_not() {
        let t = TrustedProxies::parse("10.0.0.0/8", "").unwrap();
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(t.client(ip(LB), &h), ip("203.0.113.9"));
        assert_eq!(t.client(ip("198.51.100.7"), &h), ip("198.51.100.7"), "not a proxy of ours");
        assert_eq!(t.client(ip(LB), &HeaderMap::new()), ip(LB), "a proxy's own request");
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client_so_a_forged_left_part_is_never_reached() {
        let t = TrustedProxies::parse("10.0.0.0/8 192.168.1.1", "").unwrap();
        // The client wrote "1.2.3.4" itself; our proxies appended the real address and their own.
        let h = headers("x-forwarded-for", &["1.2.3.4, 203.0.113.9, 192.168.1.1"]);
        assert_eq!(t.client(ip(LB), &h), ip("203.0.113.9"));
        // The same list over several header lines.
        let h = headers("x-forwarded-for", &["1.2.3.4", "203.0.113.9", "192.168.1.1"]);
        assert_eq!(t.client(ip(LB), &h), ip("203.0.113.9"));
        // All hops trusted: the leftmost is where it began.
        let h = headers("x-forwarded-for", &["10.1.1.1, 192.168.1.1"]);
        assert_eq!(t.client(ip(LB), &h), ip("10.1.1.1"));
    }

    #[test]
    fn only_the_header_the_proxies_write_is_read() {
        let xff = TrustedProxies::parse("10.0.0.0/8", "X-Forwarded-For").unwrap();
        let fwd = TrustedProxies::parse("10.0.0.0/8", "forwarded").unwrap();
        let mut h = headers("x-forwarded-for", &["203.0.113.9"]);
        h.append("forwarded", "for=198.51.100.1".parse().unwrap());
        assert_eq!(xff.client(ip(LB), &h), ip("203.0.113.9"));
        assert_eq!(fwd.client(ip(LB), &h), ip("198.51.100.1"));
        let only_forwarded = headers("forwarded", &["for=198.51.100.1"]);
        assert_eq!(xff.client(ip(LB), &only_forwarded), ip(LB), "a header the proxy does not write is the client's");
    }

    #[test]
    fn forwarded_elements_with_ports_quotes_and_other_parameters() {
        let t = TrustedProxies::parse("10.0.0.0/8", "forwarded").unwrap();
        let h = headers(
            "forwarded",
            &["for=1.2.3.4, For=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.5, for=10.0.0.9;host=id.example"],
        );
        assert_eq!(t.client(ip(LB), &h), ip("2001:db8:cafe::17"));
        let h = headers("forwarded", &["proto=https;for=\"192.0.2.60:8080\""]);
        assert_eq!(t.client(ip(LB), &h), ip("192.0.2.60"));
    }

    #[test]
    fn malformed_unknown_or_oversized_chains_stop_at_the_proxy_that_wrote_them() {
        let t = TrustedProxies::parse("10.0.0.0/8", "").unwrap();
        for bad in ["not-an-address", "unknown", "", "203.0.113.9:99999", "[2001:db8::1", "999.1.1.1", "_hidden"] {
            let h = headers("x-forwarded-for", &[bad]);
            assert_eq!(t.client(ip(LB), &h), ip(LB), "{bad:?}");
        }
        // Garbage to the left of a good untrusted hop is never reached.
        let h = headers("x-forwarded-for", &["garbage, 203.0.113.9"]);
        assert_eq!(t.client(ip(LB), &h), ip("203.0.113.9"));
        // A trusted hop then garbage: the trusted hop that wrote it.
        let h = headers("x-forwarded-for", &["garbage, 10.9.9.9"]);
        assert_eq!(t.client(ip(LB), &h), ip("10.9.9.9"));
        let fwd = TrustedProxies::parse("10.0.0.0/8", "forwarded").unwrap();
        assert_eq!(fwd.client(ip(LB), &headers("forwarded", &["for=unknown"])), ip(LB));
        assert_eq!(fwd.client(ip(LB), &headers("forwarded", &["proto=https"])), ip(LB));
        // A long chain of trusted hops is not walked to its end.
        let long = vec!["10.0.0.1"; 1000].join(",");
        let h = headers("x-forwarded-for", &[&format!("203.0.113.9,{long}")]);
        assert_eq!(t.client(ip(LB), &h), ip(LB));
        // A header value that is not text.
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", http::HeaderValue::from_bytes(b"203.0.113.9\xff").unwrap());
        assert_eq!(t.client(ip(LB), &h), ip(LB));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_ranges() {
        let t = TrustedProxies::parse("127.0.0.1", "").unwrap();
        let h = headers("x-forwarded-for", &["::ffff:203.0.113.9"]);
        assert_eq!(t.client(ip("::ffff:127.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn the_setting_is_parsed_or_refused_with_a_reason() {
        let t = TrustedProxies::parse(" 10.0.0.0/8,127.0.0.1  fd00::/8 ,", "").unwrap();
        assert!(t.trusts(ip("10.200.0.1")) && t.trusts(ip("127.0.0.1")) && t.trusts(ip("fd00::1")));
        assert!(!t.trusts(ip("127.0.0.2")) && !t.trusts(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("", "").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33", "").unwrap_err().contains("10.0.0.0/33"));
        assert!(TrustedProxies::parse("proxy.local", "").unwrap_err().contains("proxy.local"));
        assert!(TrustedProxies::parse("10.0.0.1", "x-real-ip").unwrap_err().contains("x-real-ip"));
        // A range written with host bits counts as its network.
        assert!(TrustedProxies::parse("10.1.2.3/8", "").unwrap().trusts(ip("10.200.0.1")));
    }
}
