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


/* Decodes an HTTP/1.1 chunked body (RFC 9112 7.1) in place: chunk sizes in hex, optional
 * chunk extensions, CRLF line ends, the last chunk and optional trailers. 0 with *out_len set to
 * the decoded length, or -1 when the body is malformed or incomplete. */
int ea_http_dechunk(char *buf, size_t len, size_t *out_len);


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
    EA_SESSION_ERR_REVOKED,         /* "revoked": logged out (the revocation list, set by the
                                       glue after ea_revocation_check) */
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
    /* What ea_cookie_strip would do with these headers (the session's name, the login-flow
     * prefix), so the request path can skip it: with no module cookie nothing is stripped, with
     * no other cookie the Cookie headers are dropped whole. Valid only when `counted` (0 when
     * the headers were over the size cap and not read). */
    unsigned  counted;
    size_t    module_cookies;   /* pairs ea_cookie_strip would remove */
    size_t    other_cookies;    /* pairs it would keep */
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


/* ==== OpenID Connect login (authorization code flow with PKCE) ================================
 *
 * The pieces of a login that are pure functions of their inputs; the glue moves the bytes
 * (discovery, token endpoint, cookies, redirects). Every string handed back comes from `alloc`.
 *
 *   1. ea_oidc_metadata_parse: the discovery document, checked against the configured issuer.
 *   2. ea_oidc_login_start: a fresh flow (state, nonce, PKCE verifier, return path), sealed into
 *      its own short-lived cookie, and the authorization URL to redirect to.
 *      ea_oidc_flows_prune first expires stale flow cookies and caps how many are pending.
 *   3. ea_oidc_callback_parse: the callback's query string (duplicates rejected).
 *   4. ea_oidc_flow_open: the flow cookie named by `state`, opened and checked.
 *   5. ea_oidc_token_request / ea_oidc_token_response_parse: the code exchange.
 *   6. ea_oidc_id_token_verify: the ID token, fully validated (OIDC Core 3.1.3.7).
 *   7. ea_session_create + ea_session_seal: the session, and a 302 to the flow's return path.
 */

/* -- Provider metadata (OpenID Connect Discovery 1.0) -- */

enum {
    EA_OIDC_AUTH_BASIC = 1u << 0,     /* client_secret_basic */
    EA_OIDC_AUTH_POST  = 1u << 1      /* client_secret_post */
};

typedef struct {
    ea_str_t  issuer;                   /* equals the configured issuer, byte for byte */
    ea_str_t  authorization_endpoint;   /* required */
    ea_str_t  token_endpoint;           /* required */
    ea_str_t  jwks_uri;                 /* required */
    ea_str_t  userinfo_endpoint;        /* empty when absent */
    ea_str_t  end_session_endpoint;     /* empty when absent */
    unsigned  token_auth_methods;       /* EA_OIDC_AUTH_* bits advertised; when the document
                                           omits the member, BASIC (its default per spec) */
    int       iss_parameter_supported;  /* authorization_response_iss_parameter_supported */
} ea_oidc_metadata_t;

/*
 * Parses a discovery document. Every endpoint must be an absolute https URL (http only when
 * allow_http) with a host, no userinfo and no fragment; `issuer` must equal expected_issuer
 * exactly; duplicate members, a non-object document or wrongly typed members are errors.
 * 0 and *out filled (strings from alloc), or -1 with err set (one line, safe to log).
 */
int ea_oidc_metadata_parse(const char *json, size_t len, const ea_str_t *expected_issuer,
    int allow_http, ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_metadata_t *out,
    char *err, size_t err_len);

/* 1 when `url` is an absolute https (or, with allow_http, http) URL fit for an endpoint or an
 * issuer (host present, no userinfo, no fragment, no whitespace or control bytes). */
int ea_oidc_url_ok(const ea_str_t *url, int allow_http);

/* -- Starting a login -- */

