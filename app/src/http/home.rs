//! Home: turns the use case's summary into the page's words.

use tessera_server::audit::Action;
use tessera_server::clock::Timestamp;
use tessera_server::home::{Home, Step};
use tessera_server::policy::Requirement;
use tessera_server::session::SessionInfo;

use crate::pages::home::{AdoptionView, EventLine, HomeView, StepView};

fn step(step: Step, done: bool) -> StepView {
    let (label, hint, href) = match step {
        Step::TurnOnOwnMfa => (
            "Turn on MFA for your account",
            "Yours is the account that can change everyone's security: protect it first.",
            "/account/security",
        ),
        Step::InviteTeam => (
            "Invite your team",
            "Each person gets an email with a link to choose their password.",
            "/settings/team/invite",
        ),
        Step::ChoosePolicy => (
            "Choose an MFA policy",
            "Decide whether MFA is hidden, offered to everyone, or required.",
            "/settings/security",
        ),
    };
    StepView { label, hint, href, done }
}

pub(super) fn view(s: &SessionInfo, home: Home, now: Timestamp) -> HomeView {
    let steps = if home.has_next_steps() { home.checklist.iter().map(|(s, d)| step(*s, *d)).collect() } else { vec![] };
    let set_up = Some(("/account/security", "Set up MFA"));
    let own_badge = tessera_server::policy::MfaState::of(home.has_mfa, home.requirement).label();
    let (own_text, own_action, banner) = match home.requirement {
        _ if home.has_mfa => (
            "You sign in with your password and a code from your authenticator app.".to_string(),
            Some(("/account/security", "Manage your MFA")),
            None,
        ),
        Requirement::Grace { deadline } => (
            "Your organisation requires MFA and you have not set it up yet.".to_string(),
            set_up,
            Some(super::mfa::grace_banner(deadline, now)),
        ),
        Requirement::ByEmail => (
            "Your organisation requires MFA: you sign in with your password and a code we email you. An authenticator app is stronger, since anyone who can read your mailbox could pass.".to_string(),
            Some(("/account/security", "Set up an authenticator app")),
            None,
        ),
        Requirement::NotOffered => ("Your organisation has not turned on MFA.".to_string(), None, None),
        _ => (
            "Multi-factor authentication (MFA) adds a code from an authenticator app to your sign-in, so a stolen password is not enough.".to_string(),
            set_up,
            None,
        ),
    };
    HomeView {
        display_name: s.display_name.clone(),
        banner,
        own_badge,
        own_text,
        own_action,
        steps,
        adoption: home.adoption.map(|a| AdoptionView {
            members: a.members,
            enabled: a.enabled,
            not_enabled: a.not_enabled(),
            required_not_enrolled: a.required_not_enrolled,
        }),
        events: home.recent.map(|(entries, hours)| {
            entries
                .into_iter()
                .map(|e| EventLine {
                    when: hours.local_minute(e.event.occurred_at),
                    what: Action::label_of(&e.event.action),
                    who: e.actor_name.or(e.actor_email),
                    failed: e.event.outcome == "failure",
                })
                .collect()
        }),
    }
}
