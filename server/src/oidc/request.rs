//! An application's authorisation request, read and checked without the database: first what
//! decides whether an error may be sent back to the application at all (`client_id` and
//! `redirect_uri`, each once), then the rest, whose errors go back to the application's
//! registered redirect URI.

use crate::sign_in::AUTHORIZE;

/// The longest value of any one parameter, and of the whole query.
pub const MAX_VALUE: usize = 1024;
pub const MAX_QUERY: usize = 8192;

/// The parameters of a request (query or form), each name at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Reads `raw` (`a=1&b=2`): a parameter given twice, a value longer than [`MAX_VALUE`] or a
    /// query longer than [`MAX_QUERY`] is refused with what is wrong, in words for a developer.
    pub fn read(raw: &str) -> Result<Params, String> {
        if raw.len() > MAX_QUERY {
            return Err(format!("the request is longer than {MAX_QUERY} characters"));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            if v.is_empty() {
                // An empty parameter is an absent one (RFC 6749, section 3.1).
                continue;
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(format!("the parameter {k} is given more than once"));
            }
            if v.len() > MAX_VALUE {
                return Err(format!("the parameter {k} is longer than {MAX_VALUE} characters"));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the sign-in may have to do before a code is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Sign in if not signed in.
    Default,
    /// Never show a page: an error if the person must do anything.
    None,
    /// Sign in again, even if signed in.
    Login,
}

/// An error to send back to the application (RFC 6749, section 4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub error: &'static str,
    pub description: String,
}

impl ErrorResponse {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        ErrorResponse { error, description: description.into() }
    }
}

/// `acr_values` asking for a second factor: Tessera's own value, and the PAPE policy some
/// libraries send.
pub const ACR_MFA: &str = "mfa";
pub const ACR_PASSWORD: &str = "pwd";
const PAPE_MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

/// A checked authorisation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// Space-separated, `openid` among them.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    acr_values: Option<String>,
}

/// The `client_id` and `redirect_uri` of a request: until both are known good, an error is a
/// page of Tessera's and never a redirect.
pub fn client_and_redirect(p: &Params) -> Result<(&str, &str), String> {
    let client_id = p.get("client_id").ok_or("the request has no client_id")?;
    let redirect_uri = p.get("redirect_uri").ok_or("the request has no redirect_uri")?;
    Ok((client_id, redirect_uri))
}