typedef struct {
    ea_str_t  authorization_endpoint;   /* from the metadata */
    ea_str_t  client_id;
    ea_str_t  redirect_uri;             /* absolute */
    ea_str_t  scope;                    /* space-separated; "openid" is added when missing */
    ea_str_t  extra_args;               /* "a=b&c=d", appended as is; may be empty */
    ea_str_t  issuer;                   /* remembered in the flow (mix-up defence) */
    int64_t   flow_timeout;             /* seconds a flow cookie is good for */
} ea_oidc_login_t;

/*
 * 1 when `path` (a request's path and query as received) is a same-origin absolute path that is
 * safe to redirect to after login: it starts with exactly one '/', and contains no backslash, no
 * byte outside visible ASCII, no encoded control byte, no encoded '/' or '\' and no ':' before
 * the query (where browsers and servers disagree about them; "?next=%2Fhome" is fine), and no
 * '<', '>', '"', '\'' or '`'. Anything else returns 0 (the caller then uses "/"). Also 0: over
 * 1024 bytes (it must fit the flow cookie), or a '%' not followed by two hex digits.
 */
int ea_oidc_return_path_ok(const char *path, size_t len);

/* The prefix of every flow cookie's name for a sealer: "<cookie_name>_flow_". Static storage
 * owned by the sealer. */
ea_str_t ea_oidc_flow_cookie_prefix(const ea_sealer_t *sealer);

/*
 * A new flow: random state (22 base64url chars), nonce (22) and PKCE verifier (43), the return
 * path (ea_oidc_return_path_ok, else "/"), the issuer and `now`, sealed with the flow-state key
 * into the cookie "<prefix><state>". *location receives the authorization URL (response_type=
 * code, client_id, redirect_uri, scope, state, nonce, code_challenge = BASE64URL(SHA-256(
 * verifier)), code_challenge_method=S256, then extra_args), every value percent-encoded.
 * 0, or -1 with err set (RNG/allocation failure, or an endpoint with a fragment).
 */
int ea_oidc_login_start(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_oidc_login_t *login, const char *return_path, size_t return_path_len, int64_t now,
    ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *location, ea_cookie_t *flow_cookie,
    char *err, size_t err_len);

/*
 * Removals (cookies with remove = 1) for the request's flow cookies that are expired, do not
 * open, or are the oldest beyond max_pending - 1 (so that one more flow fits under the cap).
 * At most EA_OIDC_MAX_REMOVALS are returned. 0, or -1 on allocation failure.
 */
#define EA_OIDC_MAX_REMOVALS 16

typedef struct {
    ea_cookie_t  cookies[EA_OIDC_MAX_REMOVALS];
    size_t       n;
} ea_oidc_removals_t;

int ea_oidc_flows_prune(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_str_t *headers, size_t n_headers, int64_t now, int64_t flow_timeout,
    size_t max_pending, ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_removals_t *out);

/* -- The callback -- */

typedef struct {
    ea_str_t  code;
    ea_str_t  state;
    ea_str_t  iss;                  /* RFC 9207; empty when absent */
    ea_str_t  error;                /* the provider's error code; empty when none */
    ea_str_t  error_description;
} ea_oidc_callback_t;

/*
 * Parses the callback's query string (percent-decoded values). Any of code, state, iss, error,
 * error_description, id_token or session_state given twice is an error, and so is a response
 * with neither error nor both code and state. 0, or -1 with err set.
 */
int ea_oidc_callback_parse(const char *args, size_t len, ea_alloc_fn alloc, void *alloc_ctx,
    ea_oidc_callback_t *out, char *err, size_t err_len);

typedef enum {
    EA_OIDC_FLOW_OK = 0,
    EA_OIDC_FLOW_MISSING,        /* "flow_missing": no flow cookie for this state */
    EA_OIDC_FLOW_BAD,            /* "flow_bad": does not open, or its state differs; also a
                                    cookie sent twice, or a state that cannot name a cookie */
    EA_OIDC_FLOW_EXPIRED,        /* "flow_expired": older than flow_timeout */
    EA_OIDC_FLOW_INTERNAL        /* "internal" */
} ea_oidc_flow_status_t;

const char *ea_oidc_flow_reason(ea_oidc_flow_status_t status);

