//! Signing in: one state machine that every sign-in passes through.
//!
//! email -> password -> the second factor, where one is owed -> whatever must come first (a new
//! password once the old one expired, enrolment where MFA is required and missing, the question
//! about MFA after a password reset) -> the destination. Each transition returns the next
//! [`Step`] as a value: the web layer only carries it to the browser, as the page to go to. The
//! gate asks the same machine what a session must do before anything else
//! ([`SessionInfo::stage`]), so these rules are written here once.
//!
//! Between its steps a sign-in is remembered in a cookie, sealed with the instance key
//! ([`LoginStep`]): the typed address, then only the [`Destination`].

use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::factor::{CodeError, Factor};
use crate::model::{Email, Factors, Problem};
use crate::policy::{self, Requirement};
use crate::secret::Token;
use crate::session::{SessionInfo, SessionState};
use crate::store::{Budget, Previous, Settle, SignInWrite};
use crate::tessera::Tessera;
use crate::throttle;

/// `path` if it is one of Tessera's own signed-in pages, safe to send someone to: `/`, or under
/// `/settings/` or `/account/`, its path made of plain characters only (no `%`, `\`, `//` or
/// `..`, so no encoding or browser quirk can turn it into another site). Its query may also hold
/// percent-encoded characters and `+` (a search for "Ada Smith"), which only ever reach Tessera's
/// own page. Anything else is `None`, and the caller goes to its default page: an open redirect
/// is a defect.
pub fn own_page(path: &str) -> Option<&str> {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let route_ok =
        (route == "/" || route == AUTHORIZE || route.starts_with("/settings/") || route.starts_with("/account/"))
            && route.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
            && !route.contains("//")
            && !route.contains("..");
    let query_ok = query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=&.+%*".contains(&b))
        && query.split('%').skip(1).all(|hex| hex.len() >= 2 && hex.bytes().take(2).all(|b| b.is_ascii_hexdigit()));
    (route_ok && query_ok && path.len() <= MAX_DESTINATION).then_some(path)
}

/// The authorisation endpoint: a sign-in on behalf of an application comes back here, with the
/// application's request, once the person is signed in.
pub const AUTHORIZE: &str = "/oauth2/authorize";

/// The longest destination kept: an application's request (its redirect URI, `state`, `nonce`
/// and PKCE challenge) fits with room to spare.
pub const MAX_DESTINATION: usize = 2048;

/// Where a finished sign-in takes the person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Destination {
    /// Tessera's home page.
    #[default]
    Home,
    /// Another of Tessera's own pages (an [`own_page`]), with its query.
    Page(String),
    /// An application's authorisation request, still pending: [`AUTHORIZE`] with the request's
    /// parameters, checked again from scratch when the person comes back to it.
    Application(String),
}

impl Destination {
    /// The destination a `next` parameter asks for: one of Tessera's own pages, or else home.
    pub fn from_next(next: &str) -> Destination {
        match own_page(next) {
            Some(page) if page.split('?').next() == Some(AUTHORIZE) => Destination::Application(page.to_string()),
            Some(page) if page != "/" => Destination::Page(page.to_string()),
            _ => Destination::Home,
        }
    }

    /// The page, as a path with its query.
    pub fn path(&self) -> &str {
        match self {
            Destination::Home => "/",
            Destination::Page(page) | Destination::Application(page) => page,
        }
    }

    /// The page, unless it is home (for a `next` parameter).
    pub fn next(&self) -> Option<&str> {
        match self {
            Destination::Home => None,
            Destination::Page(page) | Destination::Application(page) => Some(page),
        }
    }

    /// The client id of the application the person is signing in to, if any (the sign-in page
    /// names the application).
    pub fn client_id(&self) -> Option<String> {
        let Destination::Application(path) = self else { return None };
        let query = path.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned())
    }

    /// The parameters of an application's pending request, for a form that resumes it.
    pub fn application_params(&self) -> Option<Vec<(String, String)>> {
        let Destination::Application(path) = self else { return None };
        let query = path.split_once('?')?.1;
        Some(url::form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// One line, for the sealed cookie; read back by [`Destination::unseal`] (which tells an
    /// application's request by its path).
    fn seal(&self) -> String {
        match self {
            Destination::Home => String::new(),
            Destination::Page(page) | Destination::Application(page) => format!("page {page}"),
        }
    }

    fn unseal(line: &str) -> Destination {
        match line.split_once(' ') {
            Some(("page", page)) => Destination::from_next(page),
            _ => Destination::Home,
        }
    }
}

/// A sign-in in progress, between its steps: the address typed (empty once the password is
/// accepted) and where the person is going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginStep {
    pub email: String,
    pub destination: Destination,
}

