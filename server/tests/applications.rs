//! Applications that sign people in with Tessera, registered by an operator, through the real
//! store on SQLite and PostgreSQL: their rules, a secret shown once and kept only as a keyed hash,
//! replacing and removing, and every change in the activity log and mailed to the owners.

mod common;

use common::{on_both, query_texts, Env};
use tessera_server::applications::ApplicationForm;
use tessera_server::model::{OrgKind, Role};

const PASSWORD: &str = "plum tractor sings quietly tonight";

fn wiki() -> ApplicationForm {
    ApplicationForm {
        name: "Wiki".into(),
        confidential: true,
        redirect_uris: vec!["https://wiki.example.org/callback".into(), "http://localhost:3000/cb".into()],
        logout_uris: vec!["https://wiki.example.org/".into()],
        roles: vec!["administrator".into()],
        require_mfa: true,
        es256: false,
    }
}

async fn actions(env: &Env) -> Vec<String> {
    env.store
        .recent_audit(None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.detail.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn an_operator_registers_rotates_and_removes_applications() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "olly@example.org", Some("Olly"), Role::Owner, Some(PASSWORD)).await.unwrap();
        env.app.create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some(PASSWORD)).await.unwrap();
        let mailed = env.outbox().len();

        // What is refused, with what to do.
        for (form, says) in [
            (ApplicationForm { redirect_uris: vec!["http://wiki.example.org/cb".into()], ..wiki() }, "must use https"),
            (ApplicationForm { redirect_uris: vec![], ..wiki() }, "give at least one redirect URI"),
            (ApplicationForm { logout_uris: vec!["https://x.example/#a".into()], ..wiki() }, "#fragment"),
            (ApplicationForm { roles: vec!["Pilots".into()], ..wiki() }, "has no role called \"Pilots\""),
            (ApplicationForm { name: " ".into(), ..wiki() }, "name"),
        ] {
            let e = env.app.add_application_by_operator("Acme", &form).await.unwrap_err();
            assert!(e.to_string().contains(says), "{}: {e}", env.backend);
        }
        assert!(env.app.applications_by_operator("Acme").await.unwrap().is_empty(), "nothing half-registered");

        // A confidential application: its secret once, never stored as it is.
        let wiki_app = env.app.add_application_by_operator("Acme", &wiki()).await.unwrap();
        let secret = wiki_app.client_secret.clone().expect("a confidential application has a secret");
        assert!(secret.len() >= 40 && wiki_app.client_id.len() >= 20);
        for stored in query_texts(&env, "SELECT COALESCE(secret_hash, '') FROM applications").await {
            assert!(!stored.is_empty() && !stored.contains(&secret), "kept only as a keyed hash");
        }
        let again =
            env.app.add_application_by_operator("Acme", &ApplicationForm { name: "WIKI".into(), ..wiki() }).await;
        assert!(again.unwrap_err().to_string().contains("already has an application called"));
        // Another organisation may use the same name; ids never repeat.
        let theirs =
            env.app.add_application_by_operator("Other", &ApplicationForm { roles: vec![], ..wiki() }).await.unwrap();
        assert_ne!(theirs.client_id, wiki_app.client_id);

        let listed = env.app.applications_by_operator("Acme").await.unwrap();
        assert_eq!(listed.len(), 1);
        let app = &listed[0];
        assert_eq!((app.name.as_str(), app.confidential, app.require_mfa), ("Wiki", true, true));
        assert_eq!(app.redirect_uris, ["http://localhost:3000/cb", "https://wiki.example.org/callback"]);
        assert_eq!(app.logout_uris, ["https://wiki.example.org/"]);
        let admin = env.store.builtin_role(app.org_id, Role::Admin).await.unwrap().unwrap();
        assert_eq!(app.role_ids, [admin.id]);

        // Its secret, and nothing else, authenticates it.
        let ok = env.app.authenticate_application(&wiki_app.client_id, &secret).await.unwrap();
        assert_eq!(ok.map(|a| a.name), Some("Wiki".into()));
        for (id, pw) in
            [(wiki_app.client_id.as_str(), "wrong"), (wiki_app.client_id.as_str(), ""), ("nobody", secret.as_str())]
        {
            assert!(env.app.authenticate_application(id, pw).await.unwrap().is_none(), "{id} {pw}");
        }
        assert!(env.app.authenticate_application(&theirs.client_id, &secret).await.unwrap().is_none());

        // A public application has no secret to present or replace.
        let spa = ApplicationForm { name: "Dashboard".into(), confidential: false, roles: vec![], ..wiki() };
        let spa = env.app.add_application_by_operator("Acme", &spa).await.unwrap();
        assert!(spa.client_secret.is_none());
        assert!(env.app.authenticate_application(&spa.client_id, "").await.unwrap().is_none());
        let e = env.app.rotate_client_secret_by_operator("Acme", &spa.client_id).await.unwrap_err();
        assert!(e.to_string().contains("public application"), "{e}");

        // A new secret: the old one dies at once.
        let fresh = env.app.rotate_client_secret_by_operator("Acme", &wiki_app.client_id).await.unwrap();
        assert!(env.app.authenticate_application(&wiki_app.client_id, &secret).await.unwrap().is_none());
        assert!(env.app.authenticate_application(&wiki_app.client_id, &fresh).await.unwrap().is_some());
        // Another organisation's application is not Acme's to change.
        assert!(env.app.rotate_client_secret_by_operator("Acme", &theirs.client_id).await.is_err());
        assert!(env.app.remove_application_by_operator("Acme", &theirs.client_id).await.is_err());

        assert_eq!(env.app.remove_application_by_operator("Acme", &wiki_app.client_id).await.unwrap(), "Wiki");
        assert!(env.app.authenticate_application(&wiki_app.client_id, &fresh).await.unwrap().is_none());
        assert_eq!(env.app.applications_by_operator("Acme").await.unwrap().len(), 1);

        // Every change is on record (never a secret) and mailed to each owner.
        let log = actions(&env).await;
        for expected in
            ["application.added Wiki (confidential", "application.secret_rotated Wiki", "application.removed Wiki"]
        {
            assert!(log.iter().any(|l| l.starts_with(expected)), "{expected}: {log:?}");
        }
        assert!(log.iter().all(|l| !l.contains(&secret) && !l.contains(&fresh)));
        let mails = env.outbox()[mailed..].to_vec();
        for owner in ["ada@example.org", "olly@example.org"] {
            let theirs: Vec<&String> = mails.iter().filter(|m| m.contains(&format!("To: {owner}"))).collect();
            assert_eq!(theirs.len(), 4, "{owner}: added twice, rotated, removed");
            assert!(theirs.iter().all(|m| m.contains("Subject: Tessera: applications changed in Acme")));
            assert!(theirs.iter().any(|m| m.contains("The application Wiki was removed")));
            assert!(theirs.iter().all(|m| !m.contains(&secret) && !m.contains(&fresh)));
        }
    })
    .await;
}
