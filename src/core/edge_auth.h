/*
 * edge_auth.h: the C facade over the C++17 core of nginx-edge-auth.
 *
 * This is the only header the nginx glue (src/ngx/) includes. It has no nginx types and no C++:
 * every function is extern "C", never throws (each catches at the boundary and returns an error),
 * and every object is opaque.
 *
 * Usage (configuration time, once per location):
 *
 *     ea_keyset_t *keys = ea_keyset_new();
 *     if (ea_keyset_add_jwks(keys, json, json_len, warn_cb, log, err, sizeof(err)) != 0) fail(err);
 *
 *     ea_policy_conf_t pc;
 *     ea_policy_conf_init(&pc);              // secure defaults: asymmetric algs, exp required
 *     pc.issuers = issuers; pc.n_issuers = 1;
 *     ea_policy_t *policy = ea_policy_create(&pc, err, sizeof(err));
 *
 * Usage (per request; only reads the immutable objects above):
 *
 *     ea_token_t *tok;
 *     ea_status_t rc = ea_jwt_verify(policy, keys, token, token_len, now, &tok,
 *                                    detail, sizeof(detail));
 *     if (rc != EA_OK) log("jwt rejected: %s (%s)", ea_status_reason(rc), detail);
 *     ea_str_t v;
 *     ea_str_t path[] = {{"sub", 3}};
 *     if (ea_token_value(tok, EA_PART_CLAIMS, path, 1, pool_alloc, pool, &v) == 1) use(v);
 *     ea_token_free(tok);
 */

#ifndef EDGE_AUTH_H
#define EDGE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *data;
    size_t      len;
} ea_str_t;

/*
 * Every outcome of a verification. The reason strings (ea_status_reason) are stable: they appear
 * in log lines, in audit variables and in tests, and are documented in docs/reason-codes.md.
 */
typedef enum {
    EA_OK = 0,
    EA_ERR_NO_TOKEN,          /* "no_credentials": no token was presented (set by the glue) */
    EA_ERR_TOKEN_TOO_LARGE,   /* "token_too_large": longer than the policy's cap */
    EA_ERR_MALFORMED,         /* "malformed": not 3 segments, bad base64url, bad JSON, dup keys */
    EA_ERR_BAD_HEADER,        /* "bad_header": missing/odd alg, crit, enc, zip, b64, bad kid */
    EA_ERR_ALG_NOT_ALLOWED,   /* "alg_not_allowed": alg outside the location's allow-list */
    EA_ERR_UNKNOWN_KEY,       /* "unknown_key": no key in the set matches kid + alg */
    EA_ERR_BAD_SIGNATURE,     /* "bad_signature": signature does not verify */
    EA_ERR_BAD_CLAIM,         /* "bad_claim": a registered claim has the wrong JSON type */
    EA_ERR_MISSING_EXP,       /* "missing_exp": exp absent and the policy requires it */
    EA_ERR_EXPIRED,           /* "expired": now >= exp + leeway */
    EA_ERR_NOT_YET_VALID,     /* "not_yet_valid": now < nbf - leeway, or iat in the future */
    EA_ERR_ISSUER,            /* "issuer": iss absent or not in the allow-list */
    EA_ERR_AUDIENCE,          /* "audience": aud absent or none of its values is allowed */
    EA_ERR_TOKEN_TYPE,        /* "token_type": typ not accepted by the policy */
    EA_ERR_NO_KEYS,           /* "no_keys": the key set is empty (glue answers 503) */
    EA_ERR_INTERNAL,          /* "internal": allocation failure or a bug; fail closed */
    EA_STATUS_COUNT
} ea_status_t;

/* Stable short reason code of a status, e.g. "bad_signature". Never NULL. */
const char *ea_status_reason(ea_status_t status);

