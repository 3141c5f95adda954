// A real OpenID Connect provider for the single sign-on tests (tests/test_single_sign_on.py): oidc-provider
// over HTTPS on a loopback port, with one confidential client (the app under test) that must use PKCE, and
// oidc-provider's development sign-in pages (any login name is the account; its e-mail claim is that name,
// its surveys_role claim what the test asked for). Started by the tests; prints "ready" once it listens.
//
//   node provider.mjs PORT CERT KEY REDIRECT_URI CLIENT_SECRET [ROLE]
import { readFileSync } from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

const [port, certFile, keyFile, redirectUri, clientSecret, role] = process.argv.slice(2);

const provider = new Provider(`https://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'surveys',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], surveys: ['surveys_role'] },
  scopes: ['openid', 'email', 'surveys'],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, ...(role ? { surveys_role: role } : {}) };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['surveys-test-provider-cookies'] },
});

https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, provider.callback())
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