/// How long the first sign-in step is remembered for the next ones.
pub const LOGIN_STEP_TTL: Duration = Duration::from_secs(15 * 60);
const LOGIN_STEP_CONTEXT: &str = "login-step";

/// What comes next in a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The address is remembered: the password.
    Password,
    /// The password was right: the second factor (the authenticator app, a recovery code, an
    /// emailed code, or the temporary access code an MFA reset holds the account for).
    SecondFactor,
    /// The password expired: a new one before anything else.
    NewPassword,
    /// MFA is required of the person and they have none: enrolment before anything else.
    Enrol,
    /// After a password reset: the question about their MFA.
    PasswordPrompt,
    /// A recovery code was spent: saying so (and how many are left) comes first, then the
    /// destination.
    RecoveryCodeUsed(Destination),
    /// Signed in: the destination.
    Done(Destination),
}

/// What a session must do before anything else; the gate asks on every request, so a change of
/// policy reaches open sessions at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is owed. Nothing else is open.
    SecondFactor,
    /// The password expired: choosing a new one comes first, enrolment too.
    NewPassword,
    /// The MFA policy confines the session to enrolment.
    Enrol,
    /// Free to use what the person's role allows.
    Free,
}

impl SessionInfo {
    /// Where this session stands (see [`Stage`]).
    pub fn stage(&self, now: Timestamp) -> Stage {
        if self.state == SessionState::PasswordOk {
            Stage::SecondFactor
        } else if self.password_expired(now) {
            Stage::NewPassword
        } else if self.mfa_requirement(now) == Requirement::MustEnrol {
            Stage::Enrol
        } else {
            Stage::Free
        }
    }
}

/// What a step of sign-in led to: the session (a new token at every change of state; the old one
/// is dead), the next step, and what the browser keeps of the sign-in for the steps still to
/// come (sealed; `None`: forget it).
#[derive(Debug)]
pub struct Progress {
    pub token: Token,
    pub step: Step,
    pub keep: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password, unknown account, or an account that must wait: always the same answer.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The right password for a disabled account. Only someone who knows the password learns
    /// that the account is disabled, and what to do about it.
    #[error("account disabled")]
    Disabled(Box<DisabledAccount>),
    /// The address's failure budget is spent (known or unknown address alike): try again after
    /// this long.
    #[error("too many attempts")]
    Waiting(Duration),
    #[error("busy")]
    Busy,
    /// The right password of someone whose organisation requires sign-in with a provider (the
    /// owners apart). Like [`SignInError::Disabled`], only the right password hears it.
    #[error("provider sign-in required")]
    ProviderRequired,
    /// The password came without the address of the first step (skipped, or too long ago).
    #[error("the email step is missing")]
    EmailFirst,
    #[error(transparent)]
    Internal(Error),
}

impl From<Error> for SignInError {
    fn from(e: Error) -> Self {
        match e {
            Error::Busy => SignInError::Busy,
            other => SignInError::Internal(other),
        }
    }
}

/// Counts a password step for the operators.
fn count<T>(result: &Result<T, SignInError>) {
    let outcome = match result {
        Ok(_) => "success",
        Err(SignInError::InvalidCredentials) => "wrong_password",
        Err(SignInError::Disabled(_)) => "disabled",
        Err(SignInError::Waiting(_)) => "locked",
        Err(SignInError::Busy) => "shed",
        Err(SignInError::ProviderRequired) => "provider_required",
        Err(SignInError::EmailFirst | SignInError::Internal(_)) => return,
    };
    crate::telemetry::sign_in_outcome(outcome);
}

/// What the page for a disabled account says (see [`SignInError::Disabled`]); the browser keeps
/// it sealed, like a sign-in's step, so only the person who typed the password sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DisabledAccount {
    pub email: String,
    /// The organisation that disabled it, whose owners and administrators can enable it again.
    pub org_name: String,
    /// The application the person was signing in to, and the way back to it (with
    /// `access_denied`), where its request still stands.
    pub application: Option<(String, String)>,
    #[serde(skip)]
    user_id: i64,
    #[serde(skip)]
    org_id: i64,
}