/* Signature algorithms, as bits of an allow-list. */
enum {
    EA_ALG_RS256 = 1u << 0,
    EA_ALG_RS384 = 1u << 1,
    EA_ALG_RS512 = 1u << 2,
    EA_ALG_PS256 = 1u << 3,
    EA_ALG_PS384 = 1u << 4,
    EA_ALG_PS512 = 1u << 5,
    EA_ALG_ES256 = 1u << 6,
    EA_ALG_ES384 = 1u << 7,
    EA_ALG_ES512 = 1u << 8,
    EA_ALG_EDDSA = 1u << 9,
    EA_ALG_HS256 = 1u << 10,
    EA_ALG_HS384 = 1u << 11,
    EA_ALG_HS512 = 1u << 12
};

#define EA_ALGS_ASYMMETRIC  0x3ffu   /* RS*, PS*, ES*, EdDSA: the default allow-list */
#define EA_ALGS_HMAC        0x1c00u

/* The EA_ALG_* bit for a JOSE alg name (exact, case-sensitive), or 0 when unknown. */
unsigned ea_alg_from_name(const char *name, size_t len);
/* The JOSE name of one EA_ALG_* bit, or NULL. */
const char *ea_alg_name(unsigned alg_bit);


/* ---- Key sets ---------------------------------------------------------------------------- */

typedef struct ea_keyset_s  ea_keyset_t;

/* Receives one human-readable line per key dropped by the key policy (weak RSA, off-curve EC,
 * short HMAC, use "enc", ...). May be NULL. */
typedef void (*ea_warn_fn)(void *ctx, const char *message);

/* An empty, mutable key set. NULL only on allocation failure. */
ea_keyset_t *ea_keyset_new(void);

/*
 * Adds the keys of a JWKS document ({"keys":[...]}) or of a single JWK object. Keys that break
 * the key policy are dropped and reported through warn; they never fail the document.
 * Returns 0 on success (even if every key was dropped), -1 with err set when the document itself
 * is unusable (not JSON, duplicate members, wrong shape, over the size or key-count caps).
 */
int ea_keyset_add_jwks(ea_keyset_t *set, const char *json, size_t len,
    ea_warn_fn warn, void *warn_ctx, char *err, size_t err_len);

/* Number of usable keys in the set. */
size_t ea_keyset_size(const ea_keyset_t *set);

void ea_keyset_free(ea_keyset_t *set);


/* ---- Verification policy ------------------------------------------------------------------ */

typedef struct {
    unsigned        algorithms;      /* EA_ALG_* bits; default EA_ALGS_ASYMMETRIC */
    const ea_str_t *issuers;         /* accepted iss values (exact bytes); NULL/0 = any */
    size_t          n_issuers;
    const ea_str_t *audiences;       /* aud must contain one of these; NULL/0 = not checked */
    size_t          n_audiences;
    const ea_str_t *types;           /* accepted typ values (case-insensitive, "application/"
                                        prefix optional); NULL/0 = any typ */
    size_t          n_types;
    int64_t         leeway;          /* seconds of clock skew allowed for exp/nbf/iat; default 0 */
    int             require_exp;     /* default 1 */
    size_t          max_token_size;  /* bytes; default 8192 */
} ea_policy_conf_t;

typedef struct ea_policy_s  ea_policy_t;

/* Fills conf with the secure defaults. */
void ea_policy_conf_init(ea_policy_conf_t *conf);

/* Builds an immutable policy (copies every string). NULL with err set on invalid input, e.g. an
 * empty allow-list. */
ea_policy_t *ea_policy_create(const ea_policy_conf_t *conf, char *err, size_t err_len);

void ea_policy_free(ea_policy_t *policy);


/* ---- Verifying a token ------------------------------------------------------------------- */

typedef struct ea_token_s  ea_token_t;

/*
 * Verifies a compact JWS against the keys and the policy at time `now` (Unix seconds).
 * On EA_OK, *out receives the verified token (free it with ea_token_free). On any other status,
 * *out is NULL and detail (if not NULL) receives one short human-readable line saying why, safe
 * to log: token contents in it are escaped and truncated.
 */
ea_status_t ea_jwt_verify(const ea_policy_t *policy, const ea_keyset_t *keys,
    const char *token, size_t len, int64_t now, ea_token_t **out,
    char *detail, size_t detail_len);

void ea_token_free(ea_token_t *token);

enum {
    EA_PART_HEADER = 0,
    EA_PART_CLAIMS = 1
};

