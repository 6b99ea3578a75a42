//! Authenticator-app MFA through the real store, on SQLite and PostgreSQL: enrolment, the sign-in
//! challenge, replay, recovery codes, step-up, reset and disable, and single use under concurrency.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, query_texts, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::mfa::{CodeError, Factor};
use tessera_server::model::OrgKind;
use tessera_server::recovery::RecoveryCode;
use tessera_server::session::{SessionInfo, SessionState};
use tessera_server::sign_in::SignInStep;
use tessera_server::totp;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const EMAIL: &str = "ada@example.org";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("mfa-test"))
}

async fn session(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("live session")
}

/// Signs in with the password; returns the token and which step it reached.
async fn password_step(env: &Env) -> (String, bool) {
    match env.app.sign_in(EMAIL, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => (t.expose().to_string(), false),
        SignInStep::MfaRequired(t) => (t.expose().to_string(), true),
    }
}

/// A user with MFA enabled: returns (secret, recovery codes, a full session token).
async fn enrolled(env: &Env) -> (Vec<u8>, Vec<RecoveryCode>, String) {
    env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
    let (token, mfa) = password_step(env).await;
    assert!(!mfa);
    let s = session(env, &token).await;
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    assert_eq!(secret.len(), 20);
    let codes = env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    env.clock.advance(Duration::from_secs(30));
    (secret, codes, token)
}

#[tokio::test]
async fn enrol_then_sign_in_with_a_code_and_with_a_recovery_code() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (token, _) = password_step(&env).await;
        let s = session(&env, &token).await;
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        assert!(view.qr_svg.contains("<svg"));
        let secret = base32_decode(&view.setup_key_grouped);
        // A wrong code keeps MFA off.
        let wrong = format!("{:06}", (code_now(&secret, &env).parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(matches!(env.app.confirm_enrolment(&s, &wrong, &meta()).await, Err(CodeError::Invalid)));
        assert!(env.app.mfa_status(s.user_id).await.unwrap().is_none());
        let last = env.store.recent_audit(None, 1).await.unwrap();
        assert_eq!((last[0].action.as_str(), last[0].outcome.as_str()), ("mfa.enrolment_failed", "failure"));
        // The pending enrolment can be shown again with the same key.
        let again = env.app.pending_enrolment(&s).await.unwrap().unwrap();
        assert_eq!(again.setup_key_grouped, view.setup_key_grouped);

        let (elsewhere, _) = password_step(&env).await;
        let enrol_code = code_now(&secret, &env);
        let codes = env.app.confirm_enrolment(&s, &enrol_code, &meta()).await.unwrap();
        assert!(env.app.session(&elsewhere).await.unwrap().is_none(), "turning MFA on ends the other sessions");
        assert!(env.app.session(&token).await.unwrap().is_some(), "but not the one that did it");
        assert_eq!(codes.len(), 10);
        let status = env.app.mfa_status(s.user_id).await.unwrap().unwrap();
        assert_eq!(status.recovery_codes_left, 10);
        assert!(env.app.pending_enrolment(&s).await.unwrap().is_none(), "the secret is never shown again");

        // Password now leads to the challenge, in a session that is not signed in.
        let (pw_token, mfa) = password_step(&env).await;
        assert!(mfa, "{}", env.backend);
        let pending = session(&env, &pw_token).await;
        assert_eq!(pending.state, SessionState::PasswordOk);
        // The code used to enrol is spent: the person who has it is told to wait for the next one.
        assert!(matches!(
            env.app.answer_challenge(&pending, &enrol_code, false, &meta()).await,
            Err(CodeError::Replayed)
        ));
        env.clock.advance(Duration::from_secs(30));
        let fresh = code_now(&secret, &env);
        let (full, factor) = env.app.answer_challenge(&pending, &fresh, false, &meta()).await.unwrap();
        assert_eq!(factor, Factor::Totp);
        assert!(env.app.session(&pw_token).await.unwrap().is_none(), "the password_ok token died");
        let full_session = session(&env, full.expose()).await;
        assert_eq!(full_session.state, SessionState::Full);

        // A replayed code is refused, recorded as a replay, and says so: only someone who had
        // the right code can get that answer. A code that was never right gets the usual one.
        let (pw_token, _) = password_step(&env).await;
        let pending = session(&env, &pw_token).await;
        assert!(matches!(env.app.answer_challenge(&pending, &fresh, false, &meta()).await, Err(CodeError::Replayed)));
        let totp_secret = tessera_server::totp::TotpSecret::from_bytes(secret.clone());
        let right = |c: &str| tessera_server::totp::verify(&totp_secret, c, env.clock.now(), None).is_some();
        let never_right = (0..1000).map(|n| format!("{n:06}")).find(|c| !right(c)).unwrap();
        assert!(matches!(
            env.app.answer_challenge(&pending, &never_right, false, &meta()).await,
            Err(CodeError::Invalid)
        ));
        let audit = env.store.recent_audit(None, 5).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "mfa.replay"), "{audit:?}");

        // A recovery code, typed sloppily, works once.
        let typed = codes[3].display().to_lowercase().replace('-', " ");
        let (_, factor) = env.app.answer_challenge(&pending, &typed, false, &meta()).await.unwrap();
        assert_eq!(factor, Factor::RecoveryCode { left: 9 });
        assert!(env.outbox().iter().any(|m| m.contains("9 recovery codes are left")));
        let (pw_token, _) = password_step(&env).await;
        let pending = session(&env, &pw_token).await;
        assert!(matches!(
            env.app.answer_challenge(&pending, &codes[3].display(), false, &meta()).await,
            Err(CodeError::Invalid)
        ));
        let (_, factor) = env.app.answer_challenge(&pending, &codes[0].display(), false, &meta()).await.unwrap();
        assert_eq!(factor, Factor::RecoveryCode { left: 8 });

        // A half-finished sign-in does not wait for ever.
        let (stale, _) = password_step(&env).await;
        env.clock.advance(Duration::from_secs(10 * 60));
        assert!(env.app.session(&stale).await.unwrap().is_none(), "the challenge window is ten minutes");
    })
    .await;
}

