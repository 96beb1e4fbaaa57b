/*
 * nginx-edge-auth: route coverage, all at configuration time.
 *
 * Every route of every server either carries an auth decision (auth_jwt or auth_oidc, set in the
 * location or inherited) or says why it is public (edge_auth_public "reason"). With
 * `edge_auth_policy strict` a route without one fails `nginx -t`, naming the location, its server,
 * file and line; `warn` logs the same list and starts; `off` (the default) checks nothing. The
 * same walk writes the route inventory that `edge-auth routes` prints, when nginx runs with
 * EDGE_AUTH_INVENTORY=/path/file.json in its environment.
 *
 * How every block is found. nginx keeps no list of the locations it parsed: after the merge,
 * ngx_http_init_locations() turns each server's location queue into a static tree, a regex array
 * and a named array, and drops the `if` and `limit_except` blocks from it (they stay reachable
 * only through the rewrite module's code and the parent's limit_except_loc_conf). The one moment
 * nginx visits every block together with its parent is the merge: for each server, then depth
 * first and in configuration order for each location, `if` and `limit_except` block, it calls
 * merge_loc_conf(parent, block) with cf->ctx->loc_conf pointing at that block's configurations.
 * So the module's merge calls ngx_http_edge_auth_policy_record() first, before anything is
 * inherited (what a block sets itself is known only then), and postconfiguration, where every
 * configuration is final, decides and reports (ngx_http_edge_auth_policy_check). The record step
 * checks that cf->ctx is the block being merged; an nginx that merges otherwise gets no
 * inventory, and `edge_auth_policy strict` refuses to start rather than guess.
 *
 * File and line of a block are taken when its configuration is created
 * (ngx_http_edge_auth_policy_block, from create_loc_conf): nginx has read the block's opening
 * line then, and cf->args still holds its directive ("location", "~*", "\.png$").
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_POLICY_UNSET        0
#define NGX_HTTP_EDGE_AUTH_POLICY_OFF          1
#define NGX_HTTP_EDGE_AUTH_POLICY_WARN         2
#define NGX_HTTP_EDGE_AUTH_POLICY_STRICT       3

/* the kind of block a route is */
#define NGX_HTTP_EDGE_AUTH_ROUTE_SERVER        0   /* the URIs no location matches */
#define NGX_HTTP_EDGE_AUTH_ROUTE_PREFIX        1
#define NGX_HTTP_EDGE_AUTH_ROUTE_EXACT         2
#define NGX_HTTP_EDGE_AUTH_ROUTE_REGEX         3
#define NGX_HTTP_EDGE_AUTH_ROUTE_NAMED         4
#define NGX_HTTP_EDGE_AUTH_ROUTE_IF            5
#define NGX_HTTP_EDGE_AUTH_ROUTE_LIMIT_EXCEPT  6

/* what a route resolves to */
#define NGX_HTTP_EDGE_AUTH_DECISION_NONE       0   /* nothing said anywhere */
#define NGX_HTTP_EDGE_AUTH_DECISION_AUTH       1   /* auth_jwt and/or auth_oidc */
#define NGX_HTTP_EDGE_AUTH_DECISION_PUBLIC     2   /* edge_auth_public "reason" */
#define NGX_HTTP_EDGE_AUTH_DECISION_OFF        3   /* auth_* off, and no edge_auth_public */
#define NGX_HTTP_EDGE_AUTH_DECISION_INTERNAL   4   /* internal, nothing said: not required */


/* One finding about a route or a server. The codes are stable and documented. */
typedef struct {
    const char                     *code;
    ngx_uint_t                      refuse;       /* strict refuses it; else a note */
    ngx_str_t                       message;
} ngx_http_edge_auth_problem_t;


struct ngx_http_edge_auth_route_s {
    ngx_http_edge_auth_route_t     *parent;       /* the enclosing block; NULL for a server */
    ngx_http_core_srv_conf_t       *cscf;
    ngx_http_core_loc_conf_t       *clcf;
    void                          **loc_conf;     /* every module's configuration of the block */
    ngx_http_edge_auth_loc_conf_t  *lcf;
    ngx_uint_t                      kind;         /* NGX_HTTP_EDGE_AUTH_ROUTE_* */
    ngx_uint_t                      local_jwt;    /* auth_jwt and auth_oidc as the block set */
    ngx_uint_t                      local_oidc;   /* them itself: UNSET, OFF or ON */

    /* decided in postconfiguration */
    ngx_uint_t                      decision;     /* NGX_HTTP_EDGE_AUTH_DECISION_* */
    ngx_http_edge_auth_block_t     *decided_in;   /* the block whose directive decided */
    const char                     *off;          /* "auth_jwt off" or "auth_oidc off" */
    unsigned                        listed:1;     /* a route of its own in the inventory */
    unsigned                        required:1;   /* must resolve to a decision */
    ngx_array_t                     problems;     /* ngx_http_edge_auth_problem_t */
};


struct ngx_http_edge_auth_routes_s {
    ngx_array_t                     list;         /* ngx_http_edge_auth_route_t *, as merged */
    ngx_uint_t                      unknown;      /* this nginx merged in an unexpected way */
};


/* A server block, as postconfiguration sees it. */
typedef struct {
    ngx_http_edge_auth_route_t     *route;        /* the server block itself */
    ngx_uint_t                      first;        /* its blocks in routes->list: [first, last) */
    ngx_uint_t                      last;
    ngx_uint_t                      policy;       /* NGX_HTTP_EDGE_AUTH_POLICY_*, never UNSET */
    ngx_str_t                       policy_file;
    ngx_uint_t                      policy_line;
    ngx_array_t                     names;        /* ngx_str_t, without the empty name */
    ngx_array_t                     listen;       /* ngx_str_t */
    ngx_str_t                       label;        /* for messages */
    ngx_array_t                     problems;     /* ngx_http_edge_auth_problem_t */
} ngx_http_edge_auth_server_t;


/*
 * What ngx_http_rewrite_module runs for a block before the access phase. nginx keeps this struct
 * private to ngx_http_rewrite_module.c; its layout has not changed since nginx 0.x, and only its
 * first member, the block's compiled script codes, is read here. The codes are structs that each
 * start with their handler's address (ngx_http_script.h); a `return` compiles to one whose handler
 * is ngx_http_script_return_code, a `rewrite` to one whose handler is
 * ngx_http_script_regex_start_code. Every code is a whole number of pointers long, so looking for
 * those two addresses at pointer-aligned offsets finds every return and rewrite of the block,
 * including those inside its `if` blocks (which compile into the same array).
 */
typedef struct {
    ngx_array_t                    *codes;        /* uintptr_t */
    ngx_uint_t                      stack_size;
    ngx_flag_t                      log;
    ngx_flag_t                      uninitialized_variable_warn;
} ngx_http_edge_auth_rewrite_loc_conf_t;


/* What the rewrite phase of a block can do before the access phase. */
typedef struct {
    ngx_uint_t                      answer;       /* status of a return with 1xx or 2xx */
    ngx_uint_t                      redirect;     /* status of a return or rewrite redirect */
    ngx_uint_t                      rewrite_redirect;
    ngx_uint_t                      reroute;      /* rewrite ... last, or without a flag */
} ngx_http_edge_auth_rewrite_scan_t;


/* The inventory as it is written: a growing buffer of JSON text. */
typedef struct {
    ngx_array_t                     buf;          /* u_char */
    ngx_uint_t                      failed;
} ngx_http_edge_auth_json_t;


