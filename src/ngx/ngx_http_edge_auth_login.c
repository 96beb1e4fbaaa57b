/*
 * nginx-edge-auth: the OpenID Connect login flow (authorization code with PKCE).
 *
 *   no session   a top-level navigation is redirected to the provider's authorization
 *                endpoint, with a fresh flow (state, nonce, PKCE verifier, return path) sealed
 *                in its own short-lived cookie; anything else gets 401 (auth_oidc_unauthenticated
 *                can force redirect, 401 or pass)
 *   callback     at the provider's redirect_uri path: the flow cookie named by `state` is opened
 *                and removed (single use), the code is exchanged at the token endpoint through
 *                the module's client, the ID token is validated against the provider's JWKS,
 *                and a new sealed session replaces whatever the browser held; then 302 to the
 *                saved return path
 *
 * The discovery document and the JWKS come from the shared zone (keys.c); a request that finds
 * them missing waits for one fetch and runs again. The access handler is re-entered after each
 * wait; `ctx->login` remembers how far a callback got. Each outcome is recorded for the audit
 * variables (ngx_http_edge_auth_audit), with the reason codes of docs/reason-codes.md.
 */

#include "ngx_http_edge_auth.h"


struct ngx_http_edge_auth_login_s {
    ea_oidc_callback_t               cb;
    ea_oidc_flow_t                   flow;
    ea_oidc_tokens_t                 tokens;
    ngx_http_edge_auth_response_t    response;
    unsigned                         token_requested:1;
    unsigned                         token_done:1;
    unsigned                         token_parsed:1;
    unsigned                         refetch:1;      /* ask for the JWKS again once */
    unsigned                         refetched:1;
};


static ngx_int_t ngx_http_edge_auth_login_start(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_str_t *return_path);
static ngx_int_t ngx_http_edge_auth_unauthorized(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p);
static ngx_uint_t ngx_http_edge_auth_is_navigation(ngx_http_request_t *r);
static ngx_int_t ngx_http_edge_auth_exchange(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_login_t *login);
static void ngx_http_edge_auth_token_done(ngx_http_request_t *sr, void *data,
    ngx_http_edge_auth_response_t *resp);
static ngx_int_t ngx_http_edge_auth_finish_login(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_http_edge_auth_login_t *login, ea_token_t *id_token);


/*
 * A request of an auth_oidc location without a usable session (the reason is already logged,
 * and recorded as a refusal): start a login, answer 401, or let it through with an empty
 * identity.
 */
ngx_int_t
ngx_http_edge_auth_login(ngx_http_request_t *r,
    ngx_http_edge_auth_loc_conf_t *lcf, ngx_http_edge_auth_ctx_t *ctx)
{
    ngx_uint_t                      mode;
    ngx_str_t                       path;
    ngx_http_edge_auth_provider_t  *p;

    p = lcf->provider;
    mode = lcf->oidc_unauth;

    if (mode == NGX_HTTP_EDGE_AUTH_UNAUTH_PASS) {
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_PASS,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 ctx->audit_reason);
        return NGX_OK;
    }

    if (mode == NGX_HTTP_EDGE_AUTH_UNAUTH_AUTO) {
        mode = ngx_http_edge_auth_is_navigation(r)
               ? NGX_HTTP_EDGE_AUTH_UNAUTH_REDIRECT
               : NGX_HTTP_EDGE_AUTH_UNAUTH_401;
    }

    if (mode == NGX_HTTP_EDGE_AUTH_UNAUTH_401 || p->issuer.len == 0) {
        return ngx_http_edge_auth_unauthorized(r, p);
    }

    /* only a GET can be replayed after login; anything else returns to "/" */
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        path = r->unparsed_uri;

    } else {
        ngx_str_set(&path, "/");
    }

    return ngx_http_edge_auth_login_start(r, p, ctx, &path);
}


