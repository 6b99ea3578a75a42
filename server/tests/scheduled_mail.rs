//! Grace-period reminders through the real store, on SQLite and PostgreSQL: two instances racing
//! on one database send each reminder once, people who set up MFA or turned reminders off get
//! none, a new deadline brings new reminders, and a mail server that is down is tried again later
//! without losing the mail. The unsubscribe link turns reminders off without signing in.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{base32_decode, code_now, config, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::mail::{Mail, Mailer, Topic};
use tessera_server::model::{MfaPolicy, OrgKind, Role};
use tessera_server::password::PasswordHasher;
use tessera_server::secret::SecretKey;
use tessera_server::sign_in::SignInStep;
use tessera_server::store;
use tessera_server::Tessera;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const DAY: Duration = Duration::from_secs(24 * 3600);
const SUBJECT: &str = "left to set up MFA for Acme";

/// A mail server that is down.
struct Down;

#[async_trait]
impl Mailer for Down {
    async fn send(&self, _: &Mail) -> tessera_server::Result<()> {
        Err(tessera_server::Error::Invalid("connection refused".into()))
    }
}

/// Another instance of Tessera on the same database, mailing to the same outbox (or `mailer`).
async fn second_instance(env: &Env, mailer: Option<Arc<dyn Mailer>>) -> Tessera {
    let store = store::connect(&env.url).await.expect("a second connection");
    let app = Tessera::new(
        store,
        env.clock.clone(),
        Arc::new(config(env.data.path())),
        PasswordHasher::new(2, 64),
        SecretKey::generate(),
    );
    match mailer {
        Some(m) => app.with_mailer(m),
        None => app,
    }
}

/// Reminder mails in the outbox, per recipient.
fn reminders_to(env: &Env, to: &str) -> usize {
    env.outbox().iter().filter(|m| m.contains(&format!("To: {to}")) && m.contains(SUBJECT)).count()
}

/// Acme requires MFA with a grace period of 10 days: Ada (owner) has MFA; Bob, Cy and Dee do not.
async fn acme(env: &Env) {
    let app = &env.app;
    app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD)).await.unwrap();
    for who in ["bob", "cy", "dee"] {
        let email = format!("{who}@example.org");
        app.add_user("Acme", &email, Some(who), Role::Member, Some(PASSWORD)).await.unwrap();
    }
    let meta = RequestMeta::default();
    let token = match app.sign_in("ada@example.org", PASSWORD, None, &meta).await.unwrap() {
        SignInStep::Done(t) => t.expose().to_string(),
        SignInStep::MfaRequired(_) => panic!("no MFA yet"),
    };
    let s = app.session(&token).await.unwrap().unwrap();
    let view = app.start_enrolment(&s, &meta).await.unwrap();
    app.confirm_enrolment(&s, &code_now(&base32_decode(&view.setup_key_grouped), env), &meta).await.unwrap();
    app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, Some(10)).await.unwrap();
}