impl DisabledAccount {
    pub(crate) fn new(email: String, org_name: String, user_id: i64, org_id: i64) -> DisabledAccount {
        DisabledAccount { email, org_name, application: None, user_id, org_id }
    }
}

const DISABLED_CONTEXT: &str = "disabled-account";

/// What a person owes after their first factor (see [`Tessera::second_factor_owed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub has_mfa: bool,
    pub by_email: bool,
    pub access_code: bool,
}

impl Owed {
    /// Whether a second factor is owed at all.
    pub fn any(self) -> bool {
        self.has_mfa || self.by_email || self.access_code
    }
}

/// How a person proved their first factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor<'a> {
    Password,
    /// A sign-in provider, by name.
    Provider(&'a str),
}

/// What a right password opened (the transition under [`Tessera::password_step`], which goes on
/// to name the next [`Step`]).
#[derive(Debug)]
pub enum SignInStep {
    /// Fully signed in.
    Done(Token),
    /// A `password_ok` session that can only answer the MFA challenge.
    MfaRequired(Token),
}

impl Tessera {
    /// The first step: remembers the address (only its shape is checked, so nothing tells whether
    /// an account exists) and where the person is going. Returns the sealed step for the browser;
    /// the password comes next.
    pub fn begin_sign_in(&self, email: &str, destination: Destination) -> std::result::Result<String, Problem> {
        let email = Email::parse(email)?;
        Ok(self.seal_login_step(&LoginStep { email: email.display, destination }))
    }