static ngx_int_t ngx_http_edge_auth_report(ngx_conf_t *cf,
    ngx_http_edge_auth_server_t *srv, ngx_array_t *list, ngx_uint_t *refused);
static ngx_int_t ngx_http_edge_auth_server_init(ngx_conf_t *cf,
    ngx_http_edge_auth_server_t *srv, ngx_http_edge_auth_route_t *route,
    ngx_http_edge_auth_srv_conf_t *hscf);
static void ngx_http_edge_auth_decide(ngx_http_edge_auth_route_t *route,
    ngx_http_edge_auth_loc_conf_t *hlcf);
static ngx_int_t ngx_http_edge_auth_find_problems(ngx_conf_t *cf,
    ngx_http_edge_auth_server_t *srv, ngx_http_edge_auth_route_t **routes,
    ngx_int_t rewrite_index);
static void ngx_http_edge_auth_scan_rewrite(void **loc_conf,
    ngx_int_t rewrite_index, ngx_http_edge_auth_rewrite_scan_t *scan);
static ngx_int_t ngx_http_edge_auth_problem(ngx_conf_t *cf, ngx_array_t *list,
    const char *code, ngx_uint_t refuse, const char *fmt, ...);
static ngx_str_t *ngx_http_edge_auth_route_label(ngx_conf_t *cf,
    ngx_http_edge_auth_route_t *route);
static ngx_str_t *ngx_http_edge_auth_protection(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *lcf);
static ngx_str_t *ngx_http_edge_auth_location_name(
    ngx_http_edge_auth_route_t *route, ngx_str_t *name);
static ngx_int_t ngx_http_edge_auth_public_conflict(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *lcf);
static ngx_int_t ngx_http_edge_auth_write_inventory(ngx_conf_t *cf,
    const char *path, ngx_http_edge_auth_server_t *servers, ngx_uint_t n,
    ngx_http_edge_auth_route_t **routes);
static void ngx_http_edge_auth_json_route(ngx_http_edge_auth_json_t *j,
    ngx_http_edge_auth_route_t *route);
static void ngx_http_edge_auth_json_problems(ngx_http_edge_auth_json_t *j,
    ngx_array_t *problems);
static void ngx_http_edge_auth_json_raw(ngx_http_edge_auth_json_t *j,
    const char *s);
static void ngx_http_edge_auth_json_str(ngx_http_edge_auth_json_t *j,
    u_char *data, size_t len);
static void ngx_http_edge_auth_json_uint(ngx_http_edge_auth_json_t *j,
    ngx_uint_t n);
static void ngx_http_edge_auth_json_strs(ngx_http_edge_auth_json_t *j,
    ngx_array_t *a, ngx_uint_t ea);


static const char  *ngx_http_edge_auth_policy_names[] = {
    "off", "off", "warn", "strict"
};

static const char  *ngx_http_edge_auth_route_kinds[] = {
    "server", "prefix", "exact", "regex", "named", "if", "limit_except"
};

static const char  *ngx_http_edge_auth_unauth_names[] = {
    "auto", "redirect", "401", "pass"
};


/* create_loc_conf: where the block opens, and its directive as written */
ngx_int_t
ngx_http_edge_auth_policy_block(ngx_conf_t *cf, ngx_http_edge_auth_block_t *block)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (cf->conf_file != NULL) {
        block->file = cf->conf_file->file.name;
        block->line = cf->conf_file->line;
    }

    if (cf->args == NULL || cf->args->nelts == 0) {
        return NGX_OK;
    }

    value = cf->args->elts;
    len = 0;

    for (i = 0; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    block->text.data = p;

    for (i = 0; i < cf->args->nelts; i++) {
        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, value[i].data, value[i].len);
    }

    block->text.len = p - block->text.data;

    return NGX_OK;
}


/*
 * merge_loc_conf, first thing: remember the block and what it sets itself. edge_auth_public
 * makes the block public, so it stops inheriting auth_jwt and auth_oidc here.
 */