static ngx_int_t
ngx_http_edge_auth_unauthorized(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p)
{
    ngx_str_t  v;

    v.len = sizeof("Bearer realm=\"\"") - 1 + p->name.len;
    v.data = ngx_pnalloc(r->pool, v.len);
    if (v.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(v.data, "Bearer realm=\"%V\"", &p->name);

    if (ngx_http_edge_auth_add_header(r, "WWW-Authenticate", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_UNAUTHORIZED;
}


/* A header's value, or NULL. */
static ngx_table_elt_t *
ngx_http_edge_auth_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * A top-level browser navigation, which may be sent to the provider's sign-in page; anything
 * else (fetch/XHR, API clients, non-GET) gets 401. The signals mod_auth_openidc uses: Fetch
 * Metadata, X-Requested-With, and an Accept header that asks for HTML.
 */
static ngx_uint_t
ngx_http_edge_auth_is_navigation(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    if (ngx_http_edge_auth_header(r, "X-Requested-With",
                                  sizeof("X-Requested-With") - 1))
    {
        return 0;
    }

    h = ngx_http_edge_auth_header(r, "Sec-Fetch-Mode",
                                  sizeof("Sec-Fetch-Mode") - 1);
    if (h && !(h->value.len == sizeof("navigate") - 1
               && ngx_strncasecmp(h->value.data, (u_char *) "navigate",
                                  h->value.len) == 0))
    {
        return 0;
    }

    h = ngx_http_edge_auth_header(r, "Sec-Fetch-Dest",
                                  sizeof("Sec-Fetch-Dest") - 1);
    if (h && !(h->value.len == sizeof("document") - 1
               && ngx_strncasecmp(h->value.data, (u_char *) "document",
                                  h->value.len) == 0))
    {
        return 0;
    }

    h = ngx_http_edge_auth_header(r, "Accept", sizeof("Accept") - 1);
    if (h == NULL
        || ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                            (u_char *) "text/html", sizeof("text/html") - 2)
           == NULL)
    {
        return 0;
    }

    return 1;
}


/*
 * The origin the browser is sent back to, and the absolute redirect_uri, from configuration
 * only: the configured absolute redirect_uri, or else the server's primary server_name with the
 * connection's scheme and port. Never the Host header or X-Forwarded-*.
 */
ngx_int_t
ngx_http_edge_auth_origin(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_str_t *origin,
    ngx_str_t *redirect_uri)
{
    u_char                    *q;
    ngx_uint_t                 https, port;
    ngx_http_core_srv_conf_t  *cscf;

    if (p->redirect_uri.data[0] != '/') {
        *redirect_uri = p->redirect_uri;
        origin->data = p->redirect_uri.data;
        origin->len = p->redirect_path.data - p->redirect_uri.data;
        return NGX_OK;
    }

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    if (cscf->server_name.len == 0
        || ngx_strlchr(cscf->server_name.data,
                       cscf->server_name.data + cscf->server_name.len, '*')
        || cscf->server_name.data[0] == '~' || cscf->server_name.data[0] == '.')
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": redirect_uri \"%V\" is a "
                      "path and this server has no plain server_name to build "
                      "the callback URL from: set an absolute redirect_uri",
                      &p->name, &p->redirect_uri);
        return NGX_ERROR;
    }

#if (NGX_HTTP_SSL)
    https = r->connection->ssl != NULL;
#else
    https = 0;
#endif

    if (ngx_connection_local_sockaddr(r->connection, NULL, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    port = ngx_inet_get_port(r->connection->local_sockaddr);

    origin->data = ngx_pnalloc(r->pool, sizeof("https://:65535") - 1
                                        + cscf->server_name.len
                                        + p->redirect_uri.len);
    if (origin->data == NULL) {
        return NGX_ERROR;
    }

    q = ngx_sprintf(origin->data, "%s://%V", https ? "https" : "http",
                    &cscf->server_name);

    if (port != (https ? 443 : 80)) {
        q = ngx_sprintf(q, ":%ui", port);
    }

    origin->len = q - origin->data;

    redirect_uri->data = origin->data;
    redirect_uri->len = ngx_cpymem(q, p->redirect_uri.data, p->redirect_uri.len)
                        - origin->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_edge_auth_redirect(ngx_http_request_t *r, ngx_str_t *location)
{
    ngx_str_t  no_store = ngx_string("no-store");

    if (ngx_http_edge_auth_add_header(r, "Location", location) != NGX_OK
        || ngx_http_edge_auth_add_header(r, "Cache-Control", &no_store)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_MOVED_TEMPORARILY;
}


/* The flow cookies sent by the browser are pruned, a new one is set, and the browser leaves. */
static ngx_int_t
ngx_http_edge_auth_login_start(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_str_t *return_path)
{
    char                  err[256];
    size_t                n, i;
    int64_t               now;
    ea_str_t              headers[NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS];
    ea_str_t              location;
    ngx_int_t             rc;
    ngx_str_t             origin, redirect_uri, loc;
    ngx_uint_t            samesite;
    ea_cookie_t           flow_cookie;
    ea_oidc_login_t       login;
    const char           *why;
    ea_oidc_metadata_t   *md;
    ea_oidc_removals_t    removals;

    /* why the browser must sign in, for the redirect; until then, a refusal */
    why = ctx->audit_reason;
    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, "internal");

    rc = ngx_http_edge_auth_source_ready(r, p->discovery, ctx, 0);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    md = p->discovery->metadata;

    if (rc == NGX_DECLINED || md == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": cannot start a login: no "
                      "usable discovery document from \"%V\"", &p->name,
                      &p->config_url);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 "provider_unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_edge_auth_origin(r, p, &origin, &redirect_uri) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    now = (int64_t) ngx_time();

    /* expired and surplus flow cookies go first, so that they cannot pile up */
    if (ngx_http_edge_auth_cookie_headers(r, headers, &n) == NGX_OK
        && ea_oidc_flows_prune(p->sealer, p->keys, headers, n, now,
                               p->login_timeout, p->max_pending_logins,
                               ngx_http_edge_auth_pool_alloc, r->pool,
                               &removals)
           == 0)
    {
        for (i = 0; i < removals.n; i++) {
            if (ngx_http_edge_auth_set_cookie(r, p, &removals.cookies[i], 0,
                                              NGX_HTTP_EDGE_AUTH_SAMESITE_LAX)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    ngx_memzero(&login, sizeof(login));
    login.authorization_endpoint = md->authorization_endpoint;
    login.client_id.data = (const char *) p->client_id.data;
    login.client_id.len = p->client_id.len;
    login.redirect_uri.data = (const char *) redirect_uri.data;
    login.redirect_uri.len = redirect_uri.len;
    login.scope.data = (const char *) p->scope.data;
    login.scope.len = p->scope.len;
    login.extra_args.data = (const char *) p->extra_auth_args.data;
    login.extra_args.len = p->extra_auth_args.len;
    login.issuer.data = (const char *) p->issuer.data;
    login.issuer.len = p->issuer.len;
    login.flow_timeout = p->login_timeout;

    if (ea_oidc_login_start(p->sealer, p->keys, &login,
                            (const char *) return_path->data, return_path->len,
                            now, ngx_http_edge_auth_pool_alloc, r->pool,
                            &location, &flow_cookie, err, sizeof(err))
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": cannot start a login: %s",
                      &p->name, err);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * The flow cookie must come back on the provider's top-level redirect to the callback, a
     * cross-site navigation: Lax does that (None only when the operator chose it for sessions).
     */
    samesite = p->cookie_samesite == NGX_HTTP_EDGE_AUTH_SAMESITE_NONE
               ? NGX_HTTP_EDGE_AUTH_SAMESITE_NONE
               : NGX_HTTP_EDGE_AUTH_SAMESITE_LAX;

    if (ngx_http_edge_auth_set_cookie(r, p, &flow_cookie, p->login_timeout,
                                      samesite)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "edge_auth: provider \"%V\": redirecting to sign-in",
                   &p->name);

    loc.data = (u_char *) location.data;
    loc.len = location.len;

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_REDIRECT,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, why);

    return ngx_http_edge_auth_redirect(r, &loc);
}


/* ---- the callback ---------------------------------------------------------------------- */

/*
 * "<prefix><state>" when the state can be part of a cookie name as is (what the module issues:
 * base64url), else empty: a hostile state never reaches a Set-Cookie header.
 */
static ea_str_t
ngx_http_edge_auth_flow_cookie_name(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *state)
{
    u_char    *q, c;
    size_t     i;
    ea_str_t   prefix, name;

    name.data = NULL;
    name.len = 0;

    if (state->len == 0 || state->len > 64) {
        return name;
    }

    for (i = 0; i < state->len; i++) {
        c = (u_char) state->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return name;
        }
    }

    prefix = ea_oidc_flow_cookie_prefix(p->sealer);

    q = ngx_pnalloc(r->pool, prefix.len + state->len);
    if (q == NULL) {
        return name;
    }

    ngx_memcpy(q, prefix.data, prefix.len);
    ngx_memcpy(q + prefix.len, state->data, state->len);

    name.data = (const char *) q;
    name.len = prefix.len + state->len;

    return name;
}


ngx_int_t
ngx_http_edge_auth_callback(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx)
{
    char                         detail[256];
    size_t                       n;
    int64_t                      now;
    ea_str_t                     headers[NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS];
    ea_str_t                     issuer;
    ngx_int_t                    rc;
    ngx_str_t                    root = ngx_string("/");
    ea_token_t                  *id_token;
    ea_status_t                  status;
    ea_cookie_t                  used;
    ea_oidc_metadata_t          *md;
    ea_oidc_flow_status_t        frc;
    ea_oidc_id_token_check_t     check;
    ngx_http_edge_auth_login_t  *login;

    login = ctx->login;
    now = (int64_t) ngx_time();

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, "internal");

    if (login == NULL) {
        login = ngx_pcalloc(r->pool, sizeof(ngx_http_edge_auth_login_t));
        if (login == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->login = login;

        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback rejected: "
                          "method is not GET", &p->name);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER, "method");
            return NGX_HTTP_NOT_ALLOWED;
        }

        if (ea_oidc_callback_parse((const char *) r->args.data, r->args.len,
                                   ngx_http_edge_auth_pool_alloc, r->pool,
                                   &login->cb, detail, sizeof(detail))
            != 0)
        {
            ngx_str_t  state;

            /* no state at all: no flow to finish, as with a stale one; sign in again */
            if (ngx_http_arg(r, (u_char *) "state", 5, &state) != NGX_OK) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "edge_auth: provider \"%V\": callback without "
                              "state (%s); starting a new sign-in", &p->name,
                              detail);
                ctx->login = NULL;
                ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                         NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                         "flow_missing");

                return ngx_http_edge_auth_login_start(r, p, ctx, &root);
            }

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback rejected: %s",
                          &p->name, detail);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "bad_request");
            return NGX_HTTP_BAD_REQUEST;
        }

        if (ngx_http_edge_auth_cookie_headers(r, headers, &n) != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback rejected: too "
                          "many Cookie headers", &p->name);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "too_large");
            return NGX_HTTP_BAD_REQUEST;
        }

        frc = EA_OIDC_FLOW_MISSING;

        if (login->cb.state.len) {
            frc = ea_oidc_flow_open(p->sealer, p->keys, headers, n,
                                    &login->cb.state, now, p->login_timeout,
                                    ngx_http_edge_auth_pool_alloc, r->pool,
                                    &login->flow, detail, sizeof(detail));
        } else {
            ngx_cpystrn((u_char *) detail, (u_char *) "no state parameter",
                        sizeof(detail));
        }

        if (frc == EA_OIDC_FLOW_INTERNAL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* single use: the flow cookie goes whatever happens next */
        if (frc == EA_OIDC_FLOW_OK || frc == EA_OIDC_FLOW_EXPIRED
            || frc == EA_OIDC_FLOW_BAD)
        {
            ngx_memzero(&used, sizeof(used));
            used.remove = 1;

            used.name = login->flow.cookie_name;

            if (used.name.len == 0) {
                /* a bad or expired flow: its cookie is named after the state */
                used.name = ngx_http_edge_auth_flow_cookie_name(r, p,
                                                             &login->cb.state);
            }

            if (used.name.len) {

                if (ngx_http_edge_auth_set_cookie(r, p, &used, 0,
                                             NGX_HTTP_EDGE_AUTH_SAMESITE_LAX)
                    != NGX_OK)
                {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }

        if (login->cb.error.len) {
            /* the code is a short token; ea_oidc_callback_parse refused control bytes */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": sign-in failed at the "
                          "provider: error \"%*s\"", &p->name,
                          ngx_min(login->cb.error.len, 64),
                          login->cb.error.data);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "provider_error");
            return NGX_HTTP_FORBIDDEN;
        }

        if (frc != EA_OIDC_FLOW_OK) {
            /* a stale tab, the back button, a replay: sign in again, never a 500 */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback without a "
                          "usable login flow: %s (%s); starting a new sign-in",
                          &p->name, ea_oidc_flow_reason(frc), detail);
            ctx->login = NULL;
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     ea_oidc_flow_reason(frc));

            return ngx_http_edge_auth_login_start(r, p, ctx, &root);
        }

        issuer.data = (const char *) p->issuer.data;
        issuer.len = p->issuer.len;

        if (login->flow.issuer.len != issuer.len
            || ngx_memcmp(login->flow.issuer.data, issuer.data, issuer.len) != 0
            || (login->cb.iss.len
                && (login->cb.iss.len != issuer.len
                    || ngx_memcmp(login->cb.iss.data, issuer.data, issuer.len)
                       != 0)))
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback rejected: the "
                          "response's issuer is not this provider's (mix-up)",
                          &p->name);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER, "issuer");
            return NGX_HTTP_UNAUTHORIZED;
        }
    }

    /* the token endpoint and the iss rule come from the discovery document */
    rc = ngx_http_edge_auth_source_ready(r, p->discovery, ctx, 0);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    md = p->discovery->metadata;

    if (rc != NGX_OK || md == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": callback cannot complete: "
                      "no usable discovery document", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 "provider_unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (!login->token_requested) {
        if (md->iss_parameter_supported && login->cb.iss.len == 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": callback rejected: no "
                          "iss parameter, which the provider promises "
                          "(RFC 9207)", &p->name);
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER, "issuer");
            return NGX_HTTP_UNAUTHORIZED;
        }

        rc = ngx_http_edge_auth_exchange(r, p, login);

        if (rc == NGX_HTTP_BAD_GATEWAY) {
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "provider_unavailable");
        }

        return rc;
    }

    if (!login->token_done) {
        return NGX_AGAIN;
    }

    if (!login->token_parsed) {
        /* whatever the token endpoint did wrong, it is not the browser's doing */
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 "provider_unavailable");

        if (login->response.status == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "edge_auth: provider \"%V\": token endpoint: %s",
                          &p->name, login->response.error);
            return ngx_strcmp(login->response.error, "timed out") == 0
                   ? NGX_HTTP_GATEWAY_TIME_OUT : NGX_HTTP_BAD_GATEWAY;
        }

        if (ea_oidc_token_response_parse((unsigned) login->response.status,
                                         (const char *) login->response.body.data,
                                         login->response.body.len,
                                         ngx_http_edge_auth_pool_alloc, r->pool,
                                         &login->tokens, detail, sizeof(detail))
            != 0)
        {
            if (login->tokens.error.len) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "edge_auth: provider \"%V\": token endpoint "
                              "answered %ui with error \"%*s\"", &p->name,
                              login->response.status,
                              login->tokens.error.len, login->tokens.error.data);

            } else {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "edge_auth: provider \"%V\": token endpoint "
                              "answered %ui: %s", &p->name,
                              login->response.status, detail);
            }

            return NGX_HTTP_BAD_GATEWAY;
        }

        login->token_parsed = 1;
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, "internal");
    }

    /* the ID token's keys: an unknown kid asks for the JWKS again, once */
    rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, login->refetch);
    login->refetch = 0;

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED || p->jwks->keys == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": callback cannot complete: "
                      "no usable JWKS", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, "no_keys");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_memzero(&check, sizeof(check));
    check.issuer.data = (const char *) p->issuer.data;
    check.issuer.len = p->issuer.len;
    check.client_id.data = (const char *) p->client_id.data;
    check.client_id.len = p->client_id.len;
    check.nonce = login->flow.nonce;
    check.leeway = 60;

    id_token = NULL;
    status = ea_oidc_id_token_verify(&check, p->jwks->keys,
                                     login->tokens.id_token.data,
                                     login->tokens.id_token.len, now, &id_token,
                                     detail, sizeof(detail));

    if (status == EA_ERR_UNKNOWN_KEY && !login->refetched) {
        login->refetched = 1;
        login->refetch = 1;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": ID token signed with an "
                      "unknown key, fetching the JWKS again", &p->name);

        rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, 1);
        login->refetch = 0;

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        status = ea_oidc_id_token_verify(&check, p->jwks->keys,
                                         login->tokens.id_token.data,
                                         login->tokens.id_token.len, now,
                                         &id_token, detail, sizeof(detail));
    }

    if (status != EA_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": ID token rejected: %s (%s)",
                      &p->name, ea_status_reason(status), detail);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                 ea_status_reason(status));
        return NGX_HTTP_UNAUTHORIZED;
    }

    rc = ngx_http_edge_auth_finish_login(r, p, ctx, login, id_token);

    ea_token_free(id_token);

    return rc;
}


