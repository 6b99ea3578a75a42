//! The operators' metrics, counted by the real use cases through the real router and rendered
//! by the Prometheus exporter the binary installs. One test: the recorder is global to this
//! test binary, so nothing else may count alongside it.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use metrics_exporter_prometheus::PrometheusBuilder;

/// The value of the series `name{labels}` in an exposition, 0 when absent.
fn value(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn sign_ins_second_factors_and_shed_requests_are_each_counted_once_under_their_labels() {
    let metrics = PrometheusBuilder::new().install_recorder().unwrap();
    tessera_server::telemetry::describe();
    let t = app().await;
    let (secret, _codes, _ada) = enrol_over_http(&t).await;
    let before = metrics.render();

    // A wrong password, a right one, then the app's code at the challenge.
    assert_eq!(t.sign_in("ada@example.org", "not the password at all").await.status, StatusCode::UNAUTHORIZED);
    let step = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(step.location(), Some("/login/mfa"));
    let challenged = step.cookie("tessera_session").unwrap();
    let done = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&challenged)).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);

    let after = metrics.render();
    let delta = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(delta(r#"tessera_sign_in_attempts_total{outcome="wrong_password"}"#), 1.0, "{after}");
    assert_eq!(delta(r#"tessera_sign_in_attempts_total{outcome="success"}"#), 1.0, "{after}");
    assert_eq!(delta(r#"tessera_second_factor_checks_total{method="totp",outcome="success"}"#), 1.0, "{after}");
    assert_eq!(value(&after, "tessera_mfa_enrolments_total"), 1.0, "the enrolment before");
    assert!(value(&after, r#"tessera_mail_total{outcome="sent"}"#) >= 1.0, "the MFA-enabled notice: {after}");
    assert!(after.contains("# HELP tessera_sign_in_attempts_total"), "described");
    // Labels are fixed words: nobody's address or id.
    assert!(!after.contains("ada@example.org") && !after.contains("example.org"));
    let pages = value(&after, r#"tessera_http_request_duration_seconds_count{kind="page"}"#);
    let functions = value(&after, r#"tessera_http_request_duration_seconds_count{kind="server_fn"}"#);
    assert!(pages >= 1.0 && functions >= 3.0, "{after}");

    // Sign-ins shed because every hashing slot is busy (one slot, no queue, four at once).
    let busy = app_with(Options { hasher: (1, 0), ..Options::default() }).await;
    busy.create_org().await;
    let before = metrics.render();
    let (mut shed, mut signed_in) = (0.0, 0.0);
    // Two hashes meet in the first round unless the machine stalls; a few rounds make it certain.
    for _round in 0..5 {
        let mut logins = Vec::new();
        for _ in 0..4 {
            let step1 = busy.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await;
            logins.push(step1.cookie("tessera_login").unwrap());
        }
        let password = |i: usize| busy.post(LOGIN_PASSWORD, &[("password", PASSWORD)], Some(&logins[i]));
        let (a, b, c, d) = tokio::join!(password(0), password(1), password(2), password(3));
        let statuses = [a.status, b.status, c.status, d.status];
        let count = |status: StatusCode| statuses.iter().filter(|s| **s == status).count() as f64;
        assert_eq!(count(StatusCode::SERVICE_UNAVAILABLE) + count(StatusCode::SEE_OTHER), 4.0, "{statuses:?}");
        shed += count(StatusCode::SERVICE_UNAVAILABLE);
        signed_in += count(StatusCode::SEE_OTHER);
        if shed > 0.0 {
            break;
        }
    }
    assert!(shed >= 1.0, "in five rounds of four at once, one slot and no queue turned some away");
    let after = metrics.render();
    let delta = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(delta(r#"tessera_sign_in_attempts_total{outcome="shed"}"#), shed, "{after}");
    assert_eq!(delta(r#"tessera_sign_in_attempts_total{outcome="success"}"#), signed_in, "{after}");

    // The public address has no /metrics (the binary serves it on TESSERA_METRICS_ADDR only).
    assert_eq!(t.get("/metrics", None).await.status, StatusCode::NOT_FOUND);
}
