/*
 * nginx-edge-auth: refreshing a session's tokens, once per session across all workers.
 *
 * When a session's access token has expired or is within refresh_margin of it, its refresh token
 * is used at the token endpoint and the session is re-sealed with the new tokens. Browsers send
 * many requests at once, every one with the same old cookie, and providers that rotate refresh
 * tokens accept each one only once: two refreshes would end the session. So a refresh is single
 * flight across workers, keyed by (provider, session id, refresh token) in a small table in the
 * shared zone:
 *
 *   - the first request claims the slot and refreshes (the leader);
 *   - requests that find it in flight look again every few milliseconds (followers);
 *   - once done, the slot keeps the new cookie for a reuse window, so every request that still
 *     carries the old cookie gets the same new one (and the session as it now is), without
 *     another refresh.
 *
 * A refresh refused by the provider (invalid_grant) ends the session. A provider that cannot be
 * reached fails closed only for requests whose access token has already expired; the others go
 * on with the tokens they have, and the next request tries again.
 */

#include "ngx_http_edge_auth.h"

#include <openssl/evp.h>


#define NGX_HTTP_EDGE_AUTH_REFRESH_SLOTS    128
#define NGX_HTTP_EDGE_AUTH_REFRESH_REUSE    60      /* seconds a result is handed out */
#define NGX_HTTP_EDGE_AUTH_REFRESH_WAIT     20      /* ms between looks at the leader's slot */

#define NGX_HTTP_EDGE_AUTH_REFRESH_PENDING  0
#define NGX_HTTP_EDGE_AUTH_REFRESH_DONE     1       /* cookies hold the new session */
#define NGX_HTTP_EDGE_AUTH_REFRESH_DEAD     2       /* refused: the session ends */
#define NGX_HTTP_EDGE_AUTH_REFRESH_FAILED   3       /* could not reach a verdict */


/* One refresh in the shared table. */
typedef struct {
    u_char                       key[32];
    int64_t                      started;          /* 0: free */
    int64_t                      finished;
    ngx_uint_t                   outcome;
    u_char                      *cookies;          /* "n=v; n.1=v", slab memory */
    size_t                       cookies_len;
} ngx_http_edge_auth_refresh_slot_t;


struct ngx_http_edge_auth_refresh_table_s {
    ngx_http_edge_auth_refresh_slot_t  slots[NGX_HTTP_EDGE_AUTH_REFRESH_SLOTS];
};


/* This request's part in a refresh, across re-entries of the access handler. */
struct ngx_http_edge_auth_refresh_s {
    u_char                           key[32];
    ngx_uint_t                       leader;
    ngx_msec_t                       waited;
    ngx_http_edge_auth_response_t    response;
    ea_oidc_tokens_t                 tokens;
    unsigned                         requested:1;
    unsigned                         answered:1;
    unsigned                         parsed:1;
    unsigned                         refetched:1;
    unsigned                         solo:1;           /* the table was full */
};


static ngx_int_t ngx_http_edge_auth_refresh_claim(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_refresh_t *rf,
    ngx_http_edge_auth_provider_t *p, ea_session_t **session,
    ea_session_cookies_t *jar);
static ngx_int_t ngx_http_edge_auth_refresh_start(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_refresh_t *rf,
    ea_session_t *session);
static void ngx_http_edge_auth_refresh_done(ngx_http_request_t *sr, void *data,
    ngx_http_edge_auth_response_t *resp);
static ngx_int_t ngx_http_edge_auth_refresh_finish(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_http_edge_auth_refresh_t *rf, ea_session_t **session,
    ea_session_cookies_t *jar);
static void ngx_http_edge_auth_refresh_publish(ngx_http_request_t *r,
    ngx_http_edge_auth_refresh_t *rf, ngx_uint_t outcome, u_char *cookies,
    size_t len);
static ngx_int_t ngx_http_edge_auth_refresh_adopt(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, u_char *cookies, size_t len,
    ea_session_t **session, ea_session_cookies_t *jar);