/* Memory for values handed back to the caller (the glue passes an nginx pool allocator). */
typedef void *(*ea_alloc_fn)(void *ctx, size_t size);

/*
 * Renders the member at `path` (top-down member names, depth >= 1) of the token's header or
 * claims: strings as they are, numbers/true/false/null in JSON form, arrays of scalars joined with
 * ",", objects and nested arrays as compact JSON. Control bytes (0x00-0x1f, 0x7f) are written as
 * %XX so a value can never split a header line. Returns 1 and sets *out when found, 0 when absent,
 * -1 on allocation failure.
 */
int ea_token_value(const ea_token_t *token, int part, const ea_str_t *path, size_t depth,
    ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out);

/* The decoded claims JSON (compact, control bytes escaped as above). Same return convention. */
int ea_token_payload(const ea_token_t *token, ea_alloc_fn alloc, void *alloc_ctx,
    ea_str_t *out);

/* The token's exp claim, or 0 when it has none. */
int64_t ea_token_expires(const ea_token_t *token);


/* ---- Verified-token cache ---------------------------------------------------------------- */

/*
 * A bounded LRU of tokens that already verified, so a client reusing its token for minutes costs
 * one signature check, not one per request. Keyed by the exact token bytes (unique, because
 * non-canonical encodings are rejected) plus the identity of the policy and key set that accepted
 * it. On a hit, the time rules (exp, nbf, iat with the policy's leeway) are checked again; an
 * entry never outlives the token's exp, and an entry whose key set has been replaced (a JWKS
 * refresh) is never served. Not thread-safe: one cache per nginx worker.
 */
typedef struct ea_token_cache_s  ea_token_cache_t;

/* capacity = maximum number of entries; 0 disables caching (verify always runs). */
ea_token_cache_t *ea_token_cache_new(size_t capacity);
void ea_token_cache_free(ea_token_cache_t *cache);

/* Cache statistics, for tests and benchmarks. */
typedef struct {
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    size_t   size;
} ea_token_cache_stats_t;

void ea_token_cache_stats(const ea_token_cache_t *cache, ea_token_cache_stats_t *stats);

/*
 * ea_jwt_verify through the cache (cache may be NULL). Same contract as ea_jwt_verify; the
 * returned token shares its contents with the cache entry and stays valid after the entry is
 * evicted. Only EA_OK results are cached.
 */
ea_status_t ea_jwt_verify_cached(ea_token_cache_t *cache, const ea_policy_t *policy,
    const ea_keyset_t *keys, const char *token, size_t len, int64_t now, ea_token_t **out,
    char *detail, size_t detail_len);


/* ---- Remote key sources (auth_jwt_key_request, OIDC jwks_uri) --------------------------- */

/*
 * The scheduling state of one remote JWKS. It lives in nginx shared memory, shared by all
 * workers; the glue holds the zone's lock around every call that takes a non-const state. The
 * core owns the rules (when to refresh, single flight, rate limit on forced refreshes,
 * stale-if-error), so they are unit-tested without nginx.
 */
typedef struct {
    int64_t   fetched_at;     /* last successful fetch; 0 = never */
    int64_t   next_refresh;   /* periodic refresh due at (max-age, clamped) */
    int64_t   last_forced;    /* last refresh forced by an unknown kid */
    int64_t   fetch_started;  /* a fetch is in flight since; 0 = none */
    int64_t   last_attempt;   /* last attempt, good or bad */
    int64_t   retry_at;       /* after a failure: no new attempt before this */
    uint64_t  generation;     /* bumped whenever the stored JWKS changes */
    uint32_t  failures;       /* consecutive failed attempts */
    uint32_t  fetches;        /* attempts started, for logs and tests */
} ea_jwks_state_t;

typedef struct {
    int64_t   max_age;          /* refresh interval, and upper bound for Cache-Control max-age */
    int64_t   min_age;          /* lower bound for Cache-Control max-age */
    int64_t   forced_interval;  /* at most one unknown-kid refresh per this many seconds */
    int64_t   max_stale;        /* keys older than this are not used even if refreshes fail */
    int64_t   fetch_timeout;    /* a fetch in flight longer than this is presumed lost */
    int64_t   retry_interval;   /* wait after a failed attempt */
} ea_jwks_timing_t;

