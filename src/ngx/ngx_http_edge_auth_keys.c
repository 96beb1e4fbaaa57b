/*
 * nginx-edge-auth: remote key sets (auth_jwt_key_request), shared by all workers.
 *
 * The JWKS is fetched through an internal subrequest to a location that proxies to the
 * provider's jwks_uri (NGINX Plus semantics), never through a blocking socket. The last good
 * document and its scheduling state live in a shared-memory zone; each worker keeps the parsed
 * keys and re-parses only when the zone's generation for that source changes.
 *
 * When to fetch is decided by the core (ea_jwks_decide) under the zone lock, so:
 *   - one fetch per source at a time across all workers (single flight);
 *   - a periodic refresh runs as a background subrequest while requests keep using the current
 *     keys; a first fetch, or one forced by an unknown kid, is waited for by the request that
 *     started it, and other requests without usable keys poll briefly for its result;
 *   - an unknown kid forces at most one refresh per interval, so a flood of random kids is not
 *     a flood of fetches;
 *   - a failed fetch keeps the last good keys until they are older than the stale limit.
 *
 * The zone survives `nginx -s reload` (same name and size), so a reload refetches nothing.
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_ZONE_NAME      "edge_auth_keys"
#define NGX_HTTP_EDGE_AUTH_ZONE_SIZE      (1024 * 1024)
#define NGX_HTTP_EDGE_AUTH_MAX_JWKS       (1024 * 1024)
#define NGX_HTTP_EDGE_AUTH_WAIT_STEP      20      /* ms between looks at another's fetch */


/*
 * One fetch in flight: what its completion handler needs, and the response body as our own
 * filters capture it. Set as the subrequest's module context: the access handler and the
 * variables only ever look at the main request's context, so the slot is free in a subrequest.
 */
typedef struct {
    ngx_uint_t                      magic;      /* NGX_HTTP_EDGE_AUTH_FETCH_MAGIC */
    ngx_http_edge_auth_source_t    *source;
    ngx_http_edge_auth_main_conf_t *amcf;
    ngx_http_edge_auth_ctx_t       *waiter;     /* NULL for a background refresh */
    u_char                         *body;
    size_t                          len;
    size_t                          size;
    ngx_uint_t                      status;     /* from the provider client */
    int64_t                         max_age;
    const char                     *error;
    unsigned                        client:1;   /* fetched with the module's client */
    unsigned                        too_big:1;
    unsigned                        read_error:1;
    unsigned                        done:1;
} ngx_http_edge_auth_fetch_t;


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t ngx_http_edge_auth_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_edge_auth_sync_keys(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_source_t *src);
static ngx_int_t ngx_http_edge_auth_start_fetch(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_source_t *src,
    ngx_http_edge_auth_ctx_t *waiter);
static ngx_int_t ngx_http_edge_auth_fetch_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_edge_auth_store(ngx_http_request_t *sr,
    ngx_http_edge_auth_fetch_t *fetch, ngx_int_t rc);
static ngx_int_t ngx_http_edge_auth_wait(ngx_http_request_t *r,
    ngx_http_edge_auth_ctx_t *ctx);
static void ngx_http_edge_auth_wait_handler(ngx_http_request_t *r);


ngx_int_t
ngx_http_edge_auth_request_keys(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_http_edge_auth_ctx_t *ctx,
    ngx_uint_t forced, const ea_keyset_t **keys)
{
    ngx_int_t  rc;

    if (lcf->key_source == NULL) {
        *keys = lcf->keys;
        return NGX_OK;
    }

    rc = ngx_http_edge_auth_source_ready(r, lcf->key_source, ctx, forced);

    if (rc == NGX_OK) {
        *keys = lcf->key_source->keys;
    }

    return rc;
}


/* 1 when this worker holds a parsed copy of the source's document */
static ngx_inline ngx_uint_t
ngx_http_edge_auth_source_loaded(ngx_http_edge_auth_source_t *src)
{
    return src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA
           ? src->metadata != NULL : src->keys != NULL;
}


