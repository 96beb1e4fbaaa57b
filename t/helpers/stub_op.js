#!/usr/bin/env node
// A stub OpenID Provider for the faults a real one will not produce on demand: ID tokens that
// are wrong in one precise way, token endpoint failures, an issuer mix-up, key rotation. Node
// core only.
//
//   node t/helpers/stub_op.js [--port N]        ($STUB_OP_PORT; default 0 = any free port)
//
// Listens on 127.0.0.1 and prints "ready <origin>". Endpoints:
//   GET  /.well-known/openid-configuration  issuer = the origin (or a wrong one, steered)
//   GET  /jwks                              the current public key (jwks_mode=500: a 500)
//   GET  /authorize                         records the query; redirects to redirect_uri with
//                                           code=<next_code> (default "ok"), the same state, and
//                                           iss when steered
//   POST /token                             records method, headers and body; the code picks the
//                                           answer (SCENARIOS and FAULTS below)
//   GET  /userinfo                          {"sub":"stub-user",...}
// Steering (answers with the resulting state as JSON):
//   GET /stub/control?issuer_mismatch=1|0   discovery names another issuer
//                    &iss_param=1|0|wrong   authorize adds iss=<issuer> (or a wrong one)
//                    &rotate=1              serve and sign with the second key from now on
//                    &jwks_mode=ok|500
//                    &nonce=VALUE           the nonce put in ID tokens
//                    &auth_methods=a,b      token_endpoint_auth_methods_supported
//                    &next_code=SCENARIO    the code /authorize hands out
//   GET /stub/last-token-request            {"method","headers","body","form"} of the last /token
//   GET /stub/last-authorize                {"query": {...}} of the last /authorize
//   GET /stub/count                         {"discovery":n,"jwks":n,"authorize":n,"token":n,...}
//   GET /stub/reset                         everything back to the defaults (keys: the first)
// Exits on SIGTERM/SIGINT, or when its parent process is gone.
'use strict';

const parent = process.ppid;   // read first: key generation takes a while

const crypto = require('node:crypto');
const http = require('node:http');

const DEFAULT_NONCE = 'test-nonce-0123456789';
const WRONG_ISSUER = 'http://127.0.0.1:9/not-the-issuer';
const DEFAULT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

function rsaKey(kid) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

// key 1 and key 2 are published (one at a time, see rotate); the stranger never is.
const KEYS = [rsaKey('stub-key-1'), rsaKey('stub-key-2')];
const STRANGER = rsaKey('stub-key-unknown');

let state;
function reset() {
  state = {
    issuer_mismatch: false,
    iss_param: '0',
    key: 0,
    jwks_mode: 'ok',
    nonce: DEFAULT_NONCE,
    auth_methods: DEFAULT_AUTH_METHODS.slice(),
    next_code: 'ok',
    counts: { discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, other: 0 },
    last_token_request: null,
    last_authorize: null,
  };
}
reset();

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function jwt(header, claims, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (!key) return `${input}.`;
  return `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), key))}`;
}

// The ID token for a scenario: "ok" or one precise defect.
function idToken(scenario, origin, clientId) {
  const now = Math.floor(Date.now() / 1000);
  const key = KEYS[state.key];
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid };
  const claims = {
    iss: origin, sub: 'stub-user', aud: clientId, email: 'stub-user@example.test',
    email_verified: true, iat: now, exp: now + 300, nonce: state.nonce,
  };
  let signer = key.privateKey;
  switch (scenario) {
    case 'ok': break;
    case 'bad-sig': {
      const t = jwt(header, claims, signer);
      const [h, p, s] = t.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length >> 1] ^= 0x01;
      return `${h}.${p}.${b64url(sig)}`;
    }
    case 'wrong-iss': claims.iss = WRONG_ISSUER; break;
    case 'wrong-aud': claims.aud = 'someone-else'; break;
    case 'multi-aud-no-azp': claims.aud = [clientId, 'other-client']; break;
    case 'azp-mismatch': claims.aud = [clientId, 'other-client']; claims.azp = 'other-client'; break;
    case 'expired': claims.iat = now - 900; claims.exp = now - 600; break;
    case 'no-iat': delete claims.iat; break;
    case 'no-sub': delete claims.sub; break;
    case 'wrong-nonce': claims.nonce = 'wrong-nonce-9876543210'; break;
    case 'alg-none': header.alg = 'none'; delete header.kid; signer = null; break;
    case 'unknown-kid': header.kid = STRANGER.kid; signer = STRANGER.privateKey; break;
    default: return null;
  }
  return jwt(header, claims, signer);
}

function send(res, status, body, type = 'application/json', extra = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text),
                          'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

function clientOf(req, form) {
  const m = /^Basic\s+(\S+)/i.exec(req.headers.authorization || '');
  if (m) {
    const [id] = Buffer.from(m[1], 'base64').toString().split(':');
    return decodeURIComponent(id.replace(/\+/g, ' '));
  }
  return form.client_id || '';
}