/* Fills the defaults: max_age 1h, min_age 30s, forced 10s, max_stale 24h, timeout 30s, retry 10s */
void ea_jwks_timing_init(ea_jwks_timing_t *timing);

typedef enum {
    EA_JWKS_USE = 0,      /* verify with the keys this worker has */
    EA_JWKS_FETCH,        /* this request fetches (fetch_started is now set: call _done later) */
    EA_JWKS_WAIT,         /* another worker is fetching and there is nothing usable: wait */
    EA_JWKS_UNAVAILABLE   /* no usable keys and no fetch allowed now: fail closed (503) */
} ea_jwks_action_t;

/*
 * What a request should do now. `forced` is set when the token's kid is not in the current keys
 * (rotation): a fetch is then allowed at most once per forced_interval. A periodic refresh that is
 * due is started by exactly one request; the others keep using the current keys.
 */
ea_jwks_action_t ea_jwks_decide(ea_jwks_state_t *state, const ea_jwks_timing_t *timing,
    int64_t now, int forced);

/* Whether the stored keys (if any) may still be used at `now` (stale-if-error bound). */
int ea_jwks_usable(const ea_jwks_state_t *state, const ea_jwks_timing_t *timing, int64_t now);

/*
 * Records the end of a fetch this request started. ok: the new JWKS was stored (generation is
 * bumped when `changed`). max_age: the response's Cache-Control max-age, or -1.
 */
void ea_jwks_fetch_done(ea_jwks_state_t *state, const ea_jwks_timing_t *timing, int64_t now,
    int ok, int changed, int64_t max_age);

/* max-age from a Cache-Control value, in seconds; -1 when absent or malformed; 0 for no-store
 * and no-cache. */
int64_t ea_cache_control_max_age(const char *value, size_t len);


/* ==== Sealed sessions ========================================================================
 *
 * A login session lives in the browser as a sealed cookie: AES-256-GCM over a small JSON
 * document, bound to the provider, the cookie name and an optional realm, and split across the
 * cookies `name`, `name.1` ... `name.7` when one cookie cannot hold it. The format, the key file
 * and the reason codes are specified in docs/session-format.md.
 *
 * Usage (configuration time):
 *
 *     ea_session_keys_t *keys = ea_session_keys_load(file_bytes, file_len, err, sizeof(err));
 *     if (keys == NULL) fail(err);                  // short/weak/duplicate secret: nginx -t fails
 *     ea_session_conf_t sc;
 *     ea_session_conf_init(&sc);                    // 8 h absolute timeout, no idle timeout
 *     sc.provider = provider_name; sc.cookie_name = cookie_name; sc.idle_timeout = 1800;
 *     ea_sealer_t *sealer = ea_sealer_create(&sc, err, sizeof(err));
 *
 * Usage (per request):
 *
 *     ea_session_cookies_t jar;
 *     ea_session_t *s = NULL;
 *     ea_session_status_t rc = ea_session_cookies_find(sealer, cookie_headers, n_headers, &jar,
 *                                                      detail, sizeof(detail));
 *     if (rc == EA_SESSION_OK)
 *         rc = ea_session_open(sealer, keys, &jar, now, &s, detail, sizeof(detail));
 *     if (rc != EA_SESSION_OK) {
 *         log("session rejected: %s (%s)", ea_session_reason(rc), detail);  // then login
 *     } else {
 *         ea_str_t sub;
 *         ea_session_get(s, EA_SESSION_SUB, &sub);                // safe in a header as is
 *         if (ea_session_reseal_due(sealer, s, now)) {
 *             ea_cookie_set_t set;
 *             if (ea_session_reseal(sealer, keys, s, now, jar.present, pool_alloc, pool, &set,
 *                                   detail, sizeof(detail)) == EA_SESSION_OK)
 *                 for (i = 0; i < set.n; i++) add_set_cookie(&set.cookies[i]);
 *         }
 *         ea_session_free(s);
 *     }
 *     if (ea_cookie_strip(cookie_headers, n_headers, &sc.cookie_name, 1, NULL, 0, pool_alloc,
 *                         pool, &upstream) > 0)
 *         replace_cookie_headers(upstream);                    // remove them when len == 0
 *
 * Usage (login callback): ea_session_create() from the verified ID token and the token
 * response, then ea_session_seal() with jar.present of that request, which also expires any
 * stale chunk cookie the browser still holds.
 */