typedef struct {
    ea_str_t  state;
    ea_str_t  nonce;
    ea_str_t  code_verifier;
    ea_str_t  return_path;
    ea_str_t  issuer;
    int64_t   created;
    ea_str_t  cookie_name;      /* the flow cookie's name, to remove it (single use) */
} ea_oidc_flow_t;

ea_oidc_flow_status_t ea_oidc_flow_open(const ea_sealer_t *sealer,
    const ea_session_keys_t *keys, const ea_str_t *headers, size_t n_headers,
    const ea_str_t *state, int64_t now, int64_t flow_timeout, ea_alloc_fn alloc,
    void *alloc_ctx, ea_oidc_flow_t *out, char *detail, size_t detail_len);

/* Seals a given flow (state, nonce, verifier, return path, issuer, created) into its cookie,
 * exactly as ea_oidc_login_start does: for `edge-auth flow-seal` and tests. 0, or -1. */
int ea_oidc_flow_seal(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_oidc_flow_t *flow, ea_alloc_fn alloc, void *alloc_ctx, ea_cookie_t *out,
    char *err, size_t err_len);

/* -- The code exchange -- */

typedef struct {
    ea_str_t  client_id;
    ea_str_t  client_secret;        /* may be empty (public client: client_id in the body,
                                       no Authorization, whatever auth_method says) */
    unsigned  auth_method;          /* EA_OIDC_AUTH_BASIC or EA_OIDC_AUTH_POST */
    ea_str_t  redirect_uri;
} ea_oidc_client_t;

/*
 * The token request (RFC 6749 4.1.3 with RFC 7636 code_verifier): an x-www-form-urlencoded body
 * and, for client_secret_basic, the Authorization header value "Basic base64(urlenc(id):
 * urlenc(secret))" (RFC 6749 2.3.1); otherwise *authorization is empty. 0, or -1.
 */
int ea_oidc_token_request(const ea_oidc_client_t *client, const ea_str_t *code,
    const ea_str_t *code_verifier, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *body,
    ea_str_t *authorization);

typedef struct {
    ea_str_t  id_token;
    ea_str_t  access_token;
    ea_str_t  refresh_token;        /* empty when absent */
    ea_str_t  token_type;
    int64_t   expires_in;           /* 0 when absent */
    ea_str_t  error;                /* the endpoint's error code, for a 4xx JSON error */
} ea_oidc_tokens_t;

/*
 * Parses a token endpoint response of HTTP status `status`. 200 needs a JSON object with
 * string id_token and access_token, token_type "Bearer" (case-insensitive), optional
 * refresh_token and a non-negative integer expires_in. A 4xx with {"error": "..."} gives -1 with
 * out->error set (visible ASCII, at most 64 bytes, else "invalid"). -1 with err set otherwise.
 */
int ea_oidc_token_response_parse(unsigned status, const char *json, size_t len,
    ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_tokens_t *out, char *err, size_t err_len);

typedef struct {
    ea_str_t  issuer;       /* iss must equal it */
    ea_str_t  client_id;    /* aud must contain it; azp, when present, must equal it, and is
                               required when aud has more than one value */
    ea_str_t  nonce;        /* the flow's nonce; the token's must equal it */
    unsigned  algorithms;   /* EA_ALG_* allowed; 0 = EA_ALGS_ASYMMETRIC; any HMAC bit gives
                               EA_ERR_ALG_NOT_ALLOWED */
    int64_t   leeway;       /* seconds */
} ea_oidc_id_token_check_t;

/*
 * Verifies an ID token: signature with `keys`, alg allow-list, iss, aud, azp, exp (required), iat
 * (required, not in the future beyond leeway), sub (required, non-empty string), nonce. EA_OK and
 * *out (ea_token_free), or a status with detail: EA_ERR_ISSUER, EA_ERR_AUDIENCE (aud or azp),
 * EA_ERR_BAD_CLAIM (iat, sub or nonce missing or wrong), and the ea_jwt_verify statuses.
 */
ea_status_t ea_oidc_id_token_verify(const ea_oidc_id_token_check_t *check,
    const ea_keyset_t *keys, const char *id_token, size_t len, int64_t now, ea_token_t **out,
    char *detail, size_t detail_len);

