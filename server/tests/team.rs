//! Team management through the real store, on SQLite and PostgreSQL: resetting a teammate's MFA
//! (rules, effects, mail, audit), roles that require MFA, invitations, role changes, disabling,
//! and a team list that stays fast and correct at 10,000 members.

mod common;

use std::time::{Duration, Instant};

use common::{base32_decode, code_now, execute, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::model::{OrgKind, Role};
use tessera_server::policy::Requirement;
use tessera_server::roles::Refusal;
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::{SignInError, SignInStep};
use tessera_server::store::{AuditEntry, AuditFilter, Cursor, MemberFilter, MfaFilter};
use tessera_server::team::{InviteForm, MfaState, ResetForm, TeamError};

const PASSWORD: &str = "plum tractor sings quietly tonight";

/// A reset verified by calling the member back on a number on record.
fn form(reason: &str, code: &str) -> ResetForm {
    ResetForm { reason: reason.into(), verified_by: "known-number".into(), code: code.into() }
}

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.20".parse().unwrap()), Some("team-test"))
}

/// Acme with its owner ada, bob (member) and hal (help desk), all with passwords.
async fn acme(env: &Env) {
    env.app
        .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
        .await
        .unwrap();
    env.app.add_user("Acme", "bob@example.org", Some("Bob"), Role::Member, Some(PASSWORD)).await.unwrap();
    env.app.add_user("Acme", "hal@example.org", Some("Hal"), Role::HelpDesk, Some(PASSWORD)).await.unwrap();
}

/// Signs in with the password only (the account has no MFA yet, or the challenge is skipped by
/// the caller); returns the token.
async fn sign_in(env: &Env, email: &str) -> String {
    match env.app.sign_in(email, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) | SignInStep::MfaRequired(t) => t.expose().to_string(),
    }
}

async fn session(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("live session")
}

/// Enrols the account behind `token`; returns its secret. The clock moves past the code used.
async fn enrol(env: &Env, token: &str) -> Vec<u8> {
    let s = session(env, token).await;
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    env.clock.advance(Duration::from_secs(30));
    secret
}

async fn user_id(env: &Env, email: &str) -> i64 {
    env.store.credentials_by_email(email).await.unwrap().unwrap().user_id
}

async fn log(env: &Env, org_id: i64, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter { action: Some(action.into()), ..AuditFilter::default() };
    env.store.audit_log(org_id, &filter, None, 100).await.unwrap()
}

