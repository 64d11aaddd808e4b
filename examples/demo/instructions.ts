/**
 * The text the demo prints: where it runs, who can log in, and shell lines for each seed's
 * flow. Every line is meant to be pasted as is; test/e2e/demo.test.ts runs them all with the
 * real curl and checks the answer each comment announces ("(expect 200)").
 */
import type { Provisioned } from "./provision.js";
import { ADMIN_USER, DEMO_USER, METERED_CREDITS, TEAM_OWNER } from "./provision.js";

/** Single-quotes a value for a POSIX shell. */
function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Reads one field of the JSON on stdin (`json access_token`); node is there, jq may not be. */
const JSON_HELPER =
  'json() { node -e \'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))\' "$1"; }';

export interface PrintContext {
  baseUrl: string;
  provisioned: Provisioned;
  /** The CLI invocation and the store URL, for the CLI lines. */
  cli: string;
  store: string;
}

export const SHELL_START = "----- paste into bash or zsh -----";
export const SHELL_END = "----- end -----";

export function instructions({ baseUrl, provisioned, cli, store }: PrintContext): string {
  const { passwords, apiKey, client, meteredKey } = provisioned;
  const shell = [
    `BASE=${sh(baseUrl)}`,
    `KEY=${sh(apiKey)}`,
    `CLIENT_ID=${sh(client.id)}`,
    `CLIENT_SECRET=${sh(client.secret)}`,
    `METERED_KEY=${sh(meteredKey)}`,
    `PASSWORD=${sh(passwords.demo)}`,
    `ADMIN_PASSWORD=${sh(passwords.admin)}`,
    // Ends each answer with its status, so the output reads against the "(expect …)" notes.
    `SHOW=' (HTTP %{http_code})\\n'`,
    JSON_HELPER,
    "",
    "# 1. An API key in X-API-Key on a protected route, FastAPI-template style (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $KEY"`,
    "# 2. The same key in Barbell's x-api-auth header (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "x-api-auth: $KEY"`,
    "# 3. JWT first: a bad Bearer token decides alone, even beside a good key (expect 401)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "Authorization: Bearer not.a.token" -H "X-API-Key: $KEY"`,
    "# 4. Medrunner: the key is a refresh token; exchange it for an access token (sets TOKEN)",
    `TOKEN=$(curl -s "$BASE/auth/token" -d grant_type=refresh_token -d "refresh_token=$KEY" | json access_token)`,
    "#    ...and call with the short-lived Bearer token (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "Authorization: Bearer $TOKEN"`,
    "# 5. Client credentials for the service client, HTTP Basic (expect 200)",
    `curl -s -w "$SHOW" -u "$CLIENT_ID:$CLIENT_SECRET" "$BASE/auth/token" -d grant_type=client_credentials`,
    "# 6. Run:ai: the JSON app_token shape answers { accessToken } (sets APP_TOKEN)",
    `APP_TOKEN=$(curl -s "$BASE/auth/token" -H "Content-Type: application/json" -d "{\\"grantType\\":\\"app_token\\",\\"AppId\\":\\"$CLIENT_ID\\",\\"AppSecret\\":\\"$CLIENT_SECRET\\"}" | json accessToken)`,
    "#    ...used as a Bearer token (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "Authorization: Bearer $APP_TOKEN"`,
    "# 7. Trivial: the client key itself as a Bearer token (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "Authorization: Bearer $CLIENT_SECRET"`,
    "# 8. Barbell: password login; the token comes back as an HttpOnly cookie (expect 200)",
    `curl -s -w "$SHOW" -c cookies.txt "$BASE/auth/token" -d grant_type=password -d username=${DEMO_USER} -d "password=$PASSWORD" -d cookie=1`,
    "#    ...and the cookie alone authenticates (expect 200)",
    `curl -s -w "$SHOW" -b cookies.txt "$BASE/api/me"`,
    "# 9. FastAPI: list your keys, GET /users/keys (expect 200)",
    `curl -s -w "$SHOW" -b cookies.txt "$BASE/users/keys"`,
    "# 10. Create a key; a cookie POST must pass the CSRF rule, so send your Origin (sets NEW_KEY)",
    `NEW_KEY=$(curl -s -b cookies.txt -H "Origin: $BASE" -H "Content-Type: application/json" -d '{"name":"made with curl","scopes":["reports:read"]}' "$BASE/users/keys" | json key)`,
    "#     ...it works at once (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $NEW_KEY"`,
    "#     ...revoke it: DELETE /users/keys/<id>, the id being the part after the prefix (expect 204)",
    `curl -s -w "$SHOW" -b cookies.txt -H "Origin: $BASE" -X DELETE "$BASE/users/keys/$(echo "$NEW_KEY" | cut -d_ -f2)"`,
    "#     ...and it is refused from now on (expect 401)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $NEW_KEY"`,
    "# 11. Admin: a password grant without the cookie answers JSON (sets ADMIN_TOKEN)",
    `ADMIN_TOKEN=$(curl -s "$BASE/auth/token" -d grant_type=password -d username=${ADMIN_USER} -d "password=$ADMIN_PASSWORD" | json access_token)`,
    `#     ...and lists another user's keys, GET /users/keys/by-user/${DEMO_USER} (expect 200)`,
    `curl -s -w "$SHOW" "$BASE/users/keys/by-user/${DEMO_USER}" -H "Authorization: Bearer $ADMIN_TOKEN"`,
    "# 12. The same keys from the CLI, straight from the store (expect exit 0)",
    `${cli} keys list --owner ${DEMO_USER} --store ${sh(store)}`,
    `# 13. Team keys: ${DEMO_USER} creates a key owned by the team, POST /teams/keys (sets TEAM_KEY)`,
    `TEAM_KEY=$(curl -s -b cookies.txt -H "Origin: $BASE" -H "Content-Type: application/json" -d '{"name":"team deploy","scopes":["reports:read"]}' "$BASE/teams/keys" | json key)`,
    `#     ...it authenticates as the team, ${TEAM_OWNER} (expect 200)`,
    `curl -s -w "$SHOW" "$BASE/api/me" -H "X-API-Key: $TEAM_KEY"`,
    `#     ...and ${ADMIN_USER}, a member too, lists the team's keys (expect 200)`,
    `curl -s -w "$SHOW" "$BASE/teams/keys" -H "Authorization: Bearer $ADMIN_TOKEN"`,
    '# 14. Rotate it; the old key keeps working for an hour, {"overlap":3600} (sets ROTATED_KEY)',
    `ROTATED_KEY=$(curl -s -b cookies.txt -H "Origin: $BASE" -H "Content-Type: application/json" -d '{"overlap":3600}' "$BASE/teams/keys/$(echo "$TEAM_KEY" | cut -d_ -f2)/rotate" | json key)`,
    "#     ...the new key works (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $ROTATED_KEY"`,
    "#     ...and so does the old one, until its expiresAt, the end of the overlap (expect 200)",
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $TEAM_KEY"`,
    "#     ...an overlap above the 7-day maximum is refused (expect 400)",
    `curl -s -w "$SHOW" -b cookies.txt -H "Origin: $BASE" -H "Content-Type: application/json" -d '{"overlap":9999999}' "$BASE/teams/keys/$(echo "$ROTATED_KEY" | cut -d_ -f2)/rotate"`,
    `# 15. Usage credits: METERED_KEY has ${METERED_CREDITS} requests a day, and this one spends one (expect 200)`,
    `curl -s -w "$SHOW" "$BASE/api/reports" -H "X-API-Key: $METERED_KEY"`,
    "#     ...its record says what is left: credits.remaining, credits.refill (expect 200)",
    `curl -s -w "$SHOW" -b cookies.txt "$BASE/users/keys/$(echo "$METERED_KEY" | cut -d_ -f2)"`,
  ];

  return [
    "",
    `gatehouse demo: ${baseUrl}`,
    "",
    `  Key-management page  ${baseUrl}/`,
    "  Log in as (passwords are new at every start; only argon2id hashes are kept):",
    `    ${DEMO_USER.padEnd(6)} ${passwords.demo}`,
    `    ${ADMIN_USER.padEnd(6)} ${passwords.admin}   (role admin: sees every user's keys)`,
    "",
    "  The API keys and client secret below are shown only now; each start issues new ones.",
    "",
    SHELL_START,
    ...shell,
    SHELL_END,
    "",
    "Ctrl-C stops the demo (last-used times are flushed); `npm run demo -- --reset` starts over.",
    "",
  ].join("\n");
}
