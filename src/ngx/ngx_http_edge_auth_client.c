/*
 * nginx-edge-auth: the module's own HTTP client for talking to an OpenID Provider (discovery,
 * JWKS, token endpoint), so the operator writes no internal proxy locations.
 *
 * A request to the provider is an in-memory subrequest that never looks up a location: right
 * after ngx_http_subrequest() its first event handler is replaced with one that starts an
 * ngx_http_upstream of our own (like the memcached module's, with our create_request and
 * process_header). The upstream machinery brings everything a proxy_pass would: non-blocking
 * connect, the `resolver` of the location for host names, TLS with certificate and host name
 * verification, and timeouts. The response (status, Cache-Control max-age, body up to
 * NGX_HTTP_EDGE_AUTH_CLIENT_BUFFER) is handed to the caller's completion handler.
 *
 * HTTP/1.1 with "Connection: close": the body ends at Content-Length or at the close, and a
 * chunked body is decoded by the core once complete.
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_CLIENT_BUFFER  (64 * 1024)


typedef struct {
    ngx_uint_t                            magic;       /* NGX_HTTP_EDGE_AUTH_CLIENT_MAGIC */
    ngx_http_edge_auth_client_request_t   req;
    ngx_http_edge_auth_response_t         resp;

    ngx_str_t                             host;        /* Host header */
    ngx_str_t                             path;        /* path and query */

    ngx_http_status_t                     status;
    off_t                                 content_length;
    u_char                               *body_start;
    unsigned                              chunked:1;
    unsigned                              finished:1;
} ngx_http_edge_auth_client_ctx_t;


static void ngx_http_edge_auth_client_start(ngx_http_request_t *sr);
static ngx_int_t ngx_http_edge_auth_client_create_request(
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_edge_auth_client_reinit_request(
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_edge_auth_client_process_status_line(
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_edge_auth_client_process_header(
    ngx_http_request_t *sr);
static void ngx_http_edge_auth_client_abort_request(ngx_http_request_t *sr);
static void ngx_http_edge_auth_client_finalize_request(ngx_http_request_t *sr,
    ngx_int_t rc);
static ngx_int_t ngx_http_edge_auth_client_filter_init(void *data);
static ngx_int_t ngx_http_edge_auth_client_filter(void *data, ssize_t bytes);
static ngx_int_t ngx_http_edge_auth_client_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_edge_auth_client_parse_url(ngx_http_request_t *r,
    ngx_str_t *url, ngx_http_upstream_resolved_t *resolved,
    ngx_http_edge_auth_client_ctx_t *ctx, ngx_uint_t *https);


/*
 * Starts a request to the provider on behalf of r. The completion handler runs once, with the
 * response or with the reason there is none; for a waited request, r runs its phases again
 * afterwards. NGX_OK, or NGX_ERROR when nothing was started (the handler will not run).
 */
ngx_int_t
ngx_http_edge_auth_client_fetch(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ngx_http_edge_auth_client_request_t *req)
{
    ngx_str_t                         uri;
    ngx_uint_t                        https;
    ngx_http_request_t               *sr;
    ngx_http_upstream_t              *u;
    ngx_http_post_subrequest_t       *ps;
    ngx_http_upstream_resolved_t     *resolved;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_edge_auth_client_ctx_t));
    resolved = ngx_pcalloc(r->pool, sizeof(ngx_http_upstream_resolved_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));

    if (ctx == NULL || resolved == NULL || ps == NULL) {
        return NGX_ERROR;
    }

    ctx->magic = NGX_HTTP_EDGE_AUTH_CLIENT_MAGIC;
    ctx->req = *req;
    ctx->resp.max_age = -1;
    ctx->content_length = -1;

    if (ngx_http_edge_auth_client_parse_url(r, &req->url, resolved, ctx, &https)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (https && p->ssl == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "edge_auth: provider \"%V\": no TLS context for \"%V\"",
                      &p->name, &req->url);
        return NGX_ERROR;
    }

    ps->handler = ngx_http_edge_auth_client_done;
    ps->data = ctx;

    /* the URI only names the request in debug logs: no location is ever looked up */
    ngx_str_set(&uri, "/.edge_auth/provider");

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            | (req->background ? NGX_HTTP_SUBREQUEST_BACKGROUND
                                               : NGX_HTTP_SUBREQUEST_WAITED))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the location's resolver and timeouts, not the server's defaults */
    sr->loc_conf = r->loc_conf;
    sr->write_event_handler = ngx_http_edge_auth_client_start;

    if (ngx_http_upstream_create(sr) != NGX_OK) {
        return NGX_ERROR;
    }

    u = sr->upstream;
    u->conf = &p->upstream;
    u->resolved = resolved;
    u->ssl = https;

#if (NGX_HTTP_SSL)
    /* the name verified in the certificate and sent as SNI: the host, without the port */
    u->ssl_name = resolved->host;
#endif

    ngx_str_set(&u->schema, "edge_auth://");
    u->output.tag = (ngx_buf_tag_t) &ngx_http_edge_auth_module;

    u->create_request = ngx_http_edge_auth_client_create_request;
    u->reinit_request = ngx_http_edge_auth_client_reinit_request;
    u->process_header = ngx_http_edge_auth_client_process_status_line;
    u->abort_request = ngx_http_edge_auth_client_abort_request;
    u->finalize_request = ngx_http_edge_auth_client_finalize_request;
    u->input_filter_init = ngx_http_edge_auth_client_filter_init;
    u->input_filter = ngx_http_edge_auth_client_filter;
    u->input_filter_ctx = sr;

    ngx_http_set_ctx(sr, ctx, ngx_http_edge_auth_module);

    return NGX_OK;
}