ngx_int_t
ngx_http_edge_auth_refresh_init(ngx_log_t *log, ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh)
{
    sh->refresh = ngx_slab_calloc(shpool,
                                  sizeof(ngx_http_edge_auth_refresh_table_t));
    if (sh->refresh == NULL) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "edge_auth: the shared zone has no room for the refresh "
                      "table: raise its size with \"auth_jwt_key_zone\"");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The session, refreshed if it is due. NGX_OK: *session is the session to use (maybe a new
 * one, whose cookies are already set on the response). NGX_AGAIN: the request waits.
 * NGX_DECLINED: the provider refused the refresh; the session is over. NGX_ERROR: no refresh
 * was possible and the access token has expired (fail closed: 503).
 */
ngx_int_t
ngx_http_edge_auth_refresh(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ea_session_t **session, ea_session_cookies_t *jar)
{
    int64_t                          now;
    ngx_int_t                        rc;
    ea_session_times_t               times;
    ngx_http_edge_auth_refresh_t    *rf;
    ngx_http_edge_auth_main_conf_t  *amcf;

    now = (int64_t) ngx_time();

    if (ctx->refresh == NULL
        && !ea_session_refresh_due(*session, now, p->refresh_margin))
    {
        return NGX_OK;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    if (amcf->sh == NULL || amcf->sh->refresh == NULL) {
        return NGX_OK;
    }

    /* the token endpoint: this worker may not have read the discovery document yet */
    rc = ngx_http_edge_auth_source_ready(r, p->discovery, ctx, 0);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != NGX_OK || p->discovery->metadata == NULL) {
        ea_session_times(*session, &times);

        return (times.access_token_expires && times.access_token_expires <= now)
               ? NGX_ERROR : NGX_OK;
    }

    rf = ctx->refresh;

    if (rf == NULL) {
        rf = ngx_pcalloc(r->pool, sizeof(ngx_http_edge_auth_refresh_t));
        if (rf == NULL) {
            return NGX_ERROR;
        }

        ctx->refresh = rf;
    }

    if (rf->leader) {
        rc = ngx_http_edge_auth_refresh_finish(r, p, ctx, rf, session, jar);

    } else {
        rc = ngx_http_edge_auth_refresh_claim(r, amcf, rf, p, session, jar);
    }

    if (rc != NGX_ERROR) {
        return rc;
    }

    /* no verdict: a token that is still valid carries on; an expired one does not */
    ea_session_times(*session, &times);

    return (times.access_token_expires && times.access_token_expires <= now)
           ? NGX_ERROR : NGX_OK;
}