/* Outcomes of reading a session cookie. The reason strings (ea_session_reason) are stable. */
typedef enum {
    EA_SESSION_OK = 0,
    EA_SESSION_ERR_NONE,            /* "no_session": no session cookie in the request */
    EA_SESSION_ERR_DUPLICATE,       /* "duplicate": the cookie (or a chunk) is sent twice */
    EA_SESSION_ERR_TOO_LARGE,       /* "too_large": Cookie headers over 64 KiB, a value over
                                       4096 bytes; when sealing, more than 8 cookies needed */
    EA_SESSION_ERR_CHUNK,           /* "chunk": a chunk missing or extra, a bad chunk name
                                       (name.0, name.8, name.-1, name.abc) or chunk count */
    EA_SESSION_ERR_MALFORMED,       /* "malformed": not strict base64url, or too short */
    EA_SESSION_ERR_VERSION,         /* "unknown_version": format version not supported */
    EA_SESSION_ERR_UNKNOWN_KEY,     /* "unknown_key": no secret in the key file has its key id */
    EA_SESSION_ERR_BAD_SEAL,        /* "bad_seal": authentication failed (any altered byte,
                                       another provider's/cookie's/realm's value, wrong key) */
    EA_SESSION_ERR_BAD_PAYLOAD,     /* "bad_payload": authentic but not a valid session */
    EA_SESSION_ERR_EXPIRED,         /* "expired": now >= exp, or older than absolute_timeout */
    EA_SESSION_ERR_IDLE,            /* "idle_expired": now - last seen > idle_timeout */
    EA_SESSION_ERR_INTERNAL,        /* "internal": allocation/RNG failure or a bug */
    EA_SESSION_STATUS_COUNT
} ea_session_status_t;

/* Stable short reason code of a session status, e.g. "bad_seal". Never NULL. */
const char *ea_session_reason(ea_session_status_t status);

#define EA_SESSION_MAX_CHUNKS 8

/* -- Keys -- */

typedef struct ea_session_keys_s  ea_session_keys_t;

/*
 * Loads a session key file: one base64url secret (>= 32 random bytes) per line, '#' comments.
 * The first secret seals, every secret opens (rotation: put the new secret first, keep the old
 * one until the longest session it sealed has expired, then delete it). Derives every key once,
 * here. NULL with err set (the line number and the reason, never secret bytes) for a missing,
 * short, low-entropy or duplicate secret.
 */
ea_session_keys_t *ea_session_keys_load(const char *data, size_t len, char *err, size_t err_len);
size_t ea_session_keys_count(const ea_session_keys_t *keys);
/* The key id of secret `index` as 8 hex digits and a NUL; 0, or -1 when out of range. */
int ea_session_keys_id(const ea_session_keys_t *keys, size_t index, char hex[9]);
void ea_session_keys_free(ea_session_keys_t *keys);

/* -- Configuration -- */

typedef struct {
    ea_str_t  provider;          /* the provider's name; bound into every cookie */
    ea_str_t  cookie_name;       /* e.g. "__Host-edge"; name.1 ... name.7 are its chunks */
    ea_str_t  realm;             /* optional further binding, e.g. the server name; may be empty */
    int64_t   absolute_timeout;  /* seconds from login to forced re-login; default 8 h */
    int64_t   idle_timeout;      /* seconds without a request before re-login; 0 = none */
} ea_session_conf_t;

typedef struct ea_sealer_s  ea_sealer_t;

void ea_session_conf_init(ea_session_conf_t *conf);
/* Immutable; copies every string. NULL with err set on an invalid configuration. */
ea_sealer_t *ea_sealer_create(const ea_session_conf_t *conf, char *err, size_t err_len);
void ea_sealer_free(ea_sealer_t *sealer);