    /// The second step: the password for the address of the first (`sealed`, from the browser).
    /// `previous` is the browser's earlier session, which ends.
    pub async fn password_step(
        &self,
        sealed: Option<&str>,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> std::result::Result<Progress, SignInError> {
        let login = sealed.and_then(|s| self.open_login_step(s)).filter(|l| !l.email.is_empty());
        let login = login.ok_or(SignInError::EmailFirst)?;
        let step = match self.sign_in(&login.email, password, previous, meta).await {
            Err(SignInError::Disabled(account)) => {
                return Err(SignInError::Disabled(self.on_the_way(account, &login.destination, meta).await?));
            }
            other => other?,
        };
        Ok(self.progress(step, login.destination).await?)
    }

    /// A disabled person proved their first factor on the way to `destination`: an application
    /// that sent them hears `access_denied` (the page offers the way back), and the refusal is in
    /// its activity log.
    pub(crate) async fn on_the_way(
        &self,
        mut account: Box<DisabledAccount>,
        destination: &Destination,
        meta: &RequestMeta,
    ) -> Result<Box<DisabledAccount>> {
        account.application = self.refuse_disabled(destination, account.user_id, account.org_id, meta).await?;
        Ok(account)
    }

    /// Where a proven first factor leads on the way to `destination`: the second factor, or the
    /// next step the pipeline names.
    pub(crate) async fn progress(&self, step: SignInStep, destination: Destination) -> Result<Progress> {
        match step {
            SignInStep::MfaRequired(token) => {
                // The address is no longer needed; the destination is, until the factor is in.
                let keep = (destination != Destination::Home)
                    .then(|| self.seal_login_step(&LoginStep { email: String::new(), destination }));
                Ok(Progress { token, step: Step::SecondFactor, keep })
            }
            SignInStep::Done(token) => {
                let step = match self.session(token.expose()).await? {
                    Some(s) => self.next_step(&s, destination.clone(), None).await?,
                    None => Step::Done(destination.clone()),
                };
                let keep = self.keep_through(&step, destination);
                Ok(Progress { token, step, keep })
            }
        }
    }

    /// The third step, where a second factor is owed: `code` proves it (`by_email`: the code
    /// mailed for this sign-in). `sealed` is what the browser kept of the sign-in.
    pub async fn second_factor_step(
        &self,
        s: &SessionInfo,
        sealed: Option<&str>,
        code: &str,
        by_email: bool,
        meta: &RequestMeta,
    ) -> std::result::Result<Progress, CodeError> {
        let destination = sealed.and_then(|s| self.open_login_step(s)).map(|l| l.destination).unwrap_or_default();
        let (token, factor) = self.answer_challenge(s, code, by_email, meta).await?;
        let step = match self.session(token.expose()).await? {
            Some(signed_in) => self.next_step(&signed_in, destination.clone(), Some(factor)).await?,
            None => Step::Done(destination.clone()),
        };
        let keep = self.keep_through(&step, destination);
        Ok(Progress { token, step, keep })
    }

    /// What the browser keeps of a sign-in whose next step is not its destination: an
    /// application's pending request outlives enrolment (the wizard's last page resumes it).
    /// Tessera's own pages are not worth the cookie: enrolment ends on the security page.
    fn keep_through(&self, step: &Step, destination: Destination) -> Option<String> {
        let pending = matches!(step, Step::Enrol) && matches!(destination, Destination::Application(_));
        pending.then(|| self.seal_login_step(&LoginStep { email: String::new(), destination }))
    }

    /// What session `s` does next on its way to `destination`, `factor` being the second factor
    /// it just proved, if any.
    pub async fn next_step(&self, s: &SessionInfo, destination: Destination, factor: Option<Factor>) -> Result<Step> {
        Ok(match s.stage(self.clock.now()) {
            Stage::SecondFactor => Step::SecondFactor,
            Stage::NewPassword => Step::NewPassword,
            Stage::Enrol => {
                // Enrolment answers the question a password reset leaves (what about MFA?), so
                // it is not asked as well.
                self.password_prompt(s).await?;
                Step::Enrol
            }
            Stage::Free if matches!(factor, Some(Factor::RecoveryCode { .. })) => Step::RecoveryCodeUsed(destination),
            Stage::Free if self.password_prompt(s).await?.is_some() => Step::PasswordPrompt,
            Stage::Free => Step::Done(destination),
        })
    }

    /// The sealed first step of a sign-in to `email`, for a page that sends the person to sign in
    /// with their address filled in (after choosing a password or confirming a new address).
    pub fn prefill_sign_in(&self, email: &str) -> String {
        self.seal_login_step(&LoginStep { email: email.to_string(), destination: Destination::Home })
    }

    /// What the first sign-in step keeps for the next ones (in a cookie): the typed address and
    /// the destination, sealed with the instance key so the cookie is unreadable and
    /// unforgeable, and good for [`LOGIN_STEP_TTL`] whatever the browser does.
    pub fn seal_login_step(&self, step: &LoginStep) -> String {
        let expires = self.clock.now().plus(LOGIN_STEP_TTL);
        // Neither part can hold a line break: addresses refuse whitespace, and destinations are
        // plain paths.
        let plain = format!("{}\n{}\n{}", expires.0, step.email.replace('\n', ""), step.destination.seal());
        self.key.seal(LOGIN_STEP_CONTEXT, plain.as_bytes())
    }

    /// What the page for a disabled account shows, sealed for the browser (for as long as a
    /// sign-in's step).
    pub fn seal_disabled_account(&self, account: &DisabledAccount) -> String {
        self.seal_for(DISABLED_CONTEXT, LOGIN_STEP_TTL, account)
    }

    /// What [`Tessera::seal_disabled_account`] sealed, unless it was tampered with or expired.
    pub fn open_disabled_account(&self, sealed: &str) -> Option<DisabledAccount> {
        self.open_sealed(DISABLED_CONTEXT, sealed)
    }

    /// `value` sealed with the instance key for the browser to keep (under `context`, which no
    /// other kind of value shares), good for `ttl` whatever the browser does.
    pub(crate) fn seal_for<T: serde::Serialize>(&self, context: &str, ttl: Duration, value: &T) -> String {
        let expires = self.clock.now().plus(ttl);
        let plain = serde_json::to_string(&(expires.0, value)).unwrap_or_default();
        self.key.seal(context, plain.as_bytes())
    }

    /// What [`Tessera::seal_for`] sealed under `context`, unless it was tampered with or expired.
    pub(crate) fn open_sealed<T: serde::de::DeserializeOwned>(&self, context: &str, sealed: &str) -> Option<T> {
        let plain = self.key.open(context, sealed)?;
        let (expires, value): (i64, T) = serde_json::from_slice(&plain).ok()?;
        (self.clock.now().0 < expires).then_some(value)
    }

    /// What [`Tessera::seal_login_step`] sealed, unless it was tampered with or has expired.
    pub fn open_login_step(&self, sealed: &str) -> Option<LoginStep> {
        let plain = String::from_utf8(self.key.open(LOGIN_STEP_CONTEXT, sealed)?).ok()?;
        let mut parts = plain.splitn(3, '\n');
        let expires: i64 = parts.next()?.parse().ok()?;
        let (email, destination) = (parts.next()?.to_string(), Destination::unseal(parts.next()?));
        (self.clock.now().0 < expires).then_some(LoginStep { email, destination })
    }
}

impl Tessera {
    /// Per-IP limit on the sign-in endpoints; `Err` holds how long to wait.
    pub async fn check_signin_rate(&self, meta: &RequestMeta) -> std::result::Result<(), Duration> {
        self.check_rate(&self.signin_limiter, "sign-in", meta).await
    }

