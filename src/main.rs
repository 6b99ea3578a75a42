//! The `tessera` binary: serves the product, and carries the operators' commands.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tessera_server::clock::SystemClock;
use tessera_server::config::Config;
use tessera_server::model::{OrgKind, Role};
use tessera_server::password::PasswordHasher;
use tessera_server::policy::MfaPolicy;
use tessera_server::secret::SecretKey;
use tessera_server::Tessera;

#[derive(Parser)]
#[command(name = "tessera", version, about = "Self-hosted sign-in, MFA and team security")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Tessera (the default when no command is given).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The weekly security digest.
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// The organisation's applications that sign their people in with Tessera (OpenID Connect).
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// The OpenID Connect providers people may sign in with: Google, Microsoft, or another.
    Sso {
        #[command(subcommand)]
        command: SsoCommand,
    },
    /// The keys Tessera signs ID tokens with.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Register an application. Prints its client id and, for a confidential one, its client
    /// secret: shown this once, so keep it now.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// `confidential`: a server that keeps a client secret; `public`: an application in a
        /// browser or on a phone, which must use PKCE and gets no secret.
        #[arg(long = "type", value_enum)]
        kind: AppKindArg,
        /// Where it may be sent back after sign-in, exactly as it will send it (https, or http
        /// on localhost only). Repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where it may send people after signing them out. Repeat for several.
        #[arg(long = "post-logout-uri")]
        logout_uris: Vec<String>,
        /// The roles whose people may use it, by name, comma-separated; without it, everyone.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Ask for MFA on top of the organisation's policy: people without it enrol first.
        #[arg(long)]
        require_mfa: bool,
        /// Sign its ID tokens with ES256 instead of RS256 (the standard's default).
        #[arg(long)]
        es256: bool,
    },
    /// List the organisation's applications.
    List {
        #[arg(long)]
        org: String,
    },
    /// Give a confidential application a new client secret (printed once); the old one stops
    /// working at once.
    RotateSecret {
        #[arg(long)]
        org: String,
        #[arg(long)]
        client_id: String,
    },
    /// Remove an application: nobody signs in to it with Tessera any more.
    Remove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        client_id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum AppKindArg {
    Confidential,
    Public,
}

