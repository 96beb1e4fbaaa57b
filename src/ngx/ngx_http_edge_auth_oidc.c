/*
 * nginx-edge-auth: oidc_provider blocks and auth_oidc, the session side.
 *
 * The browser holds the whole session in a sealed cookie (AES-256-GCM, bound to the provider and
 * cookie name; see docs/session-format.md), so nginx keeps no session store. For each auth_oidc
 * request the access handler finds the cookie, lets the core open and check it, exports the
 * identity through $oidc_* variables, re-seals it when the idle window slides, and removes the
 * module's cookies from the request sent upstream. A request without a valid session gets 401
 * (the login redirect arrives with the login flow).
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE_BYTES  65536


static char *ngx_http_edge_auth_provider_directive(ngx_conf_t *cf,
    ngx_command_t *dummy, void *conf);
static char *ngx_http_edge_auth_provider_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p);
static ngx_int_t ngx_http_edge_auth_strip_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *headers, size_t n,
    ea_session_cookies_t *jar);
static void ngx_http_edge_auth_free_provider(void *data);
static char *ngx_http_edge_auth_provider_login_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p);
static char *ngx_http_edge_auth_provider_logout_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p);


/* The request is for one of the provider's own paths (empty: not configured). */
static ngx_inline ngx_uint_t
ngx_http_edge_auth_path_is(ngx_str_t *uri, ngx_str_t *path)
{
    return path->len && uri->len == path->len
           && ngx_strncmp(uri->data, path->data, path->len) == 0;
}