    /// Checks email and password. Whatever is wrong (no such account, wrong password) the answer
    /// and the work done are the same; only the right password of a disabled account hears that
    /// it is disabled. Once an address's failure budget is spent,
    /// every attempt on it, known or not, answers `Waiting` with the real wait, and the owner of a
    /// real account is told once per episode. An attempt refused for capacity is given back.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInStep, SignInError> {
        let result = self.check_password(email, password, previous, meta).await;
        count(&result);
        result
    }

    async fn check_password(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInStep, SignInError> {
        let now = self.clock.now();
        let canonical = crate::model::canonical_email(email);
        let account_key = self.account_key(email);
        let budget = self.store.throttle_take(&account_key, now, throttle::delay_after).await?;
        let allowed = budget.taken();
        let creds = self.store.credentials_by_email(&canonical).await?;
        let stored_hash = creds.as_ref().and_then(|c| c.password_hash.as_deref());
        // Always hash, even when the answer is already known, so timing tells nothing.
        let verified = match self.hasher.verify(password, stored_hash).await {
            Ok(v) => v,
            Err(e) => {
                // Refused for capacity (503, "try again"): the person did nothing wrong, so the
                // attempt goes back and retrying as told cannot lock them out.
                if let Some(attempt) = &allowed {
                    self.store.throttle_refund(&account_key, attempt).await?;
                }
                return Err(e.into());
            }
        };
        let account = creds.as_ref().map(|c| c.user_id);
        // One membership lookup whether the account exists or not, so timing tells nothing; it
        // lets the organisation's activity log show failed sign-ins to its members' accounts.
        let membership = self.store.primary_membership(account.unwrap_or(0)).await?;
        let org_of_account = membership.as_ref().map(|(o, _)| o.id);
        let membership_name = membership.as_ref().map(|(o, _)| o.name.clone());
        let disabled = creds.as_ref().is_some_and(|c| c.disabled);
        let user = creds.filter(|c| verified.ok && !c.disabled && allowed.is_some());
        let (Some(user), Some((org, role))) = (user, membership) else {
            let detail = match allowed {
                None => "account is waiting out its failure budget",
                Some(_) if disabled && verified.ok => "account is disabled",
                Some(_) => "wrong email or password",
            };
            let target = org_of_account.and(account);
            let e =
                audit::event(now, Action::SignIn, Outcome::Failure, org_of_account, None, target, meta, Some(detail));
            self.audit(e).await?;
            return Err(match (budget, allowed, disabled && verified.ok, membership_name) {
                (Budget::Waiting { until }, ..) => SignInError::Waiting(until.since(now)),
                // The password was right: no guess to count, and the person may know why it
                // does not let them in.
                (_, Some(attempt), true, Some(org_name)) => {
                    self.store.throttle_refund(&account_key, &attempt).await?;
                    SignInError::Disabled(Box::new(DisabledAccount {
                        email: email.to_string(),
                        org_name,
                        application: None,
                        user_id: account.unwrap_or_default(),
                        org_id: org_of_account.unwrap_or_default(),
                    }))
                }
                // This failure spent the free tries: the start of a lock-out episode.
                (_, Some(attempt), ..) if attempt.failures == throttle::FREE_FAILURES => {
                    if let (Some(user_id), Some(org_id), false) = (account, org_of_account, disabled) {
                        self.tell_of_lock_out(user_id, org_id, attempt.failures, meta);
                    }
                    SignInError::InvalidCredentials
                }
                _ => SignInError::InvalidCredentials,
            });
        };
        if !role.is_owner() && self.store.sso_required(org.id).await? {
            // Not a guess: the try is given back, as for a disabled account.
            if let Some(attempt) = &allowed {
                self.store.throttle_refund(&account_key, attempt).await?;
            }
            let detail = "password refused: the organisation requires sign-in with a provider";
            let target = Some(user.user_id);
            let e = audit::event(now, Action::SignIn, Outcome::Failure, Some(org.id), None, target, meta, Some(detail));
            self.audit(e).await?;
            return Err(SignInError::ProviderRequired);
        }
        let owed = self.owed_after(user.factors, &org, &role);
        if verified.needs_rehash {
            let fresh = self.hasher.hash(crate::password::normalize(password)).await?;
            self.store.set_password_hash(user.user_id, &fresh, now).await?;
        }
        // With MFA the budget is cleared only once the second factor is proven: a right password
        // alone gives back its own attempt but must not refill the guesses left for codes.
        let budget = match (owed.any(), &allowed) {
            (false, _) => Settle::Clear(&account_key),
            (true, Some(attempt)) => Settle::Refund(&account_key, attempt),
            (true, None) => Settle::Untouched,
        };
        let how = FirstFactor::Password;
        Ok(self.first_factor_passed(user.user_id, org.id, owed, how, budget, previous, meta).await?)
    }

    /// What a person whose first factor was just proven still owes: their authenticator app;
    /// without one, where the organisation requires MFA and allows email codes, a code mailed
    /// now; where an administrator's reset holds the account, the temporary access code they
    /// hand over.
    pub(crate) async fn second_factor_owed(
        &self,
        user_id: i64,
        org: &crate::model::Organisation,
        role: &crate::roles::RoleInfo,
    ) -> Result<Owed> {
        let has_mfa = self.store.totp_credential(user_id).await?.is_some();
        let held = !has_mfa && self.store.access_hold(user_id).await?.is_some();
        Ok(self.owed_after(Factors { has_mfa, held }, org, role))
    }

    /// [`Tessera::second_factor_owed`] of an account whose factors were read already.
    pub(crate) fn owed_after(
        &self,
        factors: Factors,
        org: &crate::model::Organisation,
        role: &crate::roles::RoleInfo,
    ) -> Owed {
        let Factors { has_mfa, held } = factors;
        let held = held && !has_mfa;
        let rules = policy::OrgRules::of(org);
        let now = self.clock.now();
        let requirement = policy::with_hold(rules.requirement(role.requires_mfa, role.email_codes, has_mfa, now), held);
        let by_email = requirement == policy::Requirement::ByEmail;
        let access_code = held && requirement == policy::Requirement::MustEnrol;
        Owed { has_mfa, by_email, access_code }
    }

    /// The first factor is proven (`how`): the session that follows (the browser's `previous`
    /// one ends), which answers the second factor first where one is `owed`. What it writes
    /// (the session, the `budget`, the record, the completed sign-in) is one transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn first_factor_passed(
        &self,
        user_id: i64,
        org_id: i64,
        owed: Owed,
        how: FirstFactor<'_>,
        budget: Settle<'_>,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInStep> {
        let (state, owes) = match (owed.has_mfa, owed.by_email, owed.access_code) {
            (true, _, _) => (SessionState::PasswordOk, Some("second factor required")),
            (false, true, _) => (SessionState::PasswordOk, Some("emailed code required")),
            (false, false, true) => (SessionState::PasswordOk, Some("temporary access code required")),
            (false, false, false) => (SessionState::Full, None),
        };
        let detail = match (how, owes) {
            (FirstFactor::Password, Some(owes)) => Some(format!("password accepted; {owes}")),
            (FirstFactor::Password, None) => None,
            (FirstFactor::Provider(name), Some(owes)) => Some(format!("signed in with {name}; {owes}")),
            (FirstFactor::Provider(name), None) => Some(format!("signed in with {name}")),
        };
        let now = self.clock.now();
        let mut event =
            audit::event(now, Action::SignIn, Outcome::Success, Some(org_id), Some(user_id), Some(user_id), meta, None);
        event.detail = detail;
        let token = Token::generate();
        let mut session = self.new_session(&token, user_id, org_id, state, meta);
        session.via_provider = matches!(how, FirstFactor::Provider(_));
        let previous_hash = previous.and_then(Token::parse).map(|t| t.hash());
        self.store
            .write_sign_in(&SignInWrite {
                now,
                budget,
                event: &event,
                previous: previous_hash.as_deref().map_or(Previous::None, Previous::Ends),
                session: &session,
                completes: (!owed.any()).then_some(user_id),
                consumes_totp: None,
            })
            .await?;
        if owed.by_email && !owed.has_mfa {
            self.mail_sign_in_code(&token, meta).await?;
        }
        if owed.any() {
            return Ok(SignInStep::MfaRequired(token));
        }
        Ok(SignInStep::Done(token))
    }

