//! MFA use cases: enrolling an authenticator, the sign-in challenge, step-up, recovery codes,
//! reset and disable. Codes of every kind draw on the same per-account failure budget as passwords.

use std::time::Duration;

use crate::audit::{Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::messages::Notice;
use crate::policy::Requirement;
use crate::recovery::{self, RecoveryCode};
use crate::roles::Refusal;
use crate::secret::Token;
use crate::session::{SessionInfo, SessionState};
use crate::store::{Budget, CodesToShow, Previous, Settle, SignInWrite, ThrottleAttempt, Written};
use crate::tessera::Tessera;
use crate::throttle;
use crate::totp::{self, TotpSecret};

pub use crate::factor::{CodeError, Factor};

/// How long a shown secret can still be confirmed.
pub const ENROLMENT_TTL: Duration = Duration::from_secs(10 * 60);

/// What the enrolment page shows while a secret is pending. Built on the server each time it is
/// shown; the secret itself never travels through the client and back.
#[derive(Debug, Clone)]
pub struct EnrolmentView {
    /// The name the app shows beside the account: the organisation's, or `TESSERA_ISSUER`.
    pub issuer: String,
    pub setup_key_grouped: String,
    pub qr_svg: String,
    /// The key URI the QR code holds, for a link that opens the app on the phone itself.
    pub otpauth_uri: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaStatus {
    pub enabled_at: Timestamp,
    pub recovery_codes_left: i64,
}

fn sealed_context(user_id: i64) -> String {
    format!("totp-secret:{user_id}")
}

/// Sealed to the session that asked, so a row moved to another session does not open.
fn codes_context(session_hash: &str) -> String {
    format!("codes-to-show:{session_hash}")
}

/// How long new recovery codes wait for the page that shows them.
const CODES_TO_SHOW_FOR: Duration = Duration::from_secs(600);

/// Which factor a code that failed was meant as, for the operators' counts: the form says email,
/// someone without an app has only email, and six digits are an app's code.
fn tried_method(s: &SessionInfo, code: &str, by_email: bool) -> &'static str {
    if by_email || !s.has_mfa {
        "email"
    } else if totp::normalize_code(code).is_some() {
        "totp"
    } else {
        "recovery_code"
    }
}

/// Wrong codes in one sign-in (after a right password) that trigger a warning mail, once.
/// Replayed codes (right, already used: a double submit, or a second tab) are not wrong codes.
pub const FAILING_CODES_ALERT: usize = 3;

/// The audit detail of a code that was never right.
const WRONG_CODE: &str = "wrong code";

/// A second factor proven, with what the caller writes for it in its own transaction.
struct Proven {
    factor: Factor,
    /// The authenticator's time step it matched, not yet consumed.
    totp_step: Option<i64>,
    /// The attempt it took from the failure budget (given back if the step turns out used).
    attempt: Option<ThrottleAttempt>,
    /// Proven before the budget was asked: the write that consumes the step asks it.
    budget_unasked: bool,
}

impl Proven {
    fn new(factor: Factor, attempt: ThrottleAttempt) -> Self {
        Proven { factor, totp_step: None, attempt: Some(attempt), budget_unasked: false }
    }
}

impl Tessera {
    pub async fn mfa_status(&self, user_id: i64) -> Result<Option<MfaStatus>> {
        let Some(cred) = self.store.totp_credential(user_id).await? else { return Ok(None) };
        let recovery_codes_left = self.store.recovery_codes_left(user_id).await?;
        Ok(Some(MfaStatus { enabled_at: cred.enabled_at, recovery_codes_left }))
    }

    /// Whether this session proved a second factor recently enough for a sensitive change.
    pub fn has_fresh_step_up(&self, s: &SessionInfo) -> bool {
        s.second_factor_at
            .is_some_and(|at| self.clock.now().since(at) < self.config.step_up_max_age && self.clock.now() >= at)
    }

    fn enrolment_view(&self, s: &SessionInfo, secret: &TotpSecret, expires_at: Timestamp) -> EnrolmentView {
        let issuer = self.config.issuer.as_deref().unwrap_or(&s.org_name);
        let uri = totp::otpauth_uri(issuer, &s.email, secret);
        EnrolmentView {
            issuer: issuer.to_string(),
            setup_key_grouped: secret.to_grouped_base32(),
            qr_svg: totp::qr_svg(&uri).unwrap_or_default(),
            otpauth_uri: uri,
            expires_at,
        }
    }

    /// Step 1 of enrolment (also the start of an authenticator reset): a new secret, pending for
    /// ten minutes, replacing any earlier pending one. Resetting an existing authenticator needs a
    /// fresh step-up; the old authenticator keeps working until the new one is confirmed.
    pub async fn start_enrolment(&self, s: &SessionInfo, meta: &RequestMeta) -> Result<EnrolmentView, CodeError> {
        if s.mfa_requirement(self.clock.now()) == Requirement::NotOffered {
            return Err(CodeError::NotAllowed(Refusal::MfaNotOffered));
        }
        let resetting = self.store.totp_credential(s.user_id).await?.is_some();
        if resetting && !self.has_fresh_step_up(s) {
            return Err(CodeError::StepUpRequired);
        }
        let secret = TotpSecret::generate();
        let now = self.clock.now();
        let sealed = self.key.seal(&sealed_context(s.user_id), secret.expose_bytes());
        self.store.put_pending_totp(s.user_id, &sealed, now, ENROLMENT_TTL).await?;
        self.audit_own(s, Action::MfaEnrolmentStarted, Outcome::Success, meta, None).await?;
        Ok(self.enrolment_view(s, &secret, now.plus(ENROLMENT_TTL)))
    }

    /// The pending enrolment, to show step 1 again (reload, wrong code). `None` once expired.
    pub async fn pending_enrolment(&self, s: &SessionInfo) -> Result<Option<EnrolmentView>> {
        let now = self.clock.now();
        let Some(sealed) = self.store.pending_totp(s.user_id, now).await? else { return Ok(None) };
        let Some(bytes) = self.key.open(&sealed_context(s.user_id), &sealed) else { return Ok(None) };
        Ok(Some(self.enrolment_view(s, &TotpSecret::from_bytes(bytes), now.plus(ENROLMENT_TTL))))
    }

    /// Step 2: the user proves the app works with a current code. On a first enrolment the new
    /// recovery codes come back (shown once, never again); on a reset the old secret dies now.
    /// Either way the user's other sessions end. The code used here counts as consumed.
    pub async fn confirm_enrolment(
        &self,
        s: &SessionInfo,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<RecoveryCode>, CodeError> {
        let now = self.clock.now();
        let existing = self.store.totp_credential(s.user_id).await?;
        let resetting = existing.is_some();
        if resetting && !self.has_fresh_step_up(s) {
            return Err(CodeError::StepUpRequired);
        }
        let sealed = self.store.pending_totp(s.user_id, now).await?.ok_or(CodeError::NotApplicable)?;
        let bytes = self.key.open(&sealed_context(s.user_id), &sealed).ok_or(CodeError::NotApplicable)?;
        let account_key = self.account_key(&s.email);
        if let Budget::Waiting { until } = self.store.throttle_take(&account_key, now, throttle::delay_after).await? {
            return Err(CodeError::Waiting(until.since(now)));
        }
        let Some(step) = totp::verify(&TotpSecret::from_bytes(bytes), code, now, None) else {
            self.audit_own(s, Action::MfaEnrolmentFailed, Outcome::Failure, meta, Some("wrong code")).await?;
            return Err(CodeError::Invalid);
        };
        let codes = if resetting { Vec::new() } else { recovery::generate_set() };
        let hashes: Vec<String> = codes.iter().map(|c| c.hash(&self.key, s.user_id)).collect();
        if !self.store.confirm_totp(s.user_id, &sealed, step, &hashes, now).await? {
            // Replaced by a newer enrolment or expired in between.
            return Err(CodeError::Invalid);
        }
        self.store.throttle_clear(&account_key, now).await?;
        self.store.mark_second_factor(&s.token_hash, now).await?;
        let action = if resetting { Action::AuthenticatorReset } else { Action::MfaEnabled };
        self.audit_own(s, action, Outcome::Success, meta, None).await?;
        // Sessions opened with the password alone end: whoever turns MFA on (or replaces the app)
        // may be doing it because the password leaked.
        self.store.delete_other_sessions(s.user_id, &s.token_hash, self.clock.now()).await?;
        self.notify(s, if resetting { Notice::AuthenticatorReset } else { Notice::MfaEnabled }, meta).await;
        crate::telemetry::enrolled();
        Ok(codes)
    }

    /// Checks a second factor for `user`: a 6-digit authenticator code or a recovery code, or
    /// the code mailed to this session (`by_email`, or for someone without an authenticator app)
    /// where [`Tessera::proves_by_email`] allows it. The time step or the code is consumed
    /// atomically, so one code lets exactly one request through; with `defer_step` a matching
    /// time step is left for the caller to consume in the transaction of what it writes next
    /// ([`Proven::totp_step`]). A proven factor leaves the failure budget for the caller to
    /// clear likewise.
    async fn prove_second_factor(
        &self,
        s: &SessionInfo,
        code: &str,
        by_email: bool,
        defer_step: bool,
        meta: &RequestMeta,
    ) -> Result<Proven, CodeError> {
        let now = self.clock.now();
        let cred = self.store.totp_credential(s.user_id).await?;
        // Both kinds are six digits, so the form says which one was typed.
        let by_email = by_email || cred.is_none();
        if by_email && !self.proves_by_email(s) {
            return Err(CodeError::NotApplicable);
        }
        // The app's secret, opened once, for what looks like an app's code.
        let secret = match cred.as_ref().filter(|_| !by_email) {
            Some(cred) if totp::normalize_code(code).is_some() => Some(self.open_secret(s.user_id, cred)?),
            _ => None,
        };
        // A right code already used (a double click, a retry on a slow network, a second tab) is
        // answered as such before the budget is touched: only its holder can send it, so it is
        // no guess, and it must neither count as a failure nor be told to wait.
        if let (Some(secret), Some(cred)) = (&secret, &cred) {
            if totp::verify(secret, code, now, None).is_some_and(|step| step <= cred.last_used_step) {
                self.audit_own(s, Action::MfaReplay, Outcome::Failure, meta, None).await?;
                return Err(CodeError::Replayed);
            }
            // A right, unused code on the way to signing in is proven by computation alone, so
            // the budget is asked in the one transaction that consumes its step and opens the
            // session (one durable commit, not two): unless the account is waiting out its
            // budget, nothing is taken from it and it is full again. Only a code that is not
            // right takes from the budget first, as every guess must.
            if defer_step {
                if let Some(step) = totp::verify(secret, code, now, Some(cred.last_used_step)) {
                    let factor = Factor::Totp;
                    return Ok(Proven { factor, totp_step: Some(step), attempt: None, budget_unasked: true });
                }
            }
        }
        let account_key = self.account_key(&s.email);
        let attempt = match self.store.throttle_take(&account_key, now, throttle::delay_after).await? {
            Budget::Taken(attempt) => attempt,
            Budget::Waiting { until } => {
                self.audit_own(
                    s,
                    Action::MfaChallenge,
                    Outcome::Failure,
                    meta,
                    Some("account is waiting out its failure budget"),
                )
                .await?;
                return Err(CodeError::Waiting(until.since(now)));
            }
        };
        let cred = match cred {
            Some(cred) if !by_email => cred,
            _ => return self.prove_email_code(s, code, meta).await.map(|factor| Proven::new(factor, attempt)),
        };
        let mut replayed = false;
        let mut totp_step = None;
        let factor = if let Some(secret) = &secret {
            match totp::verify(secret, code, now, Some(cred.last_used_step)) {
                Some(step) if defer_step => {
                    totp_step = Some(step);
                    Some(Factor::Totp)
                }
                Some(step) if self.store.consume_totp_step(s.user_id, step).await? => Some(Factor::Totp),
                matched => {
                    // Right code, already used (or used by a parallel request just now): a replay.
                    if matched.is_some() || totp::verify(secret, code, now, None).is_some() {
                        self.audit_own(s, Action::MfaReplay, Outcome::Failure, meta, None).await?;
                        replayed = true;
                    }
                    None
                }
            }
        } else if let Some(rc) = RecoveryCode::parse(code) {
            if self.store.consume_recovery_code(s.user_id, &rc.hash(&self.key, s.user_id), now).await? {
                let left = self.store.recovery_codes_left(s.user_id).await?;
                self.audit_own(s, Action::RecoveryCodeUsed, Outcome::Success, meta, None).await?;
                self.notify(s, Notice::RecoveryCodeUsed { left }, meta).await;
                Some(Factor::RecoveryCode { left })
            } else {
                None
            }
        } else {
            None
        };
        match factor {
            // The caller clears the budget with what else it writes.
            Some(factor) => Ok(Proven { totp_step, ..Proven::new(factor, attempt) }),
            // Only someone who had the right code can replay it: that is no guess, so it spends
            // none of the budget (a double click must not lock the person out).
            None if replayed => {
                self.store.throttle_refund(&account_key, &attempt).await?;
                Err(CodeError::Replayed)
            }
            None => {
                self.audit_own(s, Action::MfaChallenge, Outcome::Failure, meta, Some(WRONG_CODE)).await?;
                // The password was right yet codes keep failing: worth a mail, once a sign-in.
                if s.state == SessionState::PasswordOk && self.wrong_codes_this_sign_in(s).await? == FAILING_CODES_ALERT
                {
                    self.notify(s, Notice::SecondFactorFailing, meta).await;
                }
                Err(CodeError::Invalid)
            }
        }
    }

    /// The authenticator secret of `user_id`, opened with the instance key.
    fn open_secret(&self, user_id: i64, cred: &crate::store::TotpCredential) -> Result<TotpSecret> {
        self.key
            .open(&sealed_context(user_id), &cred.secret_sealed)
            .map(TotpSecret::from_bytes)
            .ok_or_else(|| Error::Invalid("a stored authenticator secret does not open with this instance key".into()))
    }

    /// How many codes that were never right this half-finished sign-in has been sent.
    async fn wrong_codes_this_sign_in(&self, s: &SessionInfo) -> Result<usize> {
        let filter = crate::store::AuditFilter {
            action: Some(Action::MfaChallenge.as_str().to_string()),
            target_email: Some(crate::model::canonical_email(&s.email)),
            from: Some(s.created_at),
            ..Default::default()
        };
        // A sign-in lasts ten minutes and the budget stops guessing after a few: a short read.
        let events = self.store.audit_log(s.org_id, &filter, None, 50).await?;
        Ok(events
            .iter()
            .filter(|e| e.event.outcome == "failure" && e.event.detail.as_deref() == Some(WRONG_CODE))
            .count())
    }

    /// The email half of [`Tessera::prove_second_factor`], once the attempt is counted.
    async fn prove_email_code(&self, s: &SessionInfo, code: &str, meta: &RequestMeta) -> Result<Factor, CodeError> {
        let now = self.clock.now();
        let used = match crate::email_codes::normalize(code) {
            Some(code) => {
                let hash = crate::email_codes::code_hash(&self.key, &s.token_hash, &code);
                self.store.use_email_code(&s.token_hash, &hash, now).await?
            }
            None => crate::store::CodeUse::Refused,
        };
        match used {
            crate::store::CodeUse::Used => {
                self.audit_own(s, Action::EmailCodeUsed, Outcome::Success, meta, None).await?;
                Ok(Factor::EmailCode)
            }
            crate::store::CodeUse::Expired => {
                self.audit_own(s, Action::EmailCodeRefused, Outcome::Failure, meta, Some("code expired")).await?;
                Err(CodeError::Expired)
            }
            crate::store::CodeUse::Refused => {
                self.audit_own(s, Action::EmailCodeRefused, Outcome::Failure, meta, Some("wrong code")).await?;
                Err(CodeError::Invalid)
            }
        }
    }

    /// The sign-in challenge: a `password_ok` session proves its second factor (`by_email`: the
    /// code mailed for this sign-in) and becomes a new, fully signed-in session (new token; the
    /// old one dies).
    pub async fn answer_challenge(
        &self,
        s: &SessionInfo,
        code: &str,
        by_email: bool,
        meta: &RequestMeta,
    ) -> Result<(Token, Factor), CodeError> {
        if s.state != SessionState::PasswordOk {
            return Err(CodeError::NotApplicable);
        }
        let (proved, method) = if self.needs_access_code(s) {
            let proved = self.prove_access_code(s, code, meta).await.map(|f| Proven {
                factor: f,
                totp_step: None,
                attempt: None,
                budget_unasked: false,
            });
            (proved, "access_code")
        } else {
            (self.prove_second_factor(s, code, by_email, true, meta).await, tried_method(s, code, by_email))
        };
        let result = match proved {
            Ok(proven) => self.open_signed_in_session(s, &proven, meta).await.map(|token| (token, proven.factor)),
            Err(e) => Err(e),
        };
        crate::factor::count(method, result.as_ref().map(|(_, f)| f));
        result
    }

    /// The half-finished sign-in `s` proved its second factor: a new, fully signed-in session
    /// in its place, in one transaction with the time step consumed, the budget cleared, the
    /// record and the completed sign-in.
    async fn open_signed_in_session(
        &self,
        s: &SessionInfo,
        proven: &Proven,
        meta: &RequestMeta,
    ) -> Result<Token, CodeError> {
        let now = self.clock.now();
        let token = Token::generate();
        let mut new = self.new_session(&token, s.user_id, s.org_id, SessionState::Full, meta);
        new.via_provider = s.via_provider;
        // The sign-in counts as a fresh confirmation for sensitive changes, except where an
        // emailed code stood in for the app (someone with an app confirms those with the app)
        // and where an access code let the person through to enrolment (it proves no factor).
        new.second_factor_at = match proven.factor {
            Factor::AccessCode => None,
            Factor::EmailCode if s.has_mfa => None,
            _ => Some(now),
        };
        let event = self.own_event(s, Action::MfaChallenge, Outcome::Success, meta, None);
        let account_key = self.account_key(&s.email);
        let written = self
            .store
            .write_sign_in(&SignInWrite {
                now,
                budget: match proven.budget_unasked {
                    true => Settle::ClearUnlessWaiting(&account_key),
                    false => Settle::Clear(&account_key),
                },
                event: &event,
                previous: Previous::Replaced(&s.token_hash),
                session: &new,
                completes: Some(s.user_id),
                consumes_totp: proven.totp_step.map(|step| (s.user_id, step)),
            })
            .await?;
        match written {
            Written::Done => Ok(token),
            Written::SessionGone => Err(CodeError::Invalid),
            Written::Waiting { until } => {
                let detail = Some("account is waiting out its failure budget");
                self.audit_own(s, Action::MfaChallenge, Outcome::Failure, meta, detail).await?;
                Err(CodeError::Waiting(until.since(now)))
            }
            // A parallel request took the step first: a replay, which spends none of the budget.
            Written::CodeUsed => {
                self.audit_own(s, Action::MfaReplay, Outcome::Failure, meta, None).await?;
                if let Some(attempt) = &proven.attempt {
                    self.store.throttle_refund(&account_key, attempt).await?;
                }
                Err(CodeError::Replayed)
            }
        }
    }

    /// Whether this half-finished sign-in owes a temporary access code rather than a second
    /// factor: an MFA reset holds the account and nothing else can prove a factor.
    pub fn needs_access_code(&self, s: &SessionInfo) -> bool {
        s.mfa_hold && !s.has_mfa && s.mfa_requirement(self.clock.now()) == Requirement::MustEnrol
    }

    /// Step-up: a signed-in session proves its second factor again before a sensitive change.
    pub async fn step_up(&self, s: &SessionInfo, code: &str, meta: &RequestMeta) -> Result<Factor, CodeError> {
        if s.state != SessionState::Full {
            return Err(CodeError::NotApplicable);
        }
        let proved = self.prove_second_factor(s, code, false, false, meta).await.map(|p| p.factor);
        crate::factor::count(tried_method(s, code, false), proved.as_ref());
        let factor = proved?;
        let now = self.clock.now();
        self.store.throttle_clear(&self.account_key(&s.email), now).await?;
        self.store.mark_second_factor(&s.token_hash, now).await?;
        self.audit_own(s, Action::StepUp, Outcome::Success, meta, None).await?;
        Ok(factor)
    }

    /// A new set of recovery codes; the old set dies at once. Needs a fresh step-up.
    pub async fn regenerate_recovery_codes(
        &self,
        s: &SessionInfo,
        meta: &RequestMeta,
    ) -> Result<Vec<RecoveryCode>, CodeError> {
        if self.store.totp_credential(s.user_id).await?.is_none() {
            return Err(CodeError::NotApplicable);
        }
        if !self.has_fresh_step_up(s) {
            return Err(CodeError::StepUpRequired);
        }
        let now = self.clock.now();
        let codes = recovery::generate_set();
        let hashes: Vec<String> = codes.iter().map(|c| c.hash(&self.key, s.user_id)).collect();
        self.store.replace_recovery_codes(s.user_id, &hashes, now).await?;
        self.notify(s, Notice::RecoveryCodesRegenerated, meta).await;
        self.audit_own(s, Action::RecoveryCodesRegenerated, Outcome::Success, meta, None).await?;
        Ok(codes)
    }

    /// Keeps new recovery codes for the page that shows them to this session, once, for a few
    /// minutes: the request that made them redirects there, so a reload cannot make them again.
    pub async fn keep_codes_to_show(&self, s: &SessionInfo, codes: &[RecoveryCode], regenerated: bool) -> Result<()> {
        let text: Vec<String> = codes.iter().map(RecoveryCode::display).collect();
        let codes_sealed = self.key.seal(&codes_context(&s.token_hash), text.join("\n").as_bytes());
        let expires_at = self.clock.now().plus(CODES_TO_SHOW_FOR);
        self.store.put_codes_to_show(&s.token_hash, &CodesToShow { codes_sealed, regenerated }, expires_at).await
    }

    /// The codes kept for this session, and whether they replaced an older set. A second call
    /// finds nothing: they are shown once.
    pub async fn take_codes_to_show(&self, s: &SessionInfo) -> Result<Option<(Vec<String>, bool)>> {
        let Some(kept) = self.store.take_codes_to_show(&s.token_hash, self.clock.now()).await? else {
            return Ok(None);
        };
        let Some(text) = self.key.open(&codes_context(&s.token_hash), &kept.codes_sealed) else {
            tracing::error!("recovery codes kept for a session did not open");
            return Ok(None);
        };
        let codes = String::from_utf8_lossy(&text).lines().map(str::to_string).collect();
        Ok(Some((codes, kept.regenerated)))
    }

    /// Turns MFA off for this user and ends their other sessions. Needs a fresh step-up.
    pub async fn disable_mfa(&self, s: &SessionInfo, meta: &RequestMeta) -> Result<(), CodeError> {
        if s.mfa_requirement(self.clock.now()) == Requirement::Satisfied {
            return Err(CodeError::NotAllowed(Refusal::MfaRequired));
        }
        if !self.has_fresh_step_up(s) {
            return Err(CodeError::StepUpRequired);
        }
        if !self.store.disable_mfa(s.user_id).await? {
            return Err(CodeError::NotApplicable);
        }
        self.store.delete_other_sessions(s.user_id, &s.token_hash, self.clock.now()).await?;
        self.notify(s, Notice::MfaDisabled, meta).await;
        self.audit_own(s, Action::MfaDisabled, Outcome::Success, meta, None).await?;
        Ok(())
    }
}
