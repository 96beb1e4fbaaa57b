/*
 * nginx-edge-auth: declarations shared by the C glue files in src/ngx/.
 *
 *   ngx_http_edge_auth_module.c     module, directives, configuration create/merge, phase setup
 *   ngx_http_edge_auth_jwt.c        the access-phase handler for auth_jwt
 *   ngx_http_edge_auth_variables.c  $jwt_claim_*, $jwt_header_*, $jwt_payload, claim_set vars
 *   ngx_http_edge_auth_scrub.c      removal of client-sent identity headers
 *
 * All authentication logic lives in the C++ core behind edge_auth.h; these files only adapt it to
 * nginx (configuration, requests, memory pools, logs).
 */

#ifndef NGX_HTTP_EDGE_AUTH_H
#define NGX_HTTP_EDGE_AUTH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_JWT_UNSET  NGX_CONF_UNSET_UINT
#define NGX_HTTP_EDGE_AUTH_JWT_OFF    0
#define NGX_HTTP_EDGE_AUTH_JWT_ON     1


typedef struct {
    ngx_array_t                 *scrub_prefixes;  /* ngx_str_t, lower case; empty = off */
} ngx_http_edge_auth_srv_conf_t;


typedef struct {
    /* auth_jwt realm [token=$var] | off */
    ngx_uint_t                   jwt;
    ngx_http_complex_value_t    *realm;
    ngx_http_complex_value_t    *token;
    ngx_str_t                    jwt_conf_file;     /* where auth_jwt was set, for messages */
    ngx_uint_t                   jwt_conf_line;

    /* key sources and verification policy */
    ngx_array_t                 *key_files;         /* ngx_str_t */
    ngx_uint_t                   algorithms;        /* EA_ALG_* bits */
    ngx_array_t                 *issuers;           /* ea_str_t */
    ngx_array_t                 *audiences;         /* ea_str_t */
    ngx_array_t                 *types;             /* ea_str_t */
    time_t                       leeway;
    ngx_flag_t                   require_exp;
    size_t                       max_token_size;

    /* auth_jwt_require $value ... [error=401|403] */
    ngx_array_t                 *require;           /* ngx_http_complex_value_t */
    ngx_uint_t                   require_error;

    /* built at merge time, immutable afterwards, freed with the cycle */
    ea_keyset_t                 *keys;
    ea_policy_t                 *policy;
} ngx_http_edge_auth_loc_conf_t;


/* Per-request state: the verified token once the access handler accepted it. */
typedef struct {
    ea_token_t                  *token;
} ngx_http_edge_auth_ctx_t;


extern ngx_module_t  ngx_http_edge_auth_module;


ngx_int_t ngx_http_edge_auth_jwt_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_edge_auth_scrub_handler(ngx_http_request_t *r);

ngx_int_t ngx_http_edge_auth_add_variables(ngx_conf_t *cf);
char *ngx_http_edge_auth_claim_set(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* Allocation callback handed to the core: memory from the request pool. */
void *ngx_http_edge_auth_pool_alloc(void *pool, size_t size);

#endif /* NGX_HTTP_EDGE_AUTH_H */