/* The subrequest's first event: straight to the upstream, no phases, no location. */
static void
ngx_http_edge_auth_client_start(ngx_http_request_t *sr)
{
    /* as the content phase does: this handler must never run twice */
    sr->write_event_handler = ngx_http_request_empty_handler;

    sr->main->count++;

    ngx_http_upstream_init(sr);

    ngx_http_finalize_request(sr, NGX_DONE);
}


static ngx_int_t
ngx_http_edge_auth_client_parse_url(ngx_http_request_t *r, ngx_str_t *url,
    ngx_http_upstream_resolved_t *resolved,
    ngx_http_edge_auth_client_ctx_t *ctx, ngx_uint_t *https)
{
    u_char     *p, *last, *host_end, *port_start;
    ngx_int_t   port;
    ngx_url_t   u;

    p = url->data;
    last = p + url->len;

    if (url->len > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        *https = 1;
        p += 8;
        port = 443;

    } else if (url->len > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        *https = 0;
        p += 7;
        port = 80;

    } else {
        goto invalid;
    }

    /* authority: host, [v6], optional :port; userinfo was refused by the core's URL check */
    host_end = p;

    if (p < last && *p == '[') {
        while (host_end < last && *host_end != ']') {
            host_end++;
        }

        if (host_end == last) {
            goto invalid;
        }

        host_end++;

    } else {
        while (host_end < last && *host_end != ':' && *host_end != '/'
               && *host_end != '?')
        {
            host_end++;
        }
    }

    if (host_end == p) {
        goto invalid;
    }

    ctx->host.data = p;
    ctx->host.len = host_end - p;

    resolved->host.data = p;
    resolved->host.len = host_end - p;

    if (host_end < last && *host_end == ':') {
        port_start = host_end + 1;
        p = port_start;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        port = ngx_atoi(port_start, p - port_start);

        if (port < 1 || port > 65535) {
            goto invalid;
        }

        ctx->host.len = p - ctx->host.data;

    } else {
        p = host_end;
    }

    if (p < last && *p != '/' && *p != '?') {
        goto invalid;
    }

    if (p == last) {
        ngx_str_set(&ctx->path, "/");

    } else if (*p == '?') {
        ctx->path.len = last - p + 1;
        ctx->path.data = ngx_pnalloc(r->pool, ctx->path.len);
        if (ctx->path.data == NULL) {
            return NGX_ERROR;
        }

        ctx->path.data[0] = '/';
        ngx_memcpy(ctx->path.data + 1, p, last - p);

    } else {
        ctx->path.data = p;
        ctx->path.len = last - p;
    }

    resolved->port = (in_port_t) port;
    resolved->no_port = 0;

    /* an address literal needs no resolver: parse it here (never a DNS lookup) */
    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url.data = resolved->host.data;
    u.url.len = resolved->host.len;
    u.default_port = (in_port_t) port;
    u.no_resolve = 1;

    if (ngx_parse_url(r->pool, &u) != NGX_OK) {
        goto invalid;
    }

    if (u.host.len && u.host.data[0] == '[') {
        /* [v6]: ngx_parse_url already filled the address */
        if (u.naddrs == 0) {
            goto invalid;
        }

    } else if (ngx_inet_addr(u.host.data, u.host.len) != INADDR_NONE) {
        u.no_resolve = 0;
        u.naddrs = 0;
        u.addrs = NULL;

        if (ngx_parse_url(r->pool, &u) != NGX_OK || u.naddrs == 0) {
            goto invalid;
        }
    }

    if (u.naddrs) {
        resolved->sockaddr = u.addrs[0].sockaddr;
        resolved->socklen = u.addrs[0].socklen;
        resolved->name = u.addrs[0].name;
        resolved->naddrs = 1;
        ngx_inet_set_port(resolved->sockaddr, (in_port_t) port);
    }

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "edge_auth: cannot use the provider URL \"%V\"", url);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_edge_auth_client_create_request(ngx_http_request_t *sr)
{
    size_t                            len;
    ngx_buf_t                        *b;
    ngx_chain_t                      *cl;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);

    len = sizeof("POST  HTTP/1.1\r\n") - 1 + ctx->path.len
          + sizeof("Host: \r\n") - 1 + ctx->host.len
          + sizeof("Accept: application/json\r\n") - 1
          + sizeof("User-Agent: nginx-edge-auth\r\n") - 1
          + sizeof("Connection: close\r\n") - 1
          + sizeof("\r\n") - 1;

    if (ctx->req.authorization.len) {
        len += sizeof("Authorization: \r\n") - 1 + ctx->req.authorization.len;
    }

    if (ctx->req.body.len) {
        len += sizeof("Content-Type: application/x-www-form-urlencoded\r\n") - 1
               + sizeof("Content-Length: \r\n") - 1 + NGX_SIZE_T_LEN
               + ctx->req.body.len;
    }

    b = ngx_create_temp_buf(sr->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_sprintf(b->last, "%s %V HTTP/1.1\r\nHost: %V\r\n"
                          "Accept: application/json\r\n"
                          "User-Agent: nginx-edge-auth\r\n"
                          "Connection: close\r\n",
                          ctx->req.body.len ? "POST" : "GET", &ctx->path,
                          &ctx->host);

    if (ctx->req.authorization.len) {
        b->last = ngx_sprintf(b->last, "Authorization: %V\r\n",
                              &ctx->req.authorization);
    }

    if (ctx->req.body.len) {
        b->last = ngx_sprintf(b->last,
                              "Content-Type: application/x-www-form-urlencoded"
                              "\r\nContent-Length: %uz\r\n\r\n%V",
                              ctx->req.body.len, &ctx->req.body);

    } else {
        *b->last++ = CR; *b->last++ = LF;
    }

    cl = ngx_alloc_chain_link(sr->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    sr->upstream->request_bufs = cl;

    return NGX_OK;
}


static ngx_int_t
ngx_http_edge_auth_client_reinit_request(ngx_http_request_t *sr)
{
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);

    ngx_memzero(&ctx->status, sizeof(ngx_http_status_t));
    ctx->content_length = -1;
    ctx->chunked = 0;
    ctx->resp.max_age = -1;
    sr->state = 0;
    sr->upstream->process_header =
                               ngx_http_edge_auth_client_process_status_line;

    return NGX_OK;
}


