//! Settings -> Security policy: the organisation's MFA policy and its business hours.

use leptos::prelude::*;

use crate::error::AppError;

/// Sets the MFA policy (hidden, visible or required, with an optional grace period in days).
/// Needs the owner's fresh second factor. Turning Required on asks first, on a page that says
/// whom it affects: only a form from that page carries `confirm=yes`.
#[server(prefix = "/api", endpoint = "policy/mfa")]
pub async fn set_mfa_policy(
    #[server(default)] policy: String,
    #[server(default)] grace_days: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use crate::error::{Field, Problem};
    use tessera_server::mfa::CodeError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let policy = policy
        .parse::<tessera_server::model::MfaPolicy>()
        .map_err(|_| AppError::field(Field::Policy, Problem::NotInList))?;
    let grace_days = match grace_days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) if n <= 365 => Some(n),
            _ => return Err(AppError::field(Field::GraceDays, Problem::OutOfRange)),
        },
    };
    let already = tessera_server::policy::effective(s.org_kind, s.org_mfa_policy) == policy;
    // Under Required, a grace period given (a deadline counted from now) or taken away moves
    // everyone's deadline: that is asked first too.
    let now = app.tessera.clock.now();
    let moves_deadline =
        already && (grace_days.is_some_and(|d| d > 0) || s.org_mfa_grace_until.is_some_and(|until| until > now));
    if policy == tessera_server::model::MfaPolicy::Required && (!already || moves_deadline) && confirm != "yes" {
        // What would refuse the change refuses it now, before anyone is asked to confirm it.
        if !app.tessera.has_fresh_step_up(&s) {
            return Err(AppError::StepUpFirst(None));
        }
        let days = grace_days.map(|d| d.to_string()).unwrap_or_default();
        let query = serde_urlencoded::to_string([("grace_days", days)]).unwrap_or_default();
        go(&format!("/settings/security/require?{query}"));
        return Ok(());
    }
    match app.tessera.set_mfa_policy(&s, policy, grace_days, &meta).await {
        Ok(()) => {}
        Err(CodeError::StepUpRequired) => return Err(AppError::StepUpFirst(None)),
        Err(e) => return Err(e.into()),
    }
    go("/settings/security?saved");
    Ok(())
}

/// "Allow email codes as a second factor" (`allowed=yes`; a cleared checkbox sends nothing), for
/// the roles ticked (checkboxes named `roles[N]` holding role ids). Needs a fresh second factor;
/// never for healthcare organisations. A change that moves anyone between email codes and an
/// authenticator app is asked first, on a page that names them: only a form from that page
/// carries `confirm=yes`.
#[server(prefix = "/api", endpoint = "policy/email-codes")]
pub async fn set_email_codes(
    #[server(default)] allowed: String,
    #[server(default)] roles: Vec<String>,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use crate::error::{Field, Problem};
    use tessera_server::mfa::CodeError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let allowed = allowed == "yes";
    let roles = roles.iter().map(|r| r.trim().parse::<i64>()).collect::<Result<Vec<_>, _>>();
    let Ok(roles) = roles else { return Err(AppError::BadRequest) };
    if allowed && roles.is_empty() {
        return Err(AppError::field(Field::EmailCodeRoles, Problem::Missing));
    }
    if confirm != "yes" {
        // What would refuse the change refuses it now, before anyone is asked to confirm it.
        if !app.tessera.has_fresh_step_up(&s) {
            return Err(AppError::StepUpFirst(None));
        }
        let impact = app.tessera.email_codes_impact(&s, allowed, &roles).await.map_err(AppError::from)?;
        if impact.is_some_and(|i| !i.is_empty()) {
            let ids = roles.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let query = serde_urlencoded::to_string([("allowed", if allowed { "yes" } else { "no" }), ("roles", &ids)])
                .unwrap_or_default();
            go(&format!("/settings/security/email-codes?{query}"));
            return Ok(());
        }
    }
    match app.tessera.set_email_codes(&s, allowed, &roles, &meta).await {
        Ok(()) => {}
        Err(CodeError::StepUpRequired) => return Err(AppError::StepUpFirst(None)),
        Err(e) => return Err(e.into()),
    }
    go("/settings/security?email-codes");
    Ok(())
}

/// Whether an MFA reset may go ahead when the person asking was verified by email only
/// (`allowed=yes`; flagged in the activity log) or is refused. Needs a fresh second factor.
#[server(prefix = "/api", endpoint = "policy/email-only-resets")]
pub async fn set_email_only_resets(#[server(default)] allowed: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::mfa::CodeError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    match app.tessera.set_email_only_resets(&s, allowed == "yes", &meta).await {
        Ok(()) => {}
        Err(CodeError::StepUpRequired) => return Err(AppError::StepUpFirst(None)),
        Err(e) => return Err(e.into()),
    }
    go("/settings/security?email-only-resets");
    Ok(())
}

