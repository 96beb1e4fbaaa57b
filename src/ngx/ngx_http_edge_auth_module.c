/*
 * nginx-edge-auth: the module definition, its directives and their configuration.
 *
 * Layout follows nginx's own modules: configuration structs (in ngx_http_edge_auth.h), the
 * command table, the module context and module, configuration create/merge, the
 * postconfiguration that installs the phase handlers, and last the directive handlers.
 *
 * Everything that can be checked at configuration time is: key files are read and parsed, the
 * verification policy is built, and a location that enables auth_jwt without keys fails
 * `nginx -t` with a message naming the directive and the fix. Requests only read what merge built.
 */

#include "ngx_http_edge_auth.h"


static ngx_int_t ngx_http_edge_auth_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_edge_auth_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_edge_auth_init_process(ngx_cycle_t *cycle);
static void ngx_http_edge_auth_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_edge_auth_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_edge_auth_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_edge_auth_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_edge_auth_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static void *ngx_http_edge_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_edge_auth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_edge_auth_build_keys(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *conf);
static char *ngx_http_edge_auth_build_policy(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *conf);
static void ngx_http_edge_auth_free_keys(void *data);
static void ngx_http_edge_auth_free_policy(void *data);

static char *ngx_http_edge_auth_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_type(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_edge_auth_scrub_headers(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_edge_auth_leeway_check(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_edge_auth_token_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#define NGX_HTTP_EDGE_AUTH_DEFAULT_MAX_TOKEN  8192
#define NGX_HTTP_EDGE_AUTH_MAX_LEEWAY         600
#define NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE       (1024 * 1024)
#define NGX_HTTP_EDGE_AUTH_TOKEN_CACHE        4096


static ngx_conf_post_handler_pt  ngx_http_edge_auth_leeway_post =
    ngx_http_edge_auth_leeway_check;


/* auth_oidc_unauthenticated: what a request without a session gets */
static ngx_conf_enum_t  ngx_http_edge_auth_unauth_modes[] = {
    { ngx_string("auto"), NGX_HTTP_EDGE_AUTH_UNAUTH_AUTO },
    { ngx_string("redirect"), NGX_HTTP_EDGE_AUTH_UNAUTH_REDIRECT },
    { ngx_string("401"), NGX_HTTP_EDGE_AUTH_UNAUTH_401 },
    { ngx_string("pass"), NGX_HTTP_EDGE_AUTH_UNAUTH_PASS },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_edge_auth_commands[] = {

    { ngx_string("auth_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE12,
      ngx_http_edge_auth_jwt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_edge_auth_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, key_files),
      NULL },

    { ngx_string("auth_jwt_key_request"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_edge_auth_key_request,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_edge_auth_key_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_key_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_token_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_token_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_oidc_revocation_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_main_conf_t, revocation_size),
      NULL },

    { ngx_string("auth_oidc_revocation_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_revocation_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oidc_provider"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_edge_auth_oidc_provider,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_oidc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_oidc,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_oidc_unauthenticated"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, oidc_unauth),
      &ngx_http_edge_auth_unauth_modes },

    { ngx_string("auth_jwt_algorithms"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_edge_auth_algorithms,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_edge_auth_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, issuers),
      NULL },

    { ngx_string("auth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_edge_auth_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, audiences),
      NULL },

    { ngx_string("auth_jwt_typ"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_edge_auth_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, types),
      NULL },

    { ngx_string("auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, leeway),
      &ngx_http_edge_auth_leeway_post },

    { ngx_string("auth_jwt_require_exp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, require_exp),
      NULL },

    { ngx_string("auth_jwt_max_token_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_edge_auth_loc_conf_t, max_token_size),
      NULL },

    { ngx_string("auth_jwt_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_edge_auth_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_edge_auth_type,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_claim_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_edge_auth_claim_set,
      NGX_HTTP_MAIN_CONF_OFFSET,
      EA_PART_CLAIMS,
      NULL },

    { ngx_string("auth_jwt_header_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_edge_auth_claim_set,
      NGX_HTTP_MAIN_CONF_OFFSET,
      EA_PART_HEADER,
      NULL },

    { ngx_string("edge_auth_scrub_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_edge_auth_scrub_headers,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("edge_auth_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_policy,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("edge_auth_public"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_edge_auth_public,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_edge_auth_module_ctx = {
    ngx_http_edge_auth_preconfiguration,   /* preconfiguration */
    ngx_http_edge_auth_init,               /* postconfiguration */

    ngx_http_edge_auth_create_main_conf,   /* create main configuration */
    ngx_http_edge_auth_init_main_conf,     /* init main configuration */

    ngx_http_edge_auth_create_srv_conf,    /* create server configuration */
    ngx_http_edge_auth_merge_srv_conf,     /* merge server configuration */

    ngx_http_edge_auth_create_loc_conf,    /* create location configuration */
    ngx_http_edge_auth_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_edge_auth_module = {
    NGX_MODULE_V1,
    &ngx_http_edge_auth_module_ctx,        /* module context */
    ngx_http_edge_auth_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_edge_auth_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_edge_auth_exit_process,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_edge_auth_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_edge_auth_add_variables(cf);
}


static ngx_int_t
ngx_http_edge_auth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt             *h;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_edge_auth_module);

    if (ngx_http_edge_auth_init_key_zone(cf, amcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_edge_auth_init_capture(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* scrubbing runs before anything can read the client's headers */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_edge_auth_scrub_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_edge_auth_jwt_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_edge_auth_oidc_handler;

    /* every location is final here: edge_auth_policy and the route inventory */
    if (ngx_http_edge_auth_policy_check(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The verified-token and opened-session caches are per worker: see
 * ea_token_cache_new() for why. auth_jwt_token_cache sizes both.
 */
static ngx_int_t
ngx_http_edge_auth_init_process(ngx_cycle_t *cycle)
{
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_edge_auth_module);

    if (amcf == NULL || amcf->token_cache_size == 0) {
        return NGX_OK;
    }

    amcf->token_cache = ea_token_cache_new(amcf->token_cache_size);
    if (amcf->token_cache == NULL) {
        return NGX_ERROR;
    }

    amcf->session_cache = ea_session_cache_new(amcf->token_cache_size);
    if (amcf->session_cache == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_edge_auth_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_http_edge_auth_source_t     **src;
    ngx_http_edge_auth_main_conf_t   *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_edge_auth_module);

    if (amcf == NULL) {
        return;
    }

    if (amcf->token_cache) {
        ea_token_cache_free(amcf->token_cache);
        amcf->token_cache = NULL;
    }

    if (amcf->session_cache) {
        ea_session_cache_free(amcf->session_cache);
        amcf->session_cache = NULL;
    }

    ngx_http_edge_auth_revocations_exit(amcf);

    src = amcf->sources.elts;

    for (i = 0; i < amcf->sources.nelts; i++) {
        if (src[i]->keys) {
            ea_keyset_free(src[i]->keys);
            src[i]->keys = NULL;
        }

        if (src[i]->metadata_pool) {
            ngx_destroy_pool(src[i]->metadata_pool);
            src[i]->metadata_pool = NULL;
            src[i]->metadata = NULL;
        }
    }
}


static void
ngx_http_edge_auth_ctx_cleanup(void *data)
{
    ngx_http_edge_auth_ctx_t  *ctx = data;

    if (ctx->session) {
        ea_session_free(ctx->session);
        ctx->session = NULL;
    }
}


/*
 * The request's context, created on demand. nginx zeroes module contexts on an internal
 * redirect (error_page, try_files, rewrite ... last); ours is found again through the pool
 * cleanup that owns it, so a redirected request keeps its verified identity.
 */
ngx_http_edge_auth_ctx_t *
ngx_http_edge_auth_get_ctx(ngx_http_request_t *r, ngx_uint_t create)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_edge_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_edge_auth_module);

    if (ctx != NULL || r != r->main) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_edge_auth_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_edge_auth_module);
            return ctx;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_edge_auth_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_edge_auth_ctx_t));
    cln->handler = ngx_http_edge_auth_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_edge_auth_module);

    return ctx;
}


static void *
ngx_http_edge_auth_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->sources, cf->pool, 2,
                       sizeof(ngx_http_edge_auth_source_t *))
        != NGX_OK
        || ngx_array_init(&amcf->providers, cf->pool, 2,
                          sizeof(ngx_http_edge_auth_provider_t *))
           != NGX_OK)
    {
        return NULL;
    }

    amcf->token_cache_size = NGX_CONF_UNSET_UINT;
    amcf->revocation_size = NGX_CONF_UNSET_UINT;

    return amcf;
}


static char *
ngx_http_edge_auth_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_edge_auth_main_conf_t  *amcf = conf;

    ngx_uint_t                       i;
    ngx_http_edge_auth_provider_t  **p;

    ngx_conf_init_uint_value(amcf->token_cache_size,
                             NGX_HTTP_EDGE_AUTH_TOKEN_CACHE);

    /* 48 bytes each in the shared zone; 4096 take 192 KiB of the default 1 MiB */
    ngx_conf_init_uint_value(amcf->revocation_size, 4096);

    if (amcf->revocation_size < 16 || amcf->revocation_size > 1000000) {
        return "auth_oidc_revocation_size must be between 16 and 1000000";
    }

    /* how long a record that refuses everything (a full list) must live */
    p = amcf->providers.elts;

    for (i = 0; i < amcf->providers.nelts; i++) {
        amcf->max_session_timeout = ngx_max(amcf->max_session_timeout,
                                            p[i]->session_timeout);
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_edge_auth_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_edge_auth_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /* conf->scrub_prefixes = NULL: unset */

    return conf;
}


static char *
ngx_http_edge_auth_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_edge_auth_srv_conf_t  *prev = parent;
    ngx_http_edge_auth_srv_conf_t  *conf = child;

    ngx_str_t  *prefix;

    if (conf->scrub_prefixes == NULL) {
        conf->scrub_prefixes = prev->scrub_prefixes;
    }

    if (conf->scrub_prefixes == NULL) {
        /* default: the prefix the documentation and examples use for identity headers */
        conf->scrub_prefixes = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (conf->scrub_prefixes == NULL) {
            return NGX_CONF_ERROR;
        }

        prefix = ngx_array_push(conf->scrub_prefixes);
        if (prefix == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(prefix, "x-auth-");
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_edge_auth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_edge_auth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->realm = NULL;
     *     conf->token = NULL;
     *     conf->key_files = NULL;
     *     conf->issuers = NULL;
     *     conf->audiences = NULL;
     *     conf->types = NULL;
     *     conf->require = NULL;
     *     conf->keys = NULL;
     *     conf->policy = NULL;
     */

    conf->jwt = NGX_HTTP_EDGE_AUTH_JWT_UNSET;
    conf->oidc = NGX_CONF_UNSET_UINT;
    conf->oidc_unauth = NGX_CONF_UNSET_UINT;
    conf->algorithms = NGX_CONF_UNSET_UINT;
    conf->leeway = NGX_CONF_UNSET;
    conf->require_exp = NGX_CONF_UNSET;
    conf->max_token_size = NGX_CONF_UNSET_SIZE;
    conf->require_error = NGX_CONF_UNSET_UINT;

    if (ngx_http_edge_auth_policy_block(cf, &conf->block) != NGX_OK) {
        return NULL;
    }

    return conf;
}


static char *
ngx_http_edge_auth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_edge_auth_loc_conf_t  *prev = parent;
    ngx_http_edge_auth_loc_conf_t  *conf = child;

    char        *rv;
    ngx_uint_t   own_policy;

    /* first, before anything is inherited: what this block sets itself (route coverage) */
    if (ngx_http_edge_auth_policy_record(cf, prev, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_UNSET) {
        if (prev->jwt == NGX_HTTP_EDGE_AUTH_JWT_UNSET) {
            conf->jwt = NGX_HTTP_EDGE_AUTH_JWT_OFF;

        } else {
            conf->jwt = prev->jwt;
            conf->realm = prev->realm;
            conf->token = prev->token;
            conf->jwt_conf_file = prev->jwt_conf_file;
            conf->jwt_conf_line = prev->jwt_conf_line;
        }
    }

    ngx_conf_merge_uint_value(conf->oidc_unauth, prev->oidc_unauth,
                              NGX_HTTP_EDGE_AUTH_UNAUTH_AUTO);

    rv = ngx_http_edge_auth_merge_oidc(cf, prev, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* a policy setting made at this level means this level needs its own policy object */
    own_policy = conf->algorithms != NGX_CONF_UNSET_UINT
                 || conf->issuers != NULL
                 || conf->audiences != NULL
                 || conf->types != NULL
                 || conf->leeway != NGX_CONF_UNSET
                 || conf->require_exp != NGX_CONF_UNSET
                 || conf->max_token_size != NGX_CONF_UNSET_SIZE
                 || prev->policy == NULL;

    ngx_conf_merge_uint_value(conf->algorithms, prev->algorithms,
                              EA_ALGS_ASYMMETRIC);

    /* lists are NULL when unset: inherited whole, never concatenated */
    if (conf->issuers == NULL) {
        conf->issuers = prev->issuers;
    }

    if (conf->audiences == NULL) {
        conf->audiences = prev->audiences;
    }

    if (conf->types == NULL) {
        conf->types = prev->types;
    }

    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_value(conf->require_exp, prev->require_exp, 1);
    ngx_conf_merge_size_value(conf->max_token_size, prev->max_token_size,
                              NGX_HTTP_EDGE_AUTH_DEFAULT_MAX_TOKEN);

    if (conf->require == NULL) {
        conf->require = prev->require;
        conf->require_error = prev->require_error;
    }

    ngx_conf_merge_uint_value(conf->require_error, prev->require_error,
                              NGX_HTTP_UNAUTHORIZED);

    if (own_policy) {
        rv = ngx_http_edge_auth_build_policy(cf, conf);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

    } else {
        conf->policy = prev->policy;
    }

    if (!conf->key_timing_set) {
        if (prev->key_timing_set) {
            conf->key_timing = prev->key_timing;

        } else {
            ea_jwks_timing_init(&conf->key_timing);
        }

        conf->key_timing_set = 1;
    }

    if (conf->key_source == NULL) {
        conf->key_source = prev->key_source;
    }

    if (conf->key_source != NULL && conf->key_source->timing.max_age == 0) {
        /* the first level that merges a source gives it its refresh schedule */
        conf->key_source->timing = conf->key_timing;
    }

    if (conf->key_files == NULL) {
        conf->key_files = prev->key_files;
        conf->keys = prev->keys;
    }

    /* the http{} level is never merged into, so its key files are parsed by the first child */
    if (conf->key_files != NULL && conf->keys == NULL) {
        rv = ngx_http_edge_auth_build_keys(cf, conf);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON
        && conf->keys == NULL && conf->key_source == NULL)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"auth_jwt\" in %V:%ui has no keys to verify tokens "
                      "with: add \"auth_jwt_key_file /path/to/jwks.json;\" "
                      "or \"auth_jwt_key_request /_jwks;\" at the same or an "
                      "enclosing level",
                      &conf->jwt_conf_file, conf->jwt_conf_line);
        return NGX_CONF_ERROR;
    }

    if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON
        && conf->keys != NULL && conf->key_source != NULL)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"auth_jwt\" in %V:%ui has both \"auth_jwt_key_file\" "
                      "and \"auth_jwt_key_request\": one location verifies "
                      "against one key set; use separate locations, or "
                      "\"auth_jwt_key_file\" inside the key request's own "
                      "location is not needed",
                      &conf->jwt_conf_file, conf->jwt_conf_line);
        return NGX_CONF_ERROR;
    }

    if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON
        && (conf->algorithms & EA_ALGS_HMAC)
        && (conf->algorithms & EA_ALGS_ASYMMETRIC))
    {
        /* RFC 8725 3.1: one key source should not accept both families */
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"auth_jwt\" in %V:%ui allows both HMAC and asymmetric "
                      "algorithms; list only the family your issuer uses in "
                      "\"auth_jwt_algorithms\"",
                      &conf->jwt_conf_file, conf->jwt_conf_line);
    }

    return NGX_CONF_OK;
}


/* Adapts the core's per-key warnings (weak or unusable keys) to the configuration log. */
typedef struct {
    ngx_conf_t  *cf;
    ngx_str_t   *file;
} ngx_http_edge_auth_warn_ctx_t;


static void
ngx_http_edge_auth_key_warning(void *data, const char *message)
{
    ngx_http_edge_auth_warn_ctx_t  *wctx = data;

    ngx_log_error(NGX_LOG_WARN, wctx->cf->log, 0,
                  "auth_jwt_key_file \"%V\": key ignored: %s",
                  wctx->file, message);
}


static char *
ngx_http_edge_auth_build_keys(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *conf)
{
    char                           err[256];
    size_t                         before;
    ssize_t                        n;
    ngx_fd_t                       fd;
    ngx_str_t                     *file;
    ngx_uint_t                     i;
    ngx_file_t                     f;
    ngx_file_info_t                fi;
    ngx_pool_cleanup_t            *cln;
    ngx_http_edge_auth_warn_ctx_t  wctx;
    u_char                        *buf;

    conf->keys = ea_keyset_new();
    if (conf->keys == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ea_keyset_free(conf->keys);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_edge_auth_free_keys;
    cln->data = conf->keys;

    file = conf->key_files->elts;

    for (i = 0; i < conf->key_files->nelts; i++) {

        fd = ngx_open_file(file[i].data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (fd == NGX_INVALID_FILE) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, ngx_errno,
                          "auth_jwt_key_file \"%V\": cannot open: "
                          ngx_open_file_n " failed", &file[i]);
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&f, sizeof(ngx_file_t));
        f.fd = fd;
        f.name = file[i];
        f.log = cf->log;

        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
            || ngx_file_size(&fi) > NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "auth_jwt_key_file \"%V\": cannot stat, or larger "
                          "than %d bytes", &file[i],
                          NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE);
            ngx_close_file(fd);
            return NGX_CONF_ERROR;
        }

        buf = ngx_pnalloc(cf->temp_pool, (size_t) ngx_file_size(&fi) + 1);
        if (buf == NULL) {
            ngx_close_file(fd);
            return NGX_CONF_ERROR;
        }

        n = ngx_read_file(&f, buf, (size_t) ngx_file_size(&fi), 0);
        ngx_close_file(fd);

        if (n != (ssize_t) ngx_file_size(&fi)) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "auth_jwt_key_file \"%V\": short read", &file[i]);
            return NGX_CONF_ERROR;
        }

        wctx.cf = cf;
        wctx.file = &file[i];
        before = ea_keyset_size(conf->keys);

        if (ea_keyset_add_jwks(conf->keys, (const char *) buf, (size_t) n,
                               ngx_http_edge_auth_key_warning, &wctx,
                               err, sizeof(err))
            != 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "auth_jwt_key_file \"%V\": not a usable JWKS: %s",
                          &file[i], err);
            return NGX_CONF_ERROR;
        }

        if (ea_keyset_size(conf->keys) == before) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "auth_jwt_key_file \"%V\": no usable key (see the "
                          "warnings above for why each key was dropped)",
                          &file[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ea_str_t *
ngx_http_edge_auth_str_array(ngx_array_t *a, size_t *n)
{
    if (a == NULL) {
        *n = 0;
        return NULL;
    }

    *n = a->nelts;
    return a->elts;
}


static char *
ngx_http_edge_auth_build_policy(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *conf)
{
    char                 err[256];
    ea_policy_conf_t     pc;
    ngx_pool_cleanup_t  *cln;

    ea_policy_conf_init(&pc);

    pc.algorithms = (unsigned) conf->algorithms;
    pc.issuers = ngx_http_edge_auth_str_array(conf->issuers, &pc.n_issuers);
    pc.audiences = ngx_http_edge_auth_str_array(conf->audiences,
                                                &pc.n_audiences);
    pc.types = ngx_http_edge_auth_str_array(conf->types, &pc.n_types);
    pc.leeway = conf->leeway;
    pc.require_exp = conf->require_exp ? 1 : 0;
    pc.max_token_size = conf->max_token_size;

    conf->policy = ea_policy_create(&pc, err, sizeof(err));
    if (conf->policy == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "invalid auth_jwt verification settings: %s", err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ea_policy_free(conf->policy);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_edge_auth_free_policy;
    cln->data = conf->policy;

    return NGX_CONF_OK;
}


static void
ngx_http_edge_auth_free_keys(void *data)
{
    ea_keyset_free(data);
}


static void
ngx_http_edge_auth_free_policy(void *data)
{
    ea_policy_free(data);
}


/* auth_jwt realm [token=$variable] | off */
static char *
ngx_http_edge_auth_jwt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    ngx_str_t                         *value, token;
    ngx_http_compile_complex_value_t   ccv;

    if (lcf->jwt != NGX_HTTP_EDGE_AUTH_JWT_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->jwt_conf_file = cf->conf_file->file.name;
    lcf->jwt_conf_line = cf->conf_file->line;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no other parameter with \"off\"";
        }

        lcf->jwt = NGX_HTTP_EDGE_AUTH_JWT_OFF;
        return NGX_CONF_OK;
    }

    lcf->jwt = NGX_HTTP_EDGE_AUTH_JWT_ON;

    lcf->realm = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->realm == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = lcf->realm;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[2].data, "token=", 6) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": the only parameter "
                           "after the realm is \"token=$variable\"",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    token.data = value[2].data + 6;
    token.len = value[2].len - 6;

    if (token.len == 0 || ngx_http_script_variables_count(&token) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"token=\" needs a variable, for example "
                           "\"token=$cookie_auth\" or \"token=$arg_access_token\"");
        return NGX_CONF_ERROR;
    }

    lcf->token = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->token == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &token;
    ccv.complex_value = lcf->token;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_edge_auth_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *file;
    ngx_array_t  **files;

    value = cf->args->elts;

    if (ngx_http_script_variables_count(&value[1]) != 0) {
        /* keys are parsed once at configuration time, never per request */
        return "does not support variables: name a file; to choose keys per "
               "request use separate locations";
    }

    files = (ngx_array_t **) (p + cmd->offset);

    if (*files == NULL) {
        *files = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (*files == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    file = ngx_array_push(*files);
    if (file == NULL) {
        return NGX_CONF_ERROR;
    }

    *file = value[1];

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_edge_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    unsigned     bit;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (lcf->algorithms != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    lcf->algorithms = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        bit = ea_alg_from_name((const char *) value[i].data, value[i].len);

        if (bit == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown algorithm \"%V\": use RS256, RS384, "
                               "RS512, PS256, PS384, PS512, ES256, ES384, "
                               "ES512, EdDSA, HS256, HS384 or HS512 "
                               "(names are case-sensitive; \"none\" is never "
                               "accepted)", &value[i]);
            return NGX_CONF_ERROR;
        }

        lcf->algorithms |= bit;
    }

    return NGX_CONF_OK;
}


/* auth_jwt_issuer, auth_jwt_audience, auth_jwt_typ: a list of exact strings */
static char *
ngx_http_edge_auth_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ea_str_t      *s;
    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_array_t  **list;

    list = (ngx_array_t **) (p + cmd->offset);

    if (*list != NULL) {
        return "is duplicate: give every value in one directive";
    }

    *list = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ea_str_t));
    if (*list == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty value";
        }

        s = ngx_array_push(*list);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->data = (const char *) value[i].data;
        s->len = value[i].len;
    }

    return NGX_CONF_OK;
}