    /// Mails the code a half-finished sign-in proves itself with, for someone without an app. A
    /// code sent moments ago for another sign-in holds the next one back (one a minute): the
    /// challenge page then offers to send one once the wait is over.
    async fn mail_sign_in_code(&self, token: &Token, meta: &RequestMeta) -> Result<()> {
        let Some(s) = self.store.find_session(&token.hash()).await? else { return Ok(()) };
        match self.send_email_code(&s, meta).await {
            Err(crate::factor::CodeError::Internal(e)) => Err(e),
            Ok(_) | Err(_) => Ok(()),
        }
    }

    /// Mails the owner of an account whose free sign-in tries were just spent. In the background:
    /// the answer must take as long for an unknown address, which gets no mail.
    fn tell_of_lock_out(&self, user_id: i64, org_id: i64, failures: i64, meta: &RequestMeta) {
        let (store, mailer, config) = (self.store.clone(), self.mailer.clone(), self.config.clone());
        let (meta, at) = (meta.clone(), self.clock.now());
        tokio::spawn(async move {
            let member = match store.member(org_id, user_id).await {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(e) => return tracing::error!(error = %e, user_id, "lock-out mail not sent"),
            };
            let notice = crate::mail::Notice::SignInPaused { failures };
            let message =
                crate::mail::messages::notice_mail(&config, &member.email, &member.display_name, notice, at, &meta);
            if let Err(e) = crate::delivery::send_message(&*store, &*mailer, org_id, &message).await {
                tracing::error!(error = %e, user_id, "lock-out mail not sent");
            }
        });
    }

