//! The foundation's use cases end to end through the real store, on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{on_both, Env};
use sqlx::Connection;
use tessera_server::audit::RequestMeta;
use tessera_server::clock::{Clock, Timestamp};
use tessera_server::form_errors::FormError;
use tessera_server::model::{OrgKind, Role};
use tessera_server::password::PasswordHasher;
use tessera_server::secret::SecretKey;
use tessera_server::session::SessionState;
use tessera_server::setup::SetupForm;
use tessera_server::sign_in::{Destination, LoginStep, SignInError, SignInStep};
use tessera_server::store::TokenPurpose;
use tessera_server::{Error, Tessera};

const PASSWORD: &str = "plum tractor sings quietly tonight";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("story-test"))
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("link has a token").to_string()
}

fn setup_form(password: &str) -> SetupForm {
    SetupForm {
        org_name: "Acme Health".into(),
        org_kind: "healthcare".into(),
        display_name: "Ada Lovelace".into(),
        email: "Ada@Example.org".into(),
        password: password.into(),
    }
}

async fn signed_in(env: &Env, email: &str, password: &str) -> Result<String, SignInError> {
    match env.app.sign_in(email, password, None, &meta()).await? {
        SignInStep::Done(token) => Ok(token.expose().to_string()),
        SignInStep::MfaRequired(_) => panic!("these accounts have no MFA"),
    }
}

