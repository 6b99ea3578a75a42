// A real OpenID Connect provider for the browser tests (the npm `oidc-provider`
// package, with its development login and consent pages), standing in for
// Google, Microsoft or another provider people sign in to Tessera with.
//
// Any login name signs in; two are special: `twin` has bob's address but
// unverified. PORT, REDIRECT_URI (Tessera's /sso/callback), CLIENT_SECRET and
// BOB_EMAIL come from the environment (end2end/pages/Idp.ts starts it).
//
// With TENANT (a Microsoft tenant id) it poses as Microsoft's endpoint for
// several tenants: it is mounted at /TENANT/v2.0 (its issuer), its metadata is
// also served at /organizations/v2.0 naming the issuer as the template
// /{tenantid}/v2.0, and its ID tokens carry `tid` and `oid`. The login
// `stranger` belongs to another tenant (its `tid` is not this issuer's).
//
// With HD (a domain) it poses as Google: its ID tokens carry `hd` (a Workspace
// account's domain), except for the login `personal` (a personal account).
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const origin = `http://127.0.0.1:${port}`;
const tenant = process.env.TENANT;
const prefix = tenant ? `/${tenant}/v2.0` : '';
const issuer = `${origin}${prefix}`;
const OTHER_TENANT = '11111111-2222-3333-4444-555555555555';
const hd = process.env.HD;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'tessera',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  async findAccount(_ctx, id) {
    const email = id === 'bob' || id === 'twin' ? process.env.BOB_EMAIL : `${id}@idp.example`;
    const microsoft = tenant ? { tid: id === 'stranger' ? OTHER_TENANT : tenant, oid: `object-of-${id}` } : {};
    const google = hd && id !== 'personal' ? { hd } : {};
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: id !== 'twin', name: id, ...microsoft, ...google };
      },
    };
  },
  claims: {
    openid: tenant ? ['sub', 'tid', 'oid'] : hd ? ['sub', 'hd'] : ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Microsoft and Google put their claims in the ID token itself.
  conformIdTokenClaims: !tenant && !hd,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['the-test-provider-cookie-key'] },
  pkce: { required: () => true },
});

const handle = provider.callback();
http
  .createServer(async (req, res) => {
    if (tenant && req.url.startsWith('/organizations/v2.0/.well-known/openid-configuration')) {
      const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      metadata.issuer = `${origin}/{tenantid}/v2.0`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(metadata));
      return;
    }
    if (prefix && req.url.startsWith(prefix)) {
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
    }
    handle(req, res);
  })
  .listen(port, '127.0.0.1', () => {
    console.log(`identity provider on ${issuer}`);
  });