    /// The key of an account's failure budget: an HMAC of the canonical email, so typed emails
    /// are not kept readable.
    pub(crate) fn account_key(&self, email: &str) -> String {
        let canonical = crate::model::canonical_email(email);
        self.key.mac("signin-throttle", canonical.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pages_may_carry_encoded_queries_but_never_leave_tessera() {
        for ok in [
            "/",
            "/settings/team?q=Ada%20Smith",
            "/settings/team?q=ada+smith&mfa=required",
            "/settings/activity?action=mfa.reset_by_admin&from=2026-12-01",
            "/account/security?recovery-used&next=%2Fsettings%2Fteam",
        ] {
            assert_eq!(own_page(ok), Some(ok), "{ok:?}");
        }
        for bad in [
            "/settings/%2F%2Fevil.example",
            "//evil.example",
            "/\\evil.example",
            "/settings/../../etc",
            "/settings//evil",
            "/login",
            "/settings/team?q=%zz",
            "/settings/team?q=%2",
            "/settings/team?q=<script>",
            "https://evil.example/settings/",
        ] {
            assert_eq!(own_page(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_destination_is_one_of_tessera_s_own_pages_or_home() {
        assert_eq!(Destination::from_next("/settings/team?q=ada"), Destination::Page("/settings/team?q=ada".into()));
        for home in ["", "/", "//evil.example", "https://evil.example/", "/login", "/settings/../x"] {
            assert_eq!(Destination::from_next(home), Destination::Home, "{home:?}");
        }
        let app = "/oauth2/authorize?client_id=abc&redirect_uri=https%3A%2F%2Fwiki.example.org%2Fcb&scope=openid+email";
        assert_eq!(Destination::from_next(app), Destination::Application(app.into()));
        assert_eq!(Destination::from_next(app).client_id().as_deref(), Some("abc"));
        assert_eq!(Destination::Page("/settings/roles".into()).client_id(), None);
        // Only the endpoint itself, and only a plainly encoded query.
        for not_app in ["/oauth2/authorize/../x?client_id=a", "/oauth2/authorize?r=https://evil.example"] {
            assert_eq!(Destination::from_next(not_app), Destination::Home, "{not_app:?}");
        }
        for d in [Destination::Home, Destination::Page("/settings/roles".into()), Destination::Application(app.into())]
        {
            assert_eq!(Destination::unseal(&d.seal()), d);
        }
        // A sealed line is read back through the same check, never trusted as it stands.
        assert_eq!(Destination::unseal("page //evil.example"), Destination::Home);
        assert_eq!(Destination::unseal("app 12"), Destination::Home);
    }
}