static ngx_int_t
ngx_http_edge_auth_client_process_status_line(ngx_http_request_t *sr)
{
    ngx_int_t                         rc;
    ngx_http_upstream_t              *u;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);
    u = sr->upstream;

    rc = ngx_http_parse_status_line(sr, &u->buffer, &ctx->status);

    if (rc == NGX_AGAIN) {
        return rc;
    }

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "edge_auth: the provider sent no valid HTTP status line");
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    ctx->resp.status = ctx->status.code;

    /*
     * The upstream machinery drops what is already buffered of an error status's body, and
     * the body of an error is what says why: report every status as 200 to it and keep the
     * real one in ctx->resp.status.
     */
    u->headers_in.status_n = NGX_HTTP_OK;

    if (u->state && u->state->status == 0) {
        u->state->status = ctx->status.code;
    }

    u->process_header = ngx_http_edge_auth_client_process_header;

    return ngx_http_edge_auth_client_process_header(sr);
}


static ngx_int_t
ngx_http_edge_auth_client_process_header(ngx_http_request_t *sr)
{
    size_t                            nlen, vlen;
    u_char                           *name, *value;
    ngx_int_t                         rc;
    ngx_http_upstream_t              *u;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);
    u = sr->upstream;

    for ( ;; ) {

        rc = ngx_http_parse_header_line(sr, &u->buffer, 1);

        if (rc == NGX_OK) {
            name = sr->header_name_start;
            nlen = sr->header_name_end - sr->header_name_start;
            value = sr->header_start;
            vlen = sr->header_end - sr->header_start;

            if (nlen == sizeof("Content-Length") - 1
                && ngx_strncasecmp(name, (u_char *) "Content-Length", nlen)
                   == 0)
            {
                ctx->content_length = ngx_atoof(value, vlen);

                if (ctx->content_length == NGX_ERROR) {
                    ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                                  "edge_auth: the provider sent an invalid "
                                  "Content-Length");
                    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
                }

            } else if (nlen == sizeof("Transfer-Encoding") - 1
                       && ngx_strncasecmp(name, (u_char *) "Transfer-Encoding",
                                          nlen) == 0)
            {
                if (vlen == sizeof("chunked") - 1
                    && ngx_strncasecmp(value, (u_char *) "chunked", vlen) == 0)
                {
                    ctx->chunked = 1;

                } else {
                    ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                                  "edge_auth: the provider sent an unsupported "
                                  "Transfer-Encoding");
                    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
                }

            } else if (nlen == sizeof("Cache-Control") - 1
                       && ngx_strncasecmp(name, (u_char *) "Cache-Control",
                                          nlen) == 0)
            {
                ctx->resp.max_age = ea_cache_control_max_age(
                                        (const char *) value, vlen);
            }

            continue;
        }

        if (rc == NGX_HTTP_PARSE_HEADER_DONE) {
            if (ctx->chunked) {
                ctx->content_length = -1;
            }

            u->headers_in.content_length_n = ctx->content_length;
            ctx->body_start = u->buffer.pos;
            return NGX_OK;
        }

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "edge_auth: the provider sent an invalid header line");

        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
}


