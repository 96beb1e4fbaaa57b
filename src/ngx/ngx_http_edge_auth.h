/*
 * nginx-edge-auth: declarations shared by the C glue files in src/ngx/.
 *
 *   ngx_http_edge_auth_module.c     module, directives, configuration create/merge, phase setup
 *   ngx_http_edge_auth_jwt.c        the access-phase handler for auth_jwt
 *   ngx_http_edge_auth_variables.c  $jwt_claim_*, $jwt_header_*, $jwt_payload, claim_set vars,
 *                                   $oidc_*, and the audit variables $edge_auth_*
 *   ngx_http_edge_auth_scrub.c      removal of client-sent identity headers
 *   ngx_http_edge_auth_keys.c       remote JWKS (auth_jwt_key_request): shared-memory cache,
 *                                   single-flight fetches through subrequests, rotation
 *   ngx_http_edge_auth_oidc.c       oidc_provider blocks and auth_oidc: sealed session cookies
 *   ngx_http_edge_auth_login.c      the login flow: redirect to the provider, the callback
 *   ngx_http_edge_auth_client.c     the module's HTTP client for the provider's endpoints
 *   ngx_http_edge_auth_policy.c     route coverage: edge_auth_policy, edge_auth_public and
 *                                   the route inventory
 *   ngx_http_edge_auth_revoke.c     the revocation list in shared memory (logout)
 *   ngx_http_edge_auth_logout.c     logout, back-channel and front-channel logout
 *   ngx_http_edge_auth_refresh.c    token refresh, single flight across workers
 *
 * All authentication logic lives in the C++ core behind edge_auth.h; these files only adapt it to
 * nginx (configuration, requests, memory pools, logs).
 */

#ifndef NGX_HTTP_EDGE_AUTH_H
#define NGX_HTTP_EDGE_AUTH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_JWT_UNSET  NGX_CONF_UNSET_UINT
#define NGX_HTTP_EDGE_AUTH_JWT_OFF    0
#define NGX_HTTP_EDGE_AUTH_JWT_ON     1


/*
 * One remote JWKS as stored in the shared zone: the scheduling state (owned by the core's rules)
 * and a copy of the last good document. Found by `key`, which names the place in the
 * configuration that declared it, so the same URI in two servers stays two sources.
 */
typedef struct {
    ngx_queue_t                  queue;
    ea_jwks_state_t              state;
    u_char                      *jwks;
    size_t                       jwks_len;
    size_t                       key_len;
    u_char                       key[1];
} ngx_http_edge_auth_shm_source_t;


typedef struct ngx_http_edge_auth_refresh_table_s  ngx_http_edge_auth_refresh_table_t;
typedef struct ngx_http_edge_auth_refresh_s  ngx_http_edge_auth_refresh_t;


typedef struct {
    ngx_queue_t                  sources;

    /* token refreshes in flight and their results (ngx_http_edge_auth_refresh.c) */
    ngx_http_edge_auth_refresh_table_t  *refresh;

    /* the revocation list (ngx_http_edge_auth_revoke.c) */
    ea_revocation_t             *revocations;
    ngx_uint_t                   revocation_count;
    ngx_uint_t                   revocation_capacity;
    int64_t                      revocation_floor;      /* sessions issued up to it: refused */
    uint64_t                     revocation_generation; /* bumped by every change */
} ngx_http_edge_auth_shm_t;


typedef struct ngx_http_edge_auth_provider_s  ngx_http_edge_auth_provider_t;
typedef struct ngx_http_edge_auth_routes_s    ngx_http_edge_auth_routes_t;
typedef struct ngx_http_edge_auth_route_s     ngx_http_edge_auth_route_t;

#define NGX_HTTP_EDGE_AUTH_SOURCE_JWKS      0
#define NGX_HTTP_EDGE_AUTH_SOURCE_METADATA  1

/*
 * A document fetched from a provider and cached in the shared zone: a JWKS (auth_jwt_key_request
 * or a provider's jwks_uri) or a provider's discovery document. Per-worker fields are written
 * only after fork.
 */
