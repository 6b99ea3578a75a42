// A small web application that signs its people in with Tessera, as the organisation's own
// applications do: built on the npm `openid-client` package (a certified relying-party library),
// so what it accepts is what a standard application accepts. The end-to-end suite starts one per
// test (see end2end/pages/DemoApp.ts); the README shows how to run it by hand.
//
//   TESSERA_URL=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... PORT=4000 \
//     node end2end/demo-app/server.mjs
//
// Pages: `/` (who is signed in, with the verified claims), `/login` (off to Tessera),
// `/callback` (back from Tessera: code exchanged, ID token verified, userinfo fetched) and
// `/logout` (signs out here and at Tessera, RP-initiated logout).

import * as http from 'node:http';
import * as crypto from 'node:crypto';
import * as client from 'openid-client';

const issuer = new URL(process.env.TESSERA_URL ?? 'http://127.0.0.1:3000');
const port = Number(process.env.PORT ?? 4000);
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const here = `http://127.0.0.1:${port}`;
const redirectUri = `${here}/callback`;
if (!clientId) {
  console.error('CLIENT_ID is required (tessera app add prints it)');
  process.exit(2);
}

// Plain http is for a Tessera on this machine only (as Tessera itself allows).
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, clientId, clientSecret, undefined, insecure);

/** Sessions of this application, by cookie: what a sign-in in progress must check, then who. */
const sessions = new Map();

function session(req, res) {
  const id = /(?:^|;\s*)demo_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = crypto.randomUUID();
  sessions.set(fresh, {});
  res.setHeader('Set-Cookie', `demo_session=${fresh}; Path=/; HttpOnly; SameSite=Lax`);
  return sessions.get(fresh);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
    `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

function redirect(res, to) {
  res.writeHead(303, { Location: to.toString() });
  res.end();
}

async function handle(req, res) {
  const url = new URL(req.url, here);
  const s = session(req, res);
  if (url.pathname === '/') {
    if (!s.claims) {
      return page(res, 200, 'Demo application', '<p id="status">You are not signed in.</p><p><a href="/login">Sign in with Tessera</a></p>');
    }
    const c = s.claims;
    return page(res, 200, 'Demo application',
      `<p id="status">Signed in as <strong id="email">${escape(c.email ?? c.sub)}</strong></p>` +
      `<dl><dt>Name</dt><dd id="name">${escape(c.name ?? '')}</dd>` +
      `<dt>Role</dt><dd id="groups">${escape((c.groups ?? []).join(', '))}</dd>` +
      `<dt>How</dt><dd id="amr">${escape((c.amr ?? []).join(' '))}</dd>` +
      `<dt>Assurance</dt><dd id="acr">${escape(c.acr ?? '')}</dd>` +
      `<dt>Userinfo</dt><dd id="userinfo">${escape(s.userinfo?.email ?? '')}</dd></dl>` +
      `<p><a href="/logout">Sign out</a></p>`);
  }
  if (url.pathname === '/login') {
    s.verifier = client.randomPKCECodeVerifier();
    s.state = client.randomState();
    s.nonce = client.randomNonce();
    const to = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(s.verifier),
      code_challenge_method: 'S256',
      state: s.state,
      nonce: s.nonce,
    });
    return redirect(res, to);
  }
  if (url.pathname === '/callback') {
    if (url.searchParams.has('error')) {
      const error = url.searchParams.get('error');
      return page(res, 200, 'Demo application', `<p id="status">Tessera said no: <code id="error">${escape(error)}</code></p><p><a href="/login">Try again</a></p>`);
    }
    const tokens = await client.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: s.verifier,
      expectedState: s.state,
      expectedNonce: s.nonce,
      idTokenExpected: true,
    });
    s.claims = tokens.claims();
    s.idToken = tokens.id_token;
    s.userinfo = await client.fetchUserInfo(config, tokens.access_token, s.claims.sub);
    delete s.verifier;
    delete s.state;
    delete s.nonce;
    return redirect(res, '/');
  }
  if (url.pathname === '/logout') {
    const idToken = s.idToken;
    s.claims = undefined;
    s.idToken = undefined;
    if (!idToken) return redirect(res, '/');
    return redirect(res, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${here}/` }));
  }
  page(res, 404, 'Not found', '<p>Nothing here.</p>');
}

http
  .createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error(e);
      page(res, 500, 'Demo application', `<p id="status">Sign-in failed: <code id="error">${escape(e.message)}</code></p>`);
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`demo application on ${here}, signing in with ${issuer}`));