ngx_int_t
ngx_http_edge_auth_source_ready(ngx_http_request_t *r,
    ngx_http_edge_auth_source_t *src, ngx_http_edge_auth_ctx_t *ctx,
    ngx_uint_t forced)
{
    time_t                           now;
    ngx_int_t                        usable;
    ea_jwks_action_t                 action;
    ngx_http_edge_auth_main_conf_t  *amcf;

    if (ctx->fetching) {
        return NGX_AGAIN;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    if (ngx_http_edge_auth_sync_keys(r, amcf, src) != NGX_OK) {
        return NGX_ERROR;
    }

    now = ngx_time();

    /*
     * The common case without the lock: a document present, no refresh due, none in flight,
     * nothing forced. The fields are aligned 64-bit values read on their own; a stale read only
     * delays a refresh decision to the next request, which takes the locked path below.
     */
    if (!forced && ngx_http_edge_auth_source_loaded(src)) {
        volatile ea_jwks_state_t  *st = &src->shared->state;

        if (st->fetch_started == 0
            && now < st->next_refresh
            && ea_jwks_usable((const ea_jwks_state_t *) st, &src->timing, now))
        {
            return NGX_OK;
        }
    }

    ngx_shmtx_lock(&amcf->shpool->mutex);

    action = ea_jwks_decide(&src->shared->state, &src->timing, now,
                            (int) forced);
    usable = ea_jwks_usable(&src->shared->state, &src->timing, now)
             && ngx_http_edge_auth_source_loaded(src);

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    switch (action) {

    case EA_JWKS_FETCH:

        if (usable && !forced) {
            /* periodic refresh: nobody waits for it */
            if (ngx_http_edge_auth_start_fetch(r, amcf, src, NULL) != NGX_OK) {
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        if (ngx_http_edge_auth_start_fetch(r, amcf, src, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->fetching = 1;
        return NGX_AGAIN;

    case EA_JWKS_WAIT:

        if (ctx->waited < (ngx_msec_t) src->timing.fetch_timeout * 1000) {
            return ngx_http_edge_auth_wait(r, ctx);
        }

        /* waited long enough for another worker's fetch */
        break;

    default: /* EA_JWKS_USE, EA_JWKS_UNAVAILABLE */
        break;
    }

    return usable ? NGX_OK : NGX_DECLINED;
}


/* A document parsed for this worker: a key set, or a discovery document in its own pool. */
typedef struct {
    ea_keyset_t          *keys;
    ngx_pool_t           *pool;
    ea_oidc_metadata_t   *metadata;
} ngx_http_edge_auth_parsed_t;


static void
ngx_http_edge_auth_key_warning(void *data, const char *message)
{
    ngx_http_edge_auth_source_t  *src = data;

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "edge_auth: JWKS from \"%V\": key ignored: %s", &src->uri,
                  message);
}


/* Parses a document of the source's kind; NGX_ERROR with err set when it is unusable. */
static ngx_int_t
ngx_http_edge_auth_parse_document(ngx_http_edge_auth_source_t *src,
    u_char *body, size_t len, ngx_uint_t warn, ngx_http_edge_auth_parsed_t *out,
    char *err, size_t err_len)
{
    ea_str_t                        issuer;
    ngx_http_edge_auth_provider_t  *p;

    ngx_memzero(out, sizeof(ngx_http_edge_auth_parsed_t));

    if (src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA) {
        p = src->provider;

        out->pool = ngx_create_pool(1024, ngx_cycle->log);
        out->metadata = out->pool ? ngx_pcalloc(out->pool,
                                                sizeof(ea_oidc_metadata_t))
                                  : NULL;

        if (out->metadata == NULL) {
            ngx_cpystrn((u_char *) err, (u_char *) "out of memory", err_len);
            goto failed;
        }

        issuer.data = (const char *) p->issuer.data;
        issuer.len = p->issuer.len;

        if (ea_oidc_metadata_parse((const char *) body, len, &issuer,
                                   (int) p->allow_http,
                                   ngx_http_edge_auth_pool_alloc, out->pool,
                                   out->metadata, err, err_len)
            != 0)
        {
            goto failed;
        }

        return NGX_OK;
    }

    out->keys = ea_keyset_new();

    if (out->keys == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "out of memory", err_len);
        goto failed;
    }

    if (ea_keyset_add_jwks(out->keys, (const char *) body, len,
                           warn ? ngx_http_edge_auth_key_warning : NULL, src,
                           err, err_len)
        != 0)
    {
        goto failed;
    }

    if (ea_keyset_size(out->keys) == 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "no usable key in the set",
                    err_len);
        goto failed;
    }

    return NGX_OK;

failed:

    if (out->keys) {
        ea_keyset_free(out->keys);
        out->keys = NULL;
    }

    if (out->pool) {
        ngx_destroy_pool(out->pool);
        out->pool = NULL;
    }

    return NGX_ERROR;
}


/* Makes a parsed document this worker's copy of the source at `generation`. */
static void
ngx_http_edge_auth_adopt(ngx_http_edge_auth_source_t *src,
    ngx_http_edge_auth_parsed_t *parsed, uint64_t generation)
{
    if (src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA) {
        if (src->metadata_pool) {
            ngx_destroy_pool(src->metadata_pool);
        }

        src->metadata_pool = parsed->pool;
        src->metadata = parsed->metadata;

    } else {
        if (src->keys) {
            ea_keyset_free(src->keys);
        }

        src->keys = parsed->keys;
    }

    src->keys_generation = generation;
    ngx_memzero(parsed, sizeof(ngx_http_edge_auth_parsed_t));
}


/* Brings this worker's parsed document up to the zone's generation for the source. */
static ngx_int_t
ngx_http_edge_auth_sync_keys(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_source_t *src)
{
    char                          err[256];
    size_t                        len;
    u_char                       *copy;
    uint64_t                      generation;
    ngx_http_edge_auth_parsed_t   parsed;

    /* the common case, without the lock: an aligned 64-bit read of a value only ever bumped */
    if (*(volatile uint64_t *) &src->shared->state.generation
        == src->keys_generation)
    {
        return NGX_OK;
    }

    ngx_shmtx_lock(&amcf->shpool->mutex);

    generation = src->shared->state.generation;
    len = src->shared->jwks_len;
    copy = len ? ngx_pnalloc(r->pool, len) : NULL;

    if (copy) {
        ngx_memcpy(copy, src->shared->jwks, len);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (len && copy == NULL) {
        return NGX_ERROR;
    }

    if (len == 0) {
        src->keys_generation = generation;
        return NGX_OK;
    }

    /* the document was validated before it was stored: this parse cannot reject it */
    if (ngx_http_edge_auth_parse_document(src, copy, len, 0, &parsed, err,
                                          sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "edge_auth: stored document for \"%V\" does not parse: "
                      "%s", &src->uri, err);
        src->keys_generation = generation;
        return NGX_OK;
    }

    ngx_http_edge_auth_adopt(src, &parsed, generation);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "edge_auth: document for \"%V\" now at generation %uL",
                   &src->uri, generation);

    return NGX_OK;
}


/* The provider client's completion: the response goes where the filters would have put it. */
static void
ngx_http_edge_auth_client_fetched(ngx_http_request_t *sr, void *data,
    ngx_http_edge_auth_response_t *resp)
{
    ngx_http_edge_auth_fetch_t  *fetch = data;

    fetch->status = resp->status;
    fetch->max_age = resp->max_age;
    fetch->error = resp->error;
    fetch->body = resp->body.data;
    fetch->len = resp->body.len;

    (void) ngx_http_edge_auth_fetch_done(sr, fetch, NGX_OK);
}


/* Starts a fetch of a provider's own document (discovery, or the JWKS it names). */
static ngx_int_t
ngx_http_edge_auth_start_client_fetch(ngx_http_request_t *r,
    ngx_http_edge_auth_source_t *src, ngx_http_edge_auth_fetch_t *fetch,
    ngx_http_edge_auth_ctx_t *waiter)
{
    ea_oidc_metadata_t                   *md;
    ngx_http_edge_auth_provider_t        *p;
    ngx_http_edge_auth_client_request_t   req;

    p = src->provider;
    ngx_memzero(&req, sizeof(req));

    if (src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA) {
        req.url = p->config_url;

    } else {
        md = p->discovery->metadata;

        if (md == NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "edge_auth: provider \"%V\": no discovery document "
                          "yet, cannot fetch its JWKS", &p->name);
            return NGX_ERROR;
        }

        req.url.data = (u_char *) md->jwks_uri.data;
        req.url.len = md->jwks_uri.len;
    }

    fetch->client = 1;
    req.background = (waiter == NULL);
    req.done = ngx_http_edge_auth_client_fetched;
    req.data = fetch;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: provider \"%V\": fetching %s from \"%V\" (%s)",
                  &p->name,
                  src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA
                  ? "the discovery document" : "the JWKS", &req.url,
                  waiter ? (ngx_http_edge_auth_source_loaded(src)
                            ? "unknown key id" : "none yet")
                         : "periodic refresh");

    return ngx_http_edge_auth_client_fetch(r, p, &req);
}