/* SHA-256 of provider, session id and refresh token: one slot per refresh generation. */
static ngx_int_t
ngx_http_edge_auth_refresh_key(ngx_http_edge_auth_provider_t *p,
    ea_session_t *session, u_char key[32])
{
    ea_str_t     id, rt;
    EVP_MD_CTX  *md;
    ngx_int_t    rc;
    u_char       sep = 0;

    if (!ea_session_get(session, EA_SESSION_ID, &id)
        || !ea_session_get(session, EA_SESSION_REFRESH_TOKEN, &rt))
    {
        return NGX_ERROR;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    rc = (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
          && EVP_DigestUpdate(md, p->name.data, p->name.len) == 1
          && EVP_DigestUpdate(md, &sep, 1) == 1
          && EVP_DigestUpdate(md, id.data, id.len) == 1
          && EVP_DigestUpdate(md, &sep, 1) == 1
          && EVP_DigestUpdate(md, rt.data, rt.len) == 1
          && EVP_DigestFinal_ex(md, key, NULL) == 1)
         ? NGX_OK : NGX_ERROR;

    EVP_MD_CTX_free(md);

    return rc;
}


static ngx_int_t
ngx_http_edge_auth_refresh_claim(ngx_http_request_t *r,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_http_edge_auth_refresh_t *rf,
    ngx_http_edge_auth_provider_t *p, ea_session_t **session,
    ea_session_cookies_t *jar)
{
    size_t                              len;
    u_char                             *copy;
    int64_t                             now, stale;
    ngx_uint_t                          i, outcome;
    ngx_http_edge_auth_refresh_slot_t  *slot, *free_slot, *s;

    if (rf->solo) {
        return ngx_http_edge_auth_refresh_start(r, p, rf, *session);
    }

    if (ngx_http_edge_auth_refresh_key(p, *session, rf->key) != NGX_OK) {
        return NGX_ERROR;
    }

    now = (int64_t) ngx_time();
    stale = (int64_t) (p->timeout / 1000) + 5;
    slot = NULL;
    free_slot = NULL;
    outcome = NGX_HTTP_EDGE_AUTH_REFRESH_PENDING;
    copy = NULL;
    len = 0;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    for (i = 0; i < NGX_HTTP_EDGE_AUTH_REFRESH_SLOTS; i++) {
        s = &amcf->sh->refresh->slots[i];

        if (s->started
            && ngx_memcmp(s->key, rf->key, sizeof(rf->key)) == 0)
        {
            slot = s;
            continue;
        }

        /* free, or a result past its reuse window, or a leader that vanished */
        if (free_slot == NULL
            && (s->started == 0
                || (s->finished
                    && s->finished + NGX_HTTP_EDGE_AUTH_REFRESH_REUSE <= now)
                || (!s->finished && s->started + stale <= now)))
        {
            free_slot = s;
        }
    }

    if (slot && !slot->finished && slot->started + stale <= now) {
        /* its leader never finished (a worker died): take over */
        slot->started = now;
        rf->leader = 1;

    } else if (slot && slot->finished) {
        outcome = slot->outcome;

        if (outcome == NGX_HTTP_EDGE_AUTH_REFRESH_DONE && slot->cookies_len) {
            len = slot->cookies_len;
            copy = ngx_pnalloc(r->pool, len);
            if (copy) {
                ngx_memcpy(copy, slot->cookies, len);
            }
        }

    } else if (slot == NULL && free_slot) {
        if (free_slot->cookies) {
            ngx_slab_free_locked(amcf->shpool, free_slot->cookies);
        }

        ngx_memzero(free_slot, sizeof(ngx_http_edge_auth_refresh_slot_t));
        ngx_memcpy(free_slot->key, rf->key, sizeof(rf->key));
        free_slot->started = now;
        rf->leader = 1;

    } else if (slot == NULL) {
        rf->solo = 1;
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (rf->leader || rf->solo) {
        if (rf->solo) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "edge_auth: provider \"%V\": %d refreshes in flight: "
                          "this one runs without single flight", &p->name,
                          NGX_HTTP_EDGE_AUTH_REFRESH_SLOTS);
        }

        return ngx_http_edge_auth_refresh_start(r, p, rf, *session);
    }

    switch (outcome) {

    case NGX_HTTP_EDGE_AUTH_REFRESH_PENDING:
        /* the leader is at the token endpoint: look again shortly */
        if (rf->waited >= p->timeout + 1000) {
            return NGX_ERROR;
        }

        rf->waited += NGX_HTTP_EDGE_AUTH_REFRESH_WAIT;
        return ngx_http_edge_auth_wait_ms(r, NGX_HTTP_EDGE_AUTH_REFRESH_WAIT);

    case NGX_HTTP_EDGE_AUTH_REFRESH_DONE:
        if (copy == NULL) {
            return NGX_ERROR;
        }

        return ngx_http_edge_auth_refresh_adopt(r, p, copy, len, session, jar);

    case NGX_HTTP_EDGE_AUTH_REFRESH_DEAD:
        return NGX_DECLINED;

    default:
        return NGX_ERROR;
    }
}


