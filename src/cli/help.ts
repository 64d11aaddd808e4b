/** The `--help` texts, one per command, kept together so they read as one manual. */

const STORE_HELP = `Store options:
  --store <url>     sqlite:<path>[?table=t] (default sqlite:./gatehouse.db),
                    postgres://…[?schema=s&table=t], redis://…[?prefix=p];
                    or set GATEHOUSE_STORE
  --prefix <p>      key prefix of this deployment (default gatehouse; or
                    GATEHOUSE_KEY_PREFIX)
  --environment <e> test or live: the environment of keys this command issues
                    (default none; or GATEHOUSE_KEY_ENVIRONMENT)
  --json            machine-readable output
  -h, --help        this help

Environment:
  GATEHOUSE_STORE, GATEHOUSE_KEY_PREFIX   as --store, --prefix
  GATEHOUSE_KEY_ENVIRONMENT               as --environment
  GATEHOUSE_STORE_TIMEOUT                 ms to wait for the store (default 5000)
  GATEHOUSE_HMAC_PEPPER[_ID]              hash new keys with HMAC-SHA256 (for servers
                                          using hmacSha256Hasher) instead of argon2id`;

export const MAIN_HELP = `gatehouse — manage API keys and signing secrets

Usage:
  gatehouse keys <command> [options]   create, list, get, disable, enable, rotate, revoke
  gatehouse secret [--json]            a fresh 256-bit HS256 secret (base64url)
  gatehouse jwk --alg <alg> [--json]   a signing key pair: ES256, EdDSA or RS256

Exit codes: 0 ok, 1 usage error, 2 not found, 3 store unavailable.
Run 'gatehouse <command> --help' for a command's options.`;

export const KEYS_HELP = `Usage: gatehouse keys <command> [options]

Commands:
  create --owner <id> --name <n> [--owner-type user|org|service] [--scopes a,b]
         [--roles r] [--expires 30d|2027-01-01]
                          issue a key; it is printed once and never again
  list --owner <id>       the owner's keys
  get <id>                one key
  disable <id>            stop a key (reversible: enable it again)
  enable <id>             start a disabled key again
  rotate <id> [--overlap 1h]
                          issue a replacement with the same settings; the old key stops
                          at once, or after the overlap
  revoke <id>             delete a key for good; it stops working at once

${STORE_HELP}`;

export type KeysSubcommand = "create" | "list" | "get" | "disable" | "enable" | "rotate" | "revoke";

export const KEYS_SUBCOMMAND_HELP: Record<KeysSubcommand, string> = {
  create: `Usage: gatehouse keys create --owner <id> --name <name> [options]

Issues an API key and prints it on stdout, once: only its hash is stored.
  --owner <id>            who the key acts for (required)
  --owner-type <t>        user (default), org or service (service keys serve client_credentials)
  --name <name>           a label for people (required)
  --scopes a,b            scopes the key carries
  --roles r1,r2           roles the key carries
  --expires <when>        a span from now (30d, 12h) or a date (2027-01-01, UTC)

${STORE_HELP}`,
  list: `Usage: gatehouse keys list --owner <id> [options]

Lists the owner's keys, oldest first: id, name, status, scopes, roles, dates.

${STORE_HELP}`,
  get: `Usage: gatehouse keys get <id> [options]

Shows one key by its id (the part after the prefix). Exit code 2 when there is none.

${STORE_HELP}`,
  disable: `Usage: gatehouse keys disable <id> [options]

Stops a key at once; 'gatehouse keys enable <id>' starts it again.

${STORE_HELP}`,
  enable: `Usage: gatehouse keys enable <id> [options]

Starts a disabled key again. An expired key stays expired.

${STORE_HELP}`,
  rotate: `Usage: gatehouse keys rotate <id> [--overlap <span>] [options]

Issues a new key with the same owner, name, scopes, roles and expiry, prints it once, and
retires the old one: at once (default), or after --overlap (e.g. 1h) so clients can switch.

${STORE_HELP}`,
  revoke: `Usage: gatehouse keys revoke <id> [options]

Deletes the key's record: the key stops working at once and cannot be restored.
To stop a key reversibly, use 'gatehouse keys disable <id>'.

${STORE_HELP}`,
};

export const SECRET_HELP = `Usage: gatehouse secret [--json]

Prints a fresh random 256-bit secret, base64url-encoded, for jwt.secret with HS256.`;

export const JWK_HELP = `Usage: gatehouse jwk --alg ES256|EdDSA|RS256 [--kid <id>] [--json]

Prints a new private JWK (for jwt.privateKey; keep it secret) and the public JWKS that
verifiers use (jwt.jwks, or serve it). The kid defaults to the key's RFC 7638 thumbprint.`;