#[tokio::test]
async fn a_help_desk_admin_resets_a_members_mfa_in_one_go() {
    on_both(|env| async move {
        acme(&env).await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        enrol(&env, &bob_token).await;
        // A second device half-way through enrolment: the reset removes it too.
        let bob = session(&env, &bob_token).await;
        env.app.start_enrolment(&bob, &meta()).await.unwrap();
        let bob_id = bob.user_id;
        assert!(env.store.pending_totp(bob_id, env.clock.now()).await.unwrap().is_some());
        assert_eq!(env.store.recovery_codes_left(bob_id).await.unwrap(), 10);

        let hal_token = sign_in(&env, "hal@example.org").await;
        let hal_secret = enrol(&env, &hal_token).await;
        env.clock.advance(Duration::from_secs(6 * 60));
        let hal = session(&env, &hal_token).await;
        // The help desk sees bob's MFA and may reset it.
        let page = env.app.team_member(&hal, bob_id).await.unwrap();
        assert!(page.shows_security && page.can_reset_mfa && !page.fresh);
        assert_eq!(page.mfa, MfaState::App);

        // Stale step-up: a code is needed, and a wrong one changes nothing.
        let r = env.app.reset_member_mfa(&hal, bob_id, &form("Ticket 42", ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        let r = env.app.reset_member_mfa(&hal, bob_id, &form("Ticket 42", "000000"), &meta()).await;
        assert!(matches!(r, Err(TeamError::WrongCode)), "{r:?}");
        assert!(env.store.totp_credential(bob_id).await.unwrap().is_some());

        let code = code_now(&hal_secret, &env);
        env.app.reset_member_mfa(&hal, bob_id, &form(" Ticket 42\n", &code), &meta()).await.unwrap();

        // Everything went together: authenticator, pending enrolment, recovery codes, sessions.
        assert!(env.store.totp_credential(bob_id).await.unwrap().is_none());
        assert!(env.store.pending_totp(bob_id, env.clock.now()).await.unwrap().is_none());
        assert_eq!(env.store.recovery_codes_left(bob_id).await.unwrap(), 0);
        assert!(env.app.session(&bob_token).await.unwrap().is_none(), "bob's open session ended");
        let events = log(&env, hal.org_id, "mfa.reset_by_admin").await;
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!((e.event.outcome.as_str(), e.event.reason.as_deref()), ("success", Some("Ticket 42")));
        assert_eq!(
            (e.actor_email.as_deref(), e.target_email.as_deref()),
            (Some("hal@example.org"), Some("bob@example.org"))
        );
        let mail = env.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org")).expect("mail to bob");
        assert!(mail.contains("was reset by Hal (hal@example.org)") && mail.contains("Reason: Ticket 42"), "{mail}");
        assert!(mail.contains("If you did not ask for this, contact Hal"));

        // Nothing left to reset; bob signs in with the password alone again.
        let r = env.app.reset_member_mfa(&hal, bob_id, &form("", ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::NothingToChange)), "{r:?}");
        assert!(matches!(
            env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap(),
            SignInStep::Done(_)
        ));
        env.store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn reset_rules_hold_on_the_server() {
    on_both(|env| async move {
        acme(&env).await;
        env.app
            .create_organisation("Other", OrgKind::Standard, "zed@example.org", Some("Zed"), Some(PASSWORD))
            .await
            .unwrap();
        let ada_token = sign_in(&env, "ada@example.org").await;
        enrol(&env, &ada_token).await;
        let hal_token = sign_in(&env, "hal@example.org").await;
        enrol(&env, &hal_token).await;
        let zed_token = sign_in(&env, "zed@example.org").await;
        enrol(&env, &zed_token).await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        let (ada_id, hal_id, zed_id) = (
            user_id(&env, "ada@example.org").await,
            user_id(&env, "hal@example.org").await,
            user_id(&env, "zed@example.org").await,
        );
        let hal = session(&env, &hal_token).await;
        let bob = session(&env, &bob_token).await;
        let zed = session(&env, &zed_token).await;
        let ada = session(&env, &ada_token).await;

        // The help desk cannot reset the owner, even with a fresh second factor.
        let r = env.app.reset_member_mfa(&hal, ada_id, &form("", ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(Refusal::ProtectedOwner))), "{r:?}");
        assert!(!env.app.team_member(&hal, ada_id).await.unwrap().can_reset_mfa);
        // Nor their own account.
        assert!(matches!(
            env.app.reset_member_mfa(&hal, hal_id, &form("", ""), &meta()).await,
            Err(TeamError::Refused(_))
        ));
        // A member has no such permission and cannot even see the team.
        assert!(matches!(
            env.app.reset_member_mfa(&bob, hal_id, &form("", ""), &meta()).await,
            Err(TeamError::Refused(_))
        ));
        assert!(matches!(
            env.app.team(&bob, &MemberFilter::default(), &Cursor::First).await,
            Err(TeamError::Refused(_))
        ));
        assert!(matches!(env.app.team_member(&bob, hal_id).await, Err(TeamError::Refused(_))));
        // Another organisation's owner cannot see or touch Acme's members: they do not exist there.
        assert!(matches!(env.app.team_member(&zed, hal_id).await, Err(TeamError::NotFound)));
        assert!(matches!(
            env.app.reset_member_mfa(&zed, hal_id, &form("", ""), &meta()).await,
            Err(TeamError::NotFound)
        ));
        let zed_team = env.app.team(&zed, &MemberFilter::default(), &Cursor::First).await.unwrap();
        assert_eq!(zed_team.members.iter().map(|(m, _)| m.email.as_str()).collect::<Vec<_>>(), ["zed@example.org"]);
        assert!(matches!(env.app.team_member(&hal, zed_id).await, Err(TeamError::NotFound)));
        assert!(env.store.totp_credential(hal_id).await.unwrap().is_some(), "nothing was reset");
        let page = env.app.team_member(&hal, ada_id).await.unwrap();
        assert_eq!((page.can_reset_mfa, page.reset_refused), (false, Some(Refusal::ProtectedOwner)));
        // The owner, though, may reset the help desk.
        assert!(env.app.team_member(&ada, hal_id).await.unwrap().can_reset_mfa);

        // Nor can the help desk reset an administrator, who holds permissions it lacks; another
        // administrator can. The page says why instead of showing the button.
        env.app.add_user("Acme", "ann@example.org", Some("Ann"), Role::Admin, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "abe@example.org", Some("Abe"), Role::Admin, Some(PASSWORD)).await.unwrap();
        let ann_token = sign_in(&env, "ann@example.org").await;
        enrol(&env, &ann_token).await;
        let abe_token = sign_in(&env, "abe@example.org").await;
        enrol(&env, &abe_token).await;
        let ann_id = user_id(&env, "ann@example.org").await;
        let page = env.app.team_member(&hal, ann_id).await.unwrap();
        assert_eq!((page.can_reset_mfa, page.reset_refused), (false, Some(Refusal::Outranked)));
        let r = env.app.reset_member_mfa(&hal, ann_id, &form("", ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(Refusal::Outranked))), "{r:?}");
        assert!(env.store.totp_credential(ann_id).await.unwrap().is_some(), "ann keeps her MFA");
        let abe = session(&env, &abe_token).await;
        let page = env.app.team_member(&abe, ann_id).await.unwrap();
        assert!(page.can_reset_mfa && page.reset_refused.is_none() && page.can_manage);
        // Administrators may not disable or re-role someone holding more than they do, either.
        let page = env.app.team_member(&abe, ada_id).await.unwrap();
        assert_eq!((page.can_manage, page.manage_refused), (false, Some(Refusal::ProtectedOwner)));
        assert!(matches!(
            env.app.set_member_disabled(&abe, ada_id, true, &meta()).await,
            Err(TeamError::Refused(Refusal::ProtectedOwner))
        ));
        env.app.reset_member_mfa(&abe, ann_id, &form("", ""), &meta()).await.unwrap();
        assert!(env.store.totp_credential(ann_id).await.unwrap().is_none());

        // The store repeats the check: a reset decided against a role the member no longer has
        // changes nothing (the member was promoted between the rules and the transaction).
        let hal_role = session(&env, &hal_token).await.role.id;
        let admin_role = env.store.builtin_role(hal.org_id, Role::Admin).await.unwrap().unwrap();
        assert!(env.store.set_member_role(hal.org_id, hal_id, hal_role, admin_role.id).await.unwrap());
        let event = tessera_server::audit::event(
            env.clock.now(),
            tessera_server::audit::Action::MfaResetByAdmin,
            tessera_server::audit::Outcome::Success,
            Some(hal.org_id),
            Some(ada.user_id),
            Some(hal_id),
            &meta(),
            None,
        );
        assert!(!env.store.reset_member_mfa(hal.org_id, hal_id, hal_role, None, &event).await.unwrap());
        assert!(env.store.totp_credential(hal_id).await.unwrap().is_some(), "nothing was reset");
        // So do a role change and disabling: decided against the old role, they change nothing.
        let member_role = env.store.builtin_role(hal.org_id, Role::Member).await.unwrap().unwrap().id;
        assert!(!env.store.set_member_role(hal.org_id, hal_id, hal_role, member_role).await.unwrap());
        assert!(!env.store.set_member_disabled(hal.org_id, hal_id, hal_role, true, env.clock.now()).await.unwrap());
        let promoted = env.store.member(hal.org_id, hal_id).await.unwrap().unwrap();
        assert_eq!((promoted.role.id, promoted.disabled), (admin_role.id, false), "still an enabled administrator");
        assert!(env.store.set_member_role(hal.org_id, hal_id, admin_role.id, hal_role).await.unwrap());

        // Every refusal is on record in the actor's organisation.
        let (denied, done): (Vec<_>, Vec<_>) =
            log(&env, hal.org_id, "mfa.reset_by_admin").await.into_iter().partition(|e| e.event.outcome == "failure");
        assert!(denied.len() >= 4, "{denied:?}");
        assert_eq!(done.iter().map(|e| e.actor_email.as_deref()).collect::<Vec<_>>(), [Some("abe@example.org")]);
        assert!(denied.iter().any(|e| e.event.detail.as_deref() == Some(Refusal::Outranked.message())));
        assert!(denied.iter().any(|e| e.event.detail.as_deref() == Some("Only an owner can do this to an owner.")));
        assert_eq!(log(&env, zed.org_id, "mfa.reset_by_admin").await.len(), 1, "zed's attempt, in zed's log only");
    })
    .await;
}

#[tokio::test]
async fn an_owner_resets_with_a_fresh_factor_and_a_hidden_policy_still_allows_a_rescue() {
    on_both(|env| async move {
        acme(&env).await;
        let hal_token = sign_in(&env, "hal@example.org").await;
        enrol(&env, &hal_token).await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        enrol(&env, &bob_token).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        enrol(&env, &ada_token).await;
        let (hal_id, bob_id) = (user_id(&env, "hal@example.org").await, user_id(&env, "bob@example.org").await);
        // Fresh from enrolment: no code needed.
        let ada = session(&env, &ada_token).await;
        assert!(env.app.team_member(&ada, hal_id).await.unwrap().fresh);
        env.app.reset_member_mfa(&ada, hal_id, &form("", ""), &meta()).await.unwrap();
        assert!(env.store.totp_credential(hal_id).await.unwrap().is_none());
        let entries = log(&env, ada.org_id, "mfa.reset_by_admin").await;
        assert_eq!(entries[0].event.reason, None, "no reason given");
        // T0 is a Sunday: outside the default business hours, and flagged as such.
        let hours = env.app.business_hours(&ada).await.unwrap();
        assert_eq!(hours, tessera_server::activity::BusinessHours::default());
        let flags = env.app.activity_flags(&ada, &entries, &hours).await.unwrap();
        assert_eq!(flags[&entries[0].id], [tessera_server::activity::Flag::OutsideBusinessHours]);
        let custom = tessera_server::activity::BusinessHours::new(7 * 60, 19 * 60, "America/Sao_Paulo").unwrap();
        env.app.set_business_hours(&ada, custom.clone()).await.unwrap();
        assert_eq!(env.app.business_hours(&ada).await.unwrap(), custom);
        let home = env.app.home(&ada).await.unwrap();
        assert_eq!(home.recent.map(|(_, hours)| hours), Some(custom.clone()), "home tells times by them too");
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;
        assert!(env.app.set_business_hours(&hal, custom).await.is_err(), "the help desk cannot");
        assert!(env.app.activity_flags(&hal, &entries, &hours).await.is_err(), "nor read the log");

        // Hidden stops offering MFA, but bob still has it and is still asked for a code at
        // every sign-in: the way back (his Security section and Reset MFA) must stay.
        env.app.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Hidden, None).await.unwrap();
        assert!(matches!(
            env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap(),
            SignInStep::MfaRequired(_)
        ));
        let ada = session(&env, &ada_token).await;
        let page = env.app.team_member(&ada, bob_id).await.unwrap();
        assert!(page.shows_security && page.can_reset_mfa, "{page:?}");
        let team = env.app.team(&ada, &MemberFilter::default(), &Cursor::First).await.unwrap();
        let listed = team.members.iter().find(|(m, _)| m.user_id == bob_id).map(|(_, st)| *st);
        assert_eq!(listed, Some(MfaState::App), "the list agrees with the page");
        env.app.reset_member_mfa(&ada, bob_id, &form("", ""), &meta()).await.unwrap();
        assert!(env.store.totp_credential(bob_id).await.unwrap().is_none());
        // Without MFA there is nothing to rescue, and a Hidden policy shows nothing.
        let page = env.app.team_member(&ada, bob_id).await.unwrap();
        assert!(!page.shows_security && !page.can_reset_mfa && page.reset_refused.is_none());
    })
    .await;
}

#[tokio::test]
async fn a_role_can_require_mfa_where_the_organisation_does_not() {
    on_both(|env| async move {
        acme(&env).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada_secret = enrol(&env, &ada_token).await;
        let ada = session(&env, &ada_token).await;
        let helpdesk = env.store.builtin_role(ada.org_id, Role::HelpDesk).await.unwrap().unwrap();
        env.app.set_role_requires_mfa(&ada, helpdesk.id, true, "", &meta()).await.unwrap();
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;
        assert_eq!(hal.mfa_requirement(env.clock.now()), Requirement::MustEnrol);
        let bob_token = sign_in(&env, "bob@example.org").await;
        assert_eq!(session(&env, &bob_token).await.mfa_requirement(env.clock.now()), Requirement::Optional);
        let team = env
            .app
            .team(
                &ada,
                &MemberFilter { mfa: Some(MfaFilter::RequiredNotEnrolled), ..Default::default() },
                &Cursor::First,
            )
            .await
            .unwrap();
        assert_eq!(
            team.members.iter().map(|(m, s)| (m.email.as_str(), *s)).collect::<Vec<_>>(),
            [("hal@example.org", MfaState::Locked)]
        );

        // Giving bob the help-desk role is an administrative grant: it needs a fresh factor.
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = session(&env, &ada_token).await;
        let bob_id = user_id(&env, "bob@example.org").await;
        let role_id = helpdesk.id.to_string();
        let r = env.app.change_member_role(&ada, bob_id, &role_id, "", &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        env.app.change_member_role(&ada, bob_id, &role_id, &code_now(&ada_secret, &env), &meta()).await.unwrap();
        let bob = session(&env, &bob_token).await;
        assert_eq!(bob.role.builtin, Some(Role::HelpDesk));
        assert_eq!(bob.mfa_requirement(env.clock.now()), Requirement::MustEnrol, "the new role's rule applies at once");
        let changed = log(&env, ada.org_id, "member.role_changed").await;
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].event.detail.as_deref(), Some("given an administrative role: Help desk"));
        let role_log = log(&env, ada.org_id, "role.changed").await;
        assert_eq!(role_log[0].event.detail.as_deref(), Some("role now requires MFA: Help desk"));
        // Back to member needs no code: it grants nothing.
        let member = env.store.builtin_role(ada.org_id, Role::Member).await.unwrap().unwrap();
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = session(&env, &ada_token).await;
        env.app.change_member_role(&ada, bob_id, &member.id.to_string(), "", &meta()).await.unwrap();
        // A role of another organisation is not a role here.
        env.app.create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some(PASSWORD)).await.unwrap();
        let other = env.store.primary_membership(user_id(&env, "zed@example.org").await).await.unwrap().unwrap().1;
        let r = env.app.change_member_role(&ada, bob_id, &other.id.to_string(), "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Invalid(_))), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn invitations_send_a_one_time_link_and_admin_roles_need_a_fresh_factor() {
    on_both(|env| async move {
        acme(&env).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada_secret = enrol(&env, &ada_token).await;
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = session(&env, &ada_token).await;
        let member = env.store.builtin_role(ada.org_id, Role::Member).await.unwrap().unwrap();
        let admin = env.store.builtin_role(ada.org_id, Role::Admin).await.unwrap().unwrap();
        let form = |email: &str, role: i64, code: &str| InviteForm {
            email: email.into(),
            name: String::new(),
            role_id: role.to_string(),
            code: code.into(),
        };

        // A member: no code needed; the invitation mail carries a one-time link.
        let carol = env.app.invite_member(&ada, &form("Carol@Example.org", member.id, ""), &meta()).await.unwrap();
        let mail = env.outbox().into_iter().rev().find(|m| m.contains("To: Carol@Example.org")).expect("invitation");
        let mail = mail.replace("=3D", "=");
        assert!(mail.contains("Ada added you to Acme"), "{mail}");
        let token = mail
            .split("set-password?token=")
            .nth(1)
            .unwrap()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
            .next()
            .unwrap()
            .to_string();
        env.app.complete_set_password(&token, "violet harbour drums at noon", &meta()).await.unwrap();
        assert!(
            env.app.complete_set_password(&token, "violet harbour drums at noon", &meta()).await.is_err(),
            "single use"
        );
        assert!(matches!(
            env.app.sign_in("carol@example.org", "violet harbour drums at noon", None, &meta()).await.unwrap(),
            SignInStep::Done(_)
        ));
        let invited = &log(&env, ada.org_id, "member.invited").await[0];
        assert_eq!(
            (invited.event.target_user_id, invited.event.detail.as_deref()),
            (Some(carol), Some("invited: Member"))
        );

        // Bad input is explained field by field; an existing email is refused.
        let r = env.app.invite_member(&ada, &form("not-an-email", member.id, ""), &meta()).await;
        assert!(matches!(&r, Err(TeamError::Invalid(e)) if e.get("email").is_some()), "{r:?}");
        let r = env.app.invite_member(&ada, &form("dan@example.org", 999_999, ""), &meta()).await;
        assert!(matches!(&r, Err(TeamError::Invalid(e)) if e.get("role").is_some()), "{r:?}");
        let r = env.app.invite_member(&ada, &form("bob@example.org", member.id, ""), &meta()).await;
        assert!(matches!(&r, Err(TeamError::Invalid(e)) if e.get("email").is_some()), "{r:?}");

        // An administrator: the inviter's fresh second factor first, and nothing exists before.
        let r = env.app.invite_member(&ada, &form("dan@example.org", admin.id, ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        assert!(env.store.credentials_by_email("dan@example.org").await.unwrap().is_none());
        env.app
            .invite_member(&ada, &form("dan@example.org", admin.id, &code_now(&ada_secret, &env)), &meta())
            .await
            .unwrap();

        // The help desk cannot invite anyone.
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;
        let r = env.app.invite_member(&hal, &form("eve@example.org", member.id, ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(_))), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn disabling_a_member_ends_their_sessions_and_sign_ins() {
    on_both(|env| async move {
        acme(&env).await;
        let ada = session(&env, &sign_in(&env, "ada@example.org").await).await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        let bob_id = user_id(&env, "bob@example.org").await;
        env.app.set_member_disabled(&ada, bob_id, true, &meta()).await.unwrap();
        assert!(env.app.session(&bob_token).await.unwrap().is_none());
        // Only the right password hears that the account is disabled, and by whom it can be
        // enabled again; a wrong one gets the answer any wrong password gets.
        let r = env.app.sign_in("bob@example.org", "not bob's password at all", None, &meta()).await;
        assert!(matches!(r, Err(SignInError::InvalidCredentials)), "{r:?}");
        for _ in 0..6 {
            // The right password spends no tries: however often bob tries, he hears why.
            match env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await {
                Err(SignInError::Disabled(account)) => {
                    assert_eq!((account.email.as_str(), account.org_name.as_str()), ("bob@example.org", "Acme"));
                    assert_eq!(account.application, None);
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(env.app.team_member(&ada, bob_id).await.unwrap().member.disabled);
        env.app.set_member_disabled(&ada, bob_id, false, &meta()).await.unwrap();
        assert!(env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.is_ok());
        // Owners are protected from the help desk and from other admins.
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;
        assert!(matches!(env.app.set_member_disabled(&hal, bob_id, true, &meta()).await, Err(TeamError::Refused(_))));
    })
    .await;
}

#[tokio::test]
async fn the_team_list_filters_and_pages_quickly_at_ten_thousand_members() {
    on_both(|env| async move {
        acme(&env).await;
        execute(
            &env,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
             INSERT INTO users (email, email_canonical, display_name, password_hash, disabled, created_at, updated_at) \
             SELECT 'user' || i || '@bulk.example', 'user' || i || '@bulk.example', 'Bulk ' || i, NULL, FALSE, 0, 0 FROM n",
        )
        .await;
        execute(
            &env,
            "INSERT INTO memberships (org_id, user_id, role_id, created_at) \
             SELECT r.org_id, u.id, r.id, 0 FROM users u JOIN roles r ON r.builtin = 'member' \
             JOIN organisations o ON o.id = r.org_id AND o.name_canonical = 'acme' \
             WHERE u.email_canonical LIKE '%@bulk.example'",
        )
        .await;
        // user1, user10..19, user100..199, user1000..1999, user10000: 1,112 with MFA.
        execute(
            &env,
            "INSERT INTO totp_credentials (user_id, secret_sealed, enabled_at) \
             SELECT id, 'sealed', 0 FROM users WHERE email_canonical LIKE 'user1%@bulk.example'",
        )
        .await;
        let ada = session(&env, &sign_in(&env, "ada@example.org").await).await;

        // Walk every page forwards: each member exactly once, in order, every page quick.
        let mut seen = Vec::new();
        let mut cursor = Cursor::First;
        let mut slowest = Duration::ZERO;
        let mut pages = 0;
        loop {
            let started = Instant::now();
            let page = env.app.team(&ada, &MemberFilter::default(), &cursor).await.unwrap();
            slowest = slowest.max(started.elapsed());
            pages += 1;
            assert_eq!(page.total, 10_003);
            assert!(page.members.len() <= 50);
            seen.extend(page.members.iter().map(|(m, _)| m.email_canonical.clone()));
            match page.next_after {
                Some(after) => cursor = Cursor::After(after),
                None => break,
            }
        }
        assert_eq!(pages, 201);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!((seen.len(), &sorted), (10_003, &seen));
        assert!(slowest < Duration::from_millis(500), "slowest page took {slowest:?} on {}", env.backend);

        // And back: the page before the third is the second.
        let first = env.app.team(&ada, &MemberFilter::default(), &Cursor::First).await.unwrap();
        let second = env.app.team(&ada, &MemberFilter::default(), &Cursor::After(first.next_after.clone().unwrap())).await.unwrap();
        let third = env.app.team(&ada, &MemberFilter::default(), &Cursor::After(second.next_after.clone().unwrap())).await.unwrap();
        let back = env.app.team(&ada, &MemberFilter::default(), &Cursor::Before(third.prev_before.clone().unwrap())).await.unwrap();
        let emails = |p: &tessera_server::team::TeamPage| p.members.iter().map(|(m, _)| m.email_canonical.clone()).collect::<Vec<_>>();
        assert_eq!(emails(&back), emails(&second));
        assert_eq!(back.prev_before, Some(emails(&second)[0].clone()), "the first page is still before it");
        assert_eq!(back.next_after, Some(emails(&second)[49].clone()));
        assert_eq!(first.prev_before, None);

        // Search (email or name, any case, LIKE characters taken literally), role and MFA filters.
        let search = |q: &str| MemberFilter { search: Some(q.into()), ..Default::default() };
        let found = env.app.team(&ada, &search("BULK 9999"), &Cursor::First).await.unwrap();
        assert_eq!((found.total, found.members[0].0.email.as_str()), (1, "user9999@bulk.example"));
        assert_eq!(env.app.team(&ada, &search("%"), &Cursor::First).await.unwrap().total, 0);
        assert_eq!(env.app.team(&ada, &search("_"), &Cursor::First).await.unwrap().total, 0);
        let helpdesk = env.store.builtin_role(ada.org_id, Role::HelpDesk).await.unwrap().unwrap();
        let by_role = env.app.team(&ada, &MemberFilter { role_id: Some(helpdesk.id), ..Default::default() }, &Cursor::First).await.unwrap();
        assert_eq!((by_role.total, by_role.members[0].0.email.as_str()), (1, "hal@example.org"));
        let enabled = MemberFilter { mfa: Some(MfaFilter::Enabled), ..Default::default() };
        let started = Instant::now();
        let with_mfa = env.app.team(&ada, &enabled, &Cursor::First).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(with_mfa.total, 1_112);
        assert!(with_mfa.members.iter().all(|(_, s)| *s == MfaState::App));
        let required = MemberFilter { mfa: Some(MfaFilter::RequiredNotEnrolled), ..Default::default() };
        assert_eq!(env.app.team(&ada, &required, &Cursor::First).await.unwrap().total, 0, "nothing required yet");
        env.app.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, Some(7)).await.unwrap();
        let ada = session(&env, &sign_in(&env, "ada@example.org").await).await;
        let page = env.app.team(&ada, &required, &Cursor::First).await.unwrap();
        assert_eq!(page.total, 10_003 - 1_112);
        assert!(page.members.iter().all(|(_, s)| matches!(s, MfaState::RequiredBy { .. })));
        assert!(page.members[0].1.label().starts_with("Required, not set up by "), "the grace period's end, by name");
    })
    .await;
}

#[tokio::test]
async fn invitations_and_adoption_on_both_databases() {
    use tessera_server::invitations::LinkState;
    on_both(|env| async move {
        acme(&env).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        enrol(&env, &ada_token).await;
        let ada = session(&env, &ada_token).await;
        let member_role = env.store.builtin_role(ada.org_id, Role::Member).await.unwrap().unwrap();
        let form = |email: &str| InviteForm {
            email: email.into(),
            name: String::new(),
            role_id: member_role.id.to_string(),
            code: String::new(),
        };
        let ivy = env.app.invite_member(&ada, &form("ivy@example.org"), &meta()).await.unwrap();

        // Adoption counts the invited too; a disabled account is not counted.
        let home = env.app.home(&ada).await.unwrap();
        let a = home.adoption.unwrap();
        assert_eq!((a.members, a.enabled, a.not_enabled(), a.required_not_enrolled), (4, 1, 3, 0), "{}", env.backend);
        let bob = user_id(&env, "bob@example.org").await;
        env.app.set_member_disabled(&ada, bob, true, &meta()).await.unwrap();
        assert_eq!(env.app.required_policy_impact(&ada).await.unwrap(), Some((2, 0)), "hal and ivy");

        // The member shows as pending, with the invitation's age and expiry.
        let m = env.store.member(ada.org_id, ivy).await.unwrap().unwrap();
        assert!(m.pending && m.invited_at.is_some() && m.invitation_expires_at > m.invited_at);
        let hal = env.store.member(ada.org_id, user_id(&env, "hal@example.org").await).await.unwrap().unwrap();
        assert!(!hal.pending && hal.invited_at.is_none());

        // The link's state: open, then expired with whom to ask.
        let token = env.outbox().last().unwrap().split("token=").nth(1).unwrap()
            .chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect::<String>();
        let token = token.trim_start_matches("3D").to_string();
        assert!(matches!(env.app.set_password_link_state(&token).await.unwrap(), LinkState::Open { ref email, .. } if email == "ivy@example.org"));
        env.clock.advance(Duration::from_secs(25 * 3600));
        assert_eq!(
            env.app.set_password_link_state(&token).await.unwrap(),
            LinkState::Expired { org_name: "Acme".into(), ask: Some(("Ada".into(), "ada@example.org".into())) }
        );

        // Revoking: the account goes, recorded with the address; a second revoke finds nothing.
        let ada = session(&env, &sign_in(&env, "ada@example.org").await).await;
        assert_eq!(env.app.revoke_invitation(&ada, ivy, &meta()).await.unwrap(), "ivy@example.org");
        assert!(env.store.credentials_by_email("ivy@example.org").await.unwrap().is_none());
        assert_eq!(env.app.set_password_link_state(&token).await.unwrap(), LinkState::Invalid);
        let revoked = log(&env, ada.org_id, "member.invitation_revoked").await;
        assert_eq!(revoked[0].event.detail.as_deref(), Some("invitation withdrawn for: ivy@example.org"));
        assert!(matches!(env.app.revoke_invitation(&ada, ivy, &meta()).await, Err(TeamError::NotFound)));
        // The log still names her on every row about her, and finds them by her address.
        let about_ivy = AuditFilter { target_email: Some("ivy@example.org".into()), ..AuditFilter::default() };
        let rows = env.store.audit_log(ada.org_id, &about_ivy, None, 100).await.unwrap();
        let actions: Vec<&str> = rows.iter().map(|e| e.event.action.as_str()).collect();
        assert_eq!(actions, ["member.invitation_revoked", "member.invited"], "{}", env.backend);
        assert!(rows.iter().all(|e| e.target_email.as_deref() == Some("ivy@example.org")));
        // An account made after her (SQLite may give it her id again) is not named on her rows,
        // and her rows are not named after it.
        env.clock.advance(Duration::from_secs(1));
        env.app.add_user("Acme", "jo@example.org", Some("Jo"), Role::Member, Some(PASSWORD)).await.unwrap();
        let rows = env.store.audit_log(ada.org_id, &about_ivy, None, 100).await.unwrap();
        assert_eq!(rows.len(), 2);
        let about_jo = AuditFilter { target_email: Some("jo@example.org".into()), ..AuditFilter::default() };
        let jo_rows = env.store.audit_log(ada.org_id, &about_jo, None, 100).await.unwrap();
        let jo_actions: Vec<&str> = jo_rows.iter().map(|e| e.event.action.as_str()).collect();
        assert_eq!(jo_actions, ["member.added"], "{}", env.backend);
        // Someone who has a password is never removed this way.
        assert!(matches!(env.app.revoke_invitation(&ada, hal.user_id, &meta()).await, Err(TeamError::NothingToChange)));
        let taken = env.store.revoke_invitation(ada.org_id, hal.user_id, &revoked[0].event).await.unwrap();
        assert!(!taken && env.store.credentials_by_email("hal@example.org").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn an_administrator_corrects_a_members_email_address() {
    on_both(|env| async move {
        acme(&env).await;
        let bob_id = user_id(&env, "bob@example.org").await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        // A reset link mailed to the old address, outstanding.
        let link = env.app.reset_link_by_operator("Acme", "bob@example.org").await.unwrap();
        let token = link.split("token=").nth(1).unwrap().to_string();
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada_secret = enrol(&env, &ada_token).await;
        let ada = session(&env, &ada_token).await;
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;

        // The help desk may not; nobody corrects their own address here; the owner is protected.
        let r = env.app.correct_member_email(&hal, bob_id, "robert@example.org", "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(Refusal::MissingPermission))), "{r:?}");
        let r = env.app.correct_member_email(&ada, ada.user_id, "ada2@example.org", "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(_))), "{r:?}");
        env.app.add_user("Acme", "ann@example.org", Some("Ann"), Role::Admin, Some(PASSWORD)).await.unwrap();
        let ann = session(&env, &sign_in(&env, "ann@example.org").await).await;
        let r = env.app.correct_member_email(&ann, ada.user_id, "ada2@example.org", "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(Refusal::ProtectedOwner))), "{r:?}");
        // Someone else's address is taken; the same address is no change; both change nothing.
        let field = |r: Result<(), TeamError>| match r {
            Err(TeamError::Invalid(e)) => format!("{:?}", e.get("member_email")),
            other => format!("{other:?}"),
        };
        assert_eq!(
            field(env.app.correct_member_email(&ada, bob_id, "HAL@example.org", "", &meta()).await),
            "Some(Taken)"
        );
        assert_eq!(
            field(env.app.correct_member_email(&ada, bob_id, "Bob@Example.org", "", &meta()).await),
            "Some(SameAsCurrent)"
        );
        assert_eq!(
            field(env.app.correct_member_email(&ada, bob_id, "not an address", "", &meta()).await),
            "Some(NotAnEmail)"
        );
        // A stale confirmation needs the owner's code.
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = session(&env, &ada_token).await;
        let r = env.app.correct_member_email(&ada, bob_id, "robert@example.org", "", &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        assert!(env.app.session(&bob_token).await.unwrap().is_some(), "nothing happened yet");

        env.app
            .correct_member_email(&ada, bob_id, "Robert@Example.org", &code_now(&ada_secret, &env), &meta())
            .await
            .unwrap();
        // Sessions, the reset link sent to the old address: gone. The new address signs in.
        assert!(env.app.session(&bob_token).await.unwrap().is_none());
        assert!(!env.app.link_is_valid(&token, tessera_server::store::TokenPurpose::ResetPassword).await.unwrap());
        assert!(env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.is_err());
        assert!(env.app.sign_in("robert@example.org", PASSWORD, None, &meta()).await.is_ok());
        // Both addresses are told who did it.
        let told = |to: &str| {
            env.outbox().into_iter().any(|m| {
                m.contains(&format!("To: {to}"))
                    && m.contains(
                        "changed the email address of your account from bob@example.org to Robert@Example.org",
                    )
                    && m.contains("If you did not ask for this, contact Ada")
            })
        };
        assert!(told("bob@example.org") && told("Robert@Example.org"), "{}: both addresses told", env.backend);
        let events = log(&env, ada.org_id, "member.email_corrected").await;
        let done: Vec<_> = events.iter().filter(|e| e.event.outcome == "success").collect();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].event.detail.as_deref(), Some("was: bob@example.org"));
        assert_eq!(done[0].target_email.as_deref(), Some("Robert@Example.org"), "the address as typed");
        assert!(events.len() >= 3, "the refused attempts are on record too: {events:?}");
    })
    .await;
}

#[tokio::test]
async fn a_resets_flags_are_recorded_with_it_and_a_later_change_of_hours_re_flags_nothing() {
    on_both(|env| async move {
        acme(&env).await;
        let bob_token = sign_in(&env, "bob@example.org").await;
        enrol(&env, &bob_token).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada_secret = enrol(&env, &ada_token).await;
        let bob_id = user_id(&env, "bob@example.org").await;
        // Monday 10:00 UTC: inside the default business hours.
        env.clock.advance(Duration::from_secs(22 * 3600));
        let pending = match env.app.sign_in("ada@example.org", PASSWORD, None, &meta()).await.unwrap() {
            SignInStep::MfaRequired(t) => session(&env, t.expose()).await,
            SignInStep::Done(_) => panic!("ada has MFA"),
        };
        let (token, _) =
            env.app.answer_challenge(&pending, &code_now(&ada_secret, &env), false, &meta()).await.unwrap();
        let ada = session(&env, token.expose()).await;
        env.app.reset_member_mfa(&ada, bob_id, &form("Ticket 9", ""), &meta()).await.unwrap();
        let entries = log(&env, ada.org_id, "mfa.reset_by_admin").await;
        assert_eq!(entries[0].event.flags.as_deref(), Some(""), "{}: looked at, nothing to flag", env.backend);
        // The organisation moves its hours to a zone where that moment was the middle of the night.
        let far = tessera_server::activity::BusinessHours::new(9 * 60, 17 * 60, "Pacific/Kiritimati").unwrap();
        env.app.set_business_hours(&ada, far.clone()).await.unwrap();
        let flags = env.app.activity_flags(&ada, &entries, &far).await.unwrap();
        assert_eq!(flags[&entries[0].id], [], "{}: history is not re-flagged", env.backend);
        // A reset now is judged under the hours in force now.
        let bob_token = sign_in(&env, "bob@example.org").await;
        enrol(&env, &bob_token).await;
        let ada = session(&env, token.expose()).await;
        env.store.mark_second_factor(&ada.token_hash, env.clock.now()).await.unwrap();
        let ada = session(&env, token.expose()).await;
        env.app.reset_member_mfa(&ada, bob_id, &form("Ticket 10", ""), &meta()).await.unwrap();
        let entries = log(&env, ada.org_id, "mfa.reset_by_admin").await;
        let newest = entries.iter().find(|e| e.event.reason.as_deref() == Some("Ticket 10")).unwrap();
        assert_eq!(newest.event.flags.as_deref(), Some("outside-hours,repeated"));
    })
    .await;
}

#[tokio::test]
async fn a_list_of_people_is_invited_under_the_rules_of_one_invitation() {
    use tessera_server::invitations::{LinkState, ListForm, ListSent, ResentAll};
    use tessera_server::model::{ListIssue, Problem};
    use tessera_server::team::RoleForm;
    on_both(|env| async move {
        acme(&env).await;
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada_secret = enrol(&env, &ada_token).await;
        env.clock.advance(Duration::from_secs(6 * 60));
        let ada = session(&env, &ada_token).await;
        let member = env.store.builtin_role(ada.org_id, Role::Member).await.unwrap().unwrap();
        let admin = env.store.builtin_role(ada.org_id, Role::Admin).await.unwrap().unwrap();
        let list = |text: &str, role: i64, code: &str| ListForm {
            addresses: text.into(),
            role_id: role.to_string(),
            code: code.into(),
        };
        let exists = |email: &'static str| {
            let store = env.store.clone();
            async move { store.credentials_by_email(email).await.unwrap().is_some() }
        };
        let addresses_problem = |r: Result<ListSent, TeamError>| match r {
            Err(TeamError::Invalid(e)) => e.get("addresses"),
            other => panic!("{other:?}"),
        };

        // An administrative role: the inviter's fresh second factor once for the whole list, and
        // nobody exists before it.
        let admins = "ann@example.org\nabe@example.org";
        let r = env.app.invite_list(&ada, &list(admins, admin.id, ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        assert!(!exists("ann@example.org").await);
        let sent = env.app.invite_list(&ada, &list(admins, admin.id, &code_now(&ada_secret, &env)), &meta()).await;
        assert_eq!(sent.unwrap(), ListSent { invited: 2, resent: 0, left_out: 0 });
        let ann = env.store.member(ada.org_id, user_id(&env, "ann@example.org").await).await.unwrap().unwrap();
        assert!(ann.pending && ann.role.id == admin.id);

        // One bad line and nobody is invited; the problem names its line and counts the others.
        let r = env
            .app
            .invite_list(&ada, &list("fay@example.org\nnot an address\nbob@example.org\n", member.id, ""), &meta())
            .await;
        assert_eq!(addresses_problem(r), Some(Problem::InList { issue: ListIssue::NotAnEmail, line: 2, more: 0 }));
        let r = env
            .app
            .invite_list(&ada, &list("fay@example.org\nbob@example.org\nHAL@example.org\n", member.id, ""), &meta())
            .await;
        assert_eq!(addresses_problem(r), Some(Problem::InList { issue: ListIssue::HasAccount, line: 2, more: 1 }));
        assert!(!exists("fay@example.org").await);
        let r = env.app.invite_list(&ada, &list("fay@example.org", 999_999, ""), &meta()).await;
        assert!(matches!(&r, Err(TeamError::Invalid(e)) if e.get("role") == Some(Problem::NotInList)), "{r:?}");

        // Headings, names from the other cells, someone invited before (a new link, the role
        // chosen now), several on a line.
        env.clock.advance(Duration::from_secs(61));
        let old_link = env.outbox().into_iter().rev().find(|m| m.contains("To: abe@example.org")).unwrap();
        let text = "Name,Email\nCy Young,cy@example.org\nabe@example.org\ndee@example.org; eve@example.org\n";
        let sent = env.app.invite_list(&ada, &list(text, member.id, ""), &meta()).await.unwrap();
        assert_eq!(sent, ListSent { invited: 3, resent: 1, left_out: 0 });
        let cy = env.store.member(ada.org_id, user_id(&env, "cy@example.org").await).await.unwrap().unwrap();
        assert_eq!((cy.display_name.as_str(), cy.pending, cy.role.id), ("Cy Young", true, member.id));
        let abe = env.store.member(ada.org_id, user_id(&env, "abe@example.org").await).await.unwrap().unwrap();
        assert_eq!(abe.role.id, member.id, "the role chosen now");
        let mails = env.outbox();
        for to in ["cy@example.org", "dee@example.org", "eve@example.org"] {
            assert!(mails.iter().any(|m| m.contains(&format!("To: {to}")) && m.contains("set-password?token")), "{to}");
        }
        let token = |mail: &str| {
            mail.replace("=3D", "=")
                .split("set-password?token=")
                .nth(1)
                .unwrap()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        };
        assert_eq!(
            env.app.set_password_link_state(&token(&old_link)).await.unwrap(),
            LinkState::Invalid,
            "a new link replaces it"
        );
        assert_eq!(log(&env, ada.org_id, "member.invited").await.len(), 5);

        // Resending every waiting invitation: not twice within a minute, then everyone.
        let r = env.app.resend_pending_invitations(&ada, &meta()).await.unwrap();
        assert_eq!(r, ResentAll { sent: 1, just_sent: 4, not_yours: 0 }, "ann's went two minutes ago");
        env.clock.advance(Duration::from_secs(61));
        let before = env.outbox().len();
        let r = env.app.resend_pending_invitations(&ada, &meta()).await.unwrap();
        assert_eq!(r, ResentAll { sent: 5, just_sent: 0, not_yours: 0 });
        assert_eq!(env.outbox().len(), before + 5);

        // Someone who may manage members but holds fewer permissions than an administrator
        // leaves administrators' invitations alone, in a list and when resending.
        let recruiter = RoleForm {
            name: "Recruiter".into(),
            permissions: vec!["manage-members".into()],
            requires_mfa: false,
            code: String::new(),
        };
        env.clock.advance(Duration::from_secs(30));
        let ada = session(&env, &ada_token).await;
        let recruiter = env
            .app
            .create_role(&ada, &RoleForm { code: code_now(&ada_secret, &env), ..recruiter }, &meta())
            .await
            .unwrap();
        let bob_id = user_id(&env, "bob@example.org").await;
        env.app.change_member_role(&ada, bob_id, &recruiter.to_string(), "", &meta()).await.unwrap();
        let bob = session(&env, &sign_in(&env, "bob@example.org").await).await;
        let r = env.app.invite_list(&bob, &list("gus@example.org\nann@example.org", member.id, ""), &meta()).await;
        assert_eq!(addresses_problem(r), Some(Problem::InList { issue: ListIssue::NotYours, line: 2, more: 0 }));
        env.clock.advance(Duration::from_secs(61));
        let r = env.app.resend_pending_invitations(&bob, &meta()).await.unwrap();
        assert_eq!(r, ResentAll { sent: 4, just_sent: 0, not_yours: 1 });

        // The help desk invites nobody; an organisation with nobody waiting is told so.
        let hal = session(&env, &sign_in(&env, "hal@example.org").await).await;
        let r = env.app.invite_list(&hal, &list("gus@example.org", member.id, ""), &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(Refusal::MissingPermission))), "{r:?}");
        assert!(matches!(env.app.resend_pending_invitations(&hal, &meta()).await, Err(TeamError::Refused(_))));
        env.app
            .create_organisation("Solo", OrgKind::Standard, "sol@example.org", Some("Sol"), Some(PASSWORD))
            .await
            .unwrap();
        let sol = session(&env, &sign_in(&env, "sol@example.org").await).await;
        assert!(matches!(env.app.resend_pending_invitations(&sol, &meta()).await, Err(TeamError::NothingToChange)));
    })
    .await;
}