/// "Passwords expire after N days": 30 to 365, or empty for never. Needs a fresh second factor.
#[server(prefix = "/api", endpoint = "policy/password-expiry")]
pub async fn set_password_expiry(#[server(default)] days: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use crate::error::{Field, Problem};
    use tessera_server::mfa::CodeError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let days = match days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) if tessera_server::policy::PASSWORD_MAX_AGE_DAYS.contains(&n) => Some(n),
            _ => return Err(AppError::field(Field::MaxAgeDays, Problem::OutOfRange)),
        },
    };
    match app.tessera.set_password_expiry(&s, days, &meta).await {
        Ok(()) => {}
        Err(CodeError::StepUpRequired) => return Err(AppError::StepUpFirst(None)),
        Err(e) => return Err(e.into()),
    }
    go("/settings/security?password-expiry");
    Ok(())
}

/// Sets the organisation's business hours (Monday to Friday) and its time zone.
#[server(prefix = "/api", endpoint = "policy/hours")]
pub async fn set_business_hours(
    #[server(default)] start: String,
    #[server(default)] end: String,
    #[server(default)] time_zone: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, SignedIn};
    use crate::error::{Field, Problem};

    let (App(app), SignedIn(s)) = (extract().await?, extract().await?);
    let out_of_range = || AppError::field(Field::Hours, Problem::OutOfRange);
    let (Some(start), Some(end)) = (minutes(&start), minutes(&end)) else { return Err(out_of_range()) };
    if tessera_server::model::Zone::parse(&time_zone).is_none() {
        return Err(AppError::field(Field::TimeZone, Problem::NotInList));
    }
    let hours = tessera_server::model::BusinessHours::new(start, end, &time_zone)
        .map_err(|p| AppError::field(Field::Hours, p.into()))?;
    app.tessera.set_business_hours(&s, hours).await?;
    go("/settings/security?hours");
    Ok(())
}

/// `HH:MM` as minutes after midnight; `24:00` is the end of the day.
pub fn minutes(hhmm: &str) -> Option<i32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    if m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::minutes;

    #[test]
    fn times_of_day_read_as_minutes() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(minutes(" 00:00 "), Some(0));
        assert_eq!(minutes("24:00"), Some(1440));
        for bad in ["", "9", "24:30", "25:00", "12:60", "12:5", "12:345", "ab:cd", "-1:00"] {
            assert_eq!(minutes(bad), None, "{bad:?}");
        }
    }
}

/// Settings -> Sign-in methods: lets the organisation's people sign in with a provider
/// (`allowed` is `true`; a checkbox, absent when unticked), with accounts only from the domains
/// or tenants in `accounts_from` (one per line; empty: any) and with `mfa` saying what its own
/// MFA counts for (`always`, `when-proven`, `never`), or stops them. Owners only, with a fresh
/// second factor. `trust_email_from`: domains whose addresses, verified by the provider, link a
/// provider account to the Tessera account with that address at its first sign-in;
/// `create_from`: domains whose verified addresses make someone without an account a member.
#[server(prefix = "/api", endpoint = "policy/sign-in-method")]
pub async fn set_sign_in_method(
    #[server(default)] provider: String,
    #[server(default)] allowed: String,
    #[server(default)] accounts_from: String,
    #[server(default)] mfa: String,
    #[server(default)] trust_email_from: String,
    #[server(default)] create_from: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let Ok(provider_id) = provider.parse::<i64>() else { return Err(AppError::BadRequest) };
    let allowed = match allowed.as_str() {
        "true" => true,
        "" => false,
        _ => return Err(AppError::BadRequest),
    };
    // A form without the choice (an older page) keeps the safe default.
    let mfa = match mfa.as_str() {
        "" => tessera_server::sso::ProviderMfa::Always,
        id => tessera_server::sso::ProviderMfa::from_id(id).ok_or(AppError::BadRequest)?,
    };
    let form = tessera_server::sso::MethodForm { allowed, accounts_from, mfa, trust_email_from, create_from };
    app.tessera.set_sign_in_method(&s, provider_id, &form, &meta).await?;
    go(&format!("/settings/security/sign-in?saved={provider_id}"));
    Ok(())
}

/// Settings -> Sign-in methods: requires everyone but the owners to sign in with a provider
/// (`required` is `true`, a checkbox absent when unticked), or stops requiring it. Owners only,
/// with a fresh second factor.
#[server(prefix = "/api", endpoint = "policy/sign-in-required")]
pub async fn set_provider_sign_in_required(#[server(default)] required: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let required = match required.as_str() {
        "true" => true,
        "" => false,
        _ => return Err(AppError::BadRequest),
    };
    app.tessera.set_provider_sign_in_required(&s, required, &meta).await?;
    go(&format!("/settings/security/sign-in?{}", if required { "required" } else { "not-required" }));
    Ok(())
}
