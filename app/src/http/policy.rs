//! Settings -> Security policy: the page; its forms post to the server functions in
//! `api::policy`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::ServerFn;

use super::render;
use crate::api::policy::{SetBusinessHours, SetEmailCodes, SetEmailOnlyResets, SetMfaPolicy, SetPasswordExpiry};
use crate::ctx::{AppState, Failed, SignedIn};
use crate::error::AppError;
use crate::pages::policy::{EmailCodeRole, EmailCodesChangeView, HoursView, PolicyView, RequireView, Which};
use crate::pages::Page;

fn typed_or(failed: &Failed, name: &str, stored: String) -> String {
    Some(failed.value(name)).filter(|v| !v.is_empty()).unwrap_or(stored)
}

pub async fn policy_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let hours = match state.tessera.business_hours(&s).await {
        Ok(h) => h,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let roles = match state.tessera.email_code_roles(&s).await {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let hhmm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
    let mut zones = tessera_server::model::Zone::all_names();
    // A fixed offset kept from before time zones stays choosable until another is chosen.
    if !zones.iter().any(|z| z == hours.zone.name()) {
        zones.insert(0, hours.zone.name().to_string());
    }
    let notice = if q.contains_key("hours") {
        Some("The business hours are saved.".to_string())
    } else if q.contains_key("password-expiry") {
        Some(match s.org_password_max_age_days {
            Some(d) => format!("Passwords now expire after {d} days."),
            None => "Passwords do not expire.".to_string(),
        })
    } else if q.contains_key("email-codes") {
        Some(if s.org_email_codes_allowed {
            let who: Vec<&str> = roles.iter().filter(|r| r.email_codes).map(|r| r.name.as_str()).collect();
            format!("Email codes are allowed as a second factor for: {}.", who.join(", "))
        } else {
            "Email codes are not allowed as a second factor.".to_string()
        })
    } else if q.contains_key("email-only-resets") {
        Some(if s.org_email_only_resets {
            "MFA resets verified by email only are allowed, and flagged in the activity log.".to_string()
        } else {
            "MFA resets verified by email only are refused.".to_string()
        })
    } else {
        q.contains_key("saved").then(|| "The security policy is saved.".to_string())
    };
    let which = [
        (SetMfaPolicy::PATH, Which::Policy),
        (SetEmailCodes::PATH, Which::EmailCodes),
        (SetEmailOnlyResets::PATH, Which::EmailOnlyResets),
        (SetPasswordExpiry::PATH, Which::PasswordExpiry),
        (SetBusinessHours::PATH, Which::Hours),
    ]
    .into_iter()
    .find_map(|(path, which)| failed.error_of(path).map(|e| (which, e)));
    let view = PolicyView {
        // Times that failed to save are shown as they were typed.
        hours: HoursView {
            start: typed_or(&failed, "start", hhmm(hours.start_minute)),
            end: typed_or(&failed, "end", hhmm(hours.end_minute)),
            zone: typed_or(&failed, "time_zone", hours.zone.name().to_string()),
            zones,
        },
        // A choice that failed to save stays chosen.
        policy: Some(failed.value("policy"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| tessera_server::policy::effective(s.org_kind, s.org_mfa_policy).as_str().to_string()),
        grace_days: failed.value("grace_days"),
        healthcare: s.org_kind == tessera_server::model::OrgKind::Healthcare,
        grace_until: s.org_mfa_grace_until.map(|t| format!("{} UTC", t.to_display())),
        email_codes: s.org_email_codes_allowed,
        email_code_roles: email_code_roles(roles, &failed),
        email_only_resets: s.org_email_only_resets,
        password_days: typed_or(
            &failed,
            "days",
            s.org_password_max_age_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
        notice,
        failed: which,
    };
    render::page(&state, Page::Policy { view }, StatusCode::OK).await
}

/// The roles as the email-codes form ticks them: as stored, or as chosen when saving failed.
fn email_code_roles(roles: Vec<tessera_server::roles::RoleInfo>, failed: &Failed) -> Vec<EmailCodeRole> {
    let chosen = failed.error_of(SetEmailCodes::PATH).map(|_| failed.listed("roles"));
    roles
        .into_iter()
        .map(|r| EmailCodeRole {
            allowed: match &chosen {
                Some(ids) => ids.contains(&r.id.to_string()),
                None => r.email_codes,
            },
            admin: r.is_admin(),
            id: r.id,
            name: r.name,
        })
        .collect()
}

/// "Change who may use email codes?": whose sign-in the change moves, before it is saved.
pub async fn email_codes_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let allowed = q.get("allowed").is_some_and(|a| a == "yes");
    let roles: Option<Vec<i64>> = q
        .get("roles")
        .map(|r| r.split(',').filter(|r| !r.is_empty()).map(|r| r.parse().ok()).collect())
        .unwrap_or(Some(vec![]));
    let Some(roles) = roles else { return render::error_page(&state, &AppError::BadRequest).await };
    let impact = match state.tessera.email_codes_impact(&s, allowed, &roles).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return render::error_page(&state, &AppError::Refused(crate::error::Refusal::MissingPermission)).await
        }
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let named = |m: &tessera_server::store::Member| format!("{} ({})", m.display_name, m.email);
    let now = state.tessera.clock.now();
    let view = EmailCodesChangeView {
        allowed,
        roles,
        to_app: impact.to_app.iter().map(named).collect(),
        to_email: impact.to_email.iter().map(named).collect(),
        grace_until: s.org_mfa_grace_until.filter(|t| *t > now).map(|t| format!("{} UTC", t.to_display())),
    };
    render::page(&state, Page::EmailCodesChange { view }, StatusCode::OK).await
}

/// "Require MFA for everyone?": whom Required affects, before it is saved.
pub async fn require_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let grace_days = q.get("grace_days").and_then(|d| d.trim().parse::<u32>().ok()).filter(|d| *d <= 365);
    let (affected, by_email) = match state.tessera.required_policy_impact(&s).await {
        Ok(Some(n)) => n,
        Ok(None) => {
            return render::error_page(&state, &AppError::Refused(crate::error::Refusal::MissingPermission)).await
        }
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let now = state.tessera.clock.now();
    let until = grace_days
        .filter(|d| *d > 0)
        .map(|d| format!("{} UTC", now.plus(std::time::Duration::from_secs(u64::from(d) * 86_400)).to_display()));
    let already =
        tessera_server::policy::effective(s.org_kind, s.org_mfa_policy) == tessera_server::policy::MfaPolicy::Required;
    let current_until = s.org_mfa_grace_until.filter(|t| *t > now).map(|t| format!("{} UTC", t.to_display()));
    let view =
        RequireView { affected, grace_days, until, org_name: s.org_name.clone(), by_email, already, current_until };
    render::page(&state, Page::RequirePolicy { view }, StatusCode::OK).await
}

/// What "accounts from" means for a provider of `kind`, under its field.
fn from_hint(kind: tessera_server::sso::ProviderKind) -> &'static str {
    use tessera_server::sso::ProviderKind;
    match kind {
        ProviderKind::Google => {
            "Your Google Workspace domains, one per line (example.org). Empty: any Google account, personal ones too."
        }
        ProviderKind::Microsoft => {
            "The Directory (tenant) IDs of your Microsoft Entra organisations, one per line. Empty: any tenant this Tessera accepts."
        }
        // Another provider: only an address it verified counts.
        ProviderKind::Oidc => {
            "Email domains, one per line (example.org): only accounts whose address the provider has verified at one of them. Empty: any account of the provider."
        }
    }
}