/* -- Reading a request -- */

typedef struct {
    ea_str_t  chunks[EA_SESSION_MAX_CHUNKS];  /* views into the header values; [0] is `name` */
    unsigned  present;   /* bit i: chunk i's cookie was sent; filled even on failure */
} ea_session_cookies_t;

/*
 * Finds the session's cookies in the request's Cookie header values (each as received; several
 * headers are allowed). Returns OK, NONE, DUPLICATE, CHUNK or TOO_LARGE; never allocates. Pairs
 * without '=' and other cookies are ignored.
 */
ea_session_status_t ea_session_cookies_find(const ea_sealer_t *sealer, const ea_str_t *headers,
    size_t n_headers, ea_session_cookies_t *out, char *detail, size_t detail_len);

typedef struct ea_session_s  ea_session_t;

/*
 * Opens and checks the session (chunks, version, key id, AES-GCM with the binding, document,
 * absolute and idle expiry) at time `now`. On EA_SESSION_OK *out receives the session (free it
 * with ea_session_free); otherwise *out is NULL and detail says why, safe to log.
 */
ea_session_status_t ea_session_open(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_session_cookies_t *cookies, int64_t now, ea_session_t **out,
    char *detail, size_t detail_len);

void ea_session_free(ea_session_t *session);

/*
 * A bounded LRU of sessions already opened, so a browser sending the same cookie with every
 * request costs one decryption and one JSON parse, not one per request. Keyed by the exact bytes
 * of the session's cookies plus the identity of the sealer and the key set (a reloaded key file
 * or configuration never sees the old one's entries). Cookies over 16 KiB in all are not cached.
 * Not thread-safe: one cache per nginx worker.
 */
typedef struct ea_session_cache_s ea_session_cache_t;
ea_session_cache_t *ea_session_cache_new(size_t capacity);   /* 0 = disabled */
void ea_session_cache_free(ea_session_cache_t *cache);
/* ea_session_open through the cache (cache may be NULL): same contract and statuses. On a hit the
 * absolute and idle expiry are checked again at `now`; only EA_SESSION_OK results are cached. The
 * returned session is the caller's own object (ea_session_free), independent of the cache entry,
 * because the glue may re-seal it (which mutates last-seen). */
ea_session_status_t ea_session_open_cached(ea_session_cache_t *cache, const ea_sealer_t *sealer,
    const ea_session_keys_t *keys, const ea_session_cookies_t *cookies, int64_t now,
    ea_session_t **out, char *detail, size_t detail_len);

/* -- Reading a session -- */

typedef enum {
    EA_SESSION_ID = 0,          /* 22 base64url characters */
    EA_SESSION_SUB,             /* no control bytes */
    EA_SESSION_ISS,             /* no control bytes */
    EA_SESSION_ACCESS_TOKEN,    /* visible ASCII only */
    EA_SESSION_REFRESH_TOKEN,   /* visible ASCII only */
    EA_SESSION_ID_TOKEN         /* visible ASCII only */
} ea_session_field_t;

/* A view of the field, valid until the session is freed or re-sealed with a new value; safe in
 * a header line as is. 1 when present, 0 when absent (tokens the session does not hold). */
int ea_session_get(const ea_session_t *session, ea_session_field_t field, ea_str_t *out);

typedef struct {
    int64_t  issued_at;              /* login time */
    int64_t  last_seen;              /* last re-seal */
    int64_t  expires;                /* absolute expiry */
    int64_t  access_token_expires;   /* 0 when unknown */
} ea_session_times_t;

void ea_session_times(const ea_session_t *session, ea_session_times_t *out);

/* A stored claim, rendered exactly as ea_token_value renders token claims (control bytes as
 * %XX). 1 found, 0 absent, -1 on allocation failure. */
int ea_session_claim(const ea_session_t *session, const ea_str_t *path, size_t depth,
    ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out);

/* The whole session document as compact JSON (control bytes escaped as above), tokens included:
 * for tools, never for logs. Same return convention. */