/* ==== end of OpenID Connect login ============================================================ */


/* ==== Logout and revocation ==================================================================
 *
 * A sealed cookie cannot be taken back, so logout records a revocation that every worker
 * consults: the session's own id, or (from the provider's back- or front-channel logout) the
 * provider's session id `sid` or the user `sub`, each bound to the provider. A revocation applies
 * to sessions issued at or before its time, and lives until no session it covers can still be
 * valid (`expires`).
 *
 * Storage is the glue's: fixed-size records (ea_revocation_t) in shared memory, a generation
 * counter, and an optional journal file. Each worker builds an ea_revocation_set_t from the
 * records when the generation moves, and checks sessions against it without any lock.
 */

typedef enum {
    EA_REVOKE_SESSION = 1,      /* the module's session id (EA_SESSION_ID) */
    EA_REVOKE_SID = 2,          /* the provider's session id (the ID token's "sid") */
    EA_REVOKE_SUB = 3           /* every session of that user, issued up to revoked_at */
} ea_revoke_kind_t;

/* One revocation as stored: 48 bytes, no pointers, safe to copy between processes. */
typedef struct {
    unsigned char  key[32];     /* SHA-256 of (kind, provider, value): see ea_revocation_make */
    int64_t        revoked_at;  /* sessions issued at or before this time are refused */
    int64_t        expires;     /* after this, no session it covers can be valid: drop it */
} ea_revocation_t;

/* Fills *out for (kind, provider, value). 0, or -1 for an empty provider or value. */
int ea_revocation_make(ea_revoke_kind_t kind, const ea_str_t *provider, const ea_str_t *value,
    int64_t revoked_at, int64_t expires, ea_revocation_t *out);

/* A per-worker lookup structure over a copy of the records. Not thread-safe. */
typedef struct ea_revocation_set_s ea_revocation_set_t;

/* Built from n records (expired ones at `now` are skipped). NULL on allocation failure. */
ea_revocation_set_t *ea_revocation_set_build(const ea_revocation_t *records, size_t n,
    int64_t now);
void ea_revocation_set_free(ea_revocation_set_t *set);
size_t ea_revocation_set_size(const ea_revocation_set_t *set);

/*
 * Whether a session of `provider` is revoked: by its session id, its provider sid (the stored
 * "sid" claim, when the session has one) or its sub, for any record whose revoked_at is at or
 * after the session's issued_at. 1 revoked (*kind says by what), 0 not, -1 on error (fail
 * closed: treat as revoked).
 */
int ea_revocation_check(const ea_revocation_set_t *set, const ea_str_t *provider,
    const ea_session_t *session, ea_revoke_kind_t *kind);

/*
 * The journal file, one record per line: "v1 <key as 64 hex digits> <revoked_at> <expires>\n".
 * ea_revocation_format writes one line (at most EA_REVOCATION_LINE_MAX bytes with the newline)
 * and returns its length; ea_revocation_parse reads one line (without the newline): 0, or -1
 * for a malformed line (the loader skips it and says so).
 */
#define EA_REVOCATION_LINE_MAX 128
size_t ea_revocation_format(const ea_revocation_t *rec, char *buf, size_t buf_len);
int ea_revocation_parse(const char *line, size_t len, ea_revocation_t *out);

/* -- Logout tokens (OpenID Connect Back-Channel Logout 1.0, section 2.6) -- */

typedef struct {
    ea_str_t  issuer;       /* iss must equal it */
    ea_str_t  client_id;    /* aud must contain it */
    unsigned  algorithms;   /* EA_ALG_* allowed; 0 = EA_ALGS_ASYMMETRIC; HMAC refused */
    int64_t   leeway;       /* seconds, for iat/exp */
    int64_t   max_age;      /* iat older than this (seconds) is refused; 0 = 120 s */
} ea_logout_token_check_t;

typedef struct {
    ea_str_t  sid;          /* empty when absent */
    ea_str_t  sub;          /* empty when absent; at least one of sid and sub is present */
    ea_str_t  jti;          /* required: the replay key */
    int64_t   iat;
    int64_t   exp;          /* 0 when absent */
} ea_logout_claims_t;

