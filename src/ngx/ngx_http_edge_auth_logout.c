/*
 * nginx-edge-auth: signing out.
 *
 *   logout_uri               the user signs out here: the session is put on the revocation list
 *                            (a copy of the cookie no longer opens anywhere), every module cookie
 *                            is expired, and the browser goes to the provider's
 *                            end_session_endpoint (RP-Initiated Logout), else to post_logout_uri,
 *                            else to a small built-in page
 *   backchannel_logout_uri   the provider POSTs a signed logout token (OpenID Connect
 *                            Back-Channel Logout 1.0); the sessions it names are revoked
 *   frontchannel_logout_uri  the provider's page loads this with iss and sid (Front-Channel
 *                            Logout 1.0); that provider session is revoked
 *
 * Like the callback, these paths are served inside any location where auth_oidc names the
 * provider, before the session check. Each outcome is recorded for the audit variables: decision
 * "logout" when it signs something out, else "deny" with the reason.
 */

#include "ngx_http_edge_auth.h"


static ngx_int_t ngx_http_edge_auth_send_text(ngx_http_request_t *r,
    ngx_uint_t status, const char *text);
static ngx_int_t ngx_http_edge_auth_absolute(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_str_t *uri, ngx_str_t *out);
static void ngx_http_edge_auth_backchannel_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_edge_auth_logout_token(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_int_t ngx_http_edge_auth_jti_seen(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *jti, int64_t expires);


/* ---- logout_uri ------------------------------------------------------------------------- */

ngx_int_t
ngx_http_edge_auth_logout(ngx_http_request_t *r, ngx_http_edge_auth_provider_t *p,
    ngx_http_edge_auth_ctx_t *ctx)
{
    char                   detail[256];
    u_char                *q;
    size_t                 n, i, len;
    int64_t                now;
    ea_str_t               headers[NGX_HTTP_EDGE_AUTH_MAX_COOKIE_HEADERS];
    ea_str_t               id, sub, id_token;
    ngx_int_t              rc;
    ngx_str_t              target, location, client_id, hint;
    ea_session_t          *session;
    ea_cookie_set_t        set;
    ea_oidc_metadata_t    *md;
    ea_oidc_removals_t     removals;
    ea_session_times_t     times;
    ea_session_cookies_t   jar;

    if (!ctx->logout_done) {
        ctx->logout_done = 1;

        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_USER, "internal");

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        now = (int64_t) ngx_time();
        n = 0;
        jar.present = 0;

        if (ngx_http_edge_auth_cookie_headers(r, headers, &n) != NGX_OK) {
            n = 0;
        }

        session = NULL;

        if (n && ea_session_cookies_find(p->sealer, headers, n, &jar, detail,
                                         sizeof(detail))
                 == EA_SESSION_OK)
        {
            (void) ea_session_open(p->sealer, p->keys, &jar, now, &session,
                                   detail, sizeof(detail));
        }

        if (session) {
            ea_session_get(session, EA_SESSION_ID, &id);
            ea_session_get(session, EA_SESSION_SUB, &sub);
            ea_session_times(session, &times);

            /* the ID token for id_token_hint, copied: the session is freed below */
            if (p->logout_token_hint
                && ea_session_get(session, EA_SESSION_ID_TOKEN, &id_token))
            {
                ctx->logout_hint.data = ngx_pnalloc(r->pool, id_token.len);
                if (ctx->logout_hint.data) {
                    ngx_memcpy(ctx->logout_hint.data, id_token.data,
                               id_token.len);
                    ctx->logout_hint.len = id_token.len;
                }
            }

            rc = ngx_http_edge_auth_revoke(r, p, EA_REVOKE_SESSION, &id,
                                           times.expires);

            /* who signed out, copied: the session is freed below */
            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_LOGOUT,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "signed_out");

            q = ngx_pnalloc(r->pool, sub.len + id.len);
            if (q != NULL) {
                ctx->audit_subject.data = q;
                ctx->audit_subject.len = sub.len;
                ctx->audit_session.data = ngx_cpymem(q, sub.data, sub.len);
                ctx->audit_session.len = id.len;
                ngx_memcpy(ctx->audit_session.data, id.data, id.len);
            }

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": signed out \"%*s\"%s",
                          &p->name, ngx_min(sub.len, 256), sub.data,
                          rc == NGX_OK ? "" : "; the session could not be "
                          "put on the revocation list");

            ea_session_free(session);

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: provider \"%V\": sign-out without a "
                          "usable session", &p->name);

            ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_LOGOUT,
                                     NGX_HTTP_EDGE_AUTH_ACTOR_USER,
                                     "no_session");
        }

        /* every cookie of the module goes: the session's chunks and pending logins */
        if (jar.present
            && ea_session_clear(p->sealer, jar.present,
                                ngx_http_edge_auth_pool_alloc, r->pool, &set)
               == 0
            && ngx_http_edge_auth_set_cookies(r, p, &set, 0) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (n && ea_oidc_flows_prune(p->sealer, p->keys, headers, n, now,
                                     p->login_timeout ? p->login_timeout : 600,
                                     1, ngx_http_edge_auth_pool_alloc, r->pool,
                                     &removals)
                 == 0)
        {
            for (i = 0; i < removals.n; i++) {
                if (ngx_http_edge_auth_set_cookie(r, p, &removals.cookies[i],
                                                  0,
                                             NGX_HTTP_EDGE_AUTH_SAMESITE_LAX)
                    != NGX_OK)
                {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }
    }

    /* where the browser goes: the provider's end_session_endpoint when it has one */
    md = NULL;

    if (p->issuer.len) {
        rc = ngx_http_edge_auth_source_ready(r, p->discovery, ctx, 0);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_OK) {
            md = p->discovery->metadata;
        }
    }

    target.len = 0;

    if (p->post_logout_uri.len
        && ngx_http_edge_auth_absolute(r, p, &p->post_logout_uri, &target)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (md && md->end_session_endpoint.len) {
        client_id = p->client_id;
        hint = ctx->logout_hint;

        len = md->end_session_endpoint.len + sizeof("?client_id=") - 1
              + 3 * client_id.len
              + sizeof("&post_logout_redirect_uri=") - 1 + 3 * target.len
              + sizeof("&id_token_hint=") - 1 + 3 * hint.len;

        location.data = ngx_pnalloc(r->pool, len);
        if (location.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        q = ngx_cpymem(location.data, md->end_session_endpoint.data,
                       md->end_session_endpoint.len);
        *q = ngx_strlchr(location.data, q, '?') ? '&' : '?';
        q++;

        q = ngx_cpymem(q, "client_id=", sizeof("client_id=") - 1);
        q = (u_char *) ngx_escape_uri(q, client_id.data, client_id.len,
                                      NGX_ESCAPE_URI_COMPONENT);

        if (target.len) {
            q = ngx_cpymem(q, "&post_logout_redirect_uri=",
                           sizeof("&post_logout_redirect_uri=") - 1);
            q = (u_char *) ngx_escape_uri(q, target.data, target.len,
                                          NGX_ESCAPE_URI_COMPONENT);
        }

        if (hint.len) {
            q = ngx_cpymem(q, "&id_token_hint=", sizeof("&id_token_hint=") - 1);
            q = (u_char *) ngx_escape_uri(q, hint.data, hint.len,
                                          NGX_ESCAPE_URI_COMPONENT);
        }

        location.len = q - location.data;

        return ngx_http_edge_auth_redirect(r, &location);
    }

    if (target.len) {
        return ngx_http_edge_auth_redirect(r, &target);
    }

    return ngx_http_edge_auth_send_text(r, NGX_HTTP_OK,
                                        "<!DOCTYPE html>\n<title>Signed out"
                                        "</title>\n<p>You are signed out.</p>\n");
}


/* A configured URI as an absolute URL on the configured origin. */
static ngx_int_t
ngx_http_edge_auth_absolute(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_str_t *uri, ngx_str_t *out)
{
    ngx_str_t  origin, redirect_uri;

    if (uri->data[0] != '/') {
        *out = *uri;
        return NGX_OK;
    }

    if (ngx_http_edge_auth_origin(r, p, &origin, &redirect_uri) != NGX_OK) {
        return NGX_ERROR;
    }

    out->len = origin.len + uri->len;
    out->data = ngx_pnalloc(r->pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(out->data, origin.data, origin.len), uri->data,
               uri->len);

    return NGX_OK;
}


/*
 * A complete response from the access phase: the headers already set, this status and body.
 * The request is finalized here; the handler returns NGX_DONE.
 */
static ngx_int_t
ngx_http_edge_auth_send_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *text)
{
    size_t       len;
    ngx_int_t    rc;
    ngx_buf_t   *b;
    ngx_str_t    no_store = ngx_string("no-store");
    ngx_chain_t  out;

    len = ngx_strlen(text);

    if (ngx_http_edge_auth_add_header(r, "Cache-Control", &no_store) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    b->pos = (u_char *) text;
    b->last = b->pos + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


/* ---- back-channel logout ------------------------------------------------------------------ */

ngx_int_t
ngx_http_edge_auth_backchannel(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx)
{
    char                      detail[256];
    int64_t                   now;
    ngx_int_t                 rc;
    ngx_str_t                 token;
    ea_status_t               status;
    ea_logout_claims_t        claims;
    ea_logout_token_check_t   check;

    /* the provider calls: no user or client is acting */
    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "internal");

    if (r->method != NGX_HTTP_POST) {
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "method");
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (!ctx->body_read) {
        if (ctx->body_requested) {
            return NGX_DONE;
        }

        ctx->body_requested = 1;
        ctx->body_reading = 1;

        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r,
                                           ngx_http_edge_auth_backchannel_body);
        ctx->body_reading = 0;

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        /* as the content phase does: the read took a reference on the request */
        ngx_http_finalize_request(r, NGX_DONE);

        if (!ctx->body_read) {
            /* the body handler runs the phases again when the body is complete */
            return NGX_DONE;
        }
    }

    ngx_str_null(&token);

    if (ngx_http_edge_auth_logout_token(r, &token) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": back-channel logout rejected: "
                      "no single logout_token in a form body", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE,
                                 "no_credentials");
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_BAD_REQUEST, "");
    }

    rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, 0);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != NGX_OK || p->jwks->keys == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": back-channel logout cannot "
                      "be checked: no usable JWKS", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "no_keys");
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, "");
    }

    ngx_memzero(&check, sizeof(check));
    check.issuer.data = (const char *) p->issuer.data;
    check.issuer.len = p->issuer.len;
    check.client_id.data = (const char *) p->client_id.data;
    check.client_id.len = p->client_id.len;
    check.leeway = 60;
    check.max_age = 120;

    now = (int64_t) ngx_time();

    status = ea_logout_token_verify(&check, p->jwks->keys,
                                    (const char *) token.data, token.len, now,
                                    ngx_http_edge_auth_pool_alloc, r->pool,
                                    &claims, detail, sizeof(detail));

    if (status == EA_ERR_UNKNOWN_KEY && !ctx->refetched) {
        ctx->refetched = 1;

        rc = ngx_http_edge_auth_source_ready(r, p->jwks, ctx, 1);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        status = ea_logout_token_verify(&check, p->jwks->keys,
                                        (const char *) token.data, token.len,
                                        now, ngx_http_edge_auth_pool_alloc,
                                        r->pool, &claims, detail,
                                        sizeof(detail));
    }

    if (status != EA_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": back-channel logout rejected: "
                      "%s (%s)", &p->name, ea_status_reason(status), detail);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE,
                                 ea_status_reason(status));
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_BAD_REQUEST, "");
    }

    /* each logout token once: a replay is refused, even though it would change nothing */
    if (ngx_http_edge_auth_jti_seen(r, p, &claims.jti,
                                    now + check.max_age + check.leeway))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": back-channel logout rejected: "
                      "replayed (jti seen before)", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "replayed");
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_BAD_REQUEST, "");
    }

    /* a sid names one provider session; a sub alone, every session of the user */
    if (claims.sid.len) {
        rc = ngx_http_edge_auth_revoke(r, p, EA_REVOKE_SID, &claims.sid,
                                       now + p->session_timeout);
    } else {
        rc = ngx_http_edge_auth_revoke(r, p, EA_REVOKE_SUB, &claims.sub,
                                       now + p->session_timeout);
    }

    if (rc != NGX_OK) {
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                            "");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: provider \"%V\": back-channel logout of %s "
                  "\"%*s\"", &p->name, claims.sid.len ? "sid" : "sub",
                  ngx_min(claims.sid.len ? claims.sid.len : claims.sub.len, 256),
                  claims.sid.len ? claims.sid.data : claims.sub.data);

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_LOGOUT,
                             NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "backchannel");

    return ngx_http_edge_auth_send_text(r, NGX_HTTP_OK, "");
}