/* auth_jwt_require $value ... [error=401|403] */
static char *
ngx_http_edge_auth_require(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i, n;
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    if (lcf->require == NULL) {
        lcf->require = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_complex_value_t));
        if (lcf->require == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;
    n = cf->args->nelts;

    if (value[n - 1].len > 6 && ngx_strncmp(value[n - 1].data, "error=", 6) == 0) {

        if (ngx_strcmp(value[n - 1].data, "error=401") == 0) {
            lcf->require_error = NGX_HTTP_UNAUTHORIZED;

        } else if (ngx_strcmp(value[n - 1].data, "error=403") == 0) {
            lcf->require_error = NGX_HTTP_FORBIDDEN;

        } else {
            return "has an invalid \"error=\": use error=401 or error=403";
        }

        n--;

        if (n == 1) {
            return "needs at least one value before \"error=\"";
        }
    }

    for (i = 1; i < n; i++) {
        if (ngx_http_script_variables_count(&value[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is a constant: auth_jwt_require takes "
                               "variables, usually a map over a claim such as "
                               "$jwt_claim_scope", &value[i]);
            return NGX_CONF_ERROR;
        }

        cv = ngx_array_push(lcf->require);
        if (cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* auth_jwt_type signed: accepted so NGINX Plus configurations port over unchanged */
static char *
ngx_http_edge_auth_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "signed") == 0) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "auth_jwt_type \"%V\" is not supported: only signed "
                       "tokens (JWS) are accepted; remove the directive or "
                       "set \"auth_jwt_type signed;\"", &value[1]);

    return NGX_CONF_ERROR;
}