typedef struct {
    ngx_uint_t                   kind;              /* NGX_HTTP_EDGE_AUTH_SOURCE_* */
    ngx_str_t                    uri;               /* auth_jwt_key_request location, or the
                                                       provider's name for provider sources */
    ngx_str_t                    key;
    ea_jwks_timing_t             timing;
    ngx_http_edge_auth_shm_source_t  *shared;

    /* set for the provider's own documents, fetched with the module's client */
    ngx_http_edge_auth_provider_t    *provider;

    /* per worker: the parsed document and the generation it came from */
    ea_keyset_t                 *keys;
    uint64_t                     keys_generation;
    ngx_pool_t                  *metadata_pool;
    ea_oidc_metadata_t          *metadata;
} ngx_http_edge_auth_source_t;


/* An oidc_provider { } block. */
struct ngx_http_edge_auth_provider_s {
    ngx_str_t                    name;
    ngx_str_t                    conf_file;
    ngx_uint_t                   conf_line;

    ngx_str_t                    cookie_name;
    ngx_str_t                    cookie_domain;
    ngx_uint_t                   cookie_samesite;   /* NGX_HTTP_EDGE_AUTH_SAMESITE_* */
    ngx_flag_t                   cookie_secure;
    ngx_flag_t                   strip_cookies;
    time_t                       session_timeout;
    time_t                       idle_timeout;
    ngx_str_t                    key_file;
    ngx_array_t                 *claims;            /* ea_str_t */

    ea_session_keys_t           *keys;
    ea_sealer_t                 *sealer;

    /* the login flow; off (session-only provider) when no issuer is configured */
    ngx_str_t                    issuer;
    ngx_str_t                    client_id;
    ngx_str_t                    client_secret;
    ngx_str_t                    client_secret_file;
    ngx_str_t                    config_url;
    ngx_str_t                    redirect_uri;      /* absolute, or a path */
    ngx_str_t                    redirect_path;     /* its path: where the callback is served */
    ngx_str_t                    scope;
    ngx_str_t                    extra_auth_args;
    ngx_uint_t                   auth_method;       /* 0 = from the metadata, or
                                                       EA_OIDC_AUTH_BASIC / _POST */
    ngx_flag_t                   pkce;
    ngx_flag_t                   allow_http;
    ngx_str_t                    trusted_certificate;
    ngx_msec_t                   timeout;
    time_t                       login_timeout;
    ngx_uint_t                   max_pending_logins;

#if (NGX_HTTP_SSL)
    ngx_ssl_t                   *ssl;
#else
    void                        *ssl;
#endif
    ngx_http_upstream_conf_t     upstream;
    ngx_http_edge_auth_source_t *discovery;
    ngx_http_edge_auth_source_t *jwks;

    time_t                       refresh_margin;    /* refresh this long before expiry */

    /* signing out */
    ngx_str_t                    logout_uri;
    ngx_str_t                    post_logout_uri;
    ngx_flag_t                   logout_token_hint;
    ngx_str_t                    backchannel_logout_uri;
    ngx_str_t                    frontchannel_logout_uri;
};


#define NGX_HTTP_EDGE_AUTH_UNAUTH_AUTO      0   /* 302 for navigations, 401 otherwise */
#define NGX_HTTP_EDGE_AUTH_UNAUTH_REDIRECT  1
#define NGX_HTTP_EDGE_AUTH_UNAUTH_401       2
#define NGX_HTTP_EDGE_AUTH_UNAUTH_PASS      3   /* continue with an empty identity */


#define NGX_HTTP_EDGE_AUTH_SAMESITE_LAX     0
#define NGX_HTTP_EDGE_AUTH_SAMESITE_STRICT  1
#define NGX_HTTP_EDGE_AUTH_SAMESITE_NONE    2


typedef struct {
    ngx_array_t                  providers;       /* ngx_http_edge_auth_provider_t * */
    ngx_shm_zone_t              *zone;
    ngx_http_edge_auth_shm_t    *sh;
    ngx_slab_pool_t             *shpool;
    ngx_array_t                  sources;         /* ngx_http_edge_auth_source_t * */
    ngx_uint_t                   token_cache_size;
    ea_token_cache_t            *token_cache;     /* per worker, made in init_process */
    ea_session_cache_t          *session_cache;   /* per worker, the same capacity */
    ngx_http_edge_auth_routes_t *routes;          /* policy.c: every block, as merged */

    /* revocations: auth_oidc_revocation_size, auth_oidc_revocation_file */
    ngx_uint_t                   revocation_size;
    ngx_str_t                    revocation_file;
    ngx_open_file_t             *revocation_journal;
    time_t                       max_session_timeout; /* longest session of any provider */
    ea_revocation_set_t         *revocations;         /* per worker */
    uint64_t                     revocations_generation;
    int64_t                      revocation_floor;
} ngx_http_edge_auth_main_conf_t;


