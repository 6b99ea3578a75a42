//! The organisation's MFA policy through the real store, on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::{on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::mfa::CodeError;
use tessera_server::model::{OrgKind, Role};
use tessera_server::policy::{MfaPolicy, Requirement};
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::SignInStep;
use tessera_server::Error;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const SHORT_PASSWORD: &str = "Vq7#mZp2xL!w";

fn meta() -> RequestMeta {
    RequestMeta::default()
}

/// Signs in (no MFA on these accounts) and returns the token.
async fn token(env: &Env, email: &str, password: &str) -> String {
    match env.app.sign_in(email, password, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => t.expose().to_string(),
        SignInStep::MfaRequired(_) => panic!("no MFA here"),
    }
}

async fn session(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("live session")
}

#[tokio::test]
async fn required_policy_confines_members_without_mfa_at_their_next_request() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
        let t = token(&env, "ada@example.org", PASSWORD).await;
        assert_eq!(session(&env, &t).await.mfa_requirement(env.clock.now()), Requirement::Optional);

        // The operator requires MFA: the session already open sees it at its next request.
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, None).await.unwrap();
        assert_eq!(session(&env, &t).await.mfa_requirement(env.clock.now()), Requirement::MustEnrol, "{}", env.backend);

        // With a grace period: a reminder until the deadline, then confinement.
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, Some(3)).await.unwrap();
        assert!(matches!(session(&env, &t).await.mfa_requirement(env.clock.now()), Requirement::Grace { .. }));
        env.clock.advance(Duration::from_secs(3 * 86_400));
        let t = token(&env, "ada@example.org", PASSWORD).await;
        assert_eq!(session(&env, &t).await.mfa_requirement(env.clock.now()), Requirement::MustEnrol);

        // Where MFA is required, twelve characters pass (the minimum is eight).
        env.app.add_user("Acme", "bob@example.org", None, Role::Member, Some(SHORT_PASSWORD)).await.unwrap();
        let audit = env.store.recent_audit(None, 50).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "organisation.mfa_policy_changed"));
    })
    .await;
}

#[tokio::test]
async fn healthcare_always_requires_mfa_and_hidden_offers_none() {
    on_both(|env| async move {
        env.app
            .create_organisation("Clinic", OrgKind::Healthcare, "ada@example.org", None, Some(SHORT_PASSWORD))
            .await
            .unwrap();
        assert!(matches!(
            env.app.set_mfa_policy_by_operator("Clinic", MfaPolicy::Visible, None).await,
            Err(Error::Invalid(_))
        ));
        let t = token(&env, "ada@example.org", SHORT_PASSWORD).await;
        assert_eq!(session(&env, &t).await.mfa_requirement(env.clock.now()), Requirement::MustEnrol);

        env.app.create_organisation("Quiet", OrgKind::Standard, "bob@example.org", None, Some(PASSWORD)).await.unwrap();
        assert!(
            matches!(
                env.app.add_user("Quiet", "carol@example.org", None, Role::Member, Some(SHORT_PASSWORD)).await,
                Err(Error::Invalid(_))
            ),
            "fifteen characters where MFA is not required"
        );
        env.app.set_mfa_policy_by_operator("Quiet", MfaPolicy::Hidden, None).await.unwrap();
        let s = session(&env, &token(&env, "bob@example.org", PASSWORD).await).await;
        assert_eq!(s.mfa_requirement(env.clock.now()), Requirement::NotOffered);
        assert!(matches!(env.app.start_enrolment(&s, &meta()).await, Err(CodeError::NotAllowed(_))));
        // Owners change the policy only with a fresh second factor.
        assert!(matches!(
            env.app.set_mfa_policy(&s, MfaPolicy::Required, None, &meta()).await,
            Err(CodeError::StepUpRequired)
        ));
    })
    .await;
}

#[tokio::test]
async fn every_change_to_the_mfa_rules_is_mailed_to_every_owner() {
    on_both(|env| async move {
        env.app
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
        env.app.add_user("Acme", "oz@example.org", Some("Oz"), Role::Owner, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "bob@example.org", Some("Bob"), Role::Member, Some(PASSWORD)).await.unwrap();
        let mails_to = |to: &str| {
            env.outbox()
                .into_iter()
                .filter(|m| m.contains(&format!("To: {to}")) && m.contains("MFA rules changed"))
                .collect::<Vec<_>>()
        };

        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, Some(14)).await.unwrap();
        for owner in ["ada@example.org", "oz@example.org"] {
            let mails = mails_to(owner);
            assert_eq!(mails.len(), 1, "{owner}");
            assert!(mails[0].contains("The MFA policy is now Required, with 14 days for everyone to set it up."));
            assert!(mails[0].contains("By: An operator, on the command line") && mails[0].contains("When: 2026-11-22"));
        }
        assert!(mails_to("bob@example.org").is_empty(), "members are not told of rule changes");

        // An owner's change names them; so does a role's rule.
        let t = token(&env, "ada@example.org", PASSWORD).await;
        let ada = session(&env, &t).await;
        let view = env.app.start_enrolment(&ada, &meta()).await.unwrap();
        let secret = common::base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&ada, &common::code_now(&secret, &env), &meta()).await.unwrap();
        let ada = session(&env, &t).await;
        env.app.set_mfa_policy(&ada, MfaPolicy::Visible, None, &meta()).await.unwrap();
        let mails = mails_to("oz@example.org");
        assert_eq!(mails.len(), 2);
        assert!(mails[1].contains("The MFA policy is now Visible") && mails[1].contains("By: Ada (ada@example.org)"));
        let helpdesk = env.store.builtin_role(ada.org_id, Role::HelpDesk).await.unwrap().unwrap();
        env.app.set_role_requires_mfa(&ada, helpdesk.id, true, "", &meta()).await.unwrap();
        let mails = mails_to("oz@example.org");
        assert_eq!(mails.len(), 3);
        assert!(
            mails[2].contains("The role Help desk now requires MFA.") && mails[2].contains("By: Ada (ada@example.org)")
        );
        assert_eq!(mails_to("ada@example.org").len(), 3, "the owner who made the change is told too");
    })
    .await;
}

/// The home page's "Choose an MFA policy" step is done once the log holds one successful policy
/// change of the organisation: neither a refused change nor another organisation's counts.
#[tokio::test]
async fn a_policy_counts_as_chosen_after_one_successful_change_of_its_own() {
    use tessera_server::audit::{event, Action, Outcome};
    on_both(|env| async move {
        let acme = env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD));
        let acme = acme.await.unwrap().org_id;
        let other = env.app.create_organisation("Other", OrgKind::Standard, "olly@example.org", None, Some(PASSWORD));
        let other = other.await.unwrap().org_id;
        let changed = (Action::PolicyChanged.as_str(), Outcome::Success.as_str());
        let chosen = || async { env.store.org_overview(acme, false, changed).await.unwrap().logged };
        let at = env.clock.now();
        assert!(!chosen().await);
        let refused = event(at, Action::PolicyChanged, Outcome::Failure, Some(acme), None, None, &meta(), None);
        env.store.record_audit(&refused).await.unwrap();
        let elsewhere = event(at, Action::PolicyChanged, Outcome::Success, Some(other), None, None, &meta(), None);
        env.store.record_audit(&elsewhere).await.unwrap();
        assert!(!chosen().await, "{}", env.backend);
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Visible, None).await.unwrap();
        assert!(chosen().await, "{}", env.backend);
    })
    .await;
}
