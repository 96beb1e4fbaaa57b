/*
 * nginx-edge-auth: the access-phase handler for auth_jwt.
 *
 * One pass per request: find the token (Authorization: Bearer, or the token=$variable), let the
 * core verify it against the location's keys and policy, then evaluate auth_jwt_require. Every
 * rejection is one info-level log line with a stable reason code and an RFC 6750 challenge, and
 * every outcome is recorded for the audit variables.
 * Nothing here can let a request through on an error path: the only NGX_OK is after the core
 * returned EA_OK and every requirement held.
 */

#include "ngx_http_edge_auth.h"


static ngx_int_t ngx_http_edge_auth_bearer(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_str_t *token);
static ngx_int_t ngx_http_edge_auth_check_require(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_uint_t *failed);
static ngx_int_t ngx_http_edge_auth_challenge(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_uint_t status, const char *error);
static void ngx_http_edge_auth_cleanup_token(void *data);


ngx_int_t
ngx_http_edge_auth_jwt_handler(ngx_http_request_t *r)
{
    char                             detail[256];
    ngx_int_t                        rc;
    ngx_str_t                        token;
    ngx_uint_t                       failed;
    ea_token_t                      *verified;
    ea_status_t                      status;
    const ea_keyset_t               *keys;
    ngx_pool_cleanup_t              *cln;
    ngx_http_edge_auth_ctx_t        *ctx;
    ngx_http_edge_auth_loc_conf_t   *lcf;
    ngx_http_edge_auth_main_conf_t  *amcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_edge_auth_module);

    if (lcf->jwt != NGX_HTTP_EDGE_AUTH_JWT_ON) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_edge_auth_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * An identity verified in an earlier location of this request (before an internal redirect)
     * is not exported for a location that refuses its token.
     */
    ctx->token = NULL;

    /* the audit record until an outcome replaces it: every error path is a refusal */
    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT, "internal");

    rc = ngx_http_edge_auth_bearer(r, lcf, &token);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: auth_jwt rejected request: no_credentials "
                      "(no bearer token)");
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT,
                                 "no_credentials");
        return ngx_http_edge_auth_challenge(r, lcf, NGX_HTTP_UNAUTHORIZED,
                                            NULL);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    for ( ;; ) {

        rc = ngx_http_edge_auth_request_keys(r, lcf, ctx, ctx->forced, &keys);

        if (rc == NGX_AGAIN) {
            /* a key fetch is in flight: this handler runs again when it ends */
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: auth_jwt rejected request: no_keys "
                          "(no usable keys from \"%V\": see the JWKS fetch "
                          "warnings)", &lcf->key_source->uri);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT,
                                     "no_keys");
            /* the token may be fine; we cannot tell, so neither 401 nor pass */
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        detail[0] = '\0';

        status = ea_jwt_verify_cached(amcf->token_cache, lcf->policy, keys,
                                      (const char *) token.data, token.len,
                                      (int64_t) ngx_time(), &verified, detail,
                                      sizeof(detail));

        /* an unknown kid may be a key the provider has just published: refresh once */
        if (status == EA_ERR_UNKNOWN_KEY && lcf->key_source != NULL
            && !ctx->forced)
        {
            ctx->forced = 1;
            continue;
        }

        break;
    }

    if (status != EA_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: auth_jwt rejected request: %s (%s)",
                      ea_status_reason(status), detail);

        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT,
                                 ea_status_reason(status));

        switch (status) {

        case EA_ERR_NO_KEYS:
            return NGX_HTTP_SERVICE_UNAVAILABLE;

        case EA_ERR_INTERNAL:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;

        default:
            return ngx_http_edge_auth_challenge(r, lcf, NGX_HTTP_UNAUTHORIZED,
                                                "invalid_token");
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ea_token_free(verified);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_edge_auth_cleanup_token;
    cln->data = verified;

    /* set before auth_jwt_require runs: its values are usually maps over $jwt_claim_* */
    ctx->token = verified;

    rc = ngx_http_edge_auth_check_require(r, lcf, &failed);

    if (rc == NGX_ERROR) {
        ctx->token = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        /* the identity is not exported for a request we refuse */
        ctx->token = NULL;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: auth_jwt rejected request: claim "
                      "(auth_jwt_require value #%ui is empty or \"0\")",
                      failed + 1);

        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT, "claim");

        return ngx_http_edge_auth_challenge(r, lcf, lcf->require_error,
                   lcf->require_error == NGX_HTTP_FORBIDDEN
                   ? "insufficient_scope" : "invalid_token");
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "edge_auth: auth_jwt accepted token");

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW,
                             NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT, NULL);

    return NGX_OK;
}


/*
 * The token from token=$variable when configured, else from "Authorization: Bearer <token>"
 * (scheme case-insensitive, RFC 6750 2.1). NGX_DECLINED when there is none.
 */
static ngx_int_t
ngx_http_edge_auth_bearer(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_str_t *token)
{
    u_char  *p, *end;

    if (lcf->token != NULL) {
        if (ngx_http_complex_value(r, lcf->token, token) != NGX_OK) {
            return NGX_ERROR;
        }

        return token->len ? NGX_OK : NGX_DECLINED;
    }

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    end = p + r->headers_in.authorization->value.len;

    if (end - p < (ssize_t) sizeof("Bearer ") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer", sizeof("Bearer") - 1) != 0
        || (p[6] != ' ' && p[6] != '\t'))
    {
        return NGX_DECLINED;
    }

    p += sizeof("Bearer") - 1;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    if (p == end) {
        return NGX_DECLINED;
    }

    token->data = p;
    token->len = end - p;

    return NGX_OK;
}


/* NGX_OK when every auth_jwt_require value is non-empty and not "0", as in NGINX Plus. */
static ngx_int_t
ngx_http_edge_auth_check_require(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_uint_t *failed)
{
    ngx_str_t                  value;
    ngx_uint_t                 i;
    ngx_http_complex_value_t  *cv;

    if (lcf->require == NULL) {
        return NGX_OK;
    }

    cv = lcf->require->elts;

    for (i = 0; i < lcf->require->nelts; i++) {
        if (ngx_http_complex_value(r, &cv[i], &value) != NGX_OK) {
            return NGX_ERROR;
        }

        if (value.len == 0 || (value.len == 1 && value.data[0] == '0')) {
            *failed = i;
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * RFC 6750 3: Bearer realm="..." and, once a token was presented, error="...". The realm is
 * operator text but may contain variables, so quotes and backslashes are escaped.
 */
static ngx_int_t
ngx_http_edge_auth_challenge(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_uint_t status, const char *error)
{
    u_char           *p;
    size_t            len, i;
    ngx_str_t         realm;
    ngx_table_elt_t  *h;

    if (ngx_http_complex_value(r, lcf->realm, &realm) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("Bearer realm=\"\"") - 1 + realm.len * 2;

    if (error) {
        len += sizeof(", error=\"\"") - 1 + ngx_strlen(error);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "Bearer realm=\"", sizeof("Bearer realm=\"") - 1);

    for (i = 0; i < realm.len; i++) {
        if (realm.data[i] < 0x20 || realm.data[i] == 0x7f) {
            continue;
        }

        if (realm.data[i] == '"' || realm.data[i] == '\\') {
            *p++ = '\\';
        }

        *p++ = realm.data[i];
    }

    *p++ = '"';

    if (error) {
        p = ngx_sprintf(p, ", error=\"%s\"", error);
    }

    h->value.len = p - h->value.data;
    r->headers_out.www_authenticate = h;

    return status;
}


static void
ngx_http_edge_auth_cleanup_token(void *data)
{
    ea_token_free(data);
}
