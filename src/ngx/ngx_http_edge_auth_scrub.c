/*
 * nginx-edge-auth: removal of client-sent identity headers.
 *
 * The app behind nginx trusts identity headers (X-Auth-Subject, ...) because nginx sets them.
 * proxy_set_header replaces a client header of the same name, but only in locations that set it:
 * a public location, or a name the operator forgot, would pass the client's value through. So in
 * the post-read phase, before any location or module can read them, every request header whose
 * name starts with a configured prefix (edge_auth_scrub_headers, default "X-Auth-") is dropped.
 * "_" and "-" compare equal, because FastCGI/uwsgi/SCGI map both to "_".
 */

#include "ngx_http_edge_auth.h"


static ngx_uint_t
ngx_http_edge_auth_scrub_match(ngx_table_elt_t *h, ngx_array_t *prefixes)
{
    u_char      c;
    size_t      k;
    ngx_str_t  *prefix;
    ngx_uint_t  i;

    prefix = prefixes->elts;

    for (i = 0; i < prefixes->nelts; i++) {
        if (h->key.len < prefix[i].len) {
            continue;
        }

        for (k = 0; k < prefix[i].len; k++) {
            c = ngx_tolower(h->key.data[k]);

            if (c == '_') {
                c = '-';
            }

            if (c != prefix[i].data[k]) {
                break;
            }
        }

        if (k == prefix[i].len) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_edge_auth_scrub_handler(ngx_http_request_t *r)
{
    ngx_uint_t                      i, found;
    ngx_list_t                      kept;
    ngx_list_part_t                *part;
    ngx_table_elt_t                *h, *copy;
    ngx_http_edge_auth_srv_conf_t  *scf;

    scf = ngx_http_get_module_srv_conf(r, ngx_http_edge_auth_module);

    if (scf->scrub_prefixes == NULL || scf->scrub_prefixes->nelts == 0) {
        return NGX_DECLINED;
    }

    /* the common case: nothing to drop, nothing allocated */
    found = 0;
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

        if (ngx_http_edge_auth_scrub_match(&h[i], scf->scrub_prefixes)) {
            found = 1;
            break;
        }
    }

    if (!found) {
        return NGX_DECLINED;
    }

    /*
     * Rebuild the list without the matching headers. Elements are copied, not moved, so the
     * pointers nginx keeps into the old list (headers_in.host, cookies, ...) stay valid.
     */
    if (ngx_list_init(&kept, r->pool, 20, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

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

        if (ngx_http_edge_auth_scrub_match(&h[i], scf->scrub_prefixes)) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "edge_auth: dropped client-sent header \"%V\" "
                          "(edge_auth_scrub_headers)", &h[i].key);
            continue;
        }

        copy = ngx_list_push(&kept);
        if (copy == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *copy = h[i];
    }

    r->headers_in.headers = kept;

    return NGX_DECLINED;
}
