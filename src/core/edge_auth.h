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

#ifdef __cplusplus
}
#endif

#endif /* EDGE_AUTH_H */