#[tokio::test]
async fn first_run_setup_link_creates_the_organisation_once() {
    on_both(|env| async move {
        let link = env.app.setup_link_if_empty().await.unwrap().expect("empty database offers setup");
        assert!(link.starts_with("http://127.0.0.1:3000/setup?token="), "{link}");
        // A second start replaces the link: the first one dies.
        let link2 = env.app.setup_link_if_empty().await.unwrap().unwrap();
        assert!(!env.app.link_is_valid(&token_of(&link), TokenPurpose::Setup).await.unwrap());
        let token = token_of(&link2);
        assert!(env.app.link_is_valid(&token, TokenPurpose::Setup).await.unwrap());

        // A weak password is refused with a reason and does not use the link up.
        match env.app.complete_setup(&token, &setup_form("acme health acme health"), &meta()).await {
            Err(FormError::Invalid(errors)) => assert!(errors.get("password").is_some(), "{errors:?}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(env.app.link_is_valid(&token, TokenPurpose::Setup).await.unwrap());

        let session = env.app.complete_setup(&token, &setup_form(PASSWORD), &meta()).await.unwrap();
        let s = env.app.session(session.expose()).await.unwrap().expect("owner is signed in");
        assert_eq!(s.state, SessionState::Full);
        assert_eq!(s.email, "Ada@Example.org");
        assert_eq!(s.org_name, "Acme Health");
        assert_eq!(s.org_kind, OrgKind::Healthcare);
        assert_eq!(s.role.builtin, Some(Role::Owner));

        // Used once, never again; and no new link once an organisation exists.
        assert!(matches!(
            env.app.complete_setup(&token, &setup_form(PASSWORD), &meta()).await,
            Err(FormError::LinkInvalid)
        ));
        assert!(!env.app.link_is_valid(&token, TokenPurpose::Setup).await.unwrap());
        assert_eq!(env.app.setup_link_if_empty().await.unwrap(), None);
        assert_eq!(env.store.count_organisations().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn setup_links_expire_after_a_day() {
    on_both(|env| async move {
        let token = token_of(&env.app.setup_link_if_empty().await.unwrap().unwrap());
        env.clock.advance(Duration::from_secs(24 * 3600));
        assert!(!env.app.link_is_valid(&token, TokenPurpose::Setup).await.unwrap());
        assert!(matches!(
            env.app.complete_setup(&token, &setup_form(PASSWORD), &meta()).await,
            Err(FormError::LinkInvalid)
        ));
        assert_eq!(env.store.count_organisations().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn sign_in_answers_alike_for_unknown_accounts_and_wrong_passwords() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        assert!(matches!(
            signed_in(&env, "ada@example.org", "wrong password here!").await,
            Err(SignInError::InvalidCredentials)
        ));
        assert!(matches!(signed_in(&env, "nobody@example.org", PASSWORD).await, Err(SignInError::InvalidCredentials)));
        assert!(matches!(signed_in(&env, "not an email", PASSWORD).await, Err(SignInError::InvalidCredentials)));
        // Case and surrounding spaces of the email do not matter.
        let token = signed_in(&env, "  ADA@example.ORG ", PASSWORD).await.unwrap();
        assert_eq!(env.app.session(&token).await.unwrap().unwrap().role.builtin, Some(Role::Owner));

        let events = env.store.recent_audit(None, 20).await.unwrap();
        let actions: Vec<(&str, &str)> = events.iter().map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
        assert_eq!(
            actions[..4],
            [("signin", "success"), ("signin", "failure"), ("signin", "failure"), ("signin", "failure")],
            "{}",
            env.backend
        );
        assert_eq!(events[0].ip.as_deref(), Some("192.0.2.10"));
        // A failure against a member's account is in their organisation's log; unknown ones are not.
        let ada = env.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().user_id;
        assert_eq!((events[3].org_id.is_some(), events[3].target_user_id), (true, Some(ada)));
        assert_eq!((events[2].org_id, events[2].target_user_id), (None, None));
        assert_eq!((events[1].org_id, events[1].target_user_id), (None, None));
        for e in &events {
            let all = format!("{e:?}");
            assert!(!all.contains(PASSWORD) && !all.contains("wrong password here"), "secret in audit: {all}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_failure_budget_slows_guessing_and_never_locks_for_good() {
    on_both(|env| async move {
        env.app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
        for _ in 0..5 {
            assert!(matches!(
                signed_in(&env, "ada@example.org", "guess guess guess").await,
                Err(SignInError::InvalidCredentials)
            ));
        }
        // Now the account must wait, and says so with the real wait, even to the right password:
        // "incorrect password" would make its owner think the password is gone.
        let r = signed_in(&env, "ada@example.org", PASSWORD).await;
        assert!(matches!(r, Err(SignInError::Waiting(d)) if d == Duration::from_secs(1)), "{r:?}");
        env.clock.advance(Duration::from_secs(1));
        let token = signed_in(&env, "ada@example.org", PASSWORD).await.expect("after the wait the owner gets in");
        assert!(env.app.session(&token).await.unwrap().is_some());
        // Success clears the budget: five more free tries.
        for _ in 0..4 {
            assert!(signed_in(&env, "ada@example.org", "guess guess guess").await.is_err());
        }
        assert!(signed_in(&env, "ada@example.org", PASSWORD).await.is_ok());
    })
    .await;
}

/// The mails in the outbox to `to`, waiting a little for ones sent in the background.
async fn mails_to(env: &Env, to: &str, expected: usize) -> Vec<String> {
    for _ in 0..100 {
        let mails: Vec<String> = env.outbox().into_iter().filter(|m| m.contains(&format!("To: {to}"))).collect();
        if mails.len() >= expected {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.outbox().into_iter().filter(|m| m.contains(&format!("To: {to}"))).collect()
}

#[tokio::test]
async fn a_spent_budget_answers_alike_for_every_address_and_mails_the_owner_once_per_episode() {
    on_both(|env| async move {
        env.app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
        let mut answers = Vec::new();
        for email in ["ada@example.org", "nobody@example.org"] {
            let mut seen = Vec::new();
            for _ in 0..7 {
                seen.push(format!("{:?}", signed_in(&env, email, "guess guess guess").await.unwrap_err()));
            }
            // Five wrong passwords, then the wait (1 s after the fifth failure; the clock stands still).
            assert_eq!(seen[4], "InvalidCredentials", "{email}");
            assert_eq!(seen[5], format!("{:?}", SignInError::Waiting(Duration::from_secs(1))), "{email}");
            answers.push(seen);
        }
        assert_eq!(answers[0], answers[1], "a known and an unknown address answer exactly alike");

        // One mail to the real account's owner for the episode, with what happened and from where.
        let mails = mails_to(&env, "ada@example.org", 1).await;
        let paused: Vec<&String> = mails.iter().filter(|m| m.contains("Failed sign-ins to your account")).collect();
        assert_eq!(paused.len(), 1, "{mails:?}");
        assert!(paused[0].contains("tried to sign in to your account 5 times") && paused[0].contains("192.0.2.10"));
        assert!(!env.outbox().iter().any(|m| m.contains("nobody@example.org")), "no mail reveals anything");

        // More failures in the same episode send nothing more; after a sign-in, a new episode does.
        env.clock.advance(Duration::from_secs(1));
        assert!(signed_in(&env, "ada@example.org", "guess guess guess").await.is_err());
        env.clock.advance(Duration::from_secs(60));
        signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            mails_to(&env, "ada@example.org", 1).await.iter().filter(|m| m.contains("Failed sign-ins")).count(),
            1
        );
        for _ in 0..5 {
            assert!(signed_in(&env, "ada@example.org", "guess guess guess").await.is_err());
        }
        let mails = mails_to(&env, "ada@example.org", 2).await;
        assert_eq!(mails.iter().filter(|m| m.contains("Failed sign-ins")).count(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_refused_for_capacity_leaves_the_budget_as_it_was() {
    on_both(|env| async move {
        env.app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
        // Ada has MFA, so a right password gives back only its own attempt and never clears the
        // budget: anything a refused attempt leaves behind stays visible.
        let token = signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        let ada = env.app.session(&token).await.unwrap().unwrap();
        let view = env.app.start_enrolment(&ada, &meta()).await.unwrap();
        let secret = common::base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&ada, &common::code_now(&secret, &env), &meta()).await.unwrap();

        // One hashing slot, no queue, and something else hashing all the time: sign-ins are
        // refused as busy (503, "try again"), as they are under a burst.
        let hasher = PasswordHasher::new(1, 0);
        let app = Tessera::new(
            env.store.clone(),
            env.clock.clone(),
            Arc::new(common::config(env.data.path())),
            hasher.clone(),
            SecretKey::generate(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let blocker = tokio::spawn({
            let (hasher, stop) = (hasher.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::SeqCst) {
                    let _ = hasher.hash("someone else's password".into()).await;
                }
            }
        });
        let mut busy = 0;
        for _ in 0..500 {
            match app.sign_in("ada@example.org", PASSWORD, None, &meta()).await {
                Err(SignInError::Busy) => busy += 1,
                Ok(SignInStep::MfaRequired(_)) => {}
                other => panic!("{other:?} after {busy} busy answers"),
            }
            if busy == 8 {
                break;
            }
        }
        stop.store(true, Ordering::SeqCst);
        blocker.await.unwrap();
        assert_eq!(busy, 8, "the hasher was never full");
        // Retrying as told works: the busy answers took nothing from the budget.
        let r = app.sign_in("ada@example.org", PASSWORD, None, &meta()).await;
        assert!(matches!(r, Ok(SignInStep::MfaRequired(_))), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn the_first_sign_in_step_is_kept_sealed_and_briefly() {
    on_both(|env| async move {
        let step = LoginStep {
            email: "ada.lovelace@example.org".into(),
            destination: Destination::Page("/settings/activity".into()),
        };
        let sealed = env.app.seal_login_step(&step);
        assert!(!sealed.contains("lovelace") && !sealed.contains("@") && !sealed.contains("activity"), "{sealed}");
        assert_eq!(env.app.open_login_step(&sealed), Some(step.clone()));
        // Two seals of one address look unrelated, so the cookie does not even tell who is the same.
        assert_ne!(env.app.seal_login_step(&step), sealed);
        // Tampered, forged in clear, or sealed for another purpose: nothing.
        let mut tampered = sealed.clone();
        tampered.replace_range(10..11, if &sealed[10..11] == "A" { "B" } else { "A" });
        for forged in [tampered.as_str(), "ada.lovelace@example.org", "ada.lovelace%40example.org", "v1:", ""] {
            assert_eq!(env.app.open_login_step(forged), None, "{forged:?}");
        }
        // Good for 15 minutes, whatever the browser keeps.
        env.clock.advance(Duration::from_secs(15 * 60 - 1));
        assert!(env.app.open_login_step(&sealed).is_some());
        env.clock.advance(Duration::from_secs(1));
        assert_eq!(env.app.open_login_step(&sealed), None);
    })
    .await;
}

#[tokio::test]
async fn look_alike_addresses_are_one_account_with_one_failure_budget() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "alice@example.org", Some("Alice"), Role::Member, Some(PASSWORD)).await.unwrap();
        // A full-width `ａ`, or mathematical and upper-case letters, name the same account.
        for look_alike in ["\u{ff41}lice@example.org", "\u{1d41a}LICE@example.org"] {
            let r = env.app.add_user("Acme", look_alike, None, Role::Member, Some(PASSWORD)).await;
            assert!(r.is_err(), "{look_alike:?} made a second account");
        }
        let token =
            signed_in(&env, "\u{ff21}lice@\u{ff45}xample.org", PASSWORD).await.expect("the look-alike signs in");
        let alice = env.store.credentials_by_email("alice@example.org").await.unwrap().unwrap().user_id;
        assert_eq!(env.app.session(&token).await.unwrap().unwrap().user_id, alice);
        // Guesses through look-alikes spend the one budget of the account.
        for look_alike in ["\u{ff41}lice@example.org", "ALICE@example.org", "\u{1d41a}lice@example.org"] {
            for _ in 0..2 {
                assert!(signed_in(&env, look_alike, "guess guess guess").await.is_err());
            }
        }
        assert!(signed_in(&env, "alice@example.org", PASSWORD).await.is_err(), "the budget is spent");
    })
    .await;
}

#[tokio::test]
async fn parallel_attempts_each_take_their_own_place_in_the_budget() {
    on_both(|env| async move {
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let store = env.store.clone();
            let now = env.clock.now();
            tasks.push(tokio::spawn(async move {
                store
                    .throttle_take("same-account", now, tessera_server::throttle::delay_after)
                    .await
                    .unwrap()
                    .taken()
                    .map(|a| a.failures)
            }));
        }
        let mut taken: Vec<i64> = Vec::new();
        for t in tasks {
            if let Some(n) = t.await.unwrap() {
                taken.push(n);
            }
        }
        taken.sort();
        assert_eq!(taken, vec![1, 2, 3, 4, 5], "{}: five free attempts, each counted once", env.backend);
    })
    .await;
}

#[tokio::test]
async fn a_free_try_holds_back_no_parallel_try_whose_clock_read_a_moment_earlier() {
    on_both(|env| async move {
        // Two requests (or two instances) read their clocks a few milliseconds apart and reach
        // the database in the other order: both are free tries, neither waits.
        let later = env.clock.now();
        let earlier = tessera_server::clock::Timestamp(later.0 - 5);
        let delay = tessera_server::throttle::delay_after;
        let first = env.store.throttle_take("account", later, delay).await.unwrap();
        let second = env.store.throttle_take("account", earlier, delay).await.unwrap();
        assert_eq!(first.taken().map(|a| a.failures), Some(1), "{}", env.backend);
        assert_eq!(second.taken().map(|a| a.failures), Some(2), "{}: not told to wait", env.backend);
    })
    .await;
}

#[tokio::test]
async fn sessions_end_when_idle_at_the_absolute_limit_and_on_sign_out() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        // Idle limit (1 h by default).
        let t = signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        env.clock.advance(Duration::from_secs(59 * 60));
        assert!(env.app.session(&t).await.unwrap().is_some());
        env.clock.advance(Duration::from_secs(59 * 60));
        assert!(env.app.session(&t).await.unwrap().is_some(), "the visit a minute ago counted as activity");
        env.clock.advance(Duration::from_secs(60 * 60));
        assert!(env.app.session(&t).await.unwrap().is_none(), "an hour idle ends it");

        // Absolute limit (12 h) however active.
        let t = signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        for _ in 0..23 {
            env.clock.advance(Duration::from_secs(30 * 60));
            assert!(env.app.session(&t).await.unwrap().is_some());
        }
        env.clock.advance(Duration::from_secs(30 * 60));
        assert!(env.app.session(&t).await.unwrap().is_none(), "12 h after sign-in it ends");

        // Sign-out kills it on the server: the token is worthless afterwards.
        let t = signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        env.app.sign_out(&t, &meta()).await.unwrap();
        assert!(env.app.session(&t).await.unwrap().is_none());

        // Signing in again rotates: the previous token dies.
        let first = signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        let SignInStep::Done(second) =
            env.app.sign_in("ada@example.org", PASSWORD, Some(&first), &meta()).await.unwrap()
        else {
            panic!("no MFA on this account")
        };
        assert_ne!(first, second.expose());
        assert!(env.app.session(&first).await.unwrap().is_none());
        assert!(env.app.session(second.expose()).await.unwrap().is_some());
        // Garbage tokens are simply no session.
        assert!(env.app.session("x").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn operators_add_accounts_that_choose_their_password_by_link() {
    on_both(|env| async move {
        let created =
            env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), None).await.unwrap();
        let link = created.set_password_link.expect("no password: a link");
        assert!(link.starts_with("http://127.0.0.1:3000/set-password?token="));
        // Without a password nobody signs in.
        assert!(signed_in(&env, "ada@example.org", PASSWORD).await.is_err());
        let token = token_of(&link);
        assert!(matches!(env.app.complete_set_password(&token, "short", &meta()).await, Err(FormError::Invalid(_))));
        env.app.complete_set_password(&token, PASSWORD, &meta()).await.unwrap();
        assert!(matches!(env.app.complete_set_password(&token, PASSWORD, &meta()).await, Err(FormError::LinkInvalid)));
        assert!(signed_in(&env, "ada@example.org", PASSWORD).await.is_ok());

        // Members; emails are unique whatever their case.
        let m = env
            .app
            .add_user("acme", "bob@example.org", None, Role::Member, Some("quiet amber lamps over rivers"))
            .await
            .unwrap();
        assert!(m.set_password_link.is_none());
        let token = signed_in(&env, "bob@example.org", "quiet amber lamps over rivers").await.unwrap();
        let s = env.app.session(&token).await.unwrap().unwrap();
        assert_eq!((s.role.builtin, s.display_name.as_str()), (Some(Role::Member), "bob"));
        assert!(matches!(
            env.app.add_user("Acme", "BOB@example.org", None, Role::Admin, None).await,
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            env.app.add_user("Nope", "carol@example.org", None, Role::Admin, None).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            env.app.create_organisation("ACME", OrgKind::Standard, "carol@example.org", None, None).await,
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            env.app.add_user("Acme", "carol@example.org", None, Role::Member, Some("password123")).await,
            Err(Error::Invalid(_))
        ));

        // Through an invitation link as on the command line, a password spelled from the person's
        // own name and address is refused; the same words are a fine password for anyone else.
        let own_words = "vexmarrow quillorn";
        let q = env
            .app
            .add_user("Acme", "quillorn.vexmarrow@example.org", Some("Quillorn Vexmarrow"), Role::Member, None)
            .await
            .unwrap();
        let token = token_of(&q.set_password_link.unwrap());
        let r = env.app.complete_set_password(&token, own_words, &meta()).await;
        assert!(matches!(r, Err(FormError::Invalid(_))), "{r:?}");
        let r = env.app.add_user("Acme", "vexmarrow.quillorn@example.org", None, Role::Member, Some(own_words)).await;
        assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
        env.app.add_user("Acme", "dot@example.org", Some("Dot"), Role::Member, Some(own_words)).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn weaker_hashes_are_upgraded_at_sign_in() {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    on_both(|env| async move {
        let created = env
            .app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD))
            .await
            .unwrap();
        let weak = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(4096, 2, 1, None).unwrap(),
        )
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut rand::rngs::OsRng))
        .unwrap()
        .to_string();
        env.store.set_password_hash(created.user_id, &weak, env.clock.now()).await.unwrap();
        signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        let stored = env.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().password_hash.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{stored}");
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        let n = env.store.recent_audit(None, 10).await.unwrap().len();
        assert!(n >= 1);
        let (update, delete) = if env.backend == "sqlite" {
            let mut c = sqlx::SqliteConnection::connect(&env.url).await.unwrap();
            (
                sqlx::query("UPDATE audit_events SET outcome = 'x'").execute(&mut c).await.is_err(),
                sqlx::query("DELETE FROM audit_events").execute(&mut c).await.is_err(),
            )
        } else {
            let mut c = sqlx::PgConnection::connect(&env.url).await.unwrap();
            (
                sqlx::query("UPDATE audit_events SET outcome = 'x'").execute(&mut c).await.is_err(),
                sqlx::query("DELETE FROM audit_events").execute(&mut c).await.is_err(),
            )
        };
        assert!(update && delete, "{}: the log refused changes", env.backend);
        assert_eq!(env.store.recent_audit(None, 10).await.unwrap().len(), n);
    })
    .await;
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = tessera_server::store::SqliteStore::open(&url).await.unwrap();
    assert_eq!(store.pragma("journal_mode").await.unwrap(), "wal");
    assert_eq!(store.pragma("synchronous").await.unwrap(), "2", "FULL");
    assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
    assert!(store.pragma("x; DROP TABLE users").await.is_err());
}

#[tokio::test]
async fn the_activity_log_is_scoped_filtered_and_paged() {
    use tessera_server::store::AuditFilter;
    on_both(|env| async move {
        let acme = env
            .app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD))
            .await
            .unwrap();
        env.app.create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some(PASSWORD)).await.unwrap();
        for _ in 0..3 {
            signed_in(&env, "ada@example.org", PASSWORD).await.unwrap();
        }
        signed_in(&env, "zed@example.org", PASSWORD).await.unwrap();
        let all = env.store.audit_log(acme.org_id, &AuditFilter::default(), None, 100).await.unwrap();
        assert_eq!(all.len(), 4, "{}: created + three sign-ins, nothing of Other", env.backend);
        assert!(all.iter().all(|e| e.event.org_id == Some(acme.org_id)));
        assert_eq!(all[0].actor_email.as_deref(), Some("ada@example.org"));
        let signins = AuditFilter {
            action: Some("signin".into()),
            actor_email: Some("ada@example.org".into()),
            ..AuditFilter::default()
        };
        let page1 = env.store.audit_log(acme.org_id, &signins, None, 2).await.unwrap();
        let page2 = env.store.audit_log(acme.org_id, &signins, Some(page1[1].id), 2).await.unwrap();
        assert_eq!((page1.len(), page2.len()), (2, 1));
        assert!(page2[0].id < page1[1].id);
        let later = AuditFilter { from: Some(Timestamp(env.clock.now().0 + 1)), ..AuditFilter::default() };
        assert!(env.store.audit_log(acme.org_id, &later, None, 10).await.unwrap().is_empty());
        let until = AuditFilter { until: Some(env.clock.now()), ..AuditFilter::default() };
        assert!(env.store.audit_log(acme.org_id, &until, None, 10).await.unwrap().is_empty());
    })
    .await;
}