/*
 * Validates a logout token: a compact JWS verified with `keys` (alg allow-list, no HMAC, no
 * "none"), typ absent, "logout+jwt" or the generic "JWT" (case-insensitive, optional
 * "application/" prefix), iss, aud, iat present and recent (not in the future beyond
 * leeway, not older than max_age), exp when present, jti present, an "events" object with a
 * member "http://schemas.openid.net/event/backchannel-logout" whose value is a JSON object,
 * no "nonce" (an ID token replayed as a logout token), and sid and/or sub as non-empty strings.
 * EA_OK with *out filled (strings from alloc), or a status with detail: EA_ERR_BAD_CLAIM for the
 * logout-specific rules, and the ea_jwt_verify statuses.
 */
ea_status_t ea_logout_token_verify(const ea_logout_token_check_t *check,
    const ea_keyset_t *keys, const char *token, size_t len, int64_t now, ea_alloc_fn alloc,
    void *alloc_ctx, ea_logout_claims_t *out, char *detail, size_t detail_len);

/* ==== end of Logout and revocation ============================================================ */


/* ==== Token refresh ===========================================================================
 *
 * When a session's access token has expired (or is about to), the glue uses its refresh token at
 * the token endpoint and replaces the session's tokens. Single flight and the reuse window are
 * the glue's (shared memory); these are the pure parts.
 */

/* 1 when the session should be refreshed at `now`: it holds a refresh token and its access token
 * expires (access_token_expires != 0) at or before now + margin. */
int ea_session_refresh_due(const ea_session_t *session, int64_t now, int64_t margin);

/*
 * The refresh request (RFC 6749 section 6): grant_type=refresh_token&refresh_token=..., with the
 * client authenticated as in ea_oidc_token_request (client->redirect_uri is not used). 0, or -1.
 */
int ea_oidc_refresh_request(const ea_oidc_client_t *client, const ea_str_t *refresh_token,
    ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *body, ea_str_t *authorization);

/*
 * Parses a refresh response: as ea_oidc_token_response_parse, except that id_token and
 * refresh_token may be absent (empty in *out; the session keeps its refresh token when the
 * provider does not rotate it). A 4xx {"error": ...} gives -1 with out->error set
 * ("invalid_grant": the refresh token is dead and the session must end).
 */
int ea_oidc_refresh_response_parse(unsigned status, const char *json, size_t len,
    ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_tokens_t *out, char *err, size_t err_len);

/*
 * Validates an ID token returned by a refresh (OpenID Connect Core 12.2): as
 * ea_oidc_id_token_verify (signature, iss, aud, azp, exp, iat) but with no nonce required (when
 * present it is not compared: the login's nonce is not kept), and `sub` must equal
 * expected_sub (a changed subject ends the session: EA_ERR_BAD_CLAIM "sub changed").
 * check->nonce is ignored.
 */
ea_status_t ea_oidc_refresh_id_token_verify(const ea_oidc_id_token_check_t *check,
    const ea_str_t *expected_sub, const ea_keyset_t *keys, const char *id_token, size_t len,
    int64_t now, ea_token_t **out, char *detail, size_t detail_len);

/*
 * The session with refreshed tokens: a new handle (the original is unchanged) with the same id,
 * sub, iss, issue time and absolute expiry; last seen = now; the access token and its expiry
 * (now + expires_in, or 0) replaced; the refresh token and ID token replaced when the response
 * has them (kept otherwise); stored claims refreshed from id_token_claims (when not NULL) for the
 * names given, else kept. NULL with err set when a value breaks the session rules.
 */
ea_session_t *ea_session_refreshed(const ea_sealer_t *sealer, const ea_session_t *session,
    const ea_oidc_tokens_t *tokens, const ea_token_t *id_token_claims,
    const ea_str_t *claim_names, size_t n_claim_names, int64_t now, char *err, size_t err_len);

/* ==== end of Token refresh ===================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* EDGE_AUTH_H */