typedef struct {
    ngx_array_t                 *scrub_prefixes;  /* ngx_str_t, lower case; empty = off */

    /* edge_auth_policy (policy.c); 0 = unset, inherited from http{} by policy.c itself */
    ngx_uint_t                   policy;
    ngx_str_t                    policy_file;
    ngx_uint_t                   policy_line;
} ngx_http_edge_auth_srv_conf_t;


/*
 * Route coverage (policy.c): where a server, location, if or limit_except block opens, and
 * what edge_auth_public says about it. Filled when the block's configuration is created;
 * public_in and route when it is merged.
 */
typedef struct ngx_http_edge_auth_block_s  ngx_http_edge_auth_block_t;

struct ngx_http_edge_auth_block_s {
    ngx_str_t                    text;            /* "location = /x", "if (...)", ... */
    ngx_str_t                    file;
    ngx_uint_t                   line;
    ngx_str_t                    public_reason;   /* edge_auth_public; .data NULL: unset */
    ngx_str_t                    public_file;
    ngx_uint_t                   public_line;
    ngx_http_edge_auth_block_t  *public_in;       /* the edge_auth_public that applies here,
                                                     its own or inherited; NULL: none */
    ngx_http_edge_auth_route_t  *route;           /* set when nginx merges the block */
};


typedef struct {
    /* auth_jwt realm [token=$var] | off */
    ngx_uint_t                   jwt;
    ngx_http_complex_value_t    *realm;
    ngx_http_complex_value_t    *token;
    ngx_str_t                    jwt_conf_file;     /* where auth_jwt was set, for messages */
    ngx_uint_t                   jwt_conf_line;

    /* key sources and verification policy */
    ngx_array_t                 *key_files;         /* ngx_str_t */
    ngx_http_edge_auth_source_t *key_source;        /* auth_jwt_key_request */
    ea_jwks_timing_t             key_timing;        /* auth_jwt_key_cache */
    ngx_flag_t                   key_timing_set;
    ngx_uint_t                   algorithms;        /* EA_ALG_* bits */
    ngx_array_t                 *issuers;           /* ea_str_t */
    ngx_array_t                 *audiences;         /* ea_str_t */
    ngx_array_t                 *types;             /* ea_str_t */
    time_t                       leeway;
    ngx_flag_t                   require_exp;
    size_t                       max_token_size;

    /* auth_oidc name | off; auth_oidc_unauthenticated */
    ngx_uint_t                   oidc;              /* UNSET / OFF / ON */
    ngx_uint_t                   oidc_unauth;       /* NGX_HTTP_EDGE_AUTH_UNAUTH_* */
    ngx_str_t                    oidc_name;
    ngx_http_edge_auth_provider_t  *provider;

    /* auth_jwt_require $value ... [error=401|403] */
    ngx_array_t                 *require;           /* ngx_http_complex_value_t */
    ngx_uint_t                   require_error;

    /* built at merge time, immutable afterwards, freed with the cycle */
    ea_keyset_t                 *keys;
    ea_policy_t                 *policy;

    /* route coverage (policy.c) */
    ngx_http_edge_auth_block_t   block;
} ngx_http_edge_auth_loc_conf_t;


typedef struct ngx_http_edge_auth_login_s  ngx_http_edge_auth_login_t;


/* The audit trail ($edge_auth_* variables): what the last check of a request decided. */
#define NGX_HTTP_EDGE_AUTH_AUDIT_NONE      0
#define NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW     1
#define NGX_HTTP_EDGE_AUTH_AUDIT_DENY      2
#define NGX_HTTP_EDGE_AUTH_AUDIT_REDIRECT  3
#define NGX_HTTP_EDGE_AUTH_AUDIT_PASS      4
#define NGX_HTTP_EDGE_AUTH_AUDIT_LOGOUT    5

/* who the deciding check is for */
#define NGX_HTTP_EDGE_AUTH_ACTOR_NONE      0
#define NGX_HTTP_EDGE_AUTH_ACTOR_USER      1   /* auth_oidc: a browser session */
#define NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT    2   /* auth_jwt: a bearer token */