static ngx_int_t
ngx_http_edge_auth_start_fetch(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_source_t *src,
    ngx_http_edge_auth_ctx_t *waiter)
{
    ngx_uint_t                    flags;
    ngx_http_request_t           *sr;
    ngx_http_edge_auth_fetch_t   *fetch;
    ngx_http_post_subrequest_t   *ps;

    fetch = ngx_pcalloc(r->pool, sizeof(ngx_http_edge_auth_fetch_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));

    if (fetch == NULL || ps == NULL) {
        goto failed;
    }

    fetch->magic = NGX_HTTP_EDGE_AUTH_FETCH_MAGIC;
    fetch->source = src;
    fetch->amcf = amcf;
    fetch->waiter = waiter;
    fetch->max_age = -1;

    if (src->provider) {
        if (ngx_http_edge_auth_start_client_fetch(r, src, fetch, waiter)
            != NGX_OK)
        {
            goto failed;
        }

        return NGX_OK;
    }

    ps->handler = ngx_http_edge_auth_fetch_done;
    ps->data = fetch;

    /*
     * Not NGX_HTTP_SUBREQUEST_IN_MEMORY: that caps the body at subrequest_output_buffer_size and
     * ends an oversized one with NGX_ERROR, which takes the client's request down. Our filters
     * below capture the body instead, up to our own limit.
     */
    flags = waiter ? NGX_HTTP_SUBREQUEST_WAITED : NGX_HTTP_SUBREQUEST_BACKGROUND;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: fetching JWKS through \"%V\" (%s)", &src->uri,
                  waiter ? (src->keys ? "unknown key id" : "no keys yet")
                         : "periodic refresh");

    if (ngx_http_subrequest(r, &src->uri, NULL, &sr, ps, flags) != NGX_OK) {
        goto failed;
    }

    ngx_http_set_ctx(sr, fetch, ngx_http_edge_auth_module);

    /*
     * A GET with none of the client's headers or body: the provider's key endpoint needs
     * nothing from the client, and must not receive its Authorization header or cookies.
     */
    sr->method = NGX_HTTP_GET;
    ngx_str_set(&sr->method_name, "GET");
    sr->header_only = 0;

    sr->request_body = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (sr->request_body == NULL) {
        goto failed;
    }

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        goto failed;
    }

    sr->headers_in.content_length_n = -1;
    sr->headers_in.authorization = NULL;
