//! The HTTP guards every request passes: same-origin for anything that changes state, security
//! headers, cookies, and where a request came from. Framework-neutral functions first, then thin
//! axum middleware around them.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use crate::audit::RequestMeta;
use crate::client_ip::TrustedProxies;

/// May a request with this method and these headers change state? Safe methods always may. For
/// the rest the browser must say it is same-origin: `Sec-Fetch-Site` when sent (all current
/// browsers), otherwise `Origin`, which must equal ours. A request with neither is refused: a
/// browser always sends one of them with a POST, and nothing else should be posting here.
pub fn is_same_origin(method: &Method, headers: &HeaderMap, our_origin: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        // "none" is a user-initiated navigation (typed URL, bookmark): never a POST from a page.
        return site.as_bytes() == b"same-origin";
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.as_bytes() == our_origin.as_bytes(),
        None => false,
    }
}

/// The header naming a request in its answer and on every log line written while serving it.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's (or a proxy's) own request id, when it is short and plain enough that it cannot
/// forge or break a log line; otherwise a new random one.
pub fn request_id(given: Option<&HeaderValue>) -> HeaderValue {
    let plain = |v: &&HeaderValue| {
        (1..=64).contains(&v.len()) && v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    };
    given.filter(plain).cloned().unwrap_or_else(|| {
        use rand::RngCore;
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        HeaderValue::from_str(&hex::encode(bytes)).expect("hex is a valid header value")
    })
}

/// Gives every request its id (see [`request_id`]) before anything else sees it, and every
/// answer the same id.
pub async fn tag_request(mut req: Request, next: Next) -> Response {
    let id = request_id(req.headers().get(REQUEST_ID));
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let mut res = next.run(req).await;
    res.headers_mut().insert(REQUEST_ID, id);
    res
}

/// The paths another site's request may post to. The one-click unsubscribe link of optional mail
/// (RFC 8058), which mail programs post to themselves: it needs the link's signed token and can
/// only turn optional mail off, so a forged request can do nothing the mail's reader could not.
/// And the OpenID Connect endpoints applications call from their servers (or, for public ones,
/// their pages): they never read a cookie, only the client's secret or a token the request
/// carries, so another site gains nothing by sending them a visitor's browser.
pub const CROSS_SITE_POSTS: [&str; 4] = ["/unsubscribe", "/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"];

#[derive(Clone)]
pub struct OriginGuard {
    pub origin: String,
}

pub async fn require_same_origin(State(guard): State<OriginGuard>, req: Request, next: Next) -> Response {
    let exempt = req.method() == Method::POST && CROSS_SITE_POSTS.contains(&req.uri().path());
    if exempt || is_same_origin(req.method(), req.headers(), &guard.origin) {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "refused a cross-origin request");
        (StatusCode::FORBIDDEN, "Cross-origin requests are not allowed.").into_response()
    }
}

/// Headers every response carries. The CSP of HTML pages (with its per-response script nonce) is
/// set where the page is rendered; anything else gets the strictest policy.
pub async fn security_headers(State(hsts): State<bool>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(h, HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    set(h, HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()");
    set(h, header::CACHE_CONTROL, "no-store");
    if hsts {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    res
}

/// The CSP for an HTML page: scripts only from us plus the page's inline loader (by nonce), WASM
/// allowed to compile, nothing framed, forms only to us.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The client's address, as [`find_client`] worked it out once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Works out who the client is (the connection's address, or behind one of the operator's
/// trusted proxies the address that proxy names: see [`crate::client_ip`]) before anything
/// else reads it.
pub async fn find_client(State(proxies): State<TrustedProxies>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) {
        let client = proxies.client(peer, req.headers());
        req.extensions_mut().insert(ClientIp(client));
    }
    next.run(req).await
}

/// The client's address and user agent.
pub fn request_meta(req_headers: &HeaderMap, extensions: &http::Extensions) -> RequestMeta {
    let ip: Option<IpAddr> = extensions
        .get::<ClientIp>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
    let ua = req_headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    RequestMeta::new(ip, ua)
}

// --- cookies ---------------------------------------------------------------------------------------

/// Names and attributes of Tessera's cookies for one deployment (secure or loopback http).
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    pub fn session_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_session"
        } else {
            "tessera_session"
        }
    }

    /// The first sign-in step, kept for the second: the typed address, sealed (see
    /// [`crate::Tessera::seal_login_step`]), HttpOnly and short-lived.
    /// A provider account nobody is linked to, waiting for its person to link it (sealed).
    pub fn pending_link_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_sso_link"
        } else {
            "tessera_sso_link"
        }
    }

    pub fn set_pending_link(&self, sealed: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{}={sealed}{}; Max-Age=900", self.pending_link_name(), self.attrs()))
            .expect("sealed values are cookie-safe")
    }

    pub fn pending_link(&self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, self.pending_link_name())
    }

    pub fn login_step_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_login"
        } else {
            "tessera_login"
        }
    }

    /// A new client secret on its way to the page that shows it once (sealed, five minutes).
    pub fn secret_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_secret"
        } else {
            "tessera_secret"
        }
    }

    /// The browser's binding to a flow at a sign-in provider (random; only its hash is kept),
    /// for the ten minutes the flow may take.
    pub fn sso_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_sso"
        } else {
            "tessera_sso"
        }
    }

    pub fn set_sso(&self, binding: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{}={binding}{}; Max-Age=600", self.sso_name(), self.attrs()))
            .expect("tokens are cookie-safe")
    }

    pub fn sso_binding(&self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, self.sso_name())
    }

    pub fn set_secret(&self, sealed: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{}={sealed}{}; Max-Age=300", self.secret_name(), self.attrs()))
            .expect("sealed values are cookie-safe")
    }

    fn attrs(&self) -> &'static str {
        if self.secure {
            "; Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }

    /// A session cookie without Max-Age: the browser drops it when it closes; the server enforces
    /// the real limits.
    pub fn set_session(&self, token: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{}={token}{}", self.session_name(), self.attrs()))
            .expect("token is cookie-safe")
    }

    pub fn clear(&self, name: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{name}={}; Max-Age=0", self.attrs())).expect("static cookie")
    }

    /// `sealed` is opaque and cookie-safe (`v1:` and URL-safe base64).
    pub fn set_login_step(&self, sealed: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{}={sealed}{}; Max-Age=900", self.login_step_name(), self.attrs()))
            .expect("sealed values are cookie-safe")
    }

    pub fn login_step(&self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, self.login_step_name())
    }

    pub fn session_token(&self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, self.session_name())
    }
}