/*
 * Per-request state across re-entries of the access handler. It survives internal redirects
 * (see ngx_http_edge_auth_get_ctx): the session cookie is stripped from the request once opened,
 * so a redirected request must find its session here.
 */
typedef struct {
    ea_token_t                  *token;          /* the verified token once accepted */
    ea_session_t                *session;        /* the opened session cookie */
    ngx_http_edge_auth_provider_t  *session_provider;
    ngx_http_edge_auth_login_t  *login;           /* a callback in progress */
    ngx_http_edge_auth_refresh_t  *refresh;       /* a token refresh in progress */
    ngx_msec_t                   waited;         /* polling another worker's fetch */
    unsigned                     fetching:1;     /* a waited key fetch is in flight */
    unsigned                     forced:1;       /* an unknown kid already asked for keys */
    unsigned                     rejection_logged:1;
    unsigned                     logout_done:1;     /* revoked and cookies cleared */
    unsigned                     body_requested:1;  /* back-channel logout body */
    unsigned                     body_reading:1;
    unsigned                     body_read:1;
    unsigned                     refetched:1;
    unsigned                     audit_decision:3;  /* NGX_HTTP_EDGE_AUTH_AUDIT_* */
    unsigned                     audit_actor:2;     /* NGX_HTTP_EDGE_AUTH_ACTOR_* */
    const char                  *audit_reason;      /* a static reason code, or NULL */
    ngx_str_t                    audit_subject;     /* sign-in and sign-out only; else the */
    ngx_str_t                    audit_session;     /* token's or session's, read on use */
    ngx_str_t                    logout_hint;       /* the ID token for id_token_hint */
} ngx_http_edge_auth_ctx_t;


/*
 * Records a decision (the reason: a stable code of docs/reason-codes.md, or NULL). Called at
 * every outcome of a check; the last call of a request wins. Nothing is rendered here.
 */
static ngx_inline void
ngx_http_edge_auth_audit(ngx_http_edge_auth_ctx_t *ctx, ngx_uint_t decision,
    ngx_uint_t actor, const char *reason)
{
    ctx->audit_decision = decision;
    ctx->audit_actor = actor;
    ctx->audit_reason = reason;
    ctx->audit_subject.len = 0;
    ctx->audit_session.len = 0;
}


/* A response from the provider, as the module's client read it. */
typedef struct {
    ngx_uint_t                   status;     /* HTTP status; 0 when there is no response */
    ngx_str_t                    body;
    int64_t                      max_age;    /* Cache-Control max-age, or -1 */
    const char                  *error;      /* why there is no response, or NULL */
} ngx_http_edge_auth_response_t;

typedef void (*ngx_http_edge_auth_client_done_pt)(ngx_http_request_t *sr,
    void *data, ngx_http_edge_auth_response_t *resp);

typedef struct {
    ngx_str_t                    url;             /* absolute http(s) URL */
    ngx_str_t                    body;            /* a form POST when not empty, else GET */
    ngx_str_t                    authorization;   /* Authorization value, or empty */
    ngx_uint_t                   background;      /* nobody waits for it */
    ngx_http_edge_auth_client_done_pt  done;
    void                        *data;
} ngx_http_edge_auth_client_request_t;

#define NGX_HTTP_EDGE_AUTH_CLIENT_MAGIC  0x65616331   /* first field of the client's context */
#define NGX_HTTP_EDGE_AUTH_FETCH_MAGIC   0x65616b31   /* first field of a key fetch's context */


extern ngx_module_t  ngx_http_edge_auth_module;


ngx_int_t ngx_http_edge_auth_jwt_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_edge_auth_oidc_handler(ngx_http_request_t *r);
ngx_http_edge_auth_ctx_t *ngx_http_edge_auth_get_ctx(ngx_http_request_t *r,
    ngx_uint_t create);