static ngx_int_t
ngx_http_edge_auth_client_filter_init(void *data)
{
    ngx_http_request_t               *sr = data;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);

    /* -1: read to the close (the request said Connection: close) */
    sr->upstream->length = ctx->content_length;

    return NGX_OK;
}


/* The body stays in u->buffer, from ctx->body_start: only count it. */
static ngx_int_t
ngx_http_edge_auth_client_filter(void *data, ssize_t bytes)
{
    ngx_http_request_t   *sr = data;
    ngx_http_upstream_t  *u;

    u = sr->upstream;

    u->buffer.last += bytes;

    if (u->length == -1) {
        return NGX_OK;
    }

    if (bytes > u->length) {
        ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                      "edge_auth: the provider sent more than its "
                      "Content-Length");
        u->buffer.last -= bytes - u->length;
        u->length = 0;
        return NGX_OK;
    }

    u->length -= bytes;

    return NGX_OK;
}


static void
ngx_http_edge_auth_client_abort_request(ngx_http_request_t *sr)
{
}


static void
ngx_http_edge_auth_client_finalize_request(ngx_http_request_t *sr, ngx_int_t rc)
{
    size_t                            len;
    ngx_http_upstream_t              *u;
    ngx_http_edge_auth_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(sr, ngx_http_edge_auth_module);
    u = sr->upstream;

    if (ctx == NULL || ctx->finished) {
        return;
    }

    ctx->finished = 1;

    if (rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        ctx->resp.error = "timed out";
        return;
    }

    if (rc != NGX_OK || ctx->body_start == NULL) {
        if (u->buffer.start && u->buffer.last == u->buffer.end) {
            ctx->resp.error = "response too large";

        } else {
            ctx->resp.error = "no response (connection failed, refused or "
                              "closed early)";
        }

        return;
    }

    if (u->length > 0) {
        ctx->resp.error = "response truncated";
        return;
    }

    len = u->buffer.last - ctx->body_start;

    if (ctx->chunked) {
        if (ea_http_dechunk((char *) ctx->body_start, len, &len) != 0) {
            ctx->resp.error = "invalid chunked body";
            return;
        }
    }

    ctx->resp.body.data = ctx->body_start;
    ctx->resp.body.len = len;
}


static ngx_int_t
ngx_http_edge_auth_client_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_edge_auth_client_ctx_t  *ctx = data;

    if (ctx->req.done == NULL) {
        return NGX_OK;
    }

    if (!ctx->finished) {
        /* finalized before the upstream ran (no connection could be made at all) */
        ctx->finished = 1;
        ctx->resp.error = "could not start the request";
    }

    if (ctx->resp.error) {
        ctx->resp.status = 0;
        ctx->resp.body.len = 0;
    }

    ctx->req.done(sr, ctx->req.data, &ctx->resp);
    ctx->req.done = NULL;

    /* whatever happened is the caller's to judge: never take the client's request down */
    return NGX_OK;
}