ngx_int_t
ngx_http_edge_auth_policy_record(ngx_conf_t *cf,
    ngx_http_edge_auth_loc_conf_t *prev, ngx_http_edge_auth_loc_conf_t *conf)
{
    ngx_uint_t                       server;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_core_srv_conf_t        *cscf;
    ngx_http_edge_auth_route_t      *route, **slot;
    ngx_http_edge_auth_routes_t     *routes;
    ngx_http_edge_auth_main_conf_t  *amcf;

    if (ngx_http_edge_auth_public_conflict(cf, conf) != NGX_OK) {
        return NGX_ERROR;
    }

    route = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_route_t));
    if (route == NULL) {
        return NGX_ERROR;
    }

    route->local_jwt = conf->jwt;
    route->local_oidc = conf->oidc;

    /*
     * What $edge_auth_decision reports for a request no check decided: public as decide() below
     * would say, whatever the policy. The http{} level is never merged, hence its own reason.
     */
    if (conf->block.public_reason.data != NULL) {
        conf->block.public_in = &conf->block;

    } else if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_UNSET
               && conf->oidc == NGX_CONF_UNSET_UINT)
    {
        conf->block.public_in = prev->block.public_reason.data != NULL
                                ? &prev->block : prev->block.public_in;
    }

    if (conf->block.public_reason.data != NULL) {
        if (conf->jwt == NGX_HTTP_EDGE_AUTH_JWT_UNSET) {
            conf->jwt = NGX_HTTP_EDGE_AUTH_JWT_OFF;
        }

        if (conf->oidc == NGX_CONF_UNSET_UINT) {
            conf->oidc = NGX_HTTP_EDGE_AUTH_JWT_OFF;
        }
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_edge_auth_module);

    routes = amcf->routes;

    if (routes == NULL) {
        routes = ngx_pcalloc(cf->pool, sizeof(ngx_http_edge_auth_routes_t));
        if (routes == NULL) {
            return NGX_ERROR;
        }

        if (ngx_array_init(&routes->list, cf->pool, 32,
                           sizeof(ngx_http_edge_auth_route_t *))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        amcf->routes = routes;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (clcf == NULL || cscf == NULL || cscf->ctx == NULL) {
        routes->unknown = 1;
        return NGX_OK;
    }

    server = (clcf == cscf->ctx->loc_conf[ngx_http_core_module.ctx_index]);

    /* a server's own clcf has no loc_conf pointer: its configurations are in cscf->ctx */
    route->loc_conf = server ? cscf->ctx->loc_conf : clcf->loc_conf;

    if (route->loc_conf == NULL
        || route->loc_conf[ngx_http_edge_auth_module.ctx_index] != conf)
    {
        /* not merged the way this file expects: no inventory rather than a wrong one */
        routes->unknown = 1;
        return NGX_OK;
    }

    route->cscf = cscf;
    route->clcf = clcf;
    route->lcf = conf;

    if (server) {
        route->kind = NGX_HTTP_EDGE_AUTH_ROUTE_SERVER;

    } else {
        route->parent = prev->block.route;

        if (route->parent == NULL || route->parent->cscf != cscf) {
            routes->unknown = 1;
            return NGX_OK;
        }

        if (clcf->noname) {
            route->kind = clcf->lmt_excpt ? NGX_HTTP_EDGE_AUTH_ROUTE_LIMIT_EXCEPT
                                          : NGX_HTTP_EDGE_AUTH_ROUTE_IF;

        } else if (clcf->named) {
            route->kind = NGX_HTTP_EDGE_AUTH_ROUTE_NAMED;

#if (NGX_PCRE)
        } else if (clcf->regex) {
            route->kind = NGX_HTTP_EDGE_AUTH_ROUTE_REGEX;
#endif

        } else if (clcf->exact_match) {
            route->kind = NGX_HTTP_EDGE_AUTH_ROUTE_EXACT;

        } else {
            route->kind = NGX_HTTP_EDGE_AUTH_ROUTE_PREFIX;
        }
    }

    conf->block.route = route;

    slot = ngx_array_push(&routes->list);
    if (slot == NULL) {
        return NGX_ERROR;
    }

    *slot = route;

    return NGX_OK;
}


/*
 * postconfiguration: decide every route, report by each server's policy, write the inventory.
 * Returns NGX_ERROR (nginx refuses the configuration) when a strict server has a problem.
 */
ngx_int_t
ngx_http_edge_auth_policy_check(ngx_conf_t *cf)
{
    char                             *inventory;
    ngx_int_t                         rewrite_index;
    ngx_uint_t                        i, n, on, refused, level;
    ngx_http_edge_auth_route_t      **routes;
    ngx_http_edge_auth_routes_t      *all;
    ngx_http_edge_auth_server_t      *servers, *srv, *first_refused;
    ngx_http_edge_auth_loc_conf_t    *hlcf;
    ngx_http_edge_auth_srv_conf_t    *hscf;
    ngx_http_edge_auth_main_conf_t   *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_edge_auth_module);
    hlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_edge_auth_module);
    hscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_edge_auth_module);

    /* the http{} level is never merged, so its own edge_auth_public is checked here */
    if (ngx_http_edge_auth_public_conflict(cf, hlcf) != NGX_OK) {
        return NGX_ERROR;
    }

    inventory = getenv("EDGE_AUTH_INVENTORY");

    if (inventory != NULL && *inventory == '\0') {
        inventory = NULL;
    }

    all = amcf->routes;

    if (all == NULL) {
        /* no server{} at all */
        if (inventory != NULL) {
            (void) ngx_http_edge_auth_write_inventory(cf, inventory, NULL, 0, NULL);
        }

        return NGX_OK;
    }

    /* the routes were recorded server by server, each server's blocks right after it */
    routes = all->list.elts;
    n = 0;

    for (i = 0; i < all->list.nelts; i++) {
        if (routes[i]->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
            n++;
        }
    }

    servers = ngx_pcalloc(cf->pool, (n ? n : 1) * sizeof(ngx_http_edge_auth_server_t));
    if (servers == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    on = NGX_HTTP_EDGE_AUTH_POLICY_OFF;

    for (i = 0; i < all->list.nelts; i++) {

        if (routes[i]->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
            srv = &servers[n++];

            if (ngx_http_edge_auth_server_init(cf, srv, routes[i], hscf) != NGX_OK) {
                return NGX_ERROR;
            }

            srv->first = i;
            on = ngx_max(on, srv->policy);
        }

        if (n == 0) {
            all->unknown = 1;
            break;
        }

        servers[n - 1].last = i + 1;
    }

    if (all->unknown) {
        if (on == NGX_HTTP_EDGE_AUTH_POLICY_OFF && inventory == NULL) {
            return NGX_OK;
        }

        level = (on == NGX_HTTP_EDGE_AUTH_POLICY_STRICT) ? NGX_LOG_EMERG : NGX_LOG_WARN;

        ngx_log_error(level, cf->log, 0,
                      "edge_auth_policy: this nginx merges its locations in a "
                      "way the module does not know, so route coverage cannot "
                      "be checked and no route inventory is written");

        return (on == NGX_HTTP_EDGE_AUTH_POLICY_STRICT) ? NGX_ERROR : NGX_OK;
    }

    /* off everywhere, and nobody asked for the inventory: nothing to do */
    if (on == NGX_HTTP_EDGE_AUTH_POLICY_OFF && inventory == NULL) {
        return NGX_OK;
    }

    /* the rewrite module, when nginx has it: its code runs before the access phase */
    rewrite_index = -1;

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i]->type == NGX_HTTP_MODULE
            && cf->cycle->modules[i]->name != NULL
            && ngx_strcmp(cf->cycle->modules[i]->name, "ngx_http_rewrite_module") == 0)
        {
            rewrite_index = cf->cycle->modules[i]->ctx_index;
            break;
        }
    }

    for (i = 0; i < all->list.nelts; i++) {
        if (ngx_array_init(&routes[i]->problems, cf->pool, 1,
                           sizeof(ngx_http_edge_auth_problem_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_http_edge_auth_decide(routes[i], hlcf);
    }

    refused = 0;
    first_refused = NULL;

    for (srv = servers; srv < servers + n; srv++) {

        if (ngx_http_edge_auth_find_problems(cf, srv, routes, rewrite_index) != NGX_OK) {
            return NGX_ERROR;
        }

        if (srv->policy == NGX_HTTP_EDGE_AUTH_POLICY_OFF) {
            continue;
        }

        /* the server's own problems first, then its routes' in configuration order */
        if (ngx_http_edge_auth_report(cf, srv, &srv->problems, &refused) != NGX_OK
            && first_refused == NULL)
        {
            first_refused = srv;
        }

        for (i = srv->first; i < srv->last; i++) {
            if (routes[i]->listed
                && ngx_http_edge_auth_report(cf, srv, &routes[i]->problems, &refused)
                   != NGX_OK
                && first_refused == NULL)
            {
                first_refused = srv;
            }
        }
    }

    if (inventory != NULL) {
        (void) ngx_http_edge_auth_write_inventory(cf, inventory, servers, n, routes);
    }

    if (refused) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "edge_auth_policy strict (%V:%ui): nginx refuses this "
                      "configuration for the %ui route problem%s listed above: "
                      "every route needs auth_jwt, auth_oidc or "
                      "edge_auth_public \"<reason>\", and no return before the "
                      "check (\"edge_auth_policy warn\" logs them and starts)",
                      &first_refused->policy_file, first_refused->policy_line,
                      refused, refused == 1 ? "" : "s");

        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Logs a list of problems by the server's policy; NGX_DECLINED when strict refuses one. */
static ngx_int_t
ngx_http_edge_auth_report(ngx_conf_t *cf, ngx_http_edge_auth_server_t *srv,
    ngx_array_t *list, ngx_uint_t *refused)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, refuse, level;
    ngx_http_edge_auth_problem_t  *pr;

    rc = NGX_OK;
    pr = list->elts;

    for (i = 0; i < list->nelts; i++) {
        refuse = (srv->policy == NGX_HTTP_EDGE_AUTH_POLICY_STRICT && pr[i].refuse);

        if (refuse) {
            (*refused)++;
            rc = NGX_DECLINED;
        }

        level = refuse ? NGX_LOG_EMERG : NGX_LOG_WARN;

        ngx_log_error(level, cf->log, 0,
                      "edge_auth_policy %s: %V",
                      ngx_http_edge_auth_policy_names[srv->policy], &pr[i].message);
    }

    return rc;
}


static ngx_int_t
ngx_http_edge_auth_server_init(ngx_conf_t *cf, ngx_http_edge_auth_server_t *srv,
    ngx_http_edge_auth_route_t *route, ngx_http_edge_auth_srv_conf_t *hscf)
{
    u_char                         *p, *last;
    ngx_str_t                      *s, *names, *listen;
    ngx_uint_t                      i, a, k;
    ngx_http_conf_port_t           *port;
    ngx_http_conf_addr_t           *addr;
    ngx_http_server_name_t         *sn;
    ngx_http_core_srv_conf_t      **cscfp;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_edge_auth_srv_conf_t  *scf;
    u_char                          buf[512];

    srv->route = route;

    scf = route->cscf->ctx->srv_conf[ngx_http_edge_auth_module.ctx_index];

    if (scf->policy != NGX_HTTP_EDGE_AUTH_POLICY_UNSET) {
        srv->policy = scf->policy;
        srv->policy_file = scf->policy_file;
        srv->policy_line = scf->policy_line;

    } else if (hscf->policy != NGX_HTTP_EDGE_AUTH_POLICY_UNSET) {
        srv->policy = hscf->policy;
        srv->policy_file = hscf->policy_file;
        srv->policy_line = hscf->policy_line;

    } else {
        srv->policy = NGX_HTTP_EDGE_AUTH_POLICY_OFF;
    }

    if (ngx_array_init(&srv->names, cf->pool, 2, sizeof(ngx_str_t)) != NGX_OK
        || ngx_array_init(&srv->listen, cf->pool, 2, sizeof(ngx_str_t)) != NGX_OK
        || ngx_array_init(&srv->problems, cf->pool, 1,
                          sizeof(ngx_http_edge_auth_problem_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    sn = route->cscf->server_names.elts;

    for (i = 0; i < route->cscf->server_names.nelts; i++) {
        if (sn[i].name.len == 0) {
            continue;
        }

        s = ngx_array_push(&srv->names);
        if (s == NULL) {
            return NGX_ERROR;
        }

        *s = sn[i].name;
    }

    /* the addresses this server listens on, from the ports nginx has not optimized yet */
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    if (cmcf->ports != NULL) {
        port = cmcf->ports->elts;

        for (i = 0; i < cmcf->ports->nelts; i++) {
            addr = port[i].addrs.elts;

            for (a = 0; a < port[i].addrs.nelts; a++) {
                cscfp = addr[a].servers.elts;

                for (k = 0; k < addr[a].servers.nelts; k++) {
                    if (cscfp[k] != route->cscf) {
                        continue;
                    }

                    s = ngx_array_push(&srv->listen);
                    if (s == NULL) {
                        return NGX_ERROR;
                    }

                    *s = addr[a].opt.addr_text;
                    break;
                }
            }
        }
    }

    names = srv->names.elts;
    listen = srv->listen.elts;
    last = buf + sizeof(buf);

    p = ngx_slprintf(buf, last, "server");

    if (srv->names.nelts) {
        p = ngx_slprintf(p, last, " \"%V\"", &names[0]);
    }

    if (srv->listen.nelts) {
        p = ngx_slprintf(p, last, " on %V", &listen[0]);
    }

    srv->label.len = p - buf;
    srv->label.data = ngx_pnalloc(cf->pool, srv->label.len);

    if (srv->label.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(srv->label.data, buf, srv->label.len);

    return NGX_OK;
}


/*
 * The decision of a route. Protected when auth_jwt or auth_oidc is on after the merge; otherwise
 * the nearest block, from the route outwards, that says something decides: edge_auth_public makes
 * the route public, an "auth_jwt off" or "auth_oidc off" without it is not a decision.
 */
static void
ngx_http_edge_auth_decide(ngx_http_edge_auth_route_t *route,
    ngx_http_edge_auth_loc_conf_t *hlcf)
{
    ngx_http_edge_auth_route_t     *r;
    ngx_http_edge_auth_loc_conf_t  *lcf;

    lcf = route->lcf;

    if (lcf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON || lcf->oidc == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        route->decision = NGX_HTTP_EDGE_AUTH_DECISION_AUTH;
        goto required;
    }

    route->decision = NGX_HTTP_EDGE_AUTH_DECISION_NONE;

    for (r = route; r; r = r->parent) {

        if (r->lcf->block.public_reason.data != NULL) {
            route->decision = NGX_HTTP_EDGE_AUTH_DECISION_PUBLIC;
            route->decided_in = &r->lcf->block;
            goto required;
        }

        if (r->local_jwt != NGX_HTTP_EDGE_AUTH_JWT_UNSET
            || r->local_oidc != NGX_CONF_UNSET_UINT)
        {
            route->decision = NGX_HTTP_EDGE_AUTH_DECISION_OFF;
            route->decided_in = &r->lcf->block;
            route->off = (r->local_jwt == NGX_HTTP_EDGE_AUTH_JWT_OFF) ? "auth_jwt off"
                                                                        : "auth_oidc off";
            goto required;
        }
    }

    /* the http{} level: never merged, so what it has is what it set */
    if (hlcf->block.public_reason.data != NULL) {
        route->decision = NGX_HTTP_EDGE_AUTH_DECISION_PUBLIC;
        route->decided_in = &hlcf->block;

    } else if (hlcf->jwt != NGX_HTTP_EDGE_AUTH_JWT_UNSET
               || hlcf->oidc != NGX_CONF_UNSET_UINT)
    {
        route->decision = NGX_HTTP_EDGE_AUTH_DECISION_OFF;
        route->decided_in = &hlcf->block;
        route->off = (hlcf->jwt == NGX_HTTP_EDGE_AUTH_JWT_OFF) ? "auth_jwt off"
                                                                 : "auth_oidc off";
    }

required:

    switch (route->kind) {

    case NGX_HTTP_EDGE_AUTH_ROUTE_SERVER:
        /* decided with the server's locations, in find_problems */
        break;

    case NGX_HTTP_EDGE_AUTH_ROUTE_IF:
    case NGX_HTTP_EDGE_AUTH_ROUTE_LIMIT_EXCEPT:
        /*
         * an `if` at server level only holds conditions (nginx never serves a request with its
         * configuration); inside a location, `if` and `limit_except` follow their location
         * unless they set auth_jwt or auth_oidc themselves
         */
        route->listed = (route->parent->kind != NGX_HTTP_EDGE_AUTH_ROUTE_SERVER);
        route->required = route->listed
                          && (route->local_jwt != NGX_HTTP_EDGE_AUTH_JWT_UNSET
                              || route->local_oidc != NGX_CONF_UNSET_UINT);

        if (route->listed && !route->required) {
            /* decided before it: the list is in merge order, parents first */
            route->decision = route->parent->decision;
            route->decided_in = route->parent->decided_in;
            route->off = route->parent->off;
        }

        break;

    default:
        route->listed = 1;
        route->required = 1;

        if (route->clcf->internal == 1
            && (route->decision == NGX_HTTP_EDGE_AUTH_DECISION_NONE
                || route->decision == NGX_HTTP_EDGE_AUTH_DECISION_OFF))
        {
            /* reachable only through internal redirects: reported, not required */
            route->decision = NGX_HTTP_EDGE_AUTH_DECISION_INTERNAL;
            route->required = 0;
        }
    }
}


static ngx_int_t
ngx_http_edge_auth_find_problems(ngx_conf_t *cf, ngx_http_edge_auth_server_t *srv,
    ngx_http_edge_auth_route_t **routes, ngx_int_t rewrite_index)
{
    ngx_int_t                          rc;
    ngx_str_t                         *label, *by;
    ngx_uint_t                         i, protected;
    ngx_http_edge_auth_route_t        *route, *server;
    ngx_http_edge_auth_rewrite_scan_t  scan;

    server = srv->route;

    /* the server level serves the URIs no location matches, unless "location /" takes them */
    server->listed = 1;

    for (i = srv->first + 1; i < srv->last; i++) {
        route = routes[i];

        if (route->parent == server
            && route->kind == NGX_HTTP_EDGE_AUTH_ROUTE_PREFIX
            && route->clcf->name.len == 1 && route->clcf->name.data[0] == '/')
        {
            server->listed = 0;
            break;
        }
    }

    server->required = server->listed;

    protected = 0;

    for (i = srv->first; i < srv->last; i++) {
        route = routes[i];

        if (!route->listed) {
            continue;
        }

        label = ngx_http_edge_auth_route_label(cf, route);
        if (label == NULL) {
            return NGX_ERROR;
        }

        switch (route->decision) {

        case NGX_HTTP_EDGE_AUTH_DECISION_NONE:
            if (!route->required) {
                break;
            }

            if (route->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
                if (ngx_http_edge_auth_problem(cf, &route->problems, "no_decision", 1,
                        "%V (%V:%ui) has no location / and no auth decision "
                        "at server level, so the URIs no location matches "
                        "are served without one: add \"location / { ... }\" "
                        "with a decision, or auth_jwt, auth_oidc or "
                        "edge_auth_public \"<reason>\" in the server block",
                        &srv->label, &route->lcf->block.file,
                        route->lcf->block.line)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                break;
            }

            if (ngx_http_edge_auth_problem(cf, &route->problems, "no_decision", 1,
                    "%V in %V:%ui (%V) has no auth decision: add "
                    "\"auth_jwt <realm>;\" or \"auth_oidc <provider>;\" to it "
                    "or to an enclosing block, or say why it is public with "
                    "edge_auth_public \"<reason>\"",
                    label, &route->lcf->block.file, route->lcf->block.line,
                    &srv->label)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_EDGE_AUTH_DECISION_OFF:
            if (!route->required) {
                break;
            }

            if (route->decided_in == &route->lcf->block) {
                rc = ngx_http_edge_auth_problem(cf, &route->problems, "auth_off", 1,
                         "%V in %V:%ui (%V) has \"%s\", which is not a "
                         "decision: replace it with edge_auth_public "
                         "\"<reason>\" if the route is meant to be public, "
                         "or protect it",
                         label, &route->lcf->block.file, route->lcf->block.line,
                         &srv->label, route->off);

            } else {
                rc = ngx_http_edge_auth_problem(cf, &route->problems, "auth_off", 1,
                         "%V in %V:%ui (%V) is left open by \"%s\" in "
                         "%V:%ui, which is not a decision: say why it is "
                         "public with edge_auth_public \"<reason>\", or "
                         "protect it",
                         label, &route->lcf->block.file, route->lcf->block.line,
                         &srv->label, route->off, &route->decided_in->file,
                         route->decided_in->line);
            }

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_EDGE_AUTH_DECISION_AUTH:
            protected = 1;

            if (route->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
                break;
            }

            by = ngx_http_edge_auth_protection(cf, route->lcf);
            if (by == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(&scan, sizeof(ngx_http_edge_auth_rewrite_scan_t));
            ngx_http_edge_auth_scan_rewrite(route->loc_conf, rewrite_index, &scan);

            if (scan.answer
                && ngx_http_edge_auth_problem(cf, &route->problems,
                       "return_before_auth", 1,
                       "%V in %V:%ui (%V) is protected by %V but has "
                       "\"return %ui\": nginx runs return in the rewrite "
                       "phase, before the access phase where auth_jwt and "
                       "auth_oidc check the request, so that response is sent "
                       "to anyone; move the return into a location of its "
                       "own marked edge_auth_public \"<reason>\", or remove it",
                       label, &route->lcf->block.file, route->lcf->block.line,
                       &srv->label, by, scan.answer)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (scan.redirect
                && ngx_http_edge_auth_problem(cf, &route->problems,
                       "redirect_before_auth", 1,
                       "%V in %V:%ui (%V) is protected by %V but has %s: "
                       "nginx runs it in the rewrite phase, before the access "
                       "phase where auth_jwt and auth_oidc check the request, "
                       "so the redirect is sent to anyone; move it into a "
                       "location of its own marked edge_auth_public "
                       "\"<reason>\", or remove it",
                       label, &route->lcf->block.file, route->lcf->block.line,
                       &srv->label, by,
                       scan.rewrite_redirect ? "\"rewrite ... redirect\" "
                                               "(or permanent)"
                                             : "a return with a 3xx status")
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (scan.reroute
                && ngx_http_edge_auth_problem(cf, &route->problems,
                       "rewrite_reroutes", 0,
                       "%V in %V:%ui (%V) is protected by %V but has a "
                       "rewrite that changes the URI without \"break\": nginx "
                       "then looks for a location again before the access "
                       "phase, so the new location's decision applies to "
                       "those requests, not this one's",
                       label, &route->lcf->block.file, route->lcf->block.line,
                       &srv->label, by)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (route->clcf->satisfy == NGX_HTTP_SATISFY_ANY
                && ngx_http_edge_auth_problem(cf, &route->problems,
                       "satisfy_any", 0,
                       "%V in %V:%ui (%V) is protected by %V with "
                       "\"satisfy any\": a request that another access module "
                       "(allow, auth_basic, auth_request) accepts goes through "
                       "without %V",
                       label, &route->lcf->block.file, route->lcf->block.line,
                       &srv->label, by, by)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        default:
            break;
        }
    }

    /* server-level return and rewrite ... redirect: before any location is even chosen */
    if (protected) {
        ngx_memzero(&scan, sizeof(ngx_http_edge_auth_rewrite_scan_t));
        ngx_http_edge_auth_scan_rewrite(server->loc_conf, rewrite_index, &scan);

        if ((scan.answer || scan.redirect)
            && ngx_http_edge_auth_problem(cf, &srv->problems,
                   "server_return_before_auth", 1,
                   "%V (%V:%ui) has %s at server level: nginx runs it before "
                   "it chooses a location, so the requests it answers skip the "
                   "checks of every location in this server; move it into a "
                   "location marked edge_auth_public \"<reason>\", or into a "
                   "server of its own",
                   &srv->label, &server->lcf->block.file, server->lcf->block.line,
                   scan.answer ? "a return" : "a redirect")
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_edge_auth_scan_rewrite(void **loc_conf, ngx_int_t rewrite_index,
    ngx_http_edge_auth_rewrite_scan_t *scan)
{
    u_char                                 *p, *end;
    uintptr_t                               word;
    ngx_array_t                            *codes;
    ngx_http_script_return_code_t          *ret;
    ngx_http_edge_auth_rewrite_loc_conf_t  *rlcf;
#if (NGX_PCRE)
    ngx_http_script_regex_code_t           *rc;
#endif

    if (rewrite_index < 0 || loc_conf == NULL) {
        return;
    }

    rlcf = loc_conf[rewrite_index];

    if (rlcf == NULL || rlcf->codes == NULL) {
        return;
    }

    codes = rlcf->codes;
    p = codes->elts;
    end = p + codes->nelts * codes->size;

    for ( /* void */ ; p + sizeof(uintptr_t) <= end; p += sizeof(uintptr_t)) {

        ngx_memcpy(&word, p, sizeof(uintptr_t));

        if (word == (uintptr_t) ngx_http_script_return_code
            && p + sizeof(ngx_http_script_return_code_t) <= end)
        {
            ret = (ngx_http_script_return_code_t *) p;

            /* 4xx, 5xx and 444 refuse the request: nothing protected is served */
            if (ret->status < 300) {
                scan->answer = scan->answer ? scan->answer : ret->status;

            } else if (ret->status < 400) {
                scan->redirect = scan->redirect ? scan->redirect : ret->status;
            }

            continue;
        }

#if (NGX_PCRE)
        if (word == (uintptr_t) ngx_http_script_regex_start_code
            && p + sizeof(ngx_http_script_regex_code_t) <= end)
        {
            rc = (ngx_http_script_regex_code_t *) p;

            if (rc->test) {
                /* an if (... ~ ...) condition */
                continue;
            }

            if (rc->redirect) {
                scan->redirect = scan->redirect ? scan->redirect : rc->status;
                scan->rewrite_redirect = 1;

            } else if (!rc->break_cycle) {
                scan->reroute = 1;
            }
        }
#endif
    }
}


static ngx_int_t
ngx_http_edge_auth_problem(ngx_conf_t *cf, ngx_array_t *list, const char *code,
    ngx_uint_t refuse, const char *fmt, ...)
{
    u_char                        *p;
    va_list                        args;
    ngx_http_edge_auth_problem_t  *pr;
    u_char                         buf[NGX_MAX_CONF_ERRSTR * 4];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    pr = ngx_array_push(list);
    if (pr == NULL) {
        return NGX_ERROR;
    }

    pr->code = code;
    pr->refuse = refuse;
    pr->message.len = p - buf;
    pr->message.data = ngx_pnalloc(cf->pool, pr->message.len);

    if (pr->message.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(pr->message.data, buf, pr->message.len);

    return NGX_OK;
}


/* "location = /health", "location ~ \.js$ inside location /app/", "limit_except GET inside ..." */
static ngx_str_t *
ngx_http_edge_auth_route_label(ngx_conf_t *cf, ngx_http_edge_auth_route_t *route)
{
    u_char      *p, *last;
    ngx_str_t   *label;
    u_char       buf[1024];

    label = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    if (label == NULL) {
        return NULL;
    }

    last = buf + sizeof(buf);

    if (route->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
        p = ngx_slprintf(buf, last, "the URIs no location matches");

    } else {
        p = ngx_slprintf(buf, last, "%V", &route->lcf->block.text);

        if (route->parent->kind != NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
            p = ngx_slprintf(p, last, " inside %V", &route->parent->lcf->block.text);
        }
    }

    label->len = p - buf;
    label->data = ngx_pnalloc(cf->pool, label->len);
    if (label->data == NULL) {
        return NULL;
    }

    ngx_memcpy(label->data, buf, label->len);

    return label;
}


/* 'auth_jwt "api"', 'auth_oidc corp', or both */
static ngx_str_t *
ngx_http_edge_auth_protection(ngx_conf_t *cf, ngx_http_edge_auth_loc_conf_t *lcf)
{
    u_char      *p, *last;
    ngx_str_t   *by;
    u_char       buf[512];

    by = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    if (by == NULL) {
        return NULL;
    }

    last = buf + sizeof(buf);
    p = buf;

    if (lcf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        p = ngx_slprintf(p, last, "auth_jwt \"%V\"", &lcf->realm->value);
    }

    if (lcf->oidc == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        p = ngx_slprintf(p, last, "%sauth_oidc %V",
                         p == buf ? "" : " and ", &lcf->oidc_name);
    }

    by->len = p - buf;
    by->data = ngx_pnalloc(cf->pool, by->len);
    if (by->data == NULL) {
        return NULL;
    }

    ngx_memcpy(by->data, buf, by->len);

    return by;
}


/* the location as written after "location": "= /health", "~* \.png$", "@fallback" */
static ngx_str_t *
ngx_http_edge_auth_location_name(ngx_http_edge_auth_route_t *route, ngx_str_t *name)
{
    static const char  prefix[] = "location ";

    *name = route->lcf->block.text;

    if (name->len > sizeof(prefix) - 1
        && ngx_strncmp(name->data, prefix, sizeof(prefix) - 1) == 0)
    {
        name->data += sizeof(prefix) - 1;
        name->len -= sizeof(prefix) - 1;
    }

    return name;
}


/* edge_auth_public together with auth_jwt or auth_oidc in the same block */
static ngx_int_t
ngx_http_edge_auth_public_conflict(ngx_conf_t *cf, ngx_http_edge_auth_loc_conf_t *lcf)
{
    const char  *what;

    if (lcf->block.public_reason.data == NULL) {
        return NGX_OK;
    }

    if (lcf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        what = "auth_jwt";

    } else if (lcf->oidc == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        what = "auth_oidc";

    } else {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "edge_auth_public \"%V\" in %V:%ui is in a block that also has "
                  "\"%s\": a route is either protected or public; remove one of them",
                  &lcf->block.public_reason, &lcf->block.public_file,
                  lcf->block.public_line, what);

    return NGX_ERROR;
}


/* ---- the route inventory ------------------------------------------------------------------ */

static ngx_int_t
ngx_http_edge_auth_write_inventory(ngx_conf_t *cf, const char *path,
    ngx_http_edge_auth_server_t *servers, ngx_uint_t n,
    ngx_http_edge_auth_route_t **routes)
{
    u_char                       *p;
    ssize_t                       w;
    size_t                        left;
    ngx_fd_t                      fd;
    ngx_uint_t                    i, k, first;
    ngx_http_edge_auth_json_t     j;
    ngx_http_edge_auth_server_t  *srv;

    ngx_memzero(&j, sizeof(ngx_http_edge_auth_json_t));

    if (ngx_array_init(&j.buf, cf->temp_pool, 16384, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_edge_auth_json_raw(&j, "{\"format\":1,\"servers\":[");

    for (i = 0; i < n; i++) {
        srv = &servers[i];

        ngx_http_edge_auth_json_raw(&j, i ? ",{\"names\":" : "{\"names\":");
        ngx_http_edge_auth_json_strs(&j, &srv->names, 0);
        ngx_http_edge_auth_json_raw(&j, ",\"listen\":");
        ngx_http_edge_auth_json_strs(&j, &srv->listen, 0);
        ngx_http_edge_auth_json_raw(&j, ",\"file\":");
        ngx_http_edge_auth_json_str(&j, srv->route->lcf->block.file.data,
                                    srv->route->lcf->block.file.len);
        ngx_http_edge_auth_json_raw(&j, ",\"line\":");
        ngx_http_edge_auth_json_uint(&j, srv->route->lcf->block.line);
        ngx_http_edge_auth_json_raw(&j, ",\"policy\":\"");
        ngx_http_edge_auth_json_raw(&j, ngx_http_edge_auth_policy_names[srv->policy]);
        ngx_http_edge_auth_json_raw(&j, "\",\"problems\":");
        ngx_http_edge_auth_json_problems(&j, &srv->problems);
        ngx_http_edge_auth_json_raw(&j, ",\"routes\":[");

        first = 1;

        for (k = srv->first; k < srv->last; k++) {
            if (!routes[k]->listed) {
                continue;
            }

            if (!first) {
                ngx_http_edge_auth_json_raw(&j, ",");
            }

            first = 0;
            ngx_http_edge_auth_json_route(&j, routes[k]);
        }

        ngx_http_edge_auth_json_raw(&j, "]}");
    }

    ngx_http_edge_auth_json_raw(&j, "]}\n");

    if (j.failed) {
        return NGX_ERROR;
    }

    fd = ngx_open_file((u_char *) path, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_OWNER_ACCESS);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, cf->log, ngx_errno,
                      "edge_auth: cannot write the route inventory to \"%s\": "
                      ngx_open_file_n " failed", path);
        return NGX_ERROR;
    }

    p = j.buf.elts;
    left = j.buf.nelts;

    while (left) {
        w = ngx_write_fd(fd, p, left);

        if (w == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_ERR, cf->log, ngx_errno,
                          "edge_auth: cannot write the route inventory to "
                          "\"%s\": " ngx_write_fd_n " failed", path);
            (void) ngx_close_file(fd);
            return NGX_ERROR;
        }

        p += w;
        left -= w;
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, cf->log, ngx_errno,
                      "edge_auth: cannot write the route inventory to \"%s\": "
                      ngx_close_file_n " failed", path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_edge_auth_json_route(ngx_http_edge_auth_json_t *j,
    ngx_http_edge_auth_route_t *route)
{
    unsigned                        bit;
    ngx_str_t                       name;
    ngx_uint_t                      i, n;
    const char                     *alg;
    ngx_http_complex_value_t       *cv;
    ngx_http_edge_auth_route_t     *r, *chain[16];
    ngx_http_edge_auth_loc_conf_t  *lcf;

    lcf = route->lcf;

    ngx_http_edge_auth_json_raw(j, "{\"location\":");

    if (route->kind == NGX_HTTP_EDGE_AUTH_ROUTE_SERVER) {
        ngx_http_edge_auth_json_raw(j, "null");

    } else {
        ngx_http_edge_auth_location_name(route, &name);
        ngx_http_edge_auth_json_str(j, name.data, name.len);
    }

    ngx_http_edge_auth_json_raw(j, ",\"kind\":\"");
    ngx_http_edge_auth_json_raw(j, ngx_http_edge_auth_route_kinds[route->kind]);

    /* the enclosing locations, outermost first */
    ngx_http_edge_auth_json_raw(j, "\",\"parents\":[");

    n = 0;

    for (r = route->parent; r && r->kind != NGX_HTTP_EDGE_AUTH_ROUTE_SERVER; r = r->parent) {
        if (n < sizeof(chain) / sizeof(chain[0])) {
            chain[n++] = r;
        }
    }

    for (i = n; i; i--) {
        if (i != n) {
            ngx_http_edge_auth_json_raw(j, ",");
        }

        ngx_http_edge_auth_location_name(chain[i - 1], &name);
        ngx_http_edge_auth_json_str(j, name.data, name.len);
    }

    ngx_http_edge_auth_json_raw(j, "],\"file\":");
    ngx_http_edge_auth_json_str(j, lcf->block.file.data, lcf->block.file.len);
    ngx_http_edge_auth_json_raw(j, ",\"line\":");
    ngx_http_edge_auth_json_uint(j, lcf->block.line);

    ngx_http_edge_auth_json_raw(j, ",\"internal\":");
    ngx_http_edge_auth_json_raw(j, (route->kind != NGX_HTTP_EDGE_AUTH_ROUTE_SERVER
                                    && route->clcf->internal == 1)
                                   ? "true" : "false");

    ngx_http_edge_auth_json_raw(j, ",\"decision\":\"");

    switch (route->decision) {

    case NGX_HTTP_EDGE_AUTH_DECISION_AUTH:
        ngx_http_edge_auth_json_raw(j, lcf->jwt != NGX_HTTP_EDGE_AUTH_JWT_ON ? "oidc"
                                       : lcf->oidc != NGX_HTTP_EDGE_AUTH_JWT_ON ? "jwt"
                                       : "jwt+oidc");
        break;

    case NGX_HTTP_EDGE_AUTH_DECISION_PUBLIC:
        ngx_http_edge_auth_json_raw(j, "public");
        break;

    case NGX_HTTP_EDGE_AUTH_DECISION_INTERNAL:
        ngx_http_edge_auth_json_raw(j, "internal");
        break;

    default:
        ngx_http_edge_auth_json_raw(j, "none");
    }

    ngx_http_edge_auth_json_raw(j, "\"");

    if (route->decision == NGX_HTTP_EDGE_AUTH_DECISION_PUBLIC) {
        ngx_http_edge_auth_json_raw(j, ",\"public\":{\"reason\":");
        ngx_http_edge_auth_json_str(j, route->decided_in->public_reason.data,
                                    route->decided_in->public_reason.len);
        ngx_http_edge_auth_json_raw(j, ",\"file\":");
        ngx_http_edge_auth_json_str(j, route->decided_in->public_file.data,
                                    route->decided_in->public_file.len);
        ngx_http_edge_auth_json_raw(j, ",\"line\":");
        ngx_http_edge_auth_json_uint(j, route->decided_in->public_line);
        ngx_http_edge_auth_json_raw(j, "}");
    }

    if (route->off != NULL) {
        ngx_http_edge_auth_json_raw(j, ",\"off\":\"");
        ngx_http_edge_auth_json_raw(j, route->off);
        ngx_http_edge_auth_json_raw(j, "\"");
    }

    if (lcf->jwt == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        ngx_http_edge_auth_json_raw(j, ",\"jwt\":{\"realm\":");
        ngx_http_edge_auth_json_str(j, lcf->realm->value.data, lcf->realm->value.len);

        if (lcf->token != NULL) {
            ngx_http_edge_auth_json_raw(j, ",\"token\":");
            ngx_http_edge_auth_json_str(j, lcf->token->value.data,
                                        lcf->token->value.len);
        }

        ngx_http_edge_auth_json_raw(j, ",\"issuers\":");
        ngx_http_edge_auth_json_strs(j, lcf->issuers, 1);
        ngx_http_edge_auth_json_raw(j, ",\"audiences\":");
        ngx_http_edge_auth_json_strs(j, lcf->audiences, 1);

        ngx_http_edge_auth_json_raw(j, ",\"algorithms\":[");

        n = 0;

        for (bit = EA_ALG_RS256; bit && bit <= EA_ALG_HS512; bit <<= 1) {
            alg = (lcf->algorithms & bit) ? ea_alg_name(bit) : NULL;

            if (alg != NULL) {
                ngx_http_edge_auth_json_raw(j, n++ ? ",\"" : "\"");
                ngx_http_edge_auth_json_raw(j, alg);
                ngx_http_edge_auth_json_raw(j, "\"");
            }
        }

        ngx_http_edge_auth_json_raw(j, "],\"keys\":");

        if (lcf->key_source != NULL) {
            ngx_http_edge_auth_json_raw(j, "{\"request\":");
            ngx_http_edge_auth_json_str(j, lcf->key_source->uri.data,
                                        lcf->key_source->uri.len);
            ngx_http_edge_auth_json_raw(j, "}");

        } else {
            ngx_http_edge_auth_json_raw(j, "{\"files\":");
            ngx_http_edge_auth_json_strs(j, lcf->key_files, 0);
            ngx_http_edge_auth_json_raw(j, "}");
        }

        ngx_http_edge_auth_json_raw(j, ",\"require\":[");

        if (lcf->require != NULL) {
            cv = lcf->require->elts;

            for (i = 0; i < lcf->require->nelts; i++) {
                if (i) {
                    ngx_http_edge_auth_json_raw(j, ",");
                }

                ngx_http_edge_auth_json_str(j, cv[i].value.data, cv[i].value.len);
            }
        }

        ngx_http_edge_auth_json_raw(j, "]}");
    }

    if (lcf->oidc == NGX_HTTP_EDGE_AUTH_JWT_ON) {
        ngx_http_edge_auth_json_raw(j, ",\"oidc\":{\"provider\":");
        ngx_http_edge_auth_json_str(j, lcf->oidc_name.data, lcf->oidc_name.len);
        ngx_http_edge_auth_json_raw(j, ",\"unauthenticated\":\"");
        ngx_http_edge_auth_json_raw(j,
            lcf->oidc_unauth < sizeof(ngx_http_edge_auth_unauth_names)
                               / sizeof(ngx_http_edge_auth_unauth_names[0])
            ? ngx_http_edge_auth_unauth_names[lcf->oidc_unauth] : "auto");
        ngx_http_edge_auth_json_raw(j, "\"}");
    }

    ngx_http_edge_auth_json_raw(j, ",\"problems\":");
    ngx_http_edge_auth_json_problems(j, &route->problems);
    ngx_http_edge_auth_json_raw(j, "}");
}


static void
ngx_http_edge_auth_json_problems(ngx_http_edge_auth_json_t *j, ngx_array_t *problems)
{
    ngx_uint_t                     i;
    ngx_http_edge_auth_problem_t  *pr;

    ngx_http_edge_auth_json_raw(j, "[");

    pr = problems->elts;

    for (i = 0; i < problems->nelts; i++) {
        ngx_http_edge_auth_json_raw(j, i ? ",{\"code\":\"" : "{\"code\":\"");
        ngx_http_edge_auth_json_raw(j, pr[i].code);
        ngx_http_edge_auth_json_raw(j, pr[i].refuse ? "\",\"refused_by_strict\":true"
                                                    : "\",\"refused_by_strict\":false");
        ngx_http_edge_auth_json_raw(j, ",\"message\":");
        ngx_http_edge_auth_json_str(j, pr[i].message.data, pr[i].message.len);
        ngx_http_edge_auth_json_raw(j, "}");
    }

    ngx_http_edge_auth_json_raw(j, "]");
}


static void
ngx_http_edge_auth_json_raw(ngx_http_edge_auth_json_t *j, const char *s)
{
    size_t   len;
    u_char  *p;

    len = ngx_strlen(s);

    p = ngx_array_push_n(&j->buf, len);
    if (p == NULL) {
        j->failed = 1;
        return;
    }

    ngx_memcpy(p, s, len);
}


/*
 * A JSON string. Configuration text is bytes: valid UTF-8 is copied, any other byte becomes
 * U+FFFD, so the document always parses.
 */
static void
ngx_http_edge_auth_json_str(ngx_http_edge_auth_json_t *j, u_char *data, size_t len)
{
    u_char     *p, *end, *out;
    size_t      n;
    uint32_t    u;
    u_char      esc[8];

    static const u_char  hex[] = "0123456789abcdef";

    ngx_http_edge_auth_json_raw(j, "\"");

    p = data;
    end = data + len;

    while (p < end) {

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = *p++;
            esc[2] = '\0';
            ngx_http_edge_auth_json_raw(j, (char *) esc);
            continue;
        }

        if (*p < 0x20 || *p == 0x7f) {
            ngx_memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            esc[6] = '\0';
            p++;
            ngx_http_edge_auth_json_raw(j, (char *) esc);
            continue;
        }

        if (*p < 0x80) {
            n = 1;

        } else {
            out = p;
            u = ngx_utf8_decode(&out, end - p);

            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
                ngx_http_edge_auth_json_raw(j, "\\ufffd");
                p++;
                continue;
            }

            n = out - p;
        }

        out = ngx_array_push_n(&j->buf, n);
        if (out == NULL) {
            j->failed = 1;
            return;
        }

        ngx_memcpy(out, p, n);
        p += n;
    }

    ngx_http_edge_auth_json_raw(j, "\"");
}


static void
ngx_http_edge_auth_json_uint(ngx_http_edge_auth_json_t *j, ngx_uint_t n)
{
    u_char  buf[NGX_INT_T_LEN + 1];

    ngx_sprintf(buf, "%ui%Z", n);
    ngx_http_edge_auth_json_raw(j, (char *) buf);
}


/* a JSON array of strings from an array of ngx_str_t, or of ea_str_t when ea; NULL: [] */
static void
ngx_http_edge_auth_json_strs(ngx_http_edge_auth_json_t *j, ngx_array_t *a, ngx_uint_t ea)
{
    ngx_uint_t   i;
    ngx_str_t   *s;
    ea_str_t    *e;

    ngx_http_edge_auth_json_raw(j, "[");

    for (i = 0; a != NULL && i < a->nelts; i++) {
        if (i) {
            ngx_http_edge_auth_json_raw(j, ",");
        }

        if (ea) {
            e = a->elts;
            ngx_http_edge_auth_json_str(j, (u_char *) e[i].data, e[i].len);

        } else {
            s = a->elts;
            ngx_http_edge_auth_json_str(j, s[i].data, s[i].len);
        }
    }

    ngx_http_edge_auth_json_raw(j, "]");
}


/* ---- directives --------------------------------------------------------------------------- */

/* edge_auth_policy strict | warn | off */
char *
ngx_http_edge_auth_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_srv_conf_t *scf = conf;

    ngx_str_t  *value;

    if (scf->policy != NGX_HTTP_EDGE_AUTH_POLICY_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "strict") == 0) {
        scf->policy = NGX_HTTP_EDGE_AUTH_POLICY_STRICT;

    } else if (ngx_strcmp(value[1].data, "warn") == 0) {
        scf->policy = NGX_HTTP_EDGE_AUTH_POLICY_WARN;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        scf->policy = NGX_HTTP_EDGE_AUTH_POLICY_OFF;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": edge_auth_policy takes strict "
                           "(nginx -t fails on a route without an auth decision), "
                           "warn (logs them) or off", &value[1]);
        return NGX_CONF_ERROR;
    }

    scf->policy_file = cf->conf_file->file.name;
    scf->policy_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/* edge_auth_public "reason" */
char *
ngx_http_edge_auth_public(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_edge_auth_loc_conf_t *lcf = conf;

    u_char      *p, *end;
    ngx_str_t   *value;
    ngx_uint_t   text;

    if (lcf->block.public_reason.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    end = value[1].data + value[1].len;
    text = 0;

    for (p = value[1].data; p < end; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return "takes a reason without control characters";
        }

        if (*p != ' ') {
            text = 1;
        }
    }

    if (!text) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "edge_auth_public needs a reason that says why the "
                           "route is public, for example "
                           "edge_auth_public \"liveness probe, no user data\";");
        return NGX_CONF_ERROR;
    }

    lcf->block.public_reason = value[1];
    lcf->block.public_file = cf->conf_file->file.name;
    lcf->block.public_line = cf->conf_file->line;

    return NGX_CONF_OK;
}
