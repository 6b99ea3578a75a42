//! An organisation's own mail templates through the real store, on SQLite and PostgreSQL: who may
//! change them, the rules a template must meet, the fresh second factor saving needs (and the
//! draft that keeps what was typed meanwhile), the mail that goes out afterwards (still with its
//! link and the security footer, names escaped), the versions and the activity log.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::mail::template::Reason;
use tessera_server::mail::{Parts, SECURITY_FOOTER};
use tessera_server::mail_templates::TemplateError;
use tessera_server::model::{OrgKind, Role};
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::SignInStep;
use tessera_server::store::AuditFilter;

const EMAIL: &str = "ada@example.org";
const PASSWORD: &str = "plum tractor sings quietly tonight";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("mail-template-test"))
}

async fn signed_in(env: &Env, email: &str) -> (String, SessionInfo) {
    let token = match env.app.sign_in(email, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => t.expose().to_string(),
        SignInStep::MfaRequired(_) => panic!("no MFA yet"),
    };
    let s = env.app.session(&token).await.unwrap().expect("a live session");
    (token, s)
}

/// The owner, Ada, with an authenticator app she proved a moment ago; and Bob, a member whose
/// display name tries to smuggle in markup.
async fn acme(env: &Env) -> (String, SessionInfo) {
    env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, Some("Ada"), Some(PASSWORD)).await.unwrap();
    env.app
        .add_user("Acme", "bob@example.org", Some("Bob <img src=x onerror=alert(1)>"), Role::Member, Some(PASSWORD))
        .await
        .unwrap();
    let (token, s) = signed_in(env, EMAIL).await;
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    (token.clone(), env.app.session(&token).await.unwrap().expect("still signed in"))
}

fn reset_template() -> Parts {
    Parts {
        subject: "Acme: a new password for {{ name }}".into(),
        text: "Hi {{ name }}, pick a new password at {{ link }} (Acme IT)".into(),
        html: "<h1>Acme IT</h1><p>Hi {{ name }}</p><p><a href=\"{{ link }}\">New password</a></p>".into(),
    }
}