static ngx_int_t
ngx_http_edge_auth_refresh_start(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_refresh_t *rf,
    ea_session_t *session)
{
    ea_str_t                              rt, body, authorization;
    ea_oidc_client_t                      client;
    ea_oidc_metadata_t                   *md;
    ngx_http_edge_auth_client_request_t   req;

    rf->leader = 1;
    md = p->discovery->metadata;

    if (md == NULL || !ea_session_get(session, EA_SESSION_REFRESH_TOKEN, &rt)) {
        ngx_http_edge_auth_refresh_publish(r, rf,
                                           NGX_HTTP_EDGE_AUTH_REFRESH_FAILED,
                                           NULL, 0);
        return NGX_ERROR;
    }

    ngx_http_edge_auth_client_init(p, md, &client);

    if (client.auth_method == 0
        || ea_oidc_refresh_request(&client, &rt, ngx_http_edge_auth_pool_alloc,
                                   r->pool, &body, &authorization)
           != 0)
    {
        ngx_http_edge_auth_refresh_publish(r, rf,
                                           NGX_HTTP_EDGE_AUTH_REFRESH_FAILED,
                                           NULL, 0);
        return NGX_ERROR;
    }

    ngx_memzero(&req, sizeof(req));
    req.url.data = (u_char *) md->token_endpoint.data;
    req.url.len = md->token_endpoint.len;
    req.body.data = (u_char *) body.data;
    req.body.len = body.len;
    req.authorization.data = (u_char *) authorization.data;
    req.authorization.len = authorization.len;
    req.done = ngx_http_edge_auth_refresh_done;
    req.data = rf;

    if (ngx_http_edge_auth_client_fetch(r, p, &req) != NGX_OK) {
        ngx_http_edge_auth_refresh_publish(r, rf,
                                           NGX_HTTP_EDGE_AUTH_REFRESH_FAILED,
                                           NULL, 0);
        return NGX_ERROR;
    }

    rf->requested = 1;

    return NGX_AGAIN;
}


static void
ngx_http_edge_auth_refresh_done(ngx_http_request_t *sr, void *data,
    ngx_http_edge_auth_response_t *resp)
{
    ngx_http_edge_auth_refresh_t  *rf = data;

    rf->response = *resp;
    rf->answered = 1;
}