#if (nginx_version >= 1023000)
    sr->headers_in.cookie = NULL;
#else
    sr->headers_in.cookies.nelts = 0;
#endif

    return NGX_OK;

failed:

    /* release the single-flight slot, or no worker would fetch until the timeout */
    ngx_shmtx_lock(&amcf->shpool->mutex);
    ea_jwks_fetch_done(&src->shared->state, &src->timing, ngx_time(), 0, 0,
                       -1);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_edge_auth_fetch_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_edge_auth_fetch_t  *fetch = data;

    if (fetch->done) {
        return rc;
    }

    fetch->done = 1;

    ngx_http_edge_auth_store(sr, fetch, rc);

    if (fetch->waiter) {
        fetch->waiter->fetching = 0;
    }

    return rc;
}


/* ---- capturing the fetched body ------------------------------------------------------- */

static ngx_http_edge_auth_fetch_t *
ngx_http_edge_auth_capturing(ngx_http_request_t *r)
{
    ngx_http_edge_auth_fetch_t  *fetch;

    if (r == r->main) {
        return NULL;
    }

    fetch = ngx_http_get_module_ctx(r, ngx_http_edge_auth_module);

    /* the provider client's subrequests carry their own context and send nothing here */
    if (fetch == NULL || fetch->magic != NGX_HTTP_EDGE_AUTH_FETCH_MAGIC) {
        return NULL;
    }

    return fetch;
}


