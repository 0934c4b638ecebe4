// A real OpenID Connect provider for legisflow's tests: oidc-provider (OpenID-certified) on
// loopback, with its development login and consent pages (any login name signs in as that
// subject, as an agency's identity provider would say who the person is).
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// Prints "ready ISSUER" on stdout once it listens.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  // The subject is the login typed on the development login page.
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, preferred_username: sub };
      },
    };
  },
  claims: { openid: ["sub"], profile: ["preferred_username"] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // Loopback over http is the test's network; nothing leaves the machine.
  cookies: { keys: ["legisflow-test-only"] },
});
provider.proxy = false;

provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