char *ngx_http_edge_auth_oidc_provider(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_edge_auth_oidc(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_edge_auth_merge_oidc(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *prev, ngx_http_edge_auth_loc_conf_t *conf);

/* keys.c: the key set a request verifies with (NGX_OK, *keys set), or NGX_AGAIN (the request
 * waits for a fetch and the handler runs again), NGX_DECLINED (no usable keys: 503), NGX_ERROR */
ngx_int_t ngx_http_edge_auth_request_keys(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_http_edge_auth_ctx_t *ctx,
    ngx_uint_t forced, const ea_keyset_t **keys);
char *ngx_http_edge_auth_key_request(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_edge_auth_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_edge_auth_key_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_edge_auth_init_key_zone(ngx_conf_t *cf,
    ngx_http_edge_auth_main_conf_t *amcf);
ngx_int_t ngx_http_edge_auth_init_capture(ngx_conf_t *cf);

/* keys.c: a provider document (discovery or JWKS) ready for use: NGX_OK, NGX_AGAIN (fetching),
 * NGX_DECLINED (none usable), NGX_ERROR */
ngx_int_t ngx_http_edge_auth_source_ready(ngx_http_request_t *r,
    ngx_http_edge_auth_source_t *src, ngx_http_edge_auth_ctx_t *ctx,
    ngx_uint_t forced);
ngx_http_edge_auth_source_t *ngx_http_edge_auth_add_source(ngx_conf_t *cf,
    ngx_uint_t kind, ngx_str_t *uri);

/* client.c */
ngx_int_t ngx_http_edge_auth_client_fetch(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_client_request_t *req);

/* login.c */
ngx_int_t ngx_http_edge_auth_login(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_http_edge_auth_ctx_t *ctx);
ngx_int_t ngx_http_edge_auth_callback(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx);
ngx_int_t ngx_http_edge_auth_origin(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_str_t *origin,
    ngx_str_t *redirect_uri);
ngx_int_t ngx_http_edge_auth_redirect(ngx_http_request_t *r,
    ngx_str_t *location);

/* logout.c */
ngx_int_t ngx_http_edge_auth_logout(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx);
ngx_int_t ngx_http_edge_auth_backchannel(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx);
ngx_int_t ngx_http_edge_auth_frontchannel(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx);

/* oidc.c, shared with login.c */
ngx_int_t ngx_http_edge_auth_cookie_headers(ngx_http_request_t *r,
    ea_str_t *headers, size_t *n);
ngx_int_t ngx_http_edge_auth_set_cookie(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_t *cookie, int64_t max_age,
    ngx_uint_t samesite);
ngx_int_t ngx_http_edge_auth_set_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_set_t *set, int64_t max_age);
ngx_int_t ngx_http_edge_auth_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);

#define NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS  32

/* refresh.c */
ngx_int_t ngx_http_edge_auth_refresh_init(ngx_log_t *log, ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh);
ngx_int_t ngx_http_edge_auth_refresh(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ea_session_t **session, ea_session_cookies_t *jar);
void ngx_http_edge_auth_client_init(ngx_http_edge_auth_provider_t *p,
    ea_oidc_metadata_t *md, ea_oidc_client_t *client);
ngx_int_t ngx_http_edge_auth_wait_ms(ngx_http_request_t *r, ngx_msec_t ms);

/* revoke.c */
ngx_int_t ngx_http_edge_auth_revocations_init(ngx_log_t *log,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh);
ngx_int_t ngx_http_edge_auth_revoke(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_revoke_kind_t kind, ea_str_t *value,
    int64_t expires);
ngx_int_t ngx_http_edge_auth_store_revocation(ngx_http_request_t *r,
    ea_revocation_t *record);
ngx_int_t ngx_http_edge_auth_revoked(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_session_t *session,
    ea_revoke_kind_t *kind);
void ngx_http_edge_auth_revocations_exit(ngx_http_edge_auth_main_conf_t *amcf);
char *ngx_http_edge_auth_revocation_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* policy.c: route coverage, all at configuration time */
ngx_int_t ngx_http_edge_auth_policy_block(ngx_conf_t *cf,
    ngx_http_edge_auth_block_t *block);
ngx_int_t ngx_http_edge_auth_policy_record(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *prev, ngx_http_edge_auth_loc_conf_t *conf);
ngx_int_t ngx_http_edge_auth_policy_check(ngx_conf_t *cf);
char *ngx_http_edge_auth_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_edge_auth_public(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

ngx_int_t ngx_http_edge_auth_scrub_handler(ngx_http_request_t *r);

ngx_int_t ngx_http_edge_auth_add_variables(ngx_conf_t *cf);
char *ngx_http_edge_auth_claim_set(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* Allocation callback handed to the core: memory from the request pool. */
void *ngx_http_edge_auth_pool_alloc(void *pool, size_t size);

#endif /* NGX_HTTP_EDGE_AUTH_H */