/* A key fetch's response goes nowhere but into its capture buffer. */
static ngx_int_t
ngx_http_edge_auth_header_filter(ngx_http_request_t *r)
{
    if (ngx_http_edge_auth_capturing(r) == NULL) {
        return ngx_http_next_header_filter(r);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_edge_auth_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                        size;
    u_char                      *p;
    ssize_t                      n;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_http_edge_auth_fetch_t  *fetch;

    fetch = ngx_http_edge_auth_capturing(r);

    if (fetch == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size > 0 && !fetch->too_big) {

            if (fetch->len + size > NGX_HTTP_EDGE_AUTH_MAX_JWKS) {
                fetch->too_big = 1;

            } else {
                if (fetch->len + size > fetch->size) {
                    fetch->size = ngx_max(fetch->size * 2,
                                          fetch->len + (size_t) size);
                    fetch->size = ngx_min(fetch->size,
                                          NGX_HTTP_EDGE_AUTH_MAX_JWKS);

                    p = ngx_pnalloc(r->pool, fetch->size);
                    if (p == NULL) {
                        return NGX_ERROR;
                    }

                    if (fetch->len) {
                        ngx_memcpy(p, fetch->body, fetch->len);
                    }

                    fetch->body = p;
                }

                if (ngx_buf_in_memory(b)) {
                    ngx_memcpy(fetch->body + fetch->len, b->pos, (size_t) size);
                    fetch->len += size;

                } else {
                    /* a large response buffered to a temporary file by the proxy */
                    n = ngx_read_file(b->file, fetch->body + fetch->len,
                                      (size_t) size, b->file_pos);

                    if (n != (ssize_t) size) {
                        fetch->read_error = 1;

                    } else {
                        fetch->len += size;
                    }
                }
            }
        }

        /* consumed: lets the upstream reuse its buffers */
        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_edge_auth_init_capture(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_edge_auth_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_edge_auth_body_filter;

    return NGX_OK;
}


/* The max-age of the response's Cache-Control header, or -1. */
static int64_t
ngx_http_edge_auth_max_age(ngx_http_request_t *sr)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return -1;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash != 0
            && h[i].key.len == sizeof("Cache-Control") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               sizeof("Cache-Control") - 1) == 0)
        {
            return ea_cache_control_max_age((const char *) h[i].value.data,
                                            h[i].value.len);
        }
    }
}