#[tokio::test]
async fn one_app_code_signs_in_exactly_one_of_many_parallel_challenges_and_spends_no_budget() {
    on_both(|env| async move {
        let (secret, _, _) = enrolled(&env).await;
        // Five parallel answers with one right code: it is proven by computation, so none of them
        // takes from the budget; the winner's write checks the budget and clears it.
        let mut sessions = Vec::new();
        for _ in 0..5 {
            let (t, _) = password_step(&env).await;
            sessions.push(session(&env, &t).await);
        }
        // The time step is consumed in the same transaction that opens the signed-in session.
        let code = code_now(&secret, &env);
        let tasks: Vec<_> = sessions
            .into_iter()
            .map(|s| {
                let (app, code) = (env.app.clone(), code.clone());
                tokio::spawn(async move { app.answer_challenge(&s, &code, false, &meta()).await })
            })
            .collect();
        let (mut wins, mut replays) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok((_, Factor::Totp)) => wins += 1,
                Err(CodeError::Replayed) => replays += 1,
                other => panic!("{}: {other:?}", env.backend),
            }
        }
        assert_eq!((wins, replays), (1, 4), "{}", env.backend);
        // Replays are no guesses: the budget is whole, so five wrong passwords are still free.
        let failures = query_texts(&env, "SELECT CAST(failures AS TEXT) FROM signin_throttle").await;
        assert!(failures.iter().all(|f| f == "0"), "{}: {failures:?}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn one_code_lets_exactly_one_request_through() {
    on_both(|env| async move {
        let (_, codes, token) = enrolled(&env).await;
        let user_id = session(&env, &token).await.user_id;

        // Through the use case: five password_ok sessions race with the same recovery code.
        let mut sessions = Vec::new();
        for _ in 0..5 {
            let (t, _) = password_step(&env).await;
            sessions.push(session(&env, &t).await);
        }
        let code = codes[1].display();
        let mut tasks = Vec::new();
        for s in sessions {
            let app = env.app.clone();
            let code = code.clone();
            tasks.push(tokio::spawn(async move { app.answer_challenge(&s, &code, false, &meta()).await.is_ok() }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += t.await.unwrap() as u32;
        }
        assert_eq!(wins, 1, "{}: one recovery code, one sign-in", env.backend);

        // The store: ten parallel consumptions of one time step...
        let step = totp::step_at(env.clock.now()) + 1;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let store = env.store.clone();
            tasks.push(tokio::spawn(async move { store.consume_totp_step(user_id, step).await.unwrap() }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += t.await.unwrap() as u32;
        }
        assert_eq!(wins, 1, "{}: one step, one winner", env.backend);

        // ...and of one recovery code (as stored: its keyed hash).
        let now = env.clock.now();
        env.store.replace_recovery_codes(user_id, &["hash-a".into(), "hash-b".into()], now).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let store = env.store.clone();
            tasks.push(tokio::spawn(async move { store.consume_recovery_code(user_id, "hash-a", now).await.unwrap() }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += t.await.unwrap() as u32;
        }
        assert_eq!(wins, 1, "{}: one recovery code, one winner", env.backend);
        assert_eq!(env.store.recovery_codes_left(user_id).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_share_the_password_failure_budget() {
    on_both(|env| async move {
        let (secret, _, _) = enrolled(&env).await;
        let (t, _) = password_step(&env).await;
        let pending = session(&env, &t).await;
        for _ in 0..4 {
            assert!(env.app.answer_challenge(&pending, "000000", false, &meta()).await.is_err());
        }
        // Signing in with the password again neither refills nor spends the budget: one more
        // wrong code is the fifth failure, and the account must wait.
        let (t, mfa) = password_step(&env).await;
        assert!(mfa);
        let pending = session(&env, &t).await;
        assert!(env.app.answer_challenge(&pending, "000000", false, &meta()).await.is_err());
        assert!(
            matches!(
                env.app.answer_challenge(&pending, &code_now(&secret, &env), false, &meta()).await,
                Err(CodeError::Waiting(d)) if d == Duration::from_secs(1)
            ),
            "{}: the account must wait, even with the right code, and is told for how long (not that it is wrong)",
            env.backend
        );
        env.clock.advance(Duration::from_secs(2));
        assert!(env.app.answer_challenge(&pending, &code_now(&secret, &env), false, &meta()).await.is_ok());
        let warnings = env.outbox().iter().filter(|m| m.contains("Repeated failed sign-in codes")).count();
        assert_eq!(warnings, 1, "one warning per streak of failed codes after a right password");
        // Success cleared the budget: four more wrong codes leave the app's next code usable at
        // once (nine failures in a row would make the account wait).
        env.clock.advance(Duration::from_secs(30));
        for _ in 0..4 {
            let (t, _) = password_step(&env).await;
            assert!(env.app.answer_challenge(&session(&env, &t).await, "000000", false, &meta()).await.is_err());
        }
        let (t, _) = password_step(&env).await;
        assert!(env
            .app
            .answer_challenge(&session(&env, &t).await, &code_now(&secret, &env), false, &meta())
            .await
            .is_ok());
    })
    .await;
}

#[tokio::test]
async fn sensitive_changes_need_a_fresh_second_factor() {
    on_both(|env| async move {
        let (secret, old_codes, _) = enrolled(&env).await;
        let (t, _) = password_step(&env).await;
        let pending = session(&env, &t).await;
        let (full, _) = env.app.answer_challenge(&pending, &code_now(&secret, &env), false, &meta()).await.unwrap();
        let s = session(&env, full.expose()).await;
        assert!(env.app.has_fresh_step_up(&s));

        // Five minutes later the factor is stale.
        env.clock.advance(Duration::from_secs(5 * 60 + 1));
        let s = session(&env, full.expose()).await;
        assert!(matches!(env.app.regenerate_recovery_codes(&s, &meta()).await, Err(CodeError::StepUpRequired)));
        assert!(matches!(env.app.disable_mfa(&s, &meta()).await, Err(CodeError::StepUpRequired)));
        assert!(matches!(env.app.start_enrolment(&s, &meta()).await, Err(CodeError::StepUpRequired)));

        // Step-up with a recovery code, then regenerate: the old set dies at once.
        env.app.step_up(&s, &old_codes[0].display(), &meta()).await.unwrap();
        let s = session(&env, full.expose()).await;
        let new_codes = env.app.regenerate_recovery_codes(&s, &meta()).await.unwrap();
        assert_eq!(env.app.mfa_status(s.user_id).await.unwrap().unwrap().recovery_codes_left, 10);
        assert!(matches!(env.app.step_up(&s, &old_codes[1].display(), &meta()).await, Err(CodeError::Invalid)));
        env.app.step_up(&s, &new_codes[1].display(), &meta()).await.unwrap();

        // Reset the authenticator: the old secret works until the new one is confirmed.
        let other_device = password_step(&env).await.0;
        let s = session(&env, full.expose()).await;
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        let new_secret = base32_decode(&view.setup_key_grouped);
        env.clock.advance(Duration::from_secs(30));
        env.app.step_up(&s, &code_now(&secret, &env), &meta()).await.expect("old authenticator still works");
        let s = session(&env, full.expose()).await;
        env.clock.advance(Duration::from_secs(30));
        let kept = env.app.confirm_enrolment(&s, &code_now(&new_secret, &env), &meta()).await.unwrap();
        assert!(kept.is_empty(), "a reset keeps the recovery codes");
        assert!(env.app.session(&other_device).await.unwrap().is_none(), "other sessions end on reset");
        env.clock.advance(Duration::from_secs(30));
        assert!(env.app.step_up(&s, &code_now(&secret, &env), &meta()).await.is_err(), "old secret is dead");
        env.app.step_up(&s, &code_now(&new_secret, &env), &meta()).await.unwrap();

        // Disable: MFA off, other sessions end, the password alone signs in again.
        let s = session(&env, full.expose()).await;
        let another = password_step(&env).await.0;
        env.app.disable_mfa(&s, &meta()).await.unwrap();
        assert!(env.app.mfa_status(s.user_id).await.unwrap().is_none());
        assert!(env.app.session(&another).await.unwrap().is_none());
        assert!(env.app.session(full.expose()).await.unwrap().is_some(), "the session that disabled stays");
        assert!(!password_step(&env).await.1);
        // Every change was mailed to the user.
        let mail = env.outbox();
        for subject in [
            "Subject: Tessera: MFA is on",
            "Subject: Tessera: A recovery code was used",
            "Subject: Tessera: New recovery codes were created",
            "Subject: Tessera: Your authenticator app was changed",
            "Subject: Tessera: MFA is off",
        ] {
            assert!(mail.iter().any(|m| m.contains(subject)), "{}: no mail with {subject}", env.backend);
        }
        assert!(mail.iter().all(|m| m.contains("To: ada@example.org") && m.contains("192.0.2.10")));
        let actions: Vec<String> =
            env.store.recent_audit(None, 50).await.unwrap().into_iter().map(|e| e.action).collect();
        for a in [
            "mfa.enrolment_started",
            "mfa.enabled",
            "mfa.recovery_codes_regenerated",
            "mfa.authenticator_reset",
            "mfa.disabled",
            "mfa.step_up",
            "mfa.recovery_code_used",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn only_the_latest_unexpired_enrolment_can_be_confirmed() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (token, _) = password_step(&env).await;
        let s = session(&env, &token).await;
        let first = base32_decode(&env.app.start_enrolment(&s, &meta()).await.unwrap().setup_key_grouped);
        let second = base32_decode(&env.app.start_enrolment(&s, &meta()).await.unwrap().setup_key_grouped);
        assert_ne!(first, second);
        assert!(matches!(
            env.app.confirm_enrolment(&s, &code_now(&first, &env), &meta()).await,
            Err(CodeError::Invalid)
        ));
        env.clock.advance(Duration::from_secs(10 * 60));
        assert!(
            matches!(
                env.app.confirm_enrolment(&s, &code_now(&second, &env), &meta()).await,
                Err(CodeError::NotApplicable)
            ),
            "expired after ten minutes"
        );
        assert!(env.app.mfa_status(s.user_id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn new_recovery_codes_are_kept_for_one_showing_to_the_session_that_made_them() {
    on_both(|env| async move {
        let (_secret, codes, token) = enrolled(&env).await;
        let s = session(&env, &token).await;
        env.app.keep_codes_to_show(&s, &codes, false).await.unwrap();
        // Sealed at rest: no code appears in the row.
        let rows = query_texts(&env, "SELECT codes_sealed FROM codes_to_show").await;
        assert_eq!(rows.len(), 1);
        assert!(codes
            .iter()
            .all(|c| !rows[0].contains(&c.display()) && !rows[0].contains(&c.display().replace('-', ""))));
        // Another session of the same user gets nothing.
        let (other, _) = password_step(&env).await;
        let other = session(&env, &other).await;
        assert_eq!(env.app.take_codes_to_show(&other).await.unwrap(), None);
        // The session that made them gets them once, in order.
        let shown = env.app.take_codes_to_show(&s).await.unwrap().unwrap();
        assert_eq!(shown, (codes.iter().map(RecoveryCode::display).collect::<Vec<_>>(), false));
        assert_eq!(env.app.take_codes_to_show(&s).await.unwrap(), None, "shown once");
        // A newer set replaces one not shown yet; after ten minutes nothing is left.
        env.app.keep_codes_to_show(&s, &codes[..2], false).await.unwrap();
        env.app.keep_codes_to_show(&s, &codes[2..4], true).await.unwrap();
        let shown = env.app.take_codes_to_show(&s).await.unwrap().unwrap();
        assert_eq!((shown.0.len(), shown.1), (2, true));
        assert_eq!(shown.0[0], codes[2].display());
        env.app.keep_codes_to_show(&s, &codes, true).await.unwrap();
        env.clock.advance(Duration::from_secs(601));
        assert_eq!(env.app.take_codes_to_show(&s).await.unwrap(), None, "expired");
        // Signing out takes them with the session.
        env.app.keep_codes_to_show(&s, &codes, false).await.unwrap();
        env.app.sign_out(&token, &meta()).await.unwrap();
        assert!(query_texts(&env, "SELECT session_hash FROM codes_to_show").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_authenticator_entry_is_named_for_the_organisation_or_the_instance() {
    on_both(|env| async move {
        env.app.create_organisation("Acme Health", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (token, _) = password_step(&env).await;
        let s = session(&env, &token).await;
        // By default each organisation's own name, so someone in two organisations (or on two
        // Tessera instances) tells the entries apart.
        assert_eq!(env.app.start_enrolment(&s, &meta()).await.unwrap().issuer, "Acme Health");
        // An operator may name every entry of this instance instead.
        let mut config = common::config(env.data.path());
        config.issuer = Some("Acme SSO".into());
        let app = tessera_server::Tessera::new(
            env.store.clone(),
            env.clock.clone(),
            std::sync::Arc::new(config),
            tessera_server::password::PasswordHasher::new(1, 4),
            tessera_server::secret::SecretKey::generate(),
        );
        assert_eq!(app.start_enrolment(&s, &meta()).await.unwrap().issuer, "Acme SSO");
    })
    .await;
}

#[tokio::test]
async fn a_code_sent_again_is_no_failure_and_only_wrong_codes_warn() {
    on_both(|env| async move {
        let (secret, _, _) = enrolled(&env).await;
        let (t, _) = password_step(&env).await;
        let right = code_now(&secret, &env);
        env.app.answer_challenge(&session(&env, &t).await, &right, false, &meta()).await.unwrap();
        // The same code again and again (a double click, a retry on a slow network): each time
        // "already used", never a failure, never a wait.
        let (t, _) = password_step(&env).await;
        let pending = session(&env, &t).await;
        for i in 0..8 {
            let r = env.app.answer_challenge(&pending, &right, false, &meta()).await;
            assert!(matches!(r, Err(CodeError::Replayed)), "{}: sent again, {i}: {r:?}", env.backend);
        }
        // Many at once: all "already used", none told to wait.
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (app, pending, right) = (env.app.clone(), pending.clone(), right.clone());
            tasks.push(tokio::spawn(async move { app.answer_challenge(&pending, &right, false, &meta()).await }));
        }
        for task in tasks {
            let r = task.await.unwrap();
            assert!(matches!(r, Err(CodeError::Replayed)), "{}: {r:?}", env.backend);
        }
        let warnings = || env.outbox().iter().filter(|m| m.contains("Repeated failed sign-in codes")).count();
        // Two wrong codes are no reason for a mail; the third in the same sign-in is.
        for _ in 0..2 {
            assert!(matches!(
                env.app.answer_challenge(&pending, "000000", false, &meta()).await,
                Err(CodeError::Invalid)
            ));
        }
        assert_eq!(warnings(), 0, "{}: replays are not wrong codes", env.backend);
        assert!(matches!(env.app.answer_challenge(&pending, "000000", false, &meta()).await, Err(CodeError::Invalid)));
        assert_eq!(warnings(), 1);
        // The budget saw three failures, not seventeen: the next step's code signs in.
        env.clock.advance(Duration::from_secs(30));
        env.app.answer_challenge(&pending, &code_now(&secret, &env), false, &meta()).await.unwrap();
    })
    .await;
}