function token(req, res, body, origin) {
  const form = Object.fromEntries(new URLSearchParams(body));
  state.last_token_request = { method: req.method, url: req.url, headers: req.headers, body, form };
  if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request' });
  const code = form.code || '';
  switch (code) {
    case 'error400': return send(res, 400, { error: 'invalid_grant' });
    case 'status500': return send(res, 500, 'token endpoint down\n', 'text/plain');
    case 'garbage': return send(res, 200, '{"access_token":"at","token_type":"Bearer","id_token":');
    case 'close': return req.socket.destroy();
    default: break;
  }
  const scenario = code === 'slow' ? 'ok' : code;
  const id = idToken(scenario, origin, clientOf(req, form));
  if (!id) return send(res, 400, { error: 'invalid_grant' });
  const answer = () => send(res, 200, {
    access_token: `stub-access-${crypto.randomBytes(8).toString('hex')}`,
    token_type: 'Bearer', expires_in: 300, scope: 'openid email', id_token: id,
  });
  if (code === 'slow') {
    const timer = setTimeout(() => { if (!res.destroyed) answer(); }, 10000);
    res.on('close', () => clearTimeout(timer));
    return undefined;
  }
  return answer();
}

function control(q) {
  if (q.has('issuer_mismatch')) state.issuer_mismatch = q.get('issuer_mismatch') === '1';
  if (q.has('iss_param')) state.iss_param = q.get('iss_param');
  if (q.get('rotate') === '1') state.key = 1;
  if (q.has('jwks_mode')) state.jwks_mode = q.get('jwks_mode');
  if (q.has('nonce')) state.nonce = q.get('nonce');
  if (q.has('auth_methods')) state.auth_methods = q.get('auth_methods').split(',').filter(Boolean);
  if (q.has('next_code')) state.next_code = q.get('next_code');
}

function handle(req, res, body, origin) {
  const url = new URL(req.url, origin);
  const q = url.searchParams;
  switch (url.pathname) {
    case '/.well-known/openid-configuration':
      state.counts.discovery++;
      return send(res, 200, {
        issuer: state.issuer_mismatch ? WRONG_ISSUER : origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        userinfo_endpoint: `${origin}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: state.auth_methods,
        authorization_response_iss_parameter_supported: state.iss_param !== '0',
      });
    case '/jwks':
      state.counts.jwks++;
      if (state.jwks_mode === '500') return send(res, 500, 'jwks down\n', 'text/plain');
      return send(res, 200, { keys: [KEYS[state.key].jwk] });
    case '/authorize': {
      state.counts.authorize++;
      state.last_authorize = { query: Object.fromEntries(q) };
      const redirect = q.get('redirect_uri');
      if (!redirect) return send(res, 400, { error: 'invalid_request' });
      const to = new URL(redirect);
      to.searchParams.set('code', state.next_code);
      if (q.has('state')) to.searchParams.set('state', q.get('state'));
      if (state.iss_param !== '0') {
        to.searchParams.set('iss', state.iss_param === 'wrong' ? WRONG_ISSUER : origin);
      }
      res.writeHead(302, { Location: to.toString(), 'Content-Length': 0 });
      return res.end();
    }
    case '/token':
      state.counts.token++;
      return token(req, res, body, origin);
    case '/userinfo':
      state.counts.userinfo++;
      return send(res, 200, { sub: 'stub-user', email: 'stub-user@example.test' });
    case '/stub/control':
      control(q);
      return send(res, 200, { ...state, counts: undefined, last_token_request: undefined,
                              last_authorize: undefined });
    case '/stub/last-token-request':
      return send(res, 200, state.last_token_request || {});
    case '/stub/last-authorize':
      return send(res, 200, state.last_authorize || {});
    case '/stub/count':
      return send(res, 200, state.counts);
    case '/stub/reset':
      reset();
      return send(res, 200, { ok: true });
    default:
      state.counts.other++;
      return send(res, 404, { error: 'no such stub path' });
  }
}

const args = process.argv.slice(2);
const pi = args.indexOf('--port');
const port = Number(pi >= 0 ? args[pi + 1] : (process.env.STUB_OP_PORT || 0));

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const origin = `http://127.0.0.1:${server.address().port}`;
    try {
      handle(req, res, Buffer.concat(chunks).toString(), origin);
    } catch (err) {
      console.error(`stub_op: ${err.stack || err}`);
      if (!res.headersSent) send(res, 500, { error: 'stub_failure' });
    }
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready http://127.0.0.1:${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
// and when the process that started it is gone (a test killed before it could stop us)
setInterval(() => {
  try { process.kill(parent, 0); } catch { process.exit(0); }
}, 1000).unref();