/* Validates a fetched document and stores it in the zone; on any failure keeps the old one. */
static void
ngx_http_edge_auth_store(ngx_http_request_t *sr,
    ngx_http_edge_auth_fetch_t *fetch, ngx_int_t rc)
{
    char                              err[256];
    size_t                            len;
    u_char                           *body, *copy;
    int64_t                           max_age;
    ngx_int_t                         ok, changed;
    ngx_uint_t                        status;
    const char                       *what;
    ngx_slab_pool_t                  *shpool;
    ngx_http_edge_auth_parsed_t       parsed;
    ngx_http_edge_auth_source_t      *src;
    ngx_http_edge_auth_shm_source_t  *shared;

    src = fetch->source;
    shared = src->shared;
    shpool = fetch->amcf->shpool;
    what = src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA
           ? "discovery document" : "JWKS";

    status = fetch->client ? fetch->status : sr->headers_out.status;
    body = fetch->body;
    len = fetch->len;
    ok = 0;
    changed = 0;
    err[0] = '\0';
    ngx_memzero(&parsed, sizeof(parsed));

    if (fetch->error) {
        ngx_cpystrn((u_char *) err, (u_char *) fetch->error, sizeof(err));

    } else if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE
               || status != NGX_HTTP_OK)
    {
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            status = rc;
        }

        ngx_snprintf((u_char *) err, sizeof(err) - 1, "status %ui%Z", status);

    } else if (fetch->too_big) {
        ngx_cpystrn((u_char *) err, (u_char *) "response over 1 MiB",
                    sizeof(err));

    } else if (fetch->read_error) {
        ngx_cpystrn((u_char *) err, (u_char *) "could not read the buffered "
                    "response", sizeof(err));

    } else if (len == 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "empty response", sizeof(err));

    } else if (ngx_http_edge_auth_parse_document(src, body, len, 1, &parsed,
                                                 err, sizeof(err))
               == NGX_OK)
    {
        ok = 1;
    }

    max_age = !ok ? -1 : fetch->client ? fetch->max_age
                                       : ngx_http_edge_auth_max_age(sr);

    ngx_shmtx_lock(&shpool->mutex);

    if (ok && (shared->jwks_len != len
               || ngx_memcmp(shared->jwks, body, len) != 0))
    {
        copy = ngx_slab_alloc_locked(shpool, len);

        if (copy == NULL) {
            ok = 0;
            ngx_cpystrn((u_char *) err,
                        (u_char *) "the shared zone is full: raise its size "
                        "with \"auth_jwt_key_zone\"", sizeof(err));

        } else {
            ngx_memcpy(copy, body, len);

            if (shared->jwks) {
                ngx_slab_free_locked(shpool, shared->jwks);
            }

            shared->jwks = copy;
            shared->jwks_len = len;
            changed = 1;
        }
    }

    ea_jwks_fetch_done(&shared->state, &src->timing, ngx_time(), (int) ok,
                       (int) changed, max_age);

    if (ok && changed) {
        /* this worker has just parsed it: adopt it instead of parsing it again */
        ngx_http_edge_auth_adopt(src, &parsed, shared->state.generation);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (parsed.keys) {
        ea_keyset_free(parsed.keys);
    }

    if (parsed.pool) {
        ngx_destroy_pool(parsed.pool);
    }

    if (ok) {
        ngx_log_error(NGX_LOG_INFO, sr->connection->log, 0,
                      "edge_auth: %s from \"%V\" %s", what, &src->uri,
                      changed ? "updated" : "unchanged");
        return;
    }

    if (shared->state.fetched_at) {
        ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                      "edge_auth: %s refresh through \"%V\" failed: %s; "
                      "keeping the %s fetched %T s ago", what, &src->uri, err,
                      src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_JWKS ? "keys"
                                                                  : "document",
                      ngx_time() - (time_t) shared->state.fetched_at);

    } else {
        ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                      "edge_auth: %s fetch through \"%V\" failed: %s; "
                      "%s yet, requests get 503", what, &src->uri, err,
                      src->kind == NGX_HTTP_EDGE_AUTH_SOURCE_JWKS
                      ? "no keys" : "no document");
    }
}


/* Another worker is fetching and this request has nothing to verify with: look again soon. */
static ngx_int_t
ngx_http_edge_auth_wait(ngx_http_request_t *r, ngx_http_edge_auth_ctx_t *ctx)
{
    ctx->waited += NGX_HTTP_EDGE_AUTH_WAIT_STEP;

    return ngx_http_edge_auth_wait_ms(r, NGX_HTTP_EDGE_AUTH_WAIT_STEP);
}


/* The access handler runs again in `ms` milliseconds (the request is parked on a timer). */
ngx_int_t
ngx_http_edge_auth_wait_ms(ngx_http_request_t *r, ngx_msec_t ms)
{
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_edge_auth_wait_handler;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, ms);

    return NGX_AGAIN;
}


