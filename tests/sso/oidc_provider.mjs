// A real OpenID Provider for the browser tests: the npm `oidc-provider` (pinned in package.json),
// with its development sign-in pages, where any login and password sign in. The login is used as
// the person's email address; `stranger-` logins get an unverified one.
// Env: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI. Prints "ready <issuer>".
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: `Person ${id.split('@')[0]}` };
      },
    };
  },
  cookies: { keys: ['test-only-cookie-key'] },
});
// Plain http on 127.0.0.1 only: the provider refuses insecure redirect URIs for web clients.
provider.proxy = false;
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