#[tokio::test]
async fn each_reminder_goes_once_even_with_two_instances_racing() {
    on_both(|env| async move {
        acme(&env).await;
        let other = second_instance(&env, None).await;
        // Dee turns reminders off with the link from a mail, without signing in.
        let dee = env.store.credentials_by_email("dee@example.org").await.unwrap().unwrap().user_id;
        let link = env.app.unsubscribe_link(dee, Topic::GraceReminders);
        let token = link.split("token=").nth(1).unwrap();
        assert_eq!(env.app.unsubscribe_target(&format!("{token}x")), None, "a tampered link names nobody");
        assert_eq!(env.app.unsubscribe(token, &RequestMeta::default()).await.unwrap(), Some(Topic::GraceReminders));

        // Ten days left: no reminder is due yet.
        let (a, b) = tokio::join!(env.app.run_scheduled_mail(), other.run_scheduled_mail());
        a.unwrap();
        b.unwrap();
        assert_eq!(env.outbox().iter().filter(|m| m.contains(SUBJECT)).count(), 0, "{}", env.backend);

        for (advance, round) in
            [(3 * DAY, "a week before"), (6 * DAY, "a day before"), (DAY - Duration::from_secs(4 * 3600), "on the day")]
        {
            env.clock.advance(advance);
            let runs = (env.app.run_scheduled_mail(), other.run_scheduled_mail(), env.app.run_scheduled_mail());
            let (a, b, c) = tokio::join!(runs.0, runs.1, runs.2);
            a.unwrap();
            b.unwrap();
            c.unwrap();
            let n = match round {
                "a week before" => 1,
                "a day before" => 2,
                _ => 3,
            };
            assert_eq!(
                (reminders_to(&env, "bob@example.org"), reminders_to(&env, "cy@example.org")),
                (n, n),
                "{} {round}",
                env.backend
            );
            assert_eq!(reminders_to(&env, "dee@example.org"), 0, "Dee turned them off");
            assert_eq!(reminders_to(&env, "ada@example.org"), 0, "Ada has MFA");
            // Running again sends nothing more.
            assert_eq!(env.app.run_scheduled_mail().await.unwrap().sent, 0);
        }
        let mail =
            env.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org") && m.contains(SUBJECT)).unwrap();
        assert!(mail.contains("List-Unsubscribe: <http://127.0.0.1:3000/unsubscribe?token="), "{mail}");
        assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{mail}");
        assert!(mail.contains("/account/security") && mail.contains("Turn these mails off"), "{mail}");
        assert!(!mail.contains("it cannot be turned off"), "optional mail does not claim to be security mail");

        // After the deadline, no more reminders.
        env.clock.advance(DAY);
        env.app.run_scheduled_mail().await.unwrap();
        assert_eq!(reminders_to(&env, "bob@example.org"), 3);
    })
    .await;
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_tried_again_later() {
    on_both(|env| async move {
        acme(&env).await;
        let down = second_instance(&env, Some(Arc::new(Down))).await;
        env.clock.advance(3 * DAY);
        // Three reminders and Ada's weekly digest, none of which can go.
        let report = down.run_scheduled_mail().await.unwrap();
        assert_eq!((report.planned, report.sent, report.retried), (4, 0, 4), "{}", env.backend);
        assert_eq!(reminders_to(&env, "bob@example.org"), 0);
        // Not yet due again: the working instance finds nothing to send.
        assert_eq!(env.app.run_scheduled_mail().await.unwrap().sent, 0, "{}", env.backend);
        // A minute later they are due again, and go out once the server is back.
        env.clock.advance(Duration::from_secs(61));
        let report = env.app.run_scheduled_mail().await.unwrap();
        assert_eq!((report.sent, report.planned), (4, 0), "{}", env.backend);
        assert_eq!(reminders_to(&env, "bob@example.org"), 1);
    })
    .await;
}

const DIGEST: &str = "Subject: Tessera: the week in Acme";

fn digests_to(env: &Env, to: &str) -> Vec<String> {
    env.outbox().into_iter().filter(|m| m.contains(&format!("To: {to}")) && m.contains(DIGEST)).collect()
}

#[tokio::test]
async fn the_weekly_digest_goes_once_a_week_to_those_who_read_the_activity_log() {
    on_both(|env| async move {
        acme(&env).await;
        let app = &env.app;
        // Hal, an administrator, reads the activity log too, and turns the digest off.
        app.add_user("Acme", "hal@example.org", Some("Hal"), Role::Admin, Some(PASSWORD)).await.unwrap();
        let hal = env.store.credentials_by_email("hal@example.org").await.unwrap().unwrap().user_id;
        let token = app.unsubscribe_link(hal, Topic::Digest).split("token=").nth(1).unwrap().to_string();
        app.unsubscribe(&token, &RequestMeta::default()).await.unwrap();
        // Acme works in Tokyo: the digest's times are Tokyo's.
        let org = env.store.find_organisation_by_name("Acme").await.unwrap().unwrap();
        let tokyo = tessera_server::model::BusinessHours::new(9 * 60, 17 * 60, "Asia/Tokyo").unwrap();
        env.store.set_business_hours(org.id, tokyo).await.unwrap();
        // A burst of failed sign-ins to Bob's account.
        for _ in 0..5 {
            let _ = app.sign_in("bob@example.org", "not the password at all", None, &RequestMeta::default()).await;
        }
        let other = second_instance(&env, None).await;
        let (a, b) = tokio::join!(app.run_scheduled_mail(), other.run_scheduled_mail());
        a.unwrap();
        b.unwrap();
        assert_eq!(env.app.run_scheduled_mail().await.unwrap().sent, 0);
        let sent = digests_to(&env, "ada@example.org");
        assert_eq!(sent.len(), 1, "{}: one digest this week", env.backend);
        assert!(digests_to(&env, "hal@example.org").is_empty(), "Hal turned it off");
        assert!(digests_to(&env, "bob@example.org").is_empty(), "members do not read the activity log");
        // Nor are they offered it among their preferences.
        let topics_of = |email: &'static str| async move {
            let token = match app.sign_in(email, PASSWORD, None, &RequestMeta::default()).await.unwrap() {
                SignInStep::Done(t) | SignInStep::MfaRequired(t) => t.expose().to_string(),
            };
            let s = app.session(&token).await.unwrap().unwrap();
            app.mail_preferences(&s).await.unwrap().into_iter().map(|p| (p.topic, p.on)).collect::<Vec<_>>()
        };
        assert_eq!(topics_of("cy@example.org").await, [(Topic::GraceReminders, true)]);
        assert_eq!(topics_of("hal@example.org").await, [(Topic::GraceReminders, true), (Topic::Digest, false)]);
        let digest = &sent[0];
        assert!(digest.contains("MFA: 1 of 5 with an authenticator app, 0 with email codes."), "{digest}");
        // Where each stands, in the words of the team page.
        assert!(digest.contains("- bob (bob@example.org): Required, not set up by 20"), "{digest}");
        assert!(digest.contains("- cy (cy@example.org): Required, not set up by 20"), "{digest}");
        assert!(digest.contains("(Asia/Tokyo) to 20"), "{digest}");
        assert!(digest.contains("(Asia/Tokyo): MFA policy changed by an operator"), "{digest}");
        assert!(digest.contains("bob (bob@example.org): 5 failed sign-ins"), "{digest}");
        assert!(digest.contains("MFA policy changed by an operator"), "{digest}");
        assert!(digest.contains("List-Unsubscribe: <http://127.0.0.1:3000/unsubscribe?token="), "{digest}");

        // Next week, the next one; `tessera digest send` sends one at once, whatever the week.
        env.clock.advance(7 * DAY);
        let (a, b) = tokio::join!(app.run_scheduled_mail(), other.run_scheduled_mail());
        a.unwrap();
        b.unwrap();
        assert_eq!(digests_to(&env, "ada@example.org").len(), 2, "{}", env.backend);
        assert_eq!(app.send_digest_now("Acme").await.unwrap(), 1);
        assert_eq!(digests_to(&env, "ada@example.org").len(), 3, "{}", env.backend);
        assert!(digests_to(&env, "hal@example.org").is_empty());
    })
    .await;
}