static void
ngx_http_edge_auth_wait_handler(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/* ---- the shared zone ------------------------------------------------------------------- */

ngx_int_t
ngx_http_edge_auth_init_key_zone(ngx_conf_t *cf,
    ngx_http_edge_auth_main_conf_t *amcf)
{
    ngx_str_t  name;

    /* remote keys and provider documents, and the revocation list of the providers */
    if (amcf->sources.nelts == 0 && amcf->providers.nelts == 0) {
        return NGX_OK;
    }

    if (amcf->zone == NULL) {
        ngx_str_set(&name, NGX_HTTP_EDGE_AUTH_ZONE_NAME);

        amcf->zone = ngx_shared_memory_add(cf, &name,
                                           NGX_HTTP_EDGE_AUTH_ZONE_SIZE,
                                           &ngx_http_edge_auth_module);
        if (amcf->zone == NULL) {
            return NGX_ERROR;
        }
    }

    amcf->zone->init = ngx_http_edge_auth_init_zone;
    amcf->zone->data = amcf;

    return NGX_OK;
}


static ngx_http_edge_auth_shm_source_t *
ngx_http_edge_auth_find_shared(ngx_http_edge_auth_shm_t *sh, ngx_str_t *key)
{
    ngx_queue_t                      *q;
    ngx_http_edge_auth_shm_source_t  *s;

    for (q = ngx_queue_head(&sh->sources);
         q != ngx_queue_sentinel(&sh->sources);
         q = ngx_queue_next(q))
    {
        s = ngx_queue_data(q, ngx_http_edge_auth_shm_source_t, queue);

        if (s->key_len == key->len
            && ngx_memcmp(s->key, key->data, key->len) == 0)
        {
            return s;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_edge_auth_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_edge_auth_main_conf_t  *oamcf = data;

    size_t                            len;
    ngx_uint_t                        i;
    ngx_slab_pool_t                  *shpool;
    ngx_http_edge_auth_source_t     **src;
    ngx_http_edge_auth_main_conf_t   *amcf;
    ngx_http_edge_auth_shm_source_t  *s;

    amcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (oamcf) {
        /* reload: the zone and its keys carry over */
        amcf->sh = oamcf->sh;
        amcf->shpool = oamcf->shpool;

        /* providers added by this reload: the list starts now (its size needs a restart) */
        if (amcf->providers.nelts && amcf->sh->revocations == NULL
            && ngx_http_edge_auth_revocations_init(shm_zone->shm.log, amcf,
                                                   amcf->shpool, amcf->sh)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (amcf->providers.nelts && amcf->sh->refresh == NULL
            && ngx_http_edge_auth_refresh_init(shm_zone->shm.log, amcf->shpool,
                                               amcf->sh)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (shm_zone->shm.exists) {
        amcf->shpool = shpool;
        amcf->sh = shpool->data;

    } else {
        amcf->shpool = shpool;
        amcf->sh = ngx_slab_alloc(shpool, sizeof(ngx_http_edge_auth_shm_t));
        if (amcf->sh == NULL) {
            return NGX_ERROR;
        }

        ngx_queue_init(&amcf->sh->sources);
        shpool->data = amcf->sh;

        len = sizeof(" in edge_auth zone \"\"") + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, len);
        if (shpool->log_ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(shpool->log_ctx, " in edge_auth zone \"%V\"%Z",
                    &shm_zone->shm.name);

        if (amcf->providers.nelts
            && (ngx_http_edge_auth_revocations_init(shm_zone->shm.log, amcf,
                                                    shpool, amcf->sh)
                != NGX_OK
                || ngx_http_edge_auth_refresh_init(shm_zone->shm.log, shpool,
                                                   amcf->sh)
                   != NGX_OK))
        {
            return NGX_ERROR;
        }
    }

    /*
     * Attach every configured source to its record, creating the missing ones. Records of
     * sources that left the configuration stay: workers of the previous configuration may still
     * be using them during a reload.
     */
    src = amcf->sources.elts;

    for (i = 0; i < amcf->sources.nelts; i++) {

        ngx_shmtx_lock(&amcf->shpool->mutex);

        s = ngx_http_edge_auth_find_shared(amcf->sh, &src[i]->key);

        if (s == NULL) {
            s = ngx_slab_calloc_locked(amcf->shpool,
                                       sizeof(ngx_http_edge_auth_shm_source_t)
                                       + src[i]->key.len);
            if (s != NULL) {
                s->key_len = src[i]->key.len;
                ngx_memcpy(s->key, src[i]->key.data, src[i]->key.len);
                ngx_queue_insert_tail(&amcf->sh->sources, &s->queue);
            }
        }

        ngx_shmtx_unlock(&amcf->shpool->mutex);

        if (s == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "edge_auth: zone \"%V\" is too small for the "
                          "configured key sources: raise its size with "
                          "\"auth_jwt_key_zone\"", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        src[i]->shared = s;
    }

    return NGX_OK;
}


/* ---- directives ------------------------------------------------------------------------- */

/*
 * A new cached document, keyed by where the configuration declared it (the same URI in two
 * servers can proxy to two providers).
 */
ngx_http_edge_auth_source_t *
ngx_http_edge_auth_add_source(ngx_conf_t *cf, ngx_uint_t kind, ngx_str_t *uri)
{
    u_char                          *p;
    ngx_http_edge_auth_source_t     *src, **slot;
    ngx_http_edge_auth_main_conf_t  *amcf;

    src = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_source_t));
    if (src == NULL) {
        return NULL;
    }

    src->kind = kind;
    src->uri = *uri;

    src->key.data = ngx_pnalloc(cf->pool, cf->conf_file->file.name.len
                                          + NGX_INT_T_LEN + uri->len + 8);
    if (src->key.data == NULL) {
        return NULL;
    }

    p = ngx_sprintf(src->key.data, "%V:%ui %s%V", &cf->conf_file->file.name,
                    cf->conf_file->line,
                    kind == NGX_HTTP_EDGE_AUTH_SOURCE_METADATA ? "md " : "",
                    uri);
    src->key.len = p - src->key.data;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_edge_auth_module);

    slot = ngx_array_push(&amcf->sources);
    if (slot == NULL) {
        return NULL;
    }

    *slot = src;

    return src;
}


/* auth_jwt_key_request uri */
char *
ngx_http_edge_auth_key_request(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    ngx_str_t                    *value;
    ngx_http_edge_auth_source_t  *src;

    if (lcf->key_source != NULL) {
        return "is duplicate: one key request per level";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/'
        || ngx_http_script_variables_count(&value[1]) != 0)
    {
        return "takes the URI of a location, without variables, for example "
               "\"/_jwks\" with \"location = /_jwks { internal; proxy_pass "
               "https://idp.example/keys; }\"";
    }

    src = ngx_http_edge_auth_add_source(cf, NGX_HTTP_EDGE_AUTH_SOURCE_JWKS,
                                        &value[1]);
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    lcf->key_source = src;

    return NGX_CONF_OK;
}


/* auth_jwt_key_cache time [min=time] [rotation=time] [stale=time] [timeout=time] */
char *
ngx_http_edge_auth_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    time_t       t;
    int64_t     *field;
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (lcf->key_timing_set) {
        return "is duplicate";
    }

    ea_jwks_timing_init(&lcf->key_timing);
    lcf->key_timing_set = 1;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        s = value[i];

        if (i == 1) {
            field = &lcf->key_timing.max_age;

        } else if (ngx_strncmp(s.data, "min=", 4) == 0) {
            field = &lcf->key_timing.min_age;
            s.data += 4; s.len -= 4;

        } else if (ngx_strncmp(s.data, "rotation=", 9) == 0) {
            field = &lcf->key_timing.forced_interval;
            s.data += 9; s.len -= 9;

        } else if (ngx_strncmp(s.data, "stale=", 6) == 0) {
            field = &lcf->key_timing.max_stale;
            s.data += 6; s.len -= 6;

        } else if (ngx_strncmp(s.data, "timeout=", 8) == 0) {
            field = &lcf->key_timing.fetch_timeout;
            s.data += 8; s.len -= 8;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": use a time, then "
                               "min=, rotation=, stale= or timeout=",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        t = ngx_parse_time(&s, 1);

        if (t == (time_t) NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid time \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        *field = t;
    }

    if (lcf->key_timing.max_age < 1 || lcf->key_timing.fetch_timeout < 1) {
        return "needs a refresh interval and a timeout of at least 1s";
    }

    if (lcf->key_timing.min_age > lcf->key_timing.max_age) {
        return "has min= above the refresh interval";
    }

    if (lcf->key_timing.max_stale < lcf->key_timing.max_age) {
        return "has stale= below the refresh interval: keys would expire "
               "before their refresh is due";
    }

    return NGX_CONF_OK;
}


/* auth_jwt_key_zone name:size */
char *
ngx_http_edge_auth_key_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_main_conf_t *amcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (amcf->zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        return "takes name:size, for example \"edge_auth_keys:1m\"";
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" needs a size of at least %uz bytes",
                           &name, 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    amcf->zone = ngx_shared_memory_add(cf, &name, size,
                                       &ngx_http_edge_auth_module);
    if (amcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (amcf->zone->data) {
        return "names a zone that is already in use";
    }

    return NGX_CONF_OK;
}