ngx_int_t
ngx_http_edge_auth_oidc_handler(ngx_http_request_t *r)
{
    char                             detail[256];
    size_t                           n;
    int64_t                          now;
    ea_str_t                         headers[NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS];
    ea_session_t                    *session;
    ea_cookie_set_t                  set;
    ea_session_times_t               times;
    ea_session_cookies_t             jar;
    ngx_int_t                        rc2;
    ea_revoke_kind_t                 revoked;
    ea_session_status_t              rc;
    ngx_http_edge_auth_ctx_t        *ctx;
    ngx_http_edge_auth_provider_t   *p;
    ngx_http_edge_auth_loc_conf_t   *lcf;
    ngx_http_edge_auth_main_conf_t  *amcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_edge_auth_module);

    if (lcf->oidc != NGX_HTTP_EDGE_AUTH_JWT_ON) {
        return NGX_DECLINED;
    }

    p = lcf->provider;

    ctx = ngx_http_edge_auth_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the provider sends the browser back here after sign-in */
    if (p->issuer.len
        && r->uri.len == p->redirect_path.len
        && ngx_strncmp(r->uri.data, p->redirect_path.data, r->uri.len) == 0)
    {
        return ngx_http_edge_auth_callback(r, p, ctx);
    }

    if (ngx_http_edge_auth_path_is(&r->uri, &p->logout_uri)) {
        return ngx_http_edge_auth_logout(r, p, ctx);
    }

    if (ngx_http_edge_auth_path_is(&r->uri, &p->backchannel_logout_uri)) {
        return ngx_http_edge_auth_backchannel(r, p, ctx);
    }

    if (ngx_http_edge_auth_path_is(&r->uri, &p->frontchannel_logout_uri)) {
        return ngx_http_edge_auth_frontchannel(r, p, ctx);
    }

    /* the audit record until an outcome replaces it: every error path is a refusal */
    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, "internal");

    /* opened before an internal redirect: its cookie has already been stripped */
    if (ctx->session != NULL && ctx->session_provider == p) {
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, NULL);
        return NGX_OK;
    }

    /* another provider's session (from before a redirect) is replaced, or dropped on refusal */
    if (ctx->session != NULL) {
        ea_session_free(ctx->session);
        ctx->session = NULL;
        ctx->session_provider = NULL;
    }

    if (ngx_http_edge_auth_cookie_headers(r, headers, &n) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: auth_oidc rejected request: too_large "
                      "(more than %d Cookie headers)",
                      NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, "too_large");
        return NGX_HTTP_UNAUTHORIZED;
    }

    now = (int64_t) ngx_time();
    detail[0] = '\0';
    session = NULL;

    rc = ea_session_cookies_find(p->sealer, headers, n, &jar, detail,
                                 sizeof(detail));

    if (rc == EA_SESSION_OK) {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

        rc = ea_session_open_cached(amcf->session_cache, p->sealer, p->keys,
                                    &jar, now, &session, detail,
                                    sizeof(detail));

        /* logged out: the cookie still opens, the revocation list says no */
        if (rc == EA_SESSION_OK
            && ngx_http_edge_auth_revoked(r, p, session, &revoked))
        {
            ea_session_free(session);
            session = NULL;
            rc = EA_SESSION_ERR_REVOKED;
            ngx_snprintf((u_char *) detail, sizeof(detail) - 1, "by its %s%Z",
                         revoked == EA_REVOKE_SID ? "provider session (sid)"
                         : revoked == EA_REVOKE_SUB ? "user (sub)"
                         : "session id");
        }

        /* an access token about to expire is refreshed first (once, for all workers) */
        if (rc == EA_SESSION_OK && p->issuer.len) {
            rc2 = ngx_http_edge_auth_refresh(r, p, ctx, &session, &jar);

            if (rc2 != NGX_OK) {
                ea_session_free(session);
                session = NULL;
            }

            if (rc2 == NGX_AGAIN) {
                return NGX_AGAIN;
            }

            if (rc2 == NGX_ERROR) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "edge_auth: auth_oidc refused request: the "
                              "access token has expired and could not be "
                              "refreshed, provider \"%V\"", &p->name);
                ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                         NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                         "provider_unavailable");
                return NGX_HTTP_SERVICE_UNAVAILABLE;
            }

            if (rc2 == NGX_DECLINED) {
                rc = EA_SESSION_ERR_EXPIRED;
                ngx_cpystrn((u_char *) detail, (u_char *) "the provider refused "
                            "to refresh its tokens", sizeof(detail));
            }
        }
    }

    if (rc != EA_SESSION_OK) {
        /* once per request: the handler runs again after a discovery fetch */
        if (!ctx->rejection_logged) {
            ctx->rejection_logged = 1;
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: auth_oidc rejected request: %s (%s), "
                          "provider \"%V\"", ea_session_reason(rc), detail,
                          &p->name);
        }

        /* a refusal so far: the login flow may make it a redirect or a pass */
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 ea_session_reason(rc));

        if (rc == EA_SESSION_ERR_INTERNAL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* a cookie that will never open again is removed from the browser */
        if (jar.present && rc != EA_SESSION_ERR_NONE
            && ea_session_clear(p->sealer, jar.present,
                                ngx_http_edge_auth_pool_alloc, r->pool, &set)
               == 0)
        {
            (void) ngx_http_edge_auth_set_cookies(r, p, &set, 0);
        }

        rc2 = ngx_http_edge_auth_login(r, lcf, ctx);

        if (rc2 == NGX_OK && p->strip_cookies
            && ngx_http_edge_auth_strip_cookies(r, p, headers, n, &jar)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return rc2;
    }

    ctx->session = session;
    ctx->session_provider = p;

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, NULL);

    if (ea_session_reseal_due(p->sealer, session, now)) {
        rc = ea_session_reseal(p->sealer, p->keys, session, now, jar.present,
                               ngx_http_edge_auth_pool_alloc, r->pool, &set,
                               detail, sizeof(detail));

        if (rc == EA_SESSION_OK) {
            ea_session_times(session, &times);

            if (ngx_http_edge_auth_set_cookies(r, p, &set, times.expires - now)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

        } else {
            /* the session stays valid until its idle timeout; log and serve */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "edge_auth: could not re-seal the session: %s (%s)",
                          ea_session_reason(rc), detail);
        }
    }

    if (p->strip_cookies
        && ngx_http_edge_auth_strip_cookies(r, p, headers, n, &jar) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* The values of the request's Cookie headers, as received. */
ngx_int_t
ngx_http_edge_auth_cookie_headers(ngx_http_request_t *r, ea_str_t *headers,
    size_t *n)
{
    ngx_table_elt_t  *h;

    *n = 0;

#if (nginx_version >= 1023000)
    for (h = r->headers_in.cookie; h; h = h->next) {
#else
    ngx_uint_t        i;
    ngx_table_elt_t **cookies = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = cookies[i];
#endif
        if (*n == NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS) {
            return NGX_DECLINED;
        }

        headers[*n].data = (const char *) h->value.data;
        headers[*n].len = h->value.len;
        (*n)++;
    }

    return NGX_OK;
}


/*
 * Set-Cookie with the provider's attributes. HttpOnly always; Secure unless cookie_secure is
 * explicitly off; Path=/ so every location sees the session. A removal is sent with Max-Age=0.
 */
ngx_int_t
ngx_http_edge_auth_set_cookie(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_t *cookie, int64_t max_age,
    ngx_uint_t samesite)
{
    u_char           *v;
    size_t            len;
    ngx_table_elt_t  *h;

    static ngx_str_t  attributes[] = {
        ngx_string("; SameSite=Lax"),
        ngx_string("; SameSite=Strict"),
        ngx_string("; SameSite=None")
    };

    len = cookie->name.len + 1 + cookie->value.len
          + sizeof("; Path=/; Max-Age=; HttpOnly; Secure") - 1
          + NGX_TIME_T_LEN + attributes[samesite].len
          + (p->cookie_domain.len ? sizeof("; Domain=") - 1
                                    + p->cookie_domain.len : 0);

    v = ngx_pnalloc(r->pool, len);
    if (v == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = v;

    v = ngx_sprintf(v, "%*s=%*s; Path=/; Max-Age=%T",
                    cookie->name.len, cookie->name.data,
                    cookie->value.len, cookie->value.data,
                    (time_t) (cookie->remove ? 0 : max_age));

    if (p->cookie_domain.len) {
        v = ngx_sprintf(v, "; Domain=%V", &p->cookie_domain);
    }

    v = ngx_cpymem(v, "; HttpOnly", sizeof("; HttpOnly") - 1);

    if (p->cookie_secure) {
        v = ngx_cpymem(v, "; Secure", sizeof("; Secure") - 1);
    }

    v = ngx_cpymem(v, attributes[samesite].data, attributes[samesite].len);

    h->value.len = v - h->value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_edge_auth_set_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_set_t *set, int64_t max_age)
{
    size_t  i;

    for (i = 0; i < set->n; i++) {
        if (ngx_http_edge_auth_set_cookie(r, p, &set->cookies[i], max_age,
                                          p->cookie_samesite)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* A response header (Location, Cache-Control, WWW-Authenticate, ...) set by the module. */
ngx_int_t
ngx_http_edge_auth_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    if (h->key.len == sizeof("Location") - 1
        && ngx_strncasecmp(h->key.data, (u_char *) "Location", h->key.len) == 0)
    {
        r->headers_out.location = h;
    }

    return NGX_OK;
}


/*
 * The request continues upstream without the module's cookies: the app has no use for them and
 * oversized Cookie headers break upstreams. The Cookie headers are replaced by one header with
 * what is left (or none). The jar's counts, from the scan that found the session, settle the
 * common cases without reading the headers again: no module cookie, or nothing but them.
 */
static ngx_int_t
ngx_http_edge_auth_strip_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *headers, size_t n,
    ea_session_cookies_t *jar)
{
    int                 removed;
    ea_str_t            name, left, prefix;
    ngx_uint_t          i;
    ngx_list_t          kept;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h, *copy, *cookie;

    if (n == 0) {
        return NGX_OK;
    }

    if (jar->counted && jar->module_cookies == 0) {
        return NGX_OK;
    }

    if (jar->counted && jar->other_cookies == 0) {
        left.data = "";
        left.len = 0;

    } else {
        name.data = (const char *) p->cookie_name.data;
        name.len = p->cookie_name.len;

        /* the session cookie and its chunks, and every login-flow cookie */
        prefix = ea_oidc_flow_cookie_prefix(p->sealer);

        removed = ea_cookie_strip(headers, n, &name, 1, &prefix, 1,
                                  ngx_http_edge_auth_pool_alloc, r->pool,
                                  &left);

        if (removed < 0) {
            return NGX_ERROR;
        }

        if (removed == 0) {
            return NGX_OK;
        }
    }

    if (ngx_list_init(&kept, r->pool, 20, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    cookie = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* by name: the elements may be copies (the scrub handler rebuilds the list) */
        if (h[i].key.len == sizeof("Cookie") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Cookie",
                               sizeof("Cookie") - 1) == 0)
        {
            if (cookie != NULL || left.len == 0) {
                continue;
            }

            /* the first Cookie header carries what is left of all of them */
            copy = ngx_list_push(&kept);
            if (copy == NULL) {
                return NGX_ERROR;
            }

            *copy = h[i];
            copy->value.data = (u_char *) left.data;
            copy->value.len = left.len;
#if (nginx_version >= 1023000)
            copy->next = NULL;
#endif
            cookie = copy;
            continue;
        }

        copy = ngx_list_push(&kept);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        *copy = h[i];
    }

    r->headers_in.headers = kept;

#if (nginx_version >= 1023000)
    r->headers_in.cookie = cookie;
#else
    r->headers_in.cookies.nelts = 0;

    if (cookie) {
        ngx_table_elt_t  **slot = ngx_array_push(&r->headers_in.cookies);

        if (slot == NULL) {
            return NGX_ERROR;
        }

        *slot = cookie;
    }
#endif

    return NGX_OK;
}


/* ---- configuration ---------------------------------------------------------------------- */

/* oidc_provider name { ... } */
char *
ngx_http_edge_auth_oidc_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_main_conf_t *amcf = conf;

    char                            *rv;
    ngx_str_t                       *value;
    ngx_uint_t                       i;
    ngx_conf_t                       save;
    ngx_http_edge_auth_provider_t   *p, **slot, **all;

    value = cf->args->elts;

    all = amcf->providers.elts;

    for (i = 0; i < amcf->providers.nelts; i++) {
        if (all[i]->name.len == value[1].len
            && ngx_strncmp(all[i]->name.data, value[1].data, value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate oidc_provider \"%V\", first defined "
                               "in %V:%ui", &value[1], &all[i]->conf_file,
                               all[i]->conf_line);
            return NGX_CONF_ERROR;
        }
    }

    p = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_provider_t));
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    p->name = value[1];
    p->conf_file = cf->conf_file->file.name;
    p->conf_line = cf->conf_file->line;
    p->cookie_samesite = NGX_CONF_UNSET_UINT;
    p->cookie_secure = NGX_CONF_UNSET;
    p->strip_cookies = NGX_CONF_UNSET;
    p->session_timeout = NGX_CONF_UNSET;
    p->idle_timeout = NGX_CONF_UNSET;
    p->pkce = NGX_CONF_UNSET;
    p->allow_http = NGX_CONF_UNSET;
    p->timeout = NGX_CONF_UNSET_MSEC;
    p->login_timeout = NGX_CONF_UNSET;
    p->logout_token_hint = NGX_CONF_UNSET;
    p->refresh_margin = NGX_CONF_UNSET;

    slot = ngx_array_push(&amcf->providers);
    if (slot == NULL) {
        return NGX_CONF_ERROR;
    }

    *slot = p;

    save = *cf;
    cf->handler = ngx_http_edge_auth_provider_directive;
    cf->handler_conf = (void *) p;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    return ngx_http_edge_auth_provider_finish(cf, p);
}