/// Waits for the background reset mail to `to`.
async fn reset_mail_to(env: &Env, to: &str) -> String {
    for _ in 0..200 {
        let found = env
            .outbox()
            .into_iter()
            .map(|m| m.replace("=3D", "="))
            .find(|m| m.contains(&format!("To: {to}")) && m.contains("/reset-password?token="));
        if let Some(m) = found {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{}: no reset mail to {to}", env.backend);
}

#[tokio::test]
async fn an_owner_saves_a_template_and_the_next_mail_uses_it_with_its_link_and_footer() {
    on_both(|env| async move {
        let (_, ada) = acme(&env).await;
        // Nothing typed is lost while previewing: the preview is the editor's draft.
        let preview = env.app.preview_mail_template(&ada, "password-reset", &reset_template()).await.unwrap();
        assert_eq!(preview.subject, "Acme: a new password for Ada Lovelace");
        assert!(preview.text.contains(SECURITY_FOOTER) && preview.html.contains("<h1>Acme IT</h1>"));
        let editor = env.app.mail_template_editor(&ada, "password-reset").await.unwrap();
        assert_eq!((editor.draft, editor.customised), (Some(reset_template()), false), "{}", env.backend);

        env.app.save_mail_template(&ada, "password-reset", Some(&reset_template()), &meta()).await.unwrap();
        let editor = env.app.mail_template_editor(&ada, "password-reset").await.unwrap();
        assert_eq!((editor.saved, editor.customised, editor.draft), (reset_template(), true, None), "{}", env.backend);

        env.app.request_password_reset("bob@example.org", &meta()).unwrap();
        let mail = reset_mail_to(&env, "bob@example.org").await;
        assert!(mail.contains("Subject: Acme: a new password for Bob"), "{}: {mail}", env.backend);
        assert!(mail.contains("pick a new password at http"), "{mail}");
        assert!(mail.contains(SECURITY_FOOTER) && mail.contains("If this was not you, ignore this mail"), "{mail}");
        // The name is escaped in the HTML part, whatever the template says.
        let html = &mail[mail.find("Content-Type: text/html").expect("an HTML part")..];
        assert!(html.contains("<p>Hi Bob &lt;img src=x onerror=alert(1)&gt;</p>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        // Other mails keep Tessera's words.
        let other = env.app.mail_template_editor(&ada, "invitation").await.unwrap();
        assert!(!other.customised && other.saved.subject.contains("You were invited"));
    })
    .await;
}

#[tokio::test]
async fn a_template_that_breaks_a_rule_is_refused_with_where_and_why() {
    on_both(|env| async move {
        let (_, ada) = acme(&env).await;
        let no_link = Parts { html: "<p>Hi {{ name }}</p>".into(), ..reset_template() };
        match env.app.save_mail_template(&ada, "password-reset", Some(&no_link), &meta()).await {
            Err(TemplateError::Invalid(p)) => assert_eq!(p.reason, Reason::MissingRequired("link"), "{p}"),
            other => panic!("{}: {other:?}", env.backend),
        }
        let unknown = Parts { text: "{{ link }}\n{{ password }}".into(), ..reset_template() };
        match env.app.preview_mail_template(&ada, "password-reset", &unknown).await {
            Err(TemplateError::Invalid(p)) => {
                assert_eq!(p.line, Some(2));
                assert!(p.to_string().contains("no variable \"password\""), "{p}");
            }
            other => panic!("{}: {other:?}", env.backend),
        }
        assert!(matches!(
            env.app.save_mail_template(&ada, "no-such-mail", Some(&reset_template()), &meta()).await,
            Err(TemplateError::UnknownKind)
        ));
        // Nothing was saved, and nothing was kept as a draft.
        let editor = env.app.mail_template_editor(&ada, "password-reset").await.unwrap();
        assert!(!editor.customised && editor.draft.is_none(), "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn saving_needs_the_permission_and_a_fresh_second_factor() {
    on_both(|env| async move {
        let (token, _) = acme(&env).await;
        let (_, bob) = signed_in(&env, "bob@example.org").await;
        for r in [
            env.app.save_mail_template(&bob, "password-reset", Some(&reset_template()), &meta()).await.map(|_| ()),
            env.app.preview_mail_template(&bob, "password-reset", &reset_template()).await.map(|_| ()),
            env.app.mail_templates(&bob).await.map(|_| ()),
        ] {
            assert!(matches!(r, Err(TemplateError::Forbidden)), "{}: {r:?}", env.backend);
        }
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = env.app.session(&token).await.unwrap().expect("within the idle limit");
        assert!(ada.can(tessera_server::roles::Permission::ManageEmail), "owners hold it");
        let r = env.app.save_mail_template(&ada, "password-reset", Some(&reset_template()), &meta()).await;
        assert!(matches!(r, Err(TemplateError::StepUpRequired)), "{}: {r:?}", env.backend);
        let editor = env.app.mail_template_editor(&ada, "password-reset").await.unwrap();
        assert!(!editor.customised, "not saved");
        assert_eq!(editor.draft, Some(reset_template()), "what was typed waits as the draft");
        let r = env.app.save_mail_template(&ada, "password-reset", None, &meta()).await;
        assert!(matches!(r, Err(TemplateError::StepUpRequired)), "{}: {r:?}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn every_save_is_a_version_and_in_the_activity_log() {
    on_both(|env| async move {
        let (_, ada) = acme(&env).await;
        let first = reset_template();
        let second = Parts { subject: "Second {{ name }}".into(), ..reset_template() };
        env.app.save_mail_template(&ada, "password-reset", Some(&first), &meta()).await.unwrap();
        env.clock.advance(Duration::from_secs(1));
        env.app.save_mail_template(&ada, "password-reset", Some(&second), &meta()).await.unwrap();
        env.clock.advance(Duration::from_secs(1));
        env.app.save_mail_template(&ada, "password-reset", None, &meta()).await.unwrap();
        let (_, versions) = env.app.mail_template_versions(&ada, "password-reset").await.unwrap();
        let contents: Vec<_> = versions.iter().map(|v| v.parts.clone()).collect();
        assert_eq!(contents, vec![None, Some(second), Some(first)], "{}", env.backend);
        assert!(versions.iter().all(|v| v.saved_by.as_deref() == Some("Ada (ada@example.org)")), "{versions:?}");
        assert!(!env.app.mail_template_editor(&ada, "password-reset").await.unwrap().customised);

        let filter = AuditFilter { action: Some("mail_template.changed".into()), ..Default::default() };
        let log = env.store.audit_log(ada.org_id, &filter, None, 10).await.unwrap();
        let details: Vec<_> = log.iter().map(|e| e.event.detail.clone().unwrap_or_default()).collect();
        assert_eq!(
            details,
            ["password-reset: back to the default", "password-reset: saved", "password-reset: saved"],
            "{}",
            env.backend
        );
        assert!(log.iter().all(|e| e.event.actor_user_id == Some(ada.user_id)));
        // The log's times are the versions' times: the log can lead to the version a change replaced.
        assert_eq!(log[1].event.occurred_at, versions[1].saved_at);
    })
    .await;
}
