//! Account -> Email preferences, and the one-click unsubscribe link of optional mail.

use leptos::prelude::*;

use crate::error::AppError;

/// Keeps the optional mail whose topics are ticked (`topics[…]`) and turns the others off.
#[server(prefix = "/api", endpoint = "account/email-preferences")]
pub async fn set_mail_preferences(#[server(default)] topics: Vec<String>) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::mail::Topic;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let on: Vec<Topic> = topics.iter().filter_map(|t| Topic::from_id(t)).collect();
    app.tessera.set_mail_preferences(&s, &on, &meta).await?;
    go("/account/email-preferences?saved");
    Ok(())
}

/// "Turn them off" on the page an unsubscribe link opens: turns off the optional mail the signed
/// token names, without signing in. (Mail programs post to the link itself: `http::preferences`.)
#[server(prefix = "/api", endpoint = "unsubscribe")]
pub async fn unsubscribe(#[server(default)] token: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta};

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    match app.tessera.unsubscribe(&token, &meta).await? {
        Some(topic) => {
            go(&format!("/unsubscribe?done={}", topic.id()));
            Ok(())
        }
        None => Err(AppError::LinkInvalid),
    }
}