static char *
ngx_http_edge_auth_provider_time(ngx_conf_t *cf, ngx_str_t *value, time_t *t)
{
    if (*t != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    *t = ngx_parse_time(value, 1);

    if (*t == (time_t) NGX_ERROR) {
        return "has an invalid time";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_edge_auth_provider_flag(ngx_conf_t *cf, ngx_str_t *value,
    ngx_flag_t *flag)
{
    if (*flag != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_strcmp(value->data, "on") == 0) {
        *flag = 1;

    } else if (ngx_strcmp(value->data, "off") == 0) {
        *flag = 0;

    } else {
        return "takes \"on\" or \"off\"";
    }

    return NGX_CONF_OK;
}


/* The provider's plain string directives; 1 when `name` is one of them. */
static ngx_uint_t
ngx_http_edge_auth_provider_string(ngx_str_t *name, ngx_str_t *value,
    ngx_http_edge_auth_provider_t *p, char **rv)
{
    ngx_uint_t  i;

    static struct {
        ngx_str_t  name;
        size_t     offset;
    }  strings[] = {
        { ngx_string("issuer"),
          offsetof(ngx_http_edge_auth_provider_t, issuer) },
        { ngx_string("client_id"),
          offsetof(ngx_http_edge_auth_provider_t, client_id) },
        { ngx_string("client_secret"),
          offsetof(ngx_http_edge_auth_provider_t, client_secret) },
        { ngx_string("config_url"),
          offsetof(ngx_http_edge_auth_provider_t, config_url) },
        { ngx_string("redirect_uri"),
          offsetof(ngx_http_edge_auth_provider_t, redirect_uri) },
        { ngx_string("extra_auth_args"),
          offsetof(ngx_http_edge_auth_provider_t, extra_auth_args) },
        { ngx_string("logout_uri"),
          offsetof(ngx_http_edge_auth_provider_t, logout_uri) },
        { ngx_string("post_logout_uri"),
          offsetof(ngx_http_edge_auth_provider_t, post_logout_uri) },
        { ngx_string("backchannel_logout_uri"),
          offsetof(ngx_http_edge_auth_provider_t, backchannel_logout_uri) },
        { ngx_string("frontchannel_logout_uri"),
          offsetof(ngx_http_edge_auth_provider_t, frontchannel_logout_uri) }
    };

    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (name->len == strings[i].name.len
            && ngx_strncmp(name->data, strings[i].name.data, name->len) == 0)
        {
            ngx_str_t  *field = (ngx_str_t *) ((u_char *) p
                                               + strings[i].offset);

            if (field->data) {
                *rv = "is duplicate";

            } else if (value->len == 0) {
                *rv = "needs a value";

            } else {
                *field = *value;
            }

            return 1;
        }
    }

    return 0;
}


/*
 * One directive inside oidc_provider { }. A handler rather than a command table: the block's
 * directives exist nowhere else, and their names (cookie_name, issuer, ...) follow NGINX Plus.
 */
static char *
ngx_http_edge_auth_provider_directive(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf)
{
    ngx_http_edge_auth_provider_t *p = conf;

    char        *rv;
    ea_str_t    *claim;
    ngx_str_t   *value, *name;
    ngx_uint_t   i, n;

    value = cf->args->elts;
    name = &value[0];
    n = cf->args->nelts;
    rv = NGX_CONF_OK;

#define ngx_http_edge_auth_is(s)                                              \
    (name->len == sizeof(s) - 1 && ngx_strncmp(name->data, s, name->len) == 0)

    if (ngx_http_edge_auth_is("session_claims")) {
        if (n < 2) {
            goto args;
        }

        if (p->claims == NULL) {
            p->claims = ngx_array_create(cf->pool, n, sizeof(ea_str_t));
            if (p->claims == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        for (i = 1; i < n; i++) {
            claim = ngx_array_push(p->claims);
            if (claim == NULL) {
                return NGX_CONF_ERROR;
            }

            claim->data = (const char *) value[i].data;
            claim->len = value[i].len;
        }

        return NGX_CONF_OK;
    }

    if (ngx_http_edge_auth_is("scope")) {
        if (n < 2) {
            goto args;
        }

        if (p->scope.data) {
            rv = "is duplicate";
            goto done;
        }

        /* "scope openid email" and "scope 'openid email'" mean the same */
        for (i = 1; i < n; i++) {
            p->scope.len += value[i].len + 1;
        }

        p->scope.data = ngx_pnalloc(cf->pool, p->scope.len);
        if (p->scope.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p->scope.len = 0;

        for (i = 1; i < n; i++) {
            if (i > 1) {
                p->scope.data[p->scope.len++] = ' ';
            }

            ngx_memcpy(p->scope.data + p->scope.len, value[i].data,
                       value[i].len);
            p->scope.len += value[i].len;
        }

        goto done;
    }

    if (n != 2) {
        goto args;
    }

    if (ngx_http_edge_auth_provider_string(name, &value[1], p, &rv)) {
        goto done;
    }

    if (ngx_http_edge_auth_is("cookie_name")) {
        if (p->cookie_name.data) {
            rv = "is duplicate";

        } else {
            p->cookie_name = value[1];
        }

    } else if (ngx_http_edge_auth_is("cookie_domain")) {
        if (p->cookie_domain.data) {
            rv = "is duplicate";

        } else {
            p->cookie_domain = value[1];
        }

    } else if (ngx_http_edge_auth_is("session_key_file")) {
        if (p->key_file.data) {
            rv = "is duplicate";

        } else {
            p->key_file = value[1];

            if (ngx_conf_full_name(cf->cycle, &p->key_file, 1) != NGX_OK) {
                return NGX_CONF_ERROR;
            }
        }

    } else if (ngx_http_edge_auth_is("session_timeout")) {
        rv = ngx_http_edge_auth_provider_time(cf, &value[1],
                                              &p->session_timeout);

    } else if (ngx_http_edge_auth_is("session_idle_timeout")) {
        rv = ngx_http_edge_auth_provider_time(cf, &value[1], &p->idle_timeout);

    } else if (ngx_http_edge_auth_is("pkce")) {
        rv = ngx_http_edge_auth_provider_flag(cf, &value[1], &p->pkce);

        if (rv == NGX_CONF_OK && !p->pkce) {
            rv = "off is not supported: PKCE (S256) is always used, whatever "
                 "the provider's metadata says; remove the directive";
        }

    } else if (ngx_http_edge_auth_is("token_endpoint_auth_method")) {
        if (p->auth_method) {
            rv = "is duplicate";

        } else if (ngx_strcmp(value[1].data, "client_secret_basic") == 0) {
            p->auth_method = EA_OIDC_AUTH_BASIC;

        } else if (ngx_strcmp(value[1].data, "client_secret_post") == 0) {
            p->auth_method = EA_OIDC_AUTH_POST;

        } else {
            rv = "takes client_secret_basic or client_secret_post";
        }

    } else if (ngx_http_edge_auth_is("logout_token_hint")) {
        rv = ngx_http_edge_auth_provider_flag(cf, &value[1],
                                              &p->logout_token_hint);

    } else if (ngx_http_edge_auth_is("allow_http")) {
        rv = ngx_http_edge_auth_provider_flag(cf, &value[1], &p->allow_http);

    } else if (ngx_http_edge_auth_is("provider_timeout")) {
        if (p->timeout != NGX_CONF_UNSET_MSEC) {
            rv = "is duplicate";

        } else {
            p->timeout = ngx_parse_time(&value[1], 0);

            if (p->timeout == (ngx_msec_t) NGX_ERROR || p->timeout == 0) {
                rv = "has an invalid time";
            }
        }

    } else if (ngx_http_edge_auth_is("refresh_margin")) {
        rv = ngx_http_edge_auth_provider_time(cf, &value[1], &p->refresh_margin);

    } else if (ngx_http_edge_auth_is("login_timeout")) {
        rv = ngx_http_edge_auth_provider_time(cf, &value[1], &p->login_timeout);

    } else if (ngx_http_edge_auth_is("client_secret_file")
               || ngx_http_edge_auth_is("ssl_trusted_certificate"))
    {
        ngx_str_t  *file = name->data[0] == 'c' ? &p->client_secret_file
                                                 : &p->trusted_certificate;

        if (file->data) {
            rv = "is duplicate";

        } else {
            *file = value[1];

            if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
                return NGX_CONF_ERROR;
            }
        }

    } else if (ngx_http_edge_auth_is("cookie_secure")) {
        rv = ngx_http_edge_auth_provider_flag(cf, &value[1], &p->cookie_secure);

    } else if (ngx_http_edge_auth_is("strip_cookies")) {
        rv = ngx_http_edge_auth_provider_flag(cf, &value[1], &p->strip_cookies);

    } else if (ngx_http_edge_auth_is("cookie_samesite")) {
        if (p->cookie_samesite != NGX_CONF_UNSET_UINT) {
            rv = "is duplicate";

        } else if (ngx_strcasecmp(value[1].data, (u_char *) "lax") == 0) {
            p->cookie_samesite = NGX_HTTP_EDGE_AUTH_SAMESITE_LAX;

        } else if (ngx_strcasecmp(value[1].data, (u_char *) "strict") == 0) {
            p->cookie_samesite = NGX_HTTP_EDGE_AUTH_SAMESITE_STRICT;

        } else if (ngx_strcasecmp(value[1].data, (u_char *) "none") == 0) {
            p->cookie_samesite = NGX_HTTP_EDGE_AUTH_SAMESITE_NONE;

        } else {
            rv = "takes lax, strict or none";
        }

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown directive \"%V\" in oidc_provider: this "
                           "version supports issuer, client_id, client_secret, "
                           "client_secret_file, token_endpoint_auth_method, "
                           "config_url, redirect_uri, "
                           "scope, extra_auth_args, pkce, allow_http, "
                           "ssl_trusted_certificate, provider_timeout, "
                           "login_timeout, refresh_margin, logout_uri, "
                           "post_logout_uri, "
                           "logout_token_hint, backchannel_logout_uri, "
                           "frontchannel_logout_uri, cookie_name, cookie_domain, "
                           "cookie_samesite, cookie_secure, strip_cookies, "
                           "session_key_file, session_timeout, "
                           "session_idle_timeout and session_claims", name);
        return NGX_CONF_ERROR;
    }

#undef ngx_http_edge_auth_is

done:

    if (rv != NGX_CONF_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s", name, rv);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

args:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid number of arguments in \"%V\" directive", name);
    return NGX_CONF_ERROR;
}


/* Settles defaults, reads the key file and builds the sealer: everything nginx -t can check. */
static char *
ngx_http_edge_auth_provider_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p)
{
    char                 err[256];
    u_char              *buf;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_file_t           file;
    ngx_file_info_t      fi;
    ea_session_conf_t    sc;
    ngx_pool_cleanup_t  *cln;

    if (p->cookie_name.data == NULL) {
        ngx_str_set(&p->cookie_name, "NGX_OIDC_SESSION");
    }

    ngx_conf_init_uint_value(p->cookie_samesite, NGX_HTTP_EDGE_AUTH_SAMESITE_LAX);
    ngx_conf_init_value(p->cookie_secure, 1);
    ngx_conf_init_value(p->strip_cookies, 1);
    ngx_conf_init_value(p->session_timeout, 8 * 3600);
    ngx_conf_init_value(p->idle_timeout, 3600);

    if (p->cookie_name.len > 7
        && ngx_strncmp(p->cookie_name.data, "__Host-", 7) == 0
        && (!p->cookie_secure || p->cookie_domain.len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": a \"__Host-\" cookie needs "
                           "cookie_secure on and no cookie_domain (browsers "
                           "drop it otherwise)", &p->name);
        return NGX_CONF_ERROR;
    }

    if (p->cookie_samesite == NGX_HTTP_EDGE_AUTH_SAMESITE_NONE
        && !p->cookie_secure)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": cookie_samesite none needs "
                           "cookie_secure on", &p->name);
        return NGX_CONF_ERROR;
    }

    if (!p->cookie_secure) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "oidc_provider \"%V\": cookie_secure off sends the "
                           "session over plain HTTP: for local development "
                           "only", &p->name);
    }

    if (p->key_file.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\" needs \"session_key_file\": "
                           "create one with \"edge-auth keygen > "
                           "/etc/nginx/edge-auth-session.key\" (mode 0600)",
                           &p->name);
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(p->key_file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "oidc_provider \"%V\": session_key_file \"%V\" "
                           "cannot be opened", &p->name, &p->key_file);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE_BYTES)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": session_key_file \"%V\" "
                           "cannot be read or is too large", &p->name,
                           &p->key_file);
        return NGX_CONF_ERROR;
    }

    buf = ngx_pnalloc(cf->temp_pool, (size_t) ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = p->key_file;
    file.log = cf->log;

    n = ngx_read_file(&file, buf, (size_t) ngx_file_size(&fi), 0);
    ngx_close_file(fd);

    if (n != (ssize_t) ngx_file_size(&fi)) {
        return NGX_CONF_ERROR;
    }

    p->keys = ea_session_keys_load((const char *) buf, (size_t) n, err,
                                   sizeof(err));

    /* the secrets do not stay in the configuration pool */
    ngx_explicit_memzero(buf, (size_t) n);

    if (p->keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": session_key_file \"%V\": %s",
                           &p->name, &p->key_file, err);
        return NGX_CONF_ERROR;
    }

    ea_session_conf_init(&sc);
    sc.provider.data = (const char *) p->name.data;
    sc.provider.len = p->name.len;
    sc.cookie_name.data = (const char *) p->cookie_name.data;
    sc.cookie_name.len = p->cookie_name.len;
    sc.absolute_timeout = p->session_timeout;
    sc.idle_timeout = p->idle_timeout;

    p->sealer = ea_sealer_create(&sc, err, sizeof(err));

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_edge_auth_free_provider;
    cln->data = p;

    if (p->sealer == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": %s", &p->name, err);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_edge_auth_provider_logout_finish(cf, p) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_edge_auth_provider_login_finish(cf, p);
}