/*
 * How the client authenticates at the token endpoint: as configured (token_endpoint_auth_method,
 * what the client was registered with), else client_secret_basic unless the provider only takes
 * client_secret_post; a public client sends its id in the body. 0: nothing that works.
 */
static unsigned
ngx_http_edge_auth_client_auth_method(ngx_http_edge_auth_provider_t *p,
    ea_oidc_metadata_t *md)
{
    if (p->auth_method && p->client_secret.len) {
        return p->auth_method;
    }

    if (p->client_secret.len == 0
        || (!(md->token_auth_methods & EA_OIDC_AUTH_BASIC)
            && (md->token_auth_methods & EA_OIDC_AUTH_POST)))
    {
        return EA_OIDC_AUTH_POST;
    }

    if (md->token_auth_methods & EA_OIDC_AUTH_BASIC) {
        return EA_OIDC_AUTH_BASIC;
    }

    return 0;
}


/* The client as the token endpoint sees it (code exchange and refresh alike); auth_method 0:
 * no method that the provider takes. */
void
ngx_http_edge_auth_client_init(ngx_http_edge_auth_provider_t *p,
    ea_oidc_metadata_t *md, ea_oidc_client_t *client)
{
    ngx_memzero(client, sizeof(ea_oidc_client_t));
    client->client_id.data = (const char *) p->client_id.data;
    client->client_id.len = p->client_id.len;
    client->client_secret.data = (const char *) p->client_secret.data;
    client->client_secret.len = p->client_secret.len;
    client->auth_method = ngx_http_edge_auth_client_auth_method(p, md);
}


