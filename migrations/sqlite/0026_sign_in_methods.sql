-- A session opened by a sign-in provider rather than a password: the organisation's password
-- expiry is about passwords, so it does not stop such a session (it carries over when the
-- session is renewed at the second factor).
ALTER TABLE sessions ADD COLUMN via_provider BOOLEAN NOT NULL DEFAULT FALSE;

-- Settings -> Sign-in methods: where an organisation lets a provider's accounts come from (Google:
-- the Workspace domain, its `hd`; Microsoft: the tenant id; another provider: the domain of a
-- verified address), space-separated; empty: any account the provider signs in.
ALTER TABLE sso_org_providers ADD COLUMN accounts_from TEXT NOT NULL DEFAULT '';
-- What the provider's own MFA counts for: 'always' ask Tessera's second factor after it (the
-- default), skip it 'when-proven' by the ID token's amr/acr, or 'never' ask it.
ALTER TABLE sso_org_providers ADD COLUMN mfa TEXT NOT NULL DEFAULT 'always'
    CHECK (mfa IN ('always', 'when-proven', 'never'));
-- "Trust the provider's verified email for addresses at DOMAIN": a provider account whose
-- address the provider verified at one of these domains links itself, at its first sign-in, to
-- the Tessera account of that address (space-separated; empty: never).
ALTER TABLE sso_org_providers ADD COLUMN trust_email_from TEXT NOT NULL DEFAULT '';
-- "Create accounts for new people from DOMAIN": a provider account whose address the provider
-- verified at one of these domains, and that no Tessera account has, becomes a new member
-- (role Member) at its first sign-in (space-separated; empty: never).
ALTER TABLE sso_org_providers ADD COLUMN create_from TEXT NOT NULL DEFAULT '';

-- Settings -> Sign-in methods, "Require sign-in with a provider for everyone but the owners": a
-- password alone then signs in only the owners (who keep a way in if a provider fails).
ALTER TABLE organisations ADD COLUMN sso_required BOOLEAN NOT NULL DEFAULT FALSE;