/* edge_auth_scrub_headers off | prefix ... */
static char *
ngx_http_edge_auth_scrub_headers(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_edge_auth_srv_conf_t *scf = conf;

    u_char      *c;
    ngx_str_t   *value, *prefix;
    ngx_uint_t   i;

    if (scf->scrub_prefixes != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    scf->scrub_prefixes = ngx_array_create(cf->pool, cf->args->nelts,
                                           sizeof(ngx_str_t));
    if (scf->scrub_prefixes == NULL) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty prefix";
        }

        prefix = ngx_array_push(scf->scrub_prefixes);
        if (prefix == NULL) {
            return NGX_CONF_ERROR;
        }

        /*
         * Stored lower case with "_" folded to "-": FastCGI, uwsgi and SCGI map both to "_",
         * so "X_Auth_User" would reach a Python app as the same HTTP_X_AUTH_USER.
         */
        *prefix = value[i];

        for (c = prefix->data; c < prefix->data + prefix->len; c++) {
            *c = (*c == '_') ? '-' : ngx_tolower(*c);
        }
    }

    return NGX_CONF_OK;
}


/* auth_jwt_token_cache number | off */
static char *
ngx_http_edge_auth_token_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_main_conf_t *amcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (amcf->token_cache_size != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        amcf->token_cache_size = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < 1 || n > 1000000) {
        return "takes a number of entries per worker (1 to 1000000) or off";
    }

    amcf->token_cache_size = n;

    return NGX_CONF_OK;
}


static char *
ngx_http_edge_auth_leeway_check(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *leeway = data;

    if (*leeway > NGX_HTTP_EDGE_AUTH_MAX_LEEWAY) {
        return "is too large: clock skew beyond 10m means a broken clock, "
               "not a reason to accept expired tokens";
    }

    return NGX_CONF_OK;
}