static void
ngx_http_edge_auth_backchannel_body(ngx_http_request_t *r)
{
    ngx_http_edge_auth_ctx_t  *ctx;

    ctx = ngx_http_edge_auth_get_ctx(r, 0);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->body_read = 1;

    /* read at once: the handler that asked goes on by itself */
    if (ctx->body_reading) {
        return;
    }

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* The logout_token of an application/x-www-form-urlencoded body, given exactly once. */
static ngx_int_t
ngx_http_edge_auth_logout_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char       *p, *last, *amp, *eq, *dst, *src;
    ngx_buf_t    *b;
    ngx_uint_t    found;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_ERROR;
    }

    b = r->request_body->bufs->buf;

    /* the token is small: a body spilled to a file, or in pieces, is not one of ours */
    if (r->request_body->bufs->next || b->in_file || !ngx_buf_in_memory(b)) {
        return NGX_ERROR;
    }

    found = 0;
    last = b->last;

    for (p = b->pos; p < last; p = amp + 1) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (eq && eq - p == sizeof("logout_token") - 1
            && ngx_strncmp(p, "logout_token", eq - p) == 0)
        {
            if (found++) {
                return NGX_ERROR;
            }

            token->data = ngx_pnalloc(r->pool, amp - eq);
            if (token->data == NULL) {
                return NGX_ERROR;
            }

            src = eq + 1;
            dst = token->data;
            ngx_unescape_uri(&dst, &src, amp - eq - 1, 0);
            token->len = dst - token->data;
        }
    }

    return (found == 1 && token->len) ? NGX_OK : NGX_ERROR;
}