/// How a provider stands for the organisation, in a sentence.
fn method_status(m: &tessera_server::sso::SignInMethod) -> String {
    use tessera_server::sso::ProviderMfa;
    let on = match (m.allowed, m.accounts_from.as_slice()) {
        (false, _) => return format!("Off: nobody signs in with {}.", m.name),
        (true, []) => format!("On: people sign in with any {} account linked to theirs.", m.name),
        (true, from) => format!("On, for accounts from {} only.", from.join(", ")),
    };
    let mfa = match m.mfa {
        ProviderMfa::Always => "Your MFA is asked after it.".to_string(),
        ProviderMfa::WhenProven => format!("Your MFA is skipped when {} says it checked a second factor.", m.name),
        ProviderMfa::Never => "Your MFA is never asked after it.".to_string(),
    };
    let trusted = match m.trust_email_from.as_slice() {
        [] => String::new(),
        trusted => format!(" Verified addresses at {} link themselves.", trusted.join(", ")),
    };
    let created = match m.create_from.as_slice() {
        [] => String::new(),
        domains => format!(" New people from {} become members.", domains.join(", ")),
    };
    format!("{on} {mfa}{trusted}{created}")
}

pub async fn sign_in_methods_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use crate::api::policy::{SetProviderSignInRequired, SetSignInMethod};
    use crate::pages::sign_in_methods::{MethodRow, SignInMethodsView};

    let page = match state.tessera.sign_in_methods(&s).await {
        Ok(page) => page,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let error = failed.error_of(SetSignInMethod::PATH);
    let failed_id = failed.value("provider");
    let saved = q.get("saved").and_then(|id| page.methods.iter().find(|m| m.provider_id.to_string() == *id));
    let notice = saved.map(|m| format!("Saved. {}", method_status(m)));
    let methods = page
        .methods
        .iter()
        .map(|m| {
            let failed_here = error.is_some() && failed_id == m.provider_id.to_string();
            MethodRow {
                provider_id: m.provider_id,
                name: m.name.clone(),
                from_hint: from_hint(m.kind),
                tenants: m.tenants.clone(),
                // What was sent comes back as it was, so nothing typed is lost.
                allowed: if failed_here { failed.value("allowed") == "true" } else { m.allowed },
                accounts_from: if failed_here { failed.value("accounts_from") } else { m.accounts_from.join("\n") },
                mfa: if failed_here { failed.value("mfa") } else { m.mfa.id().to_string() },
                trust_email_from: if failed_here {
                    failed.value("trust_email_from")
                } else {
                    m.trust_email_from.join("\n")
                },
                create_from: if failed_here { failed.value("create_from") } else { m.create_from.join("\n") },
                status: method_status(m),
                error: error.clone().filter(|_| failed_here),
            }
        })
        .collect();
    let notice = notice.or_else(|| {
        let said = [
            ("required", "Saved. Everyone but the owners must now sign in with a provider."),
            ("not-required", "Saved. People may sign in with their password again."),
        ];
        said.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string())
    });
    let view = SignInMethodsView {
        methods,
        may_change: page.may_change,
        fresh: state.tessera.has_fresh_step_up(&s),
        notice,
        required: page.required,
        required_error: failed.error_of(SetProviderSignInRequired::PATH),
    };
    render::page(&state, Page::SignInMethods { view }, StatusCode::OK).await
}