/* The code exchange: a form POST to the token endpoint through the module's client. */
static ngx_int_t
ngx_http_edge_auth_exchange(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_login_t *login)
{
    ea_str_t                              body, authorization;
    ea_oidc_client_t                      client;
    ea_oidc_metadata_t                   *md;
    ngx_str_t                             origin, redirect_uri;
    ngx_http_edge_auth_client_request_t   req;

    md = p->discovery->metadata;

    if (ngx_http_edge_auth_origin(r, p, &origin, &redirect_uri) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_edge_auth_client_init(p, md, &client);
    client.redirect_uri.data = (const char *) redirect_uri.data;
    client.redirect_uri.len = redirect_uri.len;

    if (client.auth_method == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": the token endpoint takes "
                      "neither client_secret_basic nor client_secret_post",
                      &p->name);
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ea_oidc_token_request(&client, &login->cb.code,
                              &login->flow.code_verifier,
                              ngx_http_edge_auth_pool_alloc, r->pool, &body,
                              &authorization)
        != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&req, sizeof(req));
    req.url.data = (u_char *) md->token_endpoint.data;
    req.url.len = md->token_endpoint.len;
    req.body.data = (u_char *) body.data;
    req.body.len = body.len;
    req.authorization.data = (u_char *) authorization.data;
    req.authorization.len = authorization.len;
    req.done = ngx_http_edge_auth_token_done;
    req.data = login;

    if (ngx_http_edge_auth_client_fetch(r, p, &req) != NGX_OK) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    login->token_requested = 1;

    return NGX_AGAIN;
}


