#!/usr/bin/env node
// A real, certified OpenID Provider (the oidc-provider package) for the login tests, with its
// development-only login and consent pages: any login name is accepted (sub = that name).
//
//   node t/helpers/op/provider.js --port 1995 [--clients FILE | --clients-json JSON]
//                                 [--cert FILE --key FILE] [--jwks FILE] [--access-ttl SECONDS]
//
// --port (or $OP_PORT; 0 = any free port) on 127.0.0.1; the issuer is http://127.0.0.1:<port>,
// or https://... with --cert/--key (PEM). Clients: a JSON array of
//   {"client_id", "client_secret", "redirect_uris": [...],
//    "token_endpoint_auth_method": "client_secret_basic" | "client_secret_post"}
// (grant_types default to authorization_code + refresh_token, response_types to code).
// ID tokens are RS256, signed with a key generated at start, or with the private keys of the
// JWKS in --jwks. PKCE (S256) is required. Prints "ready <issuer>" once listening; exits on
// SIGTERM/SIGINT, or when its parent process is gone.
'use strict';

const parent = process.ppid;   // read first: key generation takes a while

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument: ${argv[i]}`);
    o[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  return o;
}

function loadClients(args) {
  let list;
  if (args['clients-json']) list = JSON.parse(args['clients-json']);
  else if (args.clients) list = JSON.parse(fs.readFileSync(args.clients, 'utf8'));
  else if (process.env.OP_CLIENTS) list = JSON.parse(process.env.OP_CLIENTS);
  else throw new Error('no clients: give --clients FILE or --clients-json JSON');
  return list.map((c) => ({
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  }));
}

function signingKeys(args) {
  if (args.jwks) return JSON.parse(fs.readFileSync(args.jwks, 'utf8'));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: `op-${crypto.randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' }] };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const port = Number(args.port ?? process.env.OP_PORT ?? 0);
  const tls = args.cert && args.key;
  const clients = loadClients(args);
  const jwks = signingKeys(args);

  // Listen first, so that port 0 works: the issuer needs the real port.
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) })
    : http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;

  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients,
    jwks,
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: true },
      // RP-Initiated Logout (end_session_endpoint) is on by default; Back-Channel Logout lets
      // the provider tell nginx about a logout it handled (clients register
      // backchannel_logout_uri). The ID tokens carry `sid` for it.
      backchannelLogout: { enabled: true },
      // token revocation (RFC 7009): a test revokes a refresh token behind nginx's back
      revocation: { enabled: true },
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // the ID token itself carries the scopes' claims (not only the userinfo endpoint)
    conformIdTokenClaims: false,
    // PKCE: required for every client by default; S256 only.
    pkce: { methods: ['S256'] },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` };
        },
      };
    },
    // offline_access is honoured without prompt=consent, so refresh tokens can be tested too
    async issueRefreshToken(ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
    // every refresh gets a new refresh token and retires the old one (one use each)
    rotateRefreshToken: true,
    ttl: {
      AccessToken: Number(args['access-ttl'] ?? 300),
      AuthorizationCode: 60,
      IdToken: 300,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
      RefreshToken: 3600,
    },
  });

  // The dev pages import a web font from the internet: drop that so a browser test stays on
  // the loopback interface.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.response.is('html')) {
      ctx.body = ctx.body.replace(/@import url\([^)]*\);/g, '');
    }
  });
  provider.on('server_error', (ctx, err) => console.error('op server_error:', err));
  // one line per token grant in the log, so tests can count refreshes
  provider.on('grant.success', (ctx) => {
    console.error(`op grant.success ${ctx.oidc.params.grant_type} ${ctx.oidc.client?.clientId}`);
  });
  provider.on('grant.error', (ctx, err) => {
    console.error(`op grant.error ${ctx.oidc.params?.grant_type} ${err.error || err.message}`);
  });

  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
}

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
// and when the process that started it is gone (a test killed before it could stop us)
setInterval(() => {
  try { process.kill(parent, 0); } catch { process.exit(0); }
}, 1000).unref();

main().catch((err) => {
  console.error(`provider: ${err.stack || err}`);
  process.exit(1);
});