#[derive(Subcommand)]
enum SsoCommand {
    /// Add a provider. Its metadata is read now, so a mistyped issuer is caught at once.
    Add {
        #[arg(value_enum)]
        kind: SsoKindArg,
        #[arg(long)]
        client_id: String,
        /// Read the client secret from standard input (it is sealed at rest).
        #[arg(long, required = true)]
        client_secret_stdin: bool,
        /// The button says "Sign in with NAME"; required for `oidc`.
        #[arg(long)]
        name: Option<String>,
        /// The issuer URL; required for `oidc`, known for Google and Microsoft.
        #[arg(long)]
        issuer: Option<String>,
        /// Microsoft: the directory (tenant) id of an organisation whose work and school accounts
        /// may sign in. Repeat for several.
        #[arg(long = "tenant")]
        tenants: Vec<String>,
    },
    /// List the providers.
    List,
    /// Remove a provider, by name: nobody signs in with it any more.
    Remove { name: String },
    /// Let an organisation's people link the provider to their accounts and sign in with it.
    /// With --from, only accounts from those places: Google Workspace domains, Microsoft
    /// tenant ids (among the provider's), or for another provider the domains of verified
    /// addresses. Repeat for several; without it, any account the provider signs in.
    Allow {
        #[arg(long)]
        org: String,
        name: String,
        #[arg(long = "from")]
        from: Vec<String>,
    },
    /// Stop an organisation's people signing in with the provider (their links stay, unused).
    Disallow {
        #[arg(long)]
        org: String,
        name: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SsoKindArg {
    Google,
    Microsoft,
    Oidc,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Sign with new keys from now on. The ones they replace stay published until every token
    /// they signed has expired, so applications keep verifying them meanwhile.
    Rotate,
}

#[derive(Subcommand)]
enum DigestCommand {
    /// Send the digest of the last seven days now, to everyone in the organisation who may read
    /// the activity log and did not turn it off.
    Send {
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Set an organisation's MFA policy. Healthcare organisations are always `required`.
    SetPolicy {
        #[arg(long)]
        org: String,
        #[arg(value_enum)]
        policy: PolicyArg,
        /// With `required`: days during which members without MFA are reminded before they are
        /// confined to enrolment.
        #[arg(long)]
        grace_days: Option<u32>,
    },
    /// Allow (`on`) or stop allowing (`off`) emailed codes as a second factor at sign-in. Email
    /// is weaker than an authenticator app; healthcare organisations cannot allow it.
    EmailCodes {
        #[arg(long)]
        org: String,
        #[arg(value_enum)]
        state: OnOff,
        /// The roles whose people may use them, by name, comma-separated ("Member,Help desk");
        /// without it, the roles chosen before (new organisations: Member only).
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
    },
    /// Let an MFA reset go ahead when the person asking was verified by email only (`on`; each
    /// is flagged in the activity log), or refuse it (`off`, the default).
    EmailOnlyResets {
        #[arg(long)]
        org: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Make passwords expire after DAYS days (30 to 365), or never (`off`). NIST SP 800-63B
    /// advises against periodic expiry; see the README.
    PasswordExpiry {
        #[arg(long)]
        org: String,
        /// A number of days from 30 to 365, or `off`.
        days: String,
    },
    /// Create an organisation and its owner. Without a password, prints a one-time link
    /// (valid 24 h) for the owner to choose one.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = KindArg::Standard)]
        kind: KindArg,
        #[arg(long)]
        owner_email: String,
        /// The owner's display name (defaults to the part of the email before the @).
        #[arg(long)]
        owner_name: Option<String>,
        /// Read the owner's password from the first line of standard input.
        #[arg(long)]
        owner_password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to an organisation. Without a password, prints a one-time set-password link.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Display name (defaults to the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a one-time password reset link (valid 60 minutes) to hand to the person. Their
    /// MFA stays: signing in still needs their second factor.
    ResetPassword {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
    },
    /// Reset a person's MFA (authenticator and recovery codes), for an owner who lost both. They
    /// are told by mail, and the reason is kept in the activity log. Where MFA stays required of
    /// them (and email codes cannot stand in), prints the temporary access code they need after
    /// their password: hand it over yourself, never by email.
    ResetMfa {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// Why, such as a ticket number (kept in the activity log and sent to the person).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Standard,
    Healthcare,
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyArg {
    Hidden,
    Visible,
    Required,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Owner,
    Admin,
    /// Help desk: resets teammates' MFA.
    Helpdesk,
    Member,
}

/// Operator output goes to stdout, not to the log: it can hold one-time links, which must not be
/// kept in log files.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn read_password_from_stdin() -> anyhow::Result<String> {
    read_secret_from_stdin("password")
}

/// One line of standard input (`what`, for the error), without its line break.
fn read_secret_from_stdin(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).with_context(|| format!("reading the {what} from standard input"))?;
    let secret = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    anyhow::ensure!(!secret.is_empty(), "no {what} on standard input");
    Ok(secret.to_string())
}

fn leptos_options() -> anyhow::Result<leptos::config::LeptosOptions> {
    let mut options =
        leptos::config::get_configuration(None).context("reading the Leptos configuration")?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "tessera".into();
    }
    options.site_addr = site_addr(options.site_addr)?;
    // Release builds from cargo-leptos write the hashes of the asset names beside the binary.
    let hash_file = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(options.hash_file.as_ref())));
    options.hash_files = hash_file.is_some_and(|p| p.exists());
    Ok(options)
}

/// Logs on stderr: plain text (in colour only for a person at a terminal: a file, a pipe or a
/// service manager gets none), or with `TESSERA_LOG_FORMAT=json` one JSON object per line, whose
/// `span` carries the request's id while a request is being served.
fn init_logs() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("TESSERA_LOG_FORMAT").unwrap_or_default().trim() {
        "json" => logs.json().with_current_span(true).with_span_list(false).init(),
        "" | "text" => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            logs.with_ansi(colour).init()
        }
        other => anyhow::bail!("TESSERA_LOG_FORMAT={other:?} is not a log format: use text or json"),
    }
    Ok(())
}