/* The leader, once the token endpoint has answered: judge, re-seal, publish. */
static ngx_int_t
ngx_http_edge_auth_refresh_finish(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_http_edge_auth_refresh_t *rf, ea_session_t **session,
    ea_session_cookies_t *jar)
{
    char                       detail[256];
    u_char                    *cookies, *q;
    size_t                     i, len;
    int64_t                    now;
    ea_str_t                   sub;
    ngx_int_t                  rc;
    ea_token_t                *id_token;
    ea_status_t                status;
    ea_session_t              *fresh;
    ea_cookie_set_t            set;
    ea_session_times_t         times;
    ea_session_status_t        src;
    ea_oidc_id_token_check_t   check;

    if (!rf->requested) {
        return ngx_http_edge_auth_refresh_start(r, p, rf, *session);
    }

    if (!rf->answered) {
        return NGX_AGAIN;
    }

    now = (int64_t) ngx_time();

    if (!rf->parsed) {
        if (rf->response.status == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "edge_auth: provider \"%V\": token refresh failed: "
                          "%s", &p->name, rf->response.error);
            goto failed;
        }

        if (ea_oidc_refresh_response_parse((unsigned) rf->response.status,
                                           (const char *) rf->response.body.data,
                                           rf->response.body.len,
                                           ngx_http_edge_auth_pool_alloc,
                                           r->pool, &rf->tokens, detail,
                                           sizeof(detail))
            != 0)
        {
            if (rf->tokens.error.len && rf->response.status >= 400
                && rf->response.status < 500)
            {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "edge_auth: provider \"%V\": token refresh "
                              "refused with error \"%*s\": the session ends",
                              &p->name, rf->tokens.error.len,
                              rf->tokens.error.data);
                ngx_http_edge_auth_refresh_publish(r, rf,
                                             NGX_HTTP_EDGE_AUTH_REFRESH_DEAD,
                                             NULL, 0);
                return NGX_DECLINED;
            }

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "edge_auth: provider \"%V\": token refresh failed: "
                          "status %ui: %s", &p->name, rf->response.status,
                          detail);
            goto failed;
        }

        rf->parsed = 1;
    }

    id_token = NULL;

    if (rf->tokens.id_token.len) {
        /* a refreshed ID token is held to the login's rules, and to the same subject */
        rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, 0);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK || p->jwks->keys == NULL) {
            goto failed;
        }

        ngx_memzero(&check, sizeof(check));
        check.issuer.data = (const char *) p->issuer.data;
        check.issuer.len = p->issuer.len;
        check.client_id.data = (const char *) p->client_id.data;
        check.client_id.len = p->client_id.len;
        check.leeway = 60;

        ea_session_get(*session, EA_SESSION_SUB, &sub);

        status = ea_oidc_refresh_id_token_verify(&check, &sub, p->jwks->keys,
                                                 rf->tokens.id_token.data,
                                                 rf->tokens.id_token.len, now,
                                                 &id_token, detail,
                                                 sizeof(detail));

        if (status == EA_ERR_UNKNOWN_KEY && !rf->refetched) {
            rf->refetched = 1;

            rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, 1);

            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }

            status = ea_oidc_refresh_id_token_verify(&check, &sub,
                                                     p->jwks->keys,
                                                     rf->tokens.id_token.data,
                                                     rf->tokens.id_token.len,
                                                     now, &id_token, detail,
                                                     sizeof(detail));
        }

        if (status != EA_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": refreshed ID token "
                          "rejected: %s (%s): the session ends", &p->name,
                          ea_status_reason(status), detail);
            ngx_http_edge_auth_refresh_publish(r, rf,
                                               NGX_HTTP_EDGE_AUTH_REFRESH_DEAD,
                                               NULL, 0);
            return NGX_DECLINED;
        }
    }

    fresh = ea_session_refreshed(p->sealer, *session, &rf->tokens, id_token,
                                 p->claims ? p->claims->elts : NULL,
                                 p->claims ? p->claims->nelts : 0, now, detail,
                                 sizeof(detail));

    if (id_token) {
        ea_token_free(id_token);
    }

    if (fresh == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": refreshed tokens refused: "
                      "%s: the session ends", &p->name, detail);
        ngx_http_edge_auth_refresh_publish(r, rf,
                                           NGX_HTTP_EDGE_AUTH_REFRESH_DEAD,
                                           NULL, 0);
        return NGX_DECLINED;
    }

    src = ea_session_seal(p->sealer, p->keys, fresh, jar->present,
                          ngx_http_edge_auth_pool_alloc, r->pool, &set, detail,
                          sizeof(detail));

    if (src != EA_SESSION_OK) {
        ea_session_free(fresh);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": cannot seal the refreshed "
                      "session: %s (%s)", &p->name, ea_session_reason(src),
                      detail);
        goto failed;
    }

    ea_session_times(fresh, &times);

    if (ngx_http_edge_auth_set_cookies(r, p, &set, times.expires - now)
        != NGX_OK)
    {
        ea_session_free(fresh);
        return NGX_ERROR;
    }

    /* the new cookies as one Cookie header value, for the requests still sending the old one */
    len = 0;

    for (i = 0; i < set.n; i++) {
        if (!set.cookies[i].remove) {
            len += set.cookies[i].name.len + 1 + set.cookies[i].value.len + 2;
        }
    }

    cookies = ngx_pnalloc(r->pool, len);

    if (cookies) {
        q = cookies;

        for (i = 0; i < set.n; i++) {
            if (set.cookies[i].remove) {
                continue;
            }

            if (q != cookies) {
                *q++ = ';'; *q++ = ' ';
            }

            q = ngx_cpymem(q, set.cookies[i].name.data, set.cookies[i].name.len);
            *q++ = '=';
            q = ngx_cpymem(q, set.cookies[i].value.data, set.cookies[i].value.len);
        }

        len = q - cookies;
    }

    ngx_http_edge_auth_refresh_publish(r, rf,
                                       cookies ? NGX_HTTP_EDGE_AUTH_REFRESH_DONE
                                               : NGX_HTTP_EDGE_AUTH_REFRESH_FAILED,
                                       cookies, len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: provider \"%V\": tokens refreshed", &p->name);

    ea_session_free(*session);
    *session = fresh;

    return NGX_OK;