/* The sign-out settings: paths served inside auth_oidc locations, and where to land after. */
static char *
ngx_http_edge_auth_provider_logout_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p)
{
    ea_str_t     url;
    ngx_str_t   *paths[3];
    ngx_uint_t   i;

    static const char  *names[] = {
        "logout_uri", "backchannel_logout_uri", "frontchannel_logout_uri"
    };

    ngx_conf_init_value(p->logout_token_hint, 0);

    paths[0] = &p->logout_uri;
    paths[1] = &p->backchannel_logout_uri;
    paths[2] = &p->frontchannel_logout_uri;

    for (i = 0; i < 3; i++) {
        if (paths[i]->len == 0) {
            continue;
        }

        if (paths[i]->data[0] != '/'
            || ngx_strlchr(paths[i]->data, paths[i]->data + paths[i]->len, '?'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\": %s \"%V\" must be a "
                               "path without a query, e.g. \"/logout\"",
                               &p->name, names[i], paths[i]);
            return NGX_CONF_ERROR;
        }

        if (i > 0 && p->issuer.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\": %s needs \"issuer\": "
                               "the provider's logouts are checked against it",
                               &p->name, names[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (p->post_logout_uri.len) {
        url.data = (const char *) p->post_logout_uri.data;
        url.len = p->post_logout_uri.len;

        if (p->post_logout_uri.data[0] == '/'
            ? !ea_oidc_return_path_ok(url.data, url.len)
            : !ea_oidc_url_ok(&url, (int) (p->allow_http == 1
                                           || !p->cookie_secure)))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\": post_logout_uri \"%V\" "
                               "must be a plain path on this site or an "
                               "absolute https URL", &p->name,
                               &p->post_logout_uri);
            return NGX_CONF_ERROR;
        }
    }

    if (p->logout_token_hint && p->logout_uri.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": logout_token_hint needs "
                           "logout_uri", &p->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* A file's contents without trailing white space (a client secret). */
static char *
ngx_http_edge_auth_read_secret(ngx_conf_t *cf, ngx_http_edge_auth_provider_t *p,
    ngx_str_t *file, ngx_str_t *out)
{
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_t        f;
    ngx_file_info_t   fi;

    fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "oidc_provider \"%V\": client_secret_file \"%V\" "
                           "cannot be opened", &p->name, file);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 4096)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": client_secret_file \"%V\" "
                           "cannot be read or is over 4096 bytes", &p->name,
                           file);
        return NGX_CONF_ERROR;
    }

    buf = ngx_pnalloc(cf->pool, (size_t) ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.fd = fd;
    f.name = *file;
    f.log = cf->log;

    n = ngx_read_file(&f, buf, (size_t) ngx_file_size(&fi), 0);
    ngx_close_file(fd);

    if (n != (ssize_t) ngx_file_size(&fi)) {
        return NGX_CONF_ERROR;
    }

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": client_secret_file \"%V\" "
                           "is empty", &p->name, file);
        return NGX_CONF_ERROR;
    }

    out->data = buf;
    out->len = n;

    return NGX_CONF_OK;
}