/// The value of cookie `name` in the request, if present exactly once-or-first.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        let o = "https://id.example.org";
        let post = Method::POST;
        let table: &[(&[(&str, &str)], bool)] = &[
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("sec-fetch-site", "cross-site")], false),
            (&[("sec-fetch-site", "none")], false),
            (&[("origin", "https://id.example.org")], true),
            (&[("origin", "https://evil.example")], false),
            (&[("origin", "https://id.example.org.evil.example")], false),
            (&[("origin", "null")], false),
            (&[], false),
            // Sec-Fetch-Site wins: a forged Origin does not rescue a cross-site fetch.
            (&[("sec-fetch-site", "cross-site"), ("origin", "https://id.example.org")], false),
        ];
        for (h, want) in table {
            let mut map = HeaderMap::new();
            for (k, v) in *h {
                map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
            }
            assert_eq!(is_same_origin(&post, &map, o), *want, "{h:?}");
        }
        assert!(is_same_origin(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), o));
        assert!(!is_same_origin(&Method::DELETE, &HeaderMap::new(), o));
    }

    #[test]
    fn cookie_names_and_attributes_follow_the_scheme() {
        let secure = Cookies { secure: true };
        let v = secure.set_session("abc");
        assert_eq!(v.to_str().unwrap(), "__Host-tessera_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
        let plain = Cookies { secure: false };
        assert_eq!(plain.set_session("abc").to_str().unwrap(), "tessera_session=abc; Path=/; HttpOnly; SameSite=Lax");
        assert!(plain.clear("tessera_session").to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn cookies_are_read_back() {
        let c = Cookies { secure: false };
        let h = headers(&[("cookie", "a=1; tessera_session=tok; tessera_login=v1:c2VhbGVk")]);
        assert_eq!(c.session_token(&h).as_deref(), Some("tok"));
        assert_eq!(c.login_step(&h).as_deref(), Some("v1:c2VhbGVk"));
        assert_eq!(cookie_value(&h, "missing"), None);
        let set = c.set_login_step("v1:c2VhbGVk");
        assert_eq!(set.to_str().unwrap(), "tessera_login=v1:c2VhbGVk; Path=/; HttpOnly; SameSite=Lax; Max-Age=900");
    }
}

#[cfg(test)]
mod request_id_tests {
    use super::*;

    #[test]
    fn a_plain_short_id_is_kept_and_anything_else_replaced() {
        let kept = HeaderValue::from_static("lb-7f3a.2:9");
        assert_eq!(request_id(Some(&kept)), kept);
        for forged in ["", "has space", "line\tbreak", "quote\"", &"x".repeat(65)] {
            let given = HeaderValue::from_str(forged).unwrap();
            let made = request_id(Some(&given));
            assert_ne!(made, given, "{forged:?}");
            assert_eq!(made.len(), 24);
        }
        assert_ne!(request_id(None), request_id(None), "random");
    }
}