int ea_session_json(const ea_session_t *session, ea_alloc_fn alloc, void *alloc_ctx,
    ea_str_t *out);

/* -- Making a session -- */

typedef struct {
    ea_str_t           sub;                    /* required */
    ea_str_t           iss;                    /* required */
    ea_str_t           access_token;           /* empty = none */
    int64_t            access_token_expires;   /* 0 = unknown */
    ea_str_t           refresh_token;          /* empty = none */
    ea_str_t           id_token;               /* empty = none */
    const ea_token_t  *claims_from;            /* e.g. the verified ID token; may be NULL */
    const ea_str_t    *claim_names;            /* top-level claims of claims_from to keep; */
    size_t             n_claim_names;          /* absent ones are skipped */
} ea_session_init_t;

/* A new session (fresh random id; issued, last seen = now; expires = now + absolute_timeout).
 * NULL with err set when a field breaks the rules (empty sub/iss, control bytes, a token that is
 * not visible ASCII, ...). */
ea_session_t *ea_session_create(const ea_sealer_t *sealer, const ea_session_init_t *init,
    int64_t now, char *err, size_t err_len);

/* The same from a session document (docs/session-format.md; sid, iat, seen and exp optional),
 * for `edge-auth seal` and tests. Unknown members are an error. */
ea_session_t *ea_session_from_json(const ea_sealer_t *sealer, const char *json, size_t len,
    int64_t now, char *err, size_t err_len);

/* -- Writing cookies -- */

typedef struct {
    ea_str_t  name;
    ea_str_t  value;    /* empty when remove is set */
    int       remove;   /* 1: send as an expired cookie (Max-Age=0), a chunk no longer used */
} ea_cookie_t;

typedef struct {
    ea_cookie_t  cookies[EA_SESSION_MAX_CHUNKS];
    size_t       n;
} ea_cookie_set_t;

/*
 * Seals the session with the first key (fresh IV every time) into the cookies to set, plus
 * removals for every chunk in `present` (ea_session_cookies_t.present of this request) that the
 * new value does not use. Names and values come from alloc. OK, TOO_LARGE (the session needs
 * more than 8 cookies) or INTERNAL.
 */
ea_session_status_t ea_session_seal(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_session_t *session, unsigned present, ea_alloc_fn alloc, void *alloc_ctx,
    ea_cookie_set_t *out, char *detail, size_t detail_len);

/* Sets the session's last-seen time to now, then ea_session_seal. */
ea_session_status_t ea_session_reseal(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    ea_session_t *session, int64_t now, unsigned present, ea_alloc_fn alloc, void *alloc_ctx,
    ea_cookie_set_t *out, char *detail, size_t detail_len);

/* 1 when this request should re-seal (ea_session_reseal): only with an idle timeout, at most
 * once per min(60 s, idle_timeout / 2) since the last seal. */
int ea_session_reseal_due(const ea_sealer_t *sealer, const ea_session_t *session, int64_t now);

/* Removals for every session cookie in `present` (logout). 0, or -1 on allocation failure. */
int ea_session_clear(const ea_sealer_t *sealer, unsigned present, ea_alloc_fn alloc,
    void *alloc_ctx, ea_cookie_set_t *out);

/*
 * The Cookie header for the upstream request: the request's Cookie header values without the
 * cookies in `names` (each name and its name.* chunks) and without every cookie whose name
 * starts with one of `prefixes` (e.g. the login-flow cookies). Other pairs, malformed ones
 * included, are kept as sent and joined with "; ". Returns the number of cookies removed (0:
 * keep the headers as they are; *out is then untouched), or -1 on allocation failure. When it
 * is > 0, *out is the new header value, empty when nothing is left (drop the header).
 */
int ea_cookie_strip(const ea_str_t *headers, size_t n_headers, const ea_str_t *names,
    size_t n_names, const ea_str_t *prefixes, size_t n_prefixes, ea_alloc_fn alloc,
    void *alloc_ctx, ea_str_t *out);

/* ==== end of Sealed sessions ================================================================= */

#ifdef __cplusplus
}
#endif

#endif /* EDGE_AUTH_H */
