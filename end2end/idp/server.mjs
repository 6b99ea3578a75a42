// A real OpenID Connect provider for the browser tests (the npm `oidc-provider`
// package, with its development login and consent pages), standing in for
// Google or another provider people sign in to Tessera with.
//
// Any login name signs in; two are special: `twin` has bob's address but
// unverified. PORT, REDIRECT_URI (Tessera's /sso/callback), CLIENT_SECRET and
// BOB_EMAIL come from the environment (end2end/pages/Idp.ts starts it).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

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
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: id !== 'twin', name: id };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['the-test-provider-cookie-key'] },
  pkce: { required: () => true },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`identity provider on ${issuer}`);
});
