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


#define NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS  32
#define NGX_HTTP_EDGE_AUTH_MAX_KEY_FILE_BYTES  65536


static char *ngx_http_edge_auth_provider_directive(ngx_conf_t *cf,
    ngx_command_t *dummy, void *conf);
static char *ngx_http_edge_auth_provider_finish(ngx_conf_t *cf,
    ngx_http_edge_auth_provider_t *p);
static ngx_int_t ngx_http_edge_auth_cookie_headers(ngx_http_request_t *r,
    ea_str_t *headers, size_t *n);
static ngx_int_t ngx_http_edge_auth_set_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_set_t *set, int64_t max_age);
static ngx_int_t ngx_http_edge_auth_strip_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *headers, size_t n);
static void ngx_http_edge_auth_free_provider(void *data);


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

    /* opened before an internal redirect: its cookie has already been stripped */
    if (ctx->session != NULL && ctx->session_provider == p) {
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
    }

    if (rc != EA_SESSION_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: auth_oidc rejected request: %s (%s), "
                      "provider \"%V\"", ea_session_reason(rc), detail,
                      &p->name);

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

        return NGX_HTTP_UNAUTHORIZED;
    }

    ctx->session = session;
    ctx->session_provider = p;

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
        && ngx_http_edge_auth_strip_cookies(r, p, headers, n) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* The values of the request's Cookie headers, as received. */
static ngx_int_t
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
 * explicitly off; Path=/ so every location sees the session.
 */
static ngx_int_t
ngx_http_edge_auth_set_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_cookie_set_t *set, int64_t max_age)
{
    u_char           *v;
    size_t            len, i;
    ngx_table_elt_t  *h;

    static ngx_str_t  samesite[] = {
        ngx_string("; SameSite=Lax"),
        ngx_string("; SameSite=Strict"),
        ngx_string("; SameSite=None")
    };

    for (i = 0; i < set->n; i++) {

        len = set->cookies[i].name.len + 1 + set->cookies[i].value.len
              + sizeof("; Path=/; Max-Age=; HttpOnly; Secure") - 1
              + NGX_TIME_T_LEN + samesite[p->cookie_samesite].len
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
                        set->cookies[i].name.len, set->cookies[i].name.data,
                        set->cookies[i].value.len, set->cookies[i].value.data,
                        (time_t) (set->cookies[i].remove ? 0 : max_age));

        if (p->cookie_domain.len) {
            v = ngx_sprintf(v, "; Domain=%V", &p->cookie_domain);
        }

        v = ngx_cpymem(v, "; HttpOnly", sizeof("; HttpOnly") - 1);

        if (p->cookie_secure) {
            v = ngx_cpymem(v, "; Secure", sizeof("; Secure") - 1);
        }

        v = ngx_cpymem(v, samesite[p->cookie_samesite].data,
                       samesite[p->cookie_samesite].len);

        h->value.len = v - h->value.data;
    }

    return NGX_OK;
}


/*
 * The request continues upstream without the module's cookies: the app has no use for them and
 * oversized Cookie headers break upstreams. The Cookie headers are replaced by one header with
 * what is left (or none).
 */
static ngx_int_t
ngx_http_edge_auth_strip_cookies(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *headers, size_t n)
{
    int                 removed;
    ea_str_t            name, left;
    ngx_uint_t          i;
    ngx_list_t          kept;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h, *copy, *cookie;

    if (n == 0) {
        return NGX_OK;
    }

    name.data = (const char *) p->cookie_name.data;
    name.len = p->cookie_name.len;

    removed = ea_cookie_strip(headers, n, &name, 1, NULL, 0,
                              ngx_http_edge_auth_pool_alloc, r->pool, &left);

    if (removed < 0) {
        return NGX_ERROR;
    }

    if (removed == 0) {
        return NGX_OK;
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

    if (n != 2) {
        goto args;
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
                           "version supports cookie_name, cookie_domain, "
                           "cookie_samesite, cookie_secure, strip_cookies, "
                           "session_key_file, session_timeout, "
                           "session_idle_timeout and session_claims", name);
        return NGX_CONF_ERROR;
    }

#undef ngx_http_edge_auth_is

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

    return NGX_CONF_OK;
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
            return NGX_CONF_OK;
        }
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "auth_oidc \"%V\": no oidc_provider of that name: define "
                  "\"oidc_provider %V { ... }\" in the http block",
                  &conf->oidc_name, &conf->oidc_name);

    return NGX_CONF_ERROR;
}