/// Where to listen: `TESSERA_ADDR`, else Leptos's own `LEPTOS_SITE_ADDR` (127.0.0.1:3000 unless set).
fn site_addr(leptos: SocketAddr) -> anyhow::Result<SocketAddr> {
    match std::env::var("TESSERA_ADDR") {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().with_context(|| format!("TESSERA_ADDR={v:?} is not an address like 127.0.0.1:3000"))
        }
        _ => Ok(leptos),
    }
}

/// Why the listener could not be had, in one line that says which setting to change.
fn cannot_listen(addr: SocketAddr, setting: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let (why, fix) = match e.kind() {
        ErrorKind::AddrInUse => ("something else already uses that address".to_string(), "Stop it, or set"),
        ErrorKind::PermissionDenied => ("ports below 1024 need privileges this process lacks".to_string(), "Set"),
        ErrorKind::AddrNotAvailable => ("no network interface of this machine has that address".to_string(), "Set"),
        _ => (e.to_string(), "Set"),
    };
    format!(
        "Tessera cannot listen on {addr}: {why}. {fix} {setting} to another address, for example {setting}=127.0.0.1:3001."
    )
}

fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

async fn open(config: Config) -> anyhow::Result<Arc<Tessera>> {
    prepare_data_dir(&config.data_dir)?;
    let key = match std::env::var("TESSERA_SECRET_KEY") {
        Ok(hex) if !hex.trim().is_empty() => SecretKey::from_hex(&hex)?,
        _ => SecretKey::load_or_create(&config.data_dir)?,
    };
    let store = tessera_server::store::connect(&config.database_url).await.with_context(|| {
        format!("opening the database {}", tessera_server::config::redact_url(&config.database_url))
    })?;
    let hasher = tokio::task::spawn_blocking(PasswordHasher::for_this_machine).await?;
    let mailer = tessera_server::mail::from_config(&config)?;
    Ok(Arc::new(Tessera::new(store, Arc::new(SystemClock), Arc::new(config), hasher, key).with_mailer(mailer)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logs()?;
    let cli = Cli::parse();
    let options = leptos_options()?;
    let config = Config::from_env(&options.site_addr.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(options, config).await,
        Command::Migrate => {
            open(config).await?;
            say("Database is up to date.");
            Ok(())
        }
        Command::Org { command: OrgCommand::Create { name, kind, owner_email, owner_name, owner_password_stdin } } => {
            let password = owner_password_stdin.then(read_password_from_stdin).transpose()?;
            let app = open(config).await?;
            let kind = match kind {
                KindArg::Standard => OrgKind::Standard,
                KindArg::Healthcare => OrgKind::Healthcare,
            };
            let created =
                app.create_organisation(&name, kind, &owner_email, owner_name.as_deref(), password.as_deref()).await?;
            say(&format!("Created organisation {name:?} with owner {owner_email}."));
            if let Some(link) = created.set_password_link {
                say(&format!("Set-password link for the owner (valid 24 h, single use): {link}"));
            }
            Ok(())
        }
        Command::Org { command: OrgCommand::SetPolicy { org, policy, grace_days } } => {
            let app = open(config).await?;
            let policy = match policy {
                PolicyArg::Hidden => MfaPolicy::Hidden,
                PolicyArg::Visible => MfaPolicy::Visible,
                PolicyArg::Required => MfaPolicy::Required,
            };
            app.set_mfa_policy_by_operator(&org, policy, grace_days).await?;
            say(&format!("MFA policy of {org:?} is now {}.", policy.as_str()));
            Ok(())
        }
        Command::Org { command: OrgCommand::PasswordExpiry { org, days } } => {
            let days = match days.as_str() {
                "off" => None,
                d => Some(d.parse::<u32>().context("DAYS must be a number from 30 to 365, or off")?),
            };
            let app = open(config).await?;
            app.set_password_expiry_by_operator(&org, days).await?;
            match days {
                Some(d) => say(&format!("Passwords in {org:?} now expire after {d} days.")),
                None => say(&format!("Passwords in {org:?} no longer expire.")),
            }
            Ok(())
        }
        Command::Org { command: OrgCommand::EmailOnlyResets { org, state } } => {
            let app = open(config).await?;
            let allowed = matches!(state, OnOff::On);
            app.set_email_only_resets_by_operator(&org, allowed).await?;
            let now = if allowed { "allowed (and flagged)" } else { "refused" };
            say(&format!("MFA resets verified by email only are now {now} in {org:?}."));
            Ok(())
        }
        Command::Org { command: OrgCommand::EmailCodes { org, state, roles } } => {
            let app = open(config).await?;
            let allowed = matches!(state, OnOff::On);
            app.set_email_codes_by_operator(&org, allowed, roles.as_deref()).await?;
            let now = if allowed { "allowed" } else { "not allowed" };
            say(&format!("Email codes as a second factor are now {now} in {org:?}."));
            Ok(())
        }
        Command::User { command: UserCommand::Add { org, email, role, name, password_stdin } } => {
            let password = password_stdin.then(read_password_from_stdin).transpose()?;
            let app = open(config).await?;
            let role = match role {
                RoleArg::Owner => Role::Owner,
                RoleArg::Admin => Role::Admin,
                RoleArg::Helpdesk => Role::HelpDesk,
                RoleArg::Member => Role::Member,
            };
            let created = app.add_user(&org, &email, name.as_deref(), role, password.as_deref()).await?;
            say(&format!("Added {email} to {org:?} as {}.", role.label()));
            if let Some(link) = created.set_password_link {
                say(&format!("Set-password link (valid 24 h, single use): {link}"));
            }
            Ok(())
        }
        Command::User { command: UserCommand::ResetPassword { org, email } } => {
            let app = open(config).await?;
            let link = app.reset_link_by_operator(&org, &email).await?;
            say(&format!("Password reset link for {email} (valid 60 minutes, single use): {link}"));
            Ok(())
        }
        Command::User { command: UserCommand::ResetMfa { org, email, reason } } => {
            let app = open(config).await?;
            let code = app.reset_mfa_by_operator(&org, &email, &reason).await?;
            say(&format!("MFA of {email} in {org:?} is reset; they were signed out everywhere and told by mail."));
            if let Some(code) = code {
                let minutes = app.access_code_ttl().as_secs() / 60;
                say(&format!(
                    "Temporary access code (works once, for {minutes} minutes; give it to them yourself, never by email): {code}"
                ));
            }
            Ok(())
        }
        Command::App { command } => app_command(open(config).await?, command).await,
        Command::Sso { command } => sso_command(open(config).await?, command).await,
        Command::Keys { command: KeysCommand::Rotate } => {
            let app = open(config).await?;
            let kids = app.rotate_signing_keys().await?;
            let minutes = tessera_server::signing_keys::PUBLISHED_AFTER_REPLACED.as_secs() / 60;
            say(&format!(
                "New signing keys {}; the replaced ones stay published for {minutes} minutes.",
                kids.join(", ")
            ));
            Ok(())
        }
        Command::Digest { command: DigestCommand::Send { org } } => {
            let app = open(config).await?;
            let sent = app.send_digest_now(&org).await?;
            let whom = if sent == 1 { "1 person".to_string() } else { format!("{sent} people") };
            say(&format!("The security digest of {org:?} is on its way to {whom}."));
            Ok(())
        }
    }
}

async fn sso_command(app: Arc<Tessera>, command: SsoCommand) -> anyhow::Result<()> {
    use tessera_server::sso::{ProviderForm, ProviderKind};
    match command {
        SsoCommand::Add { kind, client_id, client_secret_stdin: _, name, issuer, tenants } => {
            let kind = match kind {
                SsoKindArg::Google => ProviderKind::Google,
                SsoKindArg::Microsoft => ProviderKind::Microsoft,
                SsoKindArg::Oidc => ProviderKind::Oidc,
            };
            let client_secret = read_secret_from_stdin("client secret")?;
            let form = ProviderForm { kind: Some(kind), name, issuer, client_id, client_secret, tenants };
            let added = app.add_sso_provider_by_operator(&form).await?;
            say(&format!("Added {:?} ({}).", added.name, added.issuer));
        }
        SsoCommand::List => {
            let providers = app.sso_providers().await?;
            if providers.is_empty() {
                say("No sign-in providers yet.");
            }
            for p in providers {
                say(&format!("{}  ({}, issuer {}, client id {})", p.name, p.kind, p.issuer, p.client_id));
                if !p.tenants.is_empty() {
                    say(&format!("    tenants: {}", p.tenants.join(", ")));
                }
            }
        }
        SsoCommand::Remove { name } => {
            app.remove_sso_provider_by_operator(&name).await?;
            say(&format!("Removed {:?}: nobody signs in with it any more.", name.trim()));
        }
        SsoCommand::Allow { org, name, from } => {
            app.allow_sso_provider_by_operator(&org, &name, true, &from).await?;
            let only = match from.is_empty() {
                true => String::new(),
                false => format!(", with accounts from {} only", from.join(", ").to_lowercase()),
            };
            say(&format!(
                "People of {org:?} may now link {:?} to their accounts and sign in with it{only}.",
                name.trim()
            ));
        }
        SsoCommand::Disallow { org, name } => {
            app.allow_sso_provider_by_operator(&org, &name, false, &[]).await?;
            say(&format!("People of {org:?} no longer sign in with {:?}.", name.trim()));
        }
    }
    Ok(())
}

async fn app_command(app: Arc<Tessera>, command: AppCommand) -> anyhow::Result<()> {
    use tessera_server::applications::ApplicationForm;
    match command {
        AppCommand::Add { org, name, kind, redirect_uris, logout_uris, roles, require_mfa, es256 } => {
            let confidential = matches!(kind, AppKindArg::Confidential);
            let form = ApplicationForm { name, confidential, redirect_uris, logout_uris, roles, require_mfa, es256 };
            let registered = app.add_application_by_operator(&org, &form).await?;
            say(&format!("Registered {:?} in {org:?}.", form.name.trim()));
            say(&format!("Client id: {}", registered.client_id));
            match registered.client_secret {
                Some(secret) => say(&format!("Client secret (shown this once; keep it now): {secret}")),
                None => say("Public application: no client secret; it must use PKCE (S256)."),
            }
        }
        AppCommand::List { org } => {
            let apps = app.applications_by_operator(&org).await?;
            if apps.is_empty() {
                say(&format!("{org:?} has no applications yet."));
            }
            for a in apps {
                let kind = if a.confidential { "confidential" } else { "public" };
                let mfa = if a.require_mfa { ", requires MFA" } else { "" };
                say(&format!("{}  {}  ({kind}{mfa}, ID tokens {})", a.client_id, a.name, a.id_token_alg));
                for uri in &a.redirect_uris {
                    say(&format!("    redirect URI: {uri}"));
                }
                for uri in &a.logout_uris {
                    say(&format!("    after sign-out: {uri}"));
                }
            }
        }
        AppCommand::RotateSecret { org, client_id } => {
            let secret = app.rotate_client_secret_by_operator(&org, &client_id).await?;
            say(&format!("New client secret (shown this once; the old one no longer works): {secret}"));
        }
        AppCommand::Remove { org, client_id } => {
            let name = app.remove_application_by_operator(&org, &client_id).await?;
            say(&format!("Removed {name:?} from {org:?}."));
        }
    }
    Ok(())
}

async fn serve(options: leptos::config::LeptosOptions, config: Config) -> anyhow::Result<()> {
    let addr = options.site_addr;
    // The address first: if it is taken, nothing is created, printed or revoked (a setup link
    // printed by a server that then fails would lead nowhere).
    let listener = listen(addr, "TESSERA_ADDR").await;
    let metrics = match std::env::var("TESSERA_METRICS_ADDR").ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            let at: SocketAddr = v
                .trim()
                .parse()
                .with_context(|| format!("TESSERA_METRICS_ADDR={v:?} is not an address like 127.0.0.1:9300"))?;
            Some((listen(at, "TESSERA_METRICS_ADDR").await, install_metrics()?))
        }
        None => None,
    };
    if config.insecure_remote_base_url() {
        tracing::warn!(
            base_url = %config.base_url,
            "TESSERA_BASE_URL is plain http on a non-loopback host: cookies are not Secure. Use https."
        );
    }
    // Every server function must be in the access table, and the table must name only real ones.
    app::http::check_server_fns().map_err(anyhow::Error::msg)?;
    let app = open(config).await?;
    app.ensure_signing_keys().await?;
    if let Some(link) = app.setup_link_if_empty().await? {
        say(&format!(
            "No organisation yet. Open this one-time setup link (valid 24 h) to create the first one:\n  {link}"
        ));
    }
    let purger = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = purger.purge_expired_sessions().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            if let Err(e) = purger.purge_expired_grants().await {
                tracing::warn!(error = %e, "could not purge expired application tokens");
            }
            if let Err(e) = purger.purge_expired_sso_flows().await {
                tracing::warn!(error = %e, "could not purge expired sign-ins at providers");
            }
            if let Err(e) = purger.purge_idle_limits().await {
                tracing::warn!(error = %e, "could not purge idle per-IP limits");
            }
        }
    });
    // Reminders and other mail Tessera sends on its own; the database keeps instances from
    // sending the same mail twice.
    tessera_server::scheduled_mail::spawn(app.clone(), app.config.schedule_every);
    if let Some((listener, handle)) = metrics {
        serve_metrics(listener, handle, app.clone());
    }
    let drain = app.config.drain;
    let draining = app.clone();
    let router = app::http::router(app::http::AppState::new(app, options));
    tracing::info!(%addr, "Tessera is listening");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown().await;
            // Not ready from now on, still serving for `drain` so the load balancer notices;
            // then the listener closes and the requests in flight finish.
            draining.start_draining();
            if !drain.is_zero() {
                tracing::info!(seconds = drain.as_secs(), "draining before the listener closes");
                tokio::time::sleep(drain).await;
            }
        })
        .await?;
    tracing::info!("every request in flight was answered; stopped");
    Ok(())
}

/// The listener on `addr`, or one plain line naming `setting` and exit status 1.
async fn listen(addr: SocketAddr, setting: &str) -> tokio::net::TcpListener {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", cannot_listen(addr, setting, &e));
            std::process::exit(1);
        }
    }
}

/// Keeps what `tessera_server::telemetry` counts, from now on, for `/metrics`.
fn install_metrics() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Histograms as buckets (which Prometheus can aggregate across instances), from 1 ms to 10 s.
    const SECONDS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .install_recorder()?;
    tessera_server::telemetry::describe();
    Ok(handle)
}

/// `/metrics` in Prometheus's text format, on its own address (never the public one).
fn serve_metrics(
    listener: tokio::net::TcpListener,
    handle: metrics_exporter_prometheus::PrometheusHandle,
    app: Arc<Tessera>,
) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let render = move || {
        let handle = handle.clone();
        let store = app.store.clone();
        async move {
            tessera_server::telemetry::db_connections(store.connections_in_use());
            ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render())
        }
    };
    let router = axum::Router::new().route("/metrics", axum::routing::get(render));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