/* The host of an absolute URL is an address literal (no resolver needed). */
static ngx_uint_t
ngx_http_edge_auth_host_is_literal(ngx_str_t *url)
{
    u_char  *p, *last, *host;

    p = (u_char *) ngx_strstr(url->data, "://");
    if (p == NULL) {
        return 0;
    }

    host = p + 3;
    last = url->data + url->len;

    if (host < last && *host == '[') {
        return 1;
    }

    for (p = host; p < last && *p != ':' && *p != '/' && *p != '?'; p++) {
        /* void */
    }

    return ngx_inet_addr(host, p - host) != INADDR_NONE;
}


/*
 * The login flow's settings (only with an issuer; a provider without one only reads sessions):
 * URLs checked as the core will use them, the secret read, TLS and the client prepared, and the
 * discovery document and JWKS registered as cached documents of the shared zone.
 */
static char *
ngx_http_edge_auth_provider_login_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p)
{
    u_char                   *q, *last;
    ea_str_t                  url, *claim;
    ngx_str_t                 bad;
    ngx_uint_t                i;
#if (NGX_HTTP_SSL)
    ngx_pool_cleanup_t       *cln;
#endif

    static const char  *reserved[] = {
        "response_type=", "client_id=", "redirect_uri=", "scope=", "state=",
        "nonce=", "code_challenge=", "code_challenge_method=", NULL
    };

    if (p->issuer.len == 0) {
        if (p->client_id.len || p->client_secret.len || p->config_url.len
            || p->redirect_uri.len || p->scope.len || p->extra_auth_args.len
            || p->client_secret_file.len || p->trusted_certificate.len
            || p->auth_method
            || p->pkce != NGX_CONF_UNSET || p->allow_http != NGX_CONF_UNSET
            || p->timeout != NGX_CONF_UNSET_MSEC
            || p->login_timeout != NGX_CONF_UNSET
            || p->refresh_margin != NGX_CONF_UNSET)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\" needs \"issuer\" for "
                               "its login settings: add \"issuer https://..."
                               "\" (the provider's Issuer Identifier)",
                               &p->name);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    ngx_conf_init_value(p->allow_http, 0);
    ngx_conf_init_value(p->pkce, 1);
    ngx_conf_init_msec_value(p->timeout, 10000);
    ngx_conf_init_value(p->login_timeout, 600);
    ngx_conf_init_value(p->refresh_margin, 30);
    p->max_pending_logins = 7;

    url.data = (const char *) p->issuer.data;
    url.len = p->issuer.len;

    if (!ea_oidc_url_ok(&url, (int) p->allow_http)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": issuer \"%V\" must be an "
                           "absolute https URL without user, query or "
                           "fragment%s", &p->name, &p->issuer,
                           p->allow_http ? ""
                           : " (plain http needs \"allow_http on\", for "
                             "local development only)");
        return NGX_CONF_ERROR;
    }

    /* OpenID Connect Discovery: an issuer has no query (nor fragment, refused above) */
    if (ngx_strlchr(p->issuer.data, p->issuer.data + p->issuer.len, '?')) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": issuer \"%V\" must not have a "
                           "query: use the provider's Issuer Identifier exactly",
                           &p->name, &p->issuer);
        return NGX_CONF_ERROR;
    }

    if (p->login_timeout < 30 || p->login_timeout > 3600) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": login_timeout must be between "
                           "30s and 1h (how long a sign-in at the provider may "
                           "take)", &p->name);
        return NGX_CONF_ERROR;
    }

    if (p->allow_http) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "oidc_provider \"%V\": allow_http on accepts "
                           "plain-http provider endpoints: for local "
                           "development only", &p->name);
    }

    if (p->client_id.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\" needs \"client_id\": the "
                           "client id registered at the provider", &p->name);
        return NGX_CONF_ERROR;
    }

    /* what goes into URLs and form bodies as is must be printable and bounded */
    for (i = 0; i < p->client_id.len; i++) {
        if (p->client_id.data[i] < 0x20 || p->client_id.data[i] >= 0x7f) {
            break;
        }
    }

    if (i != p->client_id.len || p->client_id.len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": client_id must be printable "
                           "ASCII of at most 255 bytes", &p->name);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < p->scope.len; i++) {
        /* RFC 6749 3.3: scope tokens are %x21 / %x23-5B / %x5D-7E, separated by spaces */
        if (p->scope.data[i] != ' '
            && (p->scope.data[i] < 0x21 || p->scope.data[i] > 0x7e
                || p->scope.data[i] == '"' || p->scope.data[i] == '\\'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\": scope has a character "
                               "RFC 6749 does not allow in a scope token",
                               &p->name);
            return NGX_CONF_ERROR;
        }
    }

    if (p->scope.len > 1024 || p->extra_auth_args.len > 2048) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": scope is limited to 1024 "
                           "bytes and extra_auth_args to 2048", &p->name);
        return NGX_CONF_ERROR;
    }

    if (p->client_secret.len && p->client_secret_file.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": use client_secret or "
                           "client_secret_file, not both", &p->name);
        return NGX_CONF_ERROR;
    }

    if (p->client_secret_file.len
        && ngx_http_edge_auth_read_secret(cf, p, &p->client_secret_file,
                                          &p->client_secret)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (p->config_url.len == 0) {
        last = p->issuer.data + p->issuer.len;

        if (last[-1] == '/') {
            last--;
        }

        p->config_url.len = (last - p->issuer.data)
                            + sizeof("/.well-known/openid-configuration") - 1;
        p->config_url.data = ngx_pnalloc(cf->pool, p->config_url.len);
        if (p->config_url.data == NULL) {
            return NGX_CONF_ERROR;
        }

        q = ngx_cpymem(p->config_url.data, p->issuer.data,
                       last - p->issuer.data);
        ngx_memcpy(q, "/.well-known/openid-configuration",
                   sizeof("/.well-known/openid-configuration") - 1);
    }

    url.data = (const char *) p->config_url.data;
    url.len = p->config_url.len;

    if (!ea_oidc_url_ok(&url, (int) p->allow_http)) {
        bad = p->config_url;
        goto bad_url;
    }

    if (p->redirect_uri.len == 0) {
        ngx_str_set(&p->redirect_uri, "/oidc_callback");
    }

    if (p->redirect_uri.data[0] == '/') {
        p->redirect_path = p->redirect_uri;

    } else {
        url.data = (const char *) p->redirect_uri.data;
        url.len = p->redirect_uri.len;

        q = (u_char *) ngx_strstr(p->redirect_uri.data, "://");

        /* our own origin: plain http only where the cookies are not Secure either */
        if (!ea_oidc_url_ok(&url, (int) (p->allow_http || !p->cookie_secure))
            || q == NULL)
        {
            bad = p->redirect_uri;
            goto bad_url;
        }

        last = p->redirect_uri.data + p->redirect_uri.len;

        for (q += 3; q < last && *q != '/'; q++) { /* void */ }

        p->redirect_path.data = q;
        p->redirect_path.len = last - q;
    }

    if (p->redirect_path.len == 0
        || ngx_strlchr(p->redirect_path.data,
                       p->redirect_path.data + p->redirect_path.len, '?'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": redirect_uri \"%V\" needs a "
                           "path and no query, e.g. \"/oidc_callback\"",
                           &p->name, &p->redirect_uri);
        return NGX_CONF_ERROR;
    }

    if (p->scope.len == 0) {
        ngx_str_set(&p->scope, "openid");
    }

    /* the provider's session id is kept in every session: back-channel logout names it */
    for (i = 0; p->claims && i < p->claims->nelts; i++) {
        claim = (ea_str_t *) p->claims->elts + i;

        if (claim->len == 3 && ngx_strncmp(claim->data, "sid", 3) == 0) {
            break;
        }
    }

    if (p->claims == NULL || i == p->claims->nelts) {
        if (p->claims == NULL) {
            p->claims = ngx_array_create(cf->pool, 1, sizeof(ea_str_t));
            if (p->claims == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        claim = ngx_array_push(p->claims);
        if (claim == NULL) {
            return NGX_CONF_ERROR;
        }

        claim->data = "sid";
        claim->len = 3;
    }

    for (i = 0; i < p->extra_auth_args.len; i++) {
        if (p->extra_auth_args.data[i] <= ' ' || p->extra_auth_args.data[i] >= 0x7f
            || p->extra_auth_args.data[i] == '#')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oidc_provider \"%V\": extra_auth_args must be "
                               "a URL-encoded query such as "
                               "\"prompt=login&display=page\"", &p->name);
            return NGX_CONF_ERROR;
        }
    }

    for (i = 0; reserved[i]; i++) {
        size_t  len = ngx_strlen(reserved[i]);

        for (q = p->extra_auth_args.data;
             q && q < p->extra_auth_args.data + p->extra_auth_args.len;
             q = ngx_strlchr(q, p->extra_auth_args.data
                                + p->extra_auth_args.len, '&'), q = q ? q + 1
                                                                      : NULL)
        {
            if ((size_t) (p->extra_auth_args.data + p->extra_auth_args.len - q)
                >= len
                && ngx_strncmp(q, reserved[i], len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "oidc_provider \"%V\": extra_auth_args "
                                   "must not set \"%*s\": the module sets it",
                                   &p->name, len - 1, reserved[i]);
                return NGX_CONF_ERROR;
            }
        }
    }

    /* the client: timeouts, a buffer for a whole response, no retries */
    p->upstream.connect_timeout = p->timeout;
    p->upstream.send_timeout = p->timeout;
    p->upstream.read_timeout = p->timeout;
    p->upstream.buffer_size = 64 * 1024;
    p->upstream.next_upstream_tries = 1;
    p->upstream.ignore_client_abort = 1;
    ngx_str_set(&p->upstream.module, "edge_auth");

#if (NGX_HTTP_SSL)
    p->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (p->ssl == NULL) {
        return NGX_CONF_ERROR;
    }

    p->ssl->log = cf->log;

    if (ngx_ssl_create(p->ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(p->ssl);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = p->ssl;

    if (p->trusted_certificate.len) {
        if (ngx_ssl_trusted_certificate(cf, p->ssl, &p->trusted_certificate, 4)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (SSL_CTX_set_default_verify_paths(p->ssl->ctx) != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": the system CA bundle cannot "
                           "be loaded: set \"ssl_trusted_certificate\"",
                           &p->name);
        return NGX_CONF_ERROR;
    }

    p->upstream.ssl = p->ssl;
    p->upstream.ssl_verify = 1;
    p->upstream.ssl_server_name = 1;
    p->upstream.ssl_session_reuse = 0;
#else
    if (ngx_strncmp(p->issuer.data, "https://", 8) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oidc_provider \"%V\": this nginx was built "
                           "without TLS (--with-http_ssl_module)", &p->name);
        return NGX_CONF_ERROR;
    }
#endif

    /* the provider's documents, cached in the shared zone like any JWKS */
    p->discovery = ngx_http_edge_auth_add_source(cf,
                                        NGX_HTTP_EDGE_AUTH_SOURCE_METADATA,
                                        &p->name);
    p->jwks = ngx_http_edge_auth_add_source(cf, NGX_HTTP_EDGE_AUTH_SOURCE_JWKS,
                                            &p->name);

    if (p->discovery == NULL || p->jwks == NULL) {
        return NGX_CONF_ERROR;
    }

    p->discovery->provider = p;
    p->jwks->provider = p;

    /* how log lines name them: "JWKS fetch through "op jwks_uri" failed: ..." */
    p->discovery->uri = p->config_url;
    p->jwks->uri.len = p->name.len + sizeof(" jwks_uri") - 1;
    p->jwks->uri.data = ngx_pnalloc(cf->pool, p->jwks->uri.len);
    if (p->jwks->uri.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(p->jwks->uri.data, "%V jwks_uri", &p->name);

    ea_jwks_timing_init(&p->discovery->timing);
    ea_jwks_timing_init(&p->jwks->timing);
    p->discovery->timing.fetch_timeout = p->timeout / 1000 + 1;
    p->jwks->timing.fetch_timeout = p->timeout / 1000 + 1;

    return NGX_CONF_OK;

bad_url:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "oidc_provider \"%V\": \"%V\" must be an absolute https "
                       "URL without user or fragment%s", &p->name, &bad,
                       p->allow_http ? ""
                       : " (plain http needs \"allow_http on\", for local "
                         "development only)");
    return NGX_CONF_ERROR;
}


static void
ngx_http_edge_auth_free_provider(void *data)
{
    ngx_http_edge_auth_provider_t  *p = data;

    if (p->sealer) {
        ea_sealer_free(p->sealer);
    }

    if (p->keys) {
        ea_session_keys_free(p->keys);
    }
}


/* auth_oidc name | off */
char *
ngx_http_edge_auth_oidc(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    ngx_str_t  *value;

    if (lcf->oidc != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        lcf->oidc = NGX_HTTP_EDGE_AUTH_JWT_OFF;
        return NGX_CONF_OK;
    }

    if (ngx_http_script_variables_count(&value[1]) != 0) {
        return "does not support variables: name an oidc_provider";
    }

    lcf->oidc = NGX_HTTP_EDGE_AUTH_JWT_ON;
    lcf->oidc_name = value[1];

    return NGX_CONF_OK;
}


/*
 * What a login needs from the server and location that use the provider, said at nginx -t
 * rather than at the first sign-in: a plain server_name when redirect_uri is a path, and a
 * resolver when the provider is reached by name.
 */
static char *
ngx_http_edge_auth_check_resolver(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_core_srv_conf_t  *cscf;

    if (p->issuer.len == 0) {
        return NGX_CONF_OK;
    }

    if (p->issuer.len && p->redirect_uri.data[0] == '/') {
        cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

        if (cscf->server_name.len == 0
            || ngx_strlchr(cscf->server_name.data,
                           cscf->server_name.data + cscf->server_name.len, '*')
            || cscf->server_name.data[0] == '~'
            || cscf->server_name.data[0] == '.')
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "auth_oidc \"%V\": redirect_uri \"%V\" is a path, "
                          "and this server has no plain server_name to build "
                          "the callback URL from: set an absolute redirect_uri "
                          "in the oidc_provider block, or a server_name",
                          &p->name, &p->redirect_uri);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_edge_auth_host_is_literal(&p->config_url)) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->resolver == NULL || clcf->resolver->connections.nelts == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "auth_oidc \"%V\": the provider's host must be resolved "
                      "while nginx runs: add \"resolver\" (e.g. \"resolver "
                      "127.0.0.53;\") to the http, server or location block",
                      &p->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* Inherits auth_oidc and resolves the provider by name (providers may follow their users). */
char *
ngx_http_edge_auth_merge_oidc(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *prev, ngx_http_edge_auth_loc_conf_t *conf)
{
    ngx_uint_t                        i;
    ngx_http_edge_auth_provider_t   **all;
    ngx_http_edge_auth_main_conf_t   *amcf;

    if (conf->oidc == NGX_CONF_UNSET_UINT) {
        conf->oidc = prev->oidc;
        conf->oidc_name = prev->oidc_name;
        conf->provider = prev->provider;
    }

    if (conf->oidc != NGX_HTTP_EDGE_AUTH_JWT_ON || conf->provider != NULL) {
        return NGX_CONF_OK;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_edge_auth_module);
    all = amcf->providers.elts;

    for (i = 0; i < amcf->providers.nelts; i++) {
        if (all[i]->name.len == conf->oidc_name.len
            && ngx_strncmp(all[i]->name.data, conf->oidc_name.data,
                           conf->oidc_name.len) == 0)
        {
            conf->provider = all[i];
            return ngx_http_edge_auth_check_resolver(cf, all[i]);
        }
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "auth_oidc \"%V\": no oidc_provider of that name: define "
                  "\"oidc_provider %V { ... }\" in the http block",
                  &conf->oidc_name, &conf->oidc_name);

    return NGX_CONF_ERROR;
}