/* Records the token's jti; 1 when it was already there (a replay). */
static ngx_int_t
ngx_http_edge_auth_jti_seen(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_str_t *jti, int64_t expires)
{
    u_char                          *q;
    ngx_uint_t                       i, seen;
    ea_str_t                         ns;
    ea_revocation_t                  rec;
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    if (amcf->sh == NULL || amcf->sh->revocations == NULL) {
        return 1;
    }

    /* a namespace no session lookup ever uses: "<provider> jti" (provider names have no space) */
    q = ngx_pnalloc(r->pool, p->name.len + sizeof(" jti") - 1);
    if (q == NULL) {
        return 1;
    }

    ngx_memcpy(ngx_cpymem(q, p->name.data, p->name.len), " jti",
               sizeof(" jti") - 1);
    ns.data = (const char *) q;
    ns.len = p->name.len + sizeof(" jti") - 1;

    if (ea_revocation_make(EA_REVOKE_SESSION, &ns, jti, (int64_t) ngx_time(),
                           expires, &rec)
        != 0)
    {
        return 1;
    }

    seen = 0;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    for (i = 0; i < amcf->sh->revocation_count; i++) {
        if (ngx_memcmp(amcf->sh->revocations[i].key, rec.key, sizeof(rec.key))
            == 0)
        {
            seen = 1;
            break;
        }
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (seen) {
        return 1;
    }

    return ngx_http_edge_auth_store_revocation(r, &rec) == NGX_OK ? 0 : 1;
}


/* ---- front-channel logout ----------------------------------------------------------------- */

ngx_int_t
ngx_http_edge_auth_frontchannel(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_ctx_t *ctx)
{
    ngx_str_t  iss, sid, v;
    ea_str_t   value;
    u_char    *dst, *src;

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                             NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "internal");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "method");
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_arg(r, (u_char *) "iss", 3, &v) != NGX_OK
        || ngx_http_arg(r, (u_char *) "sid", 3, &sid) != NGX_OK
        || sid.len == 0 || sid.len > 256)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": front-channel logout "
                      "rejected: iss and sid are required", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "bad_request");
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_BAD_REQUEST, "");
    }

    iss.data = ngx_pnalloc(r->pool, v.len);
    if (iss.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dst = iss.data;
    src = v.data;
    ngx_unescape_uri(&dst, &src, v.len, 0);
    iss.len = dst - iss.data;

    if (iss.len != p->issuer.len
        || ngx_strncmp(iss.data, p->issuer.data, iss.len) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "edge_auth: provider \"%V\": front-channel logout "
                      "rejected: iss is not this provider's", &p->name);
        ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_DENY,
                                 NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "issuer");
        return ngx_http_edge_auth_send_text(r, NGX_HTTP_BAD_REQUEST, "");
    }

    value.data = ngx_pnalloc(r->pool, sid.len);
    if (value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dst = (u_char *) value.data;
    src = sid.data;
    ngx_unescape_uri(&dst, &src, sid.len, 0);
    value.len = dst - (u_char *) value.data;

    if (ngx_http_edge_auth_revoke(r, p, EA_REVOKE_SID, &value,
                                  (int64_t) ngx_time() + p->session_timeout)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "edge_auth: provider \"%V\": front-channel logout of sid "
                  "\"%*s\"", &p->name, value.len, value.data);

    ngx_http_edge_auth_audit(ctx, NGX_HTTP_EDGE_AUTH_AUDIT_LOGOUT,
                             NGX_HTTP_EDGE_AUTH_ACTOR_NONE, "frontchannel");

    return ngx_http_edge_auth_send_text(r, NGX_HTTP_OK, "");
}