/// Whether `s` is a PKCE S256 challenge: the unpadded base64url of a SHA-256, 43 characters.
fn is_s256_challenge(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl AuthRequest {
    /// Checks the rest of a request whose client and redirect URI are known good; `public`: the
    /// application keeps no secret, so PKCE is its only proof.
    pub fn check(p: &Params, public: bool) -> Result<AuthRequest, ErrorResponse> {
        let (client_id, redirect_uri) = client_and_redirect(p).map_err(|e| ErrorResponse::new("invalid_request", e))?;
        match p.get("response_type") {
            Some("code") => {}
            Some(_) => {
                return Err(ErrorResponse::new("unsupported_response_type", "only response_type=code is supported"))
            }
            None => return Err(ErrorResponse::new("invalid_request", "response_type is missing")),
        }
        if p.get("request").is_some() || p.get("request_uri").is_some() {
            return Err(ErrorResponse::new("request_not_supported", "request objects are not supported"));
        }
        if p.get("response_mode").is_some_and(|m| m != "query") {
            return Err(ErrorResponse::new("invalid_request", "only response_mode=query is supported"));
        }
        let scope = p.get("scope").unwrap_or_default();
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(ErrorResponse::new("invalid_scope", "the scope must include openid"));
        }
        let code_challenge = match (p.get("code_challenge"), p.get("code_challenge_method")) {
            (Some(c), Some("S256")) if is_s256_challenge(c) => Some(c.to_string()),
            (Some(_), Some("S256")) => {
                return Err(ErrorResponse::new("invalid_request", "code_challenge is not an S256 challenge"))
            }
            (Some(_), Some(_) | None) | (None, Some(_)) => {
                return Err(ErrorResponse::new(
                    "invalid_request",
                    "code_challenge_method must be S256 (plain is refused)",
                ))
            }
            (None, None) if public => {
                return Err(ErrorResponse::new("invalid_request", "a public client must use PKCE (S256)"))
            }
            (None, None) => None,
        };
        let prompt = match p.get("prompt").unwrap_or_default() {
            "" => Prompt::Default,
            "none" => Prompt::None,
            // Tessera's applications are the organisation's own: there is no consent screen, and
            // one account per person, so these are answered by signing in as usual.
            "consent" | "select_account" => Prompt::Default,
            values if values.split(' ').any(|v| v == "none") => {
                return Err(ErrorResponse::new("invalid_request", "prompt=none cannot be combined with another value"))
            }
            values if values.split(' ').any(|v| v == "login") => Prompt::Login,
            _ => Prompt::Default,
        };
        let max_age = match p.get("max_age") {
            None => None,
            Some(v) => Some(
                v.parse::<u64>()
                    .map_err(|_| ErrorResponse::new("invalid_request", "max_age must be a number of seconds"))?,
            ),
        };
        Ok(AuthRequest {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scope: scope.to_string(),
            state: p.get("state").map(str::to_string),
            nonce: p.get("nonce").map(str::to_string),
            code_challenge,
            prompt,
            max_age,
            login_hint: p.get("login_hint").map(str::to_string),
            acr_values: p.get("acr_values").map(str::to_string),
        })
    }

    /// Whether the application asks for a second factor (`acr_values`).
    pub fn wants_mfa(&self) -> bool {
        self.acr_values.as_deref().is_some_and(|v| v.split(' ').any(|a| a == ACR_MFA || a == PAPE_MULTI_FACTOR))
    }

    /// Whether the scope includes `name`.
    pub fn has_scope(&self, name: &str) -> bool {
        self.scope.split(' ').any(|s| s == name)
    }

    /// The request again, for after the sign-in it needs: what it asked of that sign-in
    /// (`prompt=login`, `max_age`) is answered by it, so it is left out and cannot send the person
    /// round again.
    pub fn resume_path(&self) -> String {
        let mut q: Vec<(&str, &str)> = vec![
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", "code"),
            ("scope", &self.scope),
        ];
        let optional = [
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("login_hint", &self.login_hint),
            ("acr_values", &self.acr_values),
        ];
        for (k, v) in optional.iter() {
            if let Some(v) = v {
                q.push((k, v));
            }
        }
        if let Some(c) = &self.code_challenge {
            q.push(("code_challenge", c));
            q.push(("code_challenge_method", "S256"));
        }
        format!("{AUTHORIZE}?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(q).finish())
    }
}

/// `redirect_uri` with `params` added to its query (which it may already have).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return redirect_uri.to_string();
    }
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        // A registered URI always parses; nothing is sent anywhere else.
        Err(_) => redirect_uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn params(q: &str) -> Params {
        Params::read(q).unwrap()
    }

    fn base() -> String {
        format!(
            "client_id=c1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid%20email\
             &state=s1&nonce=n1&code_challenge={CHALLENGE}&code_challenge_method=S256"
        )
    }

    #[test]
    fn a_parameter_given_twice_or_too_long_is_refused() {
        assert!(Params::read("client_id=a&client_id=b").unwrap_err().contains("more than once"));
        assert!(Params::read(&format!("state={}", "x".repeat(MAX_VALUE + 1))).unwrap_err().contains("longer"));
        assert!(Params::read(&"a".repeat(MAX_QUERY + 1)).is_err());
        // Empty means absent.
        assert_eq!(params("state=&client_id=a").get("state"), None);
    }

    #[test]
    fn a_good_request_is_read_whole() {
        let r = AuthRequest::check(&params(&base()), true).unwrap();
        assert_eq!((r.client_id.as_str(), r.redirect_uri.as_str()), ("c1", "https://app.example/cb"));
        assert_eq!((r.state.as_deref(), r.nonce.as_deref()), (Some("s1"), Some("n1")));
        assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
        assert!(r.has_scope("email") && !r.has_scope("profile") && !r.wants_mfa());
        assert_eq!(r.prompt, Prompt::Default);
    }

    #[test]
    fn what_is_wrong_is_named_with_the_protocol_s_error() {
        let cases = [
            (base().replace("response_type=code", "response_type=token"), "unsupported_response_type"),
            (base().replace("response_type=code&", ""), "invalid_request"),
            (base().replace("scope=openid%20email", "scope=email"), "invalid_scope"),
            (base().replace("code_challenge_method=S256", "code_challenge_method=plain"), "invalid_request"),
            (base().replace("&code_challenge_method=S256", ""), "invalid_request"),
            (base().replace(CHALLENGE, "short"), "invalid_request"),
            (format!("{}&prompt=none%20login", base()), "invalid_request"),
            (format!("{}&max_age=soon", base()), "invalid_request"),
            (format!("{}&request=eyJ", base()), "request_not_supported"),
            (format!("{}&response_mode=fragment", base()), "invalid_request"),
        ];
        for (q, error) in cases {
            assert_eq!(AuthRequest::check(&params(&q), false).unwrap_err().error, error, "{q}");
        }
        // PKCE: required of a public client, optional for a confidential one.
        let without = base().replace(&format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"), "");
        assert_eq!(AuthRequest::check(&params(&without), true).unwrap_err().error, "invalid_request");
        assert_eq!(AuthRequest::check(&params(&without), false).unwrap().code_challenge, None);
    }

    #[test]
    fn after_sign_in_the_request_resumes_without_asking_for_it_again() {
        let q = format!("{}&prompt=login&max_age=0&acr_values=mfa&login_hint=ada%40example.org", base());
        let r = AuthRequest::check(&params(&q), true).unwrap();
        assert!(r.wants_mfa() && r.prompt == Prompt::Login && r.max_age == Some(0));
        let resumed = r.resume_path();
        assert!(resumed.starts_with("/oauth2/authorize?") && crate::sign_in::own_page(&resumed).is_some(), "{resumed}");
        let again = AuthRequest::check(&params(resumed.split_once('?').unwrap().1), true).unwrap();
        assert_eq!((again.prompt, again.max_age), (Prompt::Default, None));
        assert_eq!(AuthRequest { prompt: Prompt::Login, max_age: Some(0), ..again }, r);
    }

    #[test]
    fn responses_keep_the_registered_query() {
        assert_eq!(
            redirect_with("https://app.example/cb?tenant=a", &[("code", "x y"), ("state", "s")]),
            "https://app.example/cb?tenant=a&code=x+y&state=s"
        );
        assert_eq!(redirect_with("https://app.example/bye", &[]), "https://app.example/bye");
    }
}