static void
ngx_http_edge_auth_token_done(ngx_http_request_t *sr, void *data,
    ngx_http_edge_auth_response_t *resp)
{
    ngx_http_edge_auth_login_t  *login = data;

    login->response = *resp;
    login->token_done = 1;
}


/* A new session from the validated ID token: sealed, set, and the browser sent on its way. */
static ngx_int_t
ngx_http_edge_auth_finish_login(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx,
    ngx_http_edge_auth_login_t *login, ea_token_t *id_token)
{
    char                   err[256];
    size_t                 n;
    int64_t                now;
    ea_str_t               headers[NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS];
    ea_str_t               path, sub, id;
    ngx_str_t              origin, redirect_uri, location, sid;
    ea_session_t          *session;
    ea_cookie_set_t        set;
    ea_session_init_t      init;
    ea_session_status_t    src;
    ea_session_cookies_t   jar;

    now = (int64_t) ngx_time();

    path.data = "sub";
    path.len = 3;

    if (ea_token_value(id_token, EA_PART_CLAIMS, &path, 1,
                       ngx_http_edge_auth_pool_alloc, r->pool, &sub)
        != 1)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&init, sizeof(init));
    init.sub = sub;
    init.iss.data = (const char *) p->issuer.data;
    init.iss.len = p->issuer.len;
    init.access_token = login->tokens.access_token;
    init.access_token_expires = login->tokens.expires_in
                                ? now + login->tokens.expires_in : 0;
    init.refresh_token = login->tokens.refresh_token;
    init.id_token = login->tokens.id_token;
    init.claims_from = id_token;

    if (p->claims) {
        init.claim_names = p->claims->elts;
        init.n_claim_names = p->claims->nelts;
    }

    session = ea_session_create(p->sealer, &init, now, err, sizeof(err));

    if (session == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": sign-in refused: %s",
                      &p->name, err);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, "bad_claim");
        return NGX_HTTP_UNAUTHORIZED;
    }

    /* every chunk of a session the browser already held is replaced or expired: no fixation */
    jar.present = 0;

    if (ngx_http_edge_auth_cookie_headers(r, headers, &n) == NGX_OK) {
        (void) ea_session_cookies_find(p->sealer, headers, n, &jar, err,
                                       sizeof(err));
    }

    src = ea_session_seal(p->sealer, p->keys, session, jar.present,
                          ngx_http_edge_auth_pool_alloc, r->pool, &set, err,
                          sizeof(err));

    /* the new session's id, for the audit record: the session is freed here */
    ngx_str_null(&sid);

    if (src == EA_SESSION_OK && ea_session_get(session, EA_SESSION_ID, &id)) {
        sid.data = ngx_pnalloc(r->pool, id.len);
        if (sid.data != NULL) {
            ngx_memcpy(sid.data, id.data, id.len);
            sid.len = id.len;
        }
    }

    ea_session_free(session);

    if (src != EA_SESSION_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": cannot seal the new "
                      "session: %s (%s)%s", &p->name, ea_session_reason(src),
                      err,
                      src == EA_SESSION_ERR_TOO_LARGE
                      ? ": keep fewer session_claims" : "");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_edge_auth_set_cookies(r, p, &set, p->session_timeout)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* back to where the browser was going, on the configured origin */
    if (ngx_http_edge_auth_origin(r, p, &origin, &redirect_uri) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location.len = origin.len + login->flow.return_path.len;
    location.data = ngx_pnalloc(r->pool, location.len);
    if (location.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ngx_cpymem(location.data, origin.data, origin.len),
               login->flow.return_path.data, login->flow.return_path.len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: provider \"%V\": signed in \"%*s\"", &p->name,
                  ngx_min(sub.len, 256), sub.data);

    /* the subject as $jwt_claim_sub renders it: control bytes escaped */
    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_REDIRECT,
                             NGX_HTTP_EDGE_AUTH_ACTOR_USER, "signed_in");
    ctx->audit_subject.data = (u_char *) sub.data;
    ctx->audit_subject.len = sub.len;
    ctx->audit_session = sid;

    return ngx_http_edge_auth_redirect(r, &location);
}
