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
use tessera_server::services::SignInStep;
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

        // Ten days left: nothing is due yet.
        let (a, b) = tokio::join!(env.app.run_scheduled_mail(), other.run_scheduled_mail());
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 0, "{}", env.backend);

        for (advance, round) in
            [(3 * DAY, "a week before"), (6 * DAY, "a day before"), (DAY - Duration::from_secs(4 * 3600), "on the day")]
        {
            env.clock.advance(advance);
            let runs = (env.app.run_scheduled_mail(), other.run_scheduled_mail(), env.app.run_scheduled_mail());
            let (a, b, c) = tokio::join!(runs.0, runs.1, runs.2);
            let sent = a.unwrap().sent + b.unwrap().sent + c.unwrap().sent;
            let n = match round {
                "a week before" => 1,
                "a day before" => 2,
                _ => 3,
            };
            assert_eq!(sent, 2, "{} {round}: one each for Bob and Cy", env.backend);
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
        assert_eq!(env.app.run_scheduled_mail().await.unwrap().planned, 0);
    })
    .await;
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_tried_again_later() {
    on_both(|env| async move {
        acme(&env).await;
        let down = second_instance(&env, Some(Arc::new(Down))).await;
        env.clock.advance(3 * DAY);
        let report = down.run_scheduled_mail().await.unwrap();
        assert_eq!((report.planned, report.sent, report.retried), (3, 0, 3), "{}", env.backend);
        assert_eq!(reminders_to(&env, "bob@example.org"), 0);
        // Not yet due again: the working instance finds nothing to send.
        assert_eq!(env.app.run_scheduled_mail().await.unwrap().sent, 0, "{}", env.backend);
        // A minute later the mail is due again, and goes out once the server is back.
        env.clock.advance(Duration::from_secs(61));
        let report = env.app.run_scheduled_mail().await.unwrap();
        assert_eq!((report.sent, report.planned), (3, 0), "{}", env.backend);
        assert_eq!(reminders_to(&env, "bob@example.org"), 1);
    })
    .await;
}
