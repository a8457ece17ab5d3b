//! Where a webhook may be delivered: `http` or `https` URLs of public
//! addresses. Loopback, private, link-local, shared, multicast and other
//! special addresses are refused unless `PARUTION_WEBHOOKS_ALLOW_PRIVATE`
//! says otherwise — at registration (for an address written in the URL)
//! and at every delivery, on the addresses the name resolves to then, so
//! that a name that later points inside the network is caught too (the
//! connection is made to the address checked, not to a second lookup).

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

/// Whether an address is one a webhook may not reach by default.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // 100.64.0.0/10, shared address space (carrier NAT).
                || (a == 100 && (64..128).contains(&b))
                // 192.0.0.0/24, 198.18.0.0/15, 240.0.0.0/4.
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // 2001:db8::/32 documentation, 64:ff9b::/96 NAT64.
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// Checks a target URL as registered: why it is refused, if it is.
pub fn refusal(raw: &str, allow_private: bool) -> Option<String> {
    if raw.len() > MAX_URL_LENGTH {
        return Some(format!("must be at most {MAX_URL_LENGTH} characters"));
    }
    let Ok(url) = Url::parse(raw) else {
        return Some("must be an absolute http or https URL".to_owned());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("must be an http or https URL, not {}", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not hold credentials; the signature authenticates deliveries".to_owned());
    }
    if url.fragment().is_some() {
        return Some("must not have a fragment".to_owned());
    }
    let address = match url.host() {
        None => return Some("must name a host".to_owned()),
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (domain == "localhost" || domain.ends_with(".localhost")) {
                return Some(private_refusal());
            }
            None
        }
    };
    if !allow_private && address.is_some_and(is_private) {
        return Some(private_refusal());
    }
    None
}

fn private_refusal() -> String {
    "names a loopback, private or link-local address, which webhooks may not reach (PARUTION_WEBHOOKS_ALLOW_PRIVATE=true allows them)".to_owned()
}

/// Resolves `host:port` for a delivery, keeping only the addresses a
/// webhook may reach: an error when none is left.
pub fn resolve(netloc: &str, allow_private: bool) -> io::Result<Vec<SocketAddr>> {
    let addresses: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
    let allowed: Vec<SocketAddr> =
        addresses.iter().copied().filter(|address| allow_private || !is_private(address.ip())).collect();
    if allowed.is_empty() && !addresses.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{netloc} resolves to a loopback, private or link-local address only, which webhooks may not reach"
            ),
        ));
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost:8080/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.1.1/",
        ] {
            assert!(refusal(url, false).is_some(), "{url} is refused");
            assert_eq!(refusal(url, true), None, "{url} is allowed when asked");
        }
        assert_eq!(refusal("https://partenaire.example.org/hooks/parution", false), None);
        assert_eq!(refusal("http://93.184.216.34/", false), None);
        for bad in
            ["ftp://example.org/", "not a url", "https://user:pw@example.org/", "/relative", "https://example.org/#x"]
        {
            assert!(refusal(bad, true).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_name_that_resolves_inside_is_refused_at_delivery() {
        assert!(resolve("localhost:80", false).is_err());
        assert!(!resolve("localhost:80", true).unwrap().is_empty());
        assert!(!resolve("93.184.216.34:443", false).unwrap().is_empty());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any target URL is refused with a reason, or is an http(s) URL
        /// whose host is no private address (when those are not allowed).
        #[test]
        fn a_target_url_is_checked(raw in "(https?://)?[ -~]{0,60}", octets in any::<[u8; 4]>()) {
            if refusal(&raw, false).is_none() {
                let url = Url::parse(&raw).expect("an accepted URL parses");
                prop_assert!(matches!(url.scheme(), "http" | "https"));
                if let Some(url::Host::Ipv4(address)) = url.host() {
                    prop_assert!(!is_private(IpAddr::V4(address)), "{raw}");
                }
            }
            let address = std::net::Ipv4Addr::from(octets);
            let url = format!("https://{address}/hook");
            prop_assert_eq!(refusal(&url, false).is_none(), !is_private(IpAddr::V4(address)), "{}", url);
        }
    }
}