failed:

    ngx_http_edge_auth_refresh_publish(r, rf, NGX_HTTP_EDGE_AUTH_REFRESH_FAILED,
                                       NULL, 0);
    return NGX_ERROR;
}


/* The leader's verdict, for the followers; a failure frees the slot for the next try. */
static void
ngx_http_edge_auth_refresh_publish(ngx_http_request_t *r,
    ngx_http_edge_auth_refresh_t *rf, ngx_uint_t outcome, u_char *cookies,
    size_t len)
{
    ngx_uint_t                          i;
    ngx_http_edge_auth_refresh_slot_t  *s;
    ngx_http_edge_auth_main_conf_t     *amcf;

    if (rf->solo) {
        return;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    ngx_shmtx_lock(&amcf->shpool->mutex);

    for (i = 0; i < NGX_HTTP_EDGE_AUTH_REFRESH_SLOTS; i++) {
        s = &amcf->sh->refresh->slots[i];

        if (!s->started || ngx_memcmp(s->key, rf->key, sizeof(rf->key)) != 0) {
            continue;
        }

        if (outcome == NGX_HTTP_EDGE_AUTH_REFRESH_FAILED) {
            /* nothing learned: the next request tries again */
            ngx_memzero(s, sizeof(ngx_http_edge_auth_refresh_slot_t));
            break;
        }

        s->finished = (int64_t) ngx_time();
        s->outcome = outcome;

        if (cookies && len) {
            s->cookies = ngx_slab_alloc_locked(amcf->shpool, len);

            if (s->cookies) {
                ngx_memcpy(s->cookies, cookies, len);
                s->cookies_len = len;

            } else {
                /* no room for the result: the followers retry, and meet a dead token */
                ngx_memzero(s, sizeof(ngx_http_edge_auth_refresh_slot_t));
            }
        }

        break;
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);
}


/* A follower takes the leader's result: the new cookies open as the session, and are set. */
static ngx_int_t
ngx_http_edge_auth_refresh_adopt(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, u_char *cookies, size_t len,
    ea_session_t **session, ea_session_cookies_t *jar)
{
    char                  detail[256];
    int64_t               now;
    ea_str_t              header;
    ea_session_t         *fresh;
    ea_cookie_set_t       set;
    ea_session_times_t    times;
    ea_session_status_t   rc;
    ea_session_cookies_t  fresh_jar;

    now = (int64_t) ngx_time();
    header.data = (const char *) cookies;
    header.len = len;
    fresh = NULL;

    rc = ea_session_cookies_find(p->sealer, &header, 1, &fresh_jar, detail,
                                 sizeof(detail));

    if (rc == EA_SESSION_OK) {
        rc = ea_session_open(p->sealer, p->keys, &fresh_jar, now, &fresh,
                             detail, sizeof(detail));
    }

    if (rc != EA_SESSION_OK) {
        return NGX_ERROR;
    }

    /* the browser gets the same cookies as the leader's response, and loses stale chunks */
    if (ea_session_seal(p->sealer, p->keys, fresh, jar->present,
                        ngx_http_edge_auth_pool_alloc, r->pool, &set, detail,
                        sizeof(detail))
        != EA_SESSION_OK)
    {
        ea_session_free(fresh);
        return NGX_ERROR;
    }

    ea_session_times(fresh, &times);

    if (ngx_http_edge_auth_set_cookies(r, p, &set, times.expires - now)
        != NGX_OK)
    {
        ea_session_free(fresh);
        return NGX_ERROR;
    }

    ea_session_free(*session);
    *session = fresh;

    return NGX_OK;
}
