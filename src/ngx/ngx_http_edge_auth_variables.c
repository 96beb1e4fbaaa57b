/*
 * nginx-edge-auth: variables exported from a verified token.
 *
 *   $jwt_claim_<name>    top-level claim (NGINX Plus name)
 *   $jwt_header_<name>   JOSE header parameter (NGINX Plus name)
 *   $jwt_payload         the claims JSON
 *   auth_jwt_claim_set / auth_jwt_header_set $var name ...   a nested member, by path
 *   $oidc_claim_<name>   a claim of the session (sub and iss always; others as session_claims
 *                        lists them) (NGINX Plus name)
 *   $oidc_access_token, $oidc_id_token   the session's tokens (NGINX Plus names)
 *   $oidc_session_id     the session's random id (never the cookie itself)
 *   $edge_auth_decision, $edge_auth_reason, $edge_auth_actor, $edge_auth_subject,
 *   $edge_auth_session_id   the audit trail: what the checks decided for the request, and why
 *
 * Values are rendered by the core (arrays joined with ",", control bytes escaped as %XX so a value
 * can never split a header line). They are empty until the access phase has accepted a token and
 * stay empty for a rejected one. They are not cached, because a variable read before the access
 * phase (in a rewrite, say) must not freeze an empty value for the rest of the request.
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_MAX_PATH  16

/* the audit variables */
#define NGX_HTTP_EDGE_AUTH_VAR_DECISION    0
#define NGX_HTTP_EDGE_AUTH_VAR_REASON      1
#define NGX_HTTP_EDGE_AUTH_VAR_ACTOR       2
#define NGX_HTTP_EDGE_AUTH_VAR_SUBJECT     3
#define NGX_HTTP_EDGE_AUTH_VAR_SESSION_ID  4


/* One auth_jwt_claim_set / auth_jwt_header_set variable. */
typedef struct {
    int          part;           /* EA_PART_CLAIMS or EA_PART_HEADER */
    ea_str_t    *path;
    size_t       depth;
} ngx_http_edge_auth_path_var_t;


static ngx_int_t ngx_http_edge_auth_prefix_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_edge_auth_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_edge_auth_path_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_edge_auth_session_claim_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_edge_auth_session_field_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_edge_auth_audit_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* indexed by NGX_HTTP_EDGE_AUTH_AUDIT_* and NGX_HTTP_EDGE_AUTH_ACTOR_* */
static ngx_str_t  ngx_http_edge_auth_decisions[] = {
    ngx_null_string,
    ngx_string("allow"),
    ngx_string("deny"),
    ngx_string("redirect"),
    ngx_string("pass"),
    ngx_string("logout")
};

static ngx_str_t  ngx_http_edge_auth_actors[] = {
    ngx_null_string,
    ngx_string("user"),
    ngx_string("client")
};


static ngx_http_variable_t  ngx_http_edge_auth_vars[] = {

    { ngx_string("jwt_claim_"), NULL, ngx_http_edge_auth_prefix_variable,
      EA_PART_CLAIMS, NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_header_"), NULL, ngx_http_edge_auth_prefix_variable,
      EA_PART_HEADER, NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_payload"), NULL, ngx_http_edge_auth_payload_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oidc_claim_"), NULL,
      ngx_http_edge_auth_session_claim_variable,
      0, NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oidc_access_token"), NULL,
      ngx_http_edge_auth_session_field_variable,
      EA_SESSION_ACCESS_TOKEN, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oidc_id_token"), NULL,
      ngx_http_edge_auth_session_field_variable,
      EA_SESSION_ID_TOKEN, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oidc_session_id"), NULL,
      ngx_http_edge_auth_session_field_variable,
      EA_SESSION_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("edge_auth_decision"), NULL, ngx_http_edge_auth_audit_variable,
      NGX_HTTP_EDGE_AUTH_VAR_DECISION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("edge_auth_reason"), NULL, ngx_http_edge_auth_audit_variable,
      NGX_HTTP_EDGE_AUTH_VAR_REASON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("edge_auth_actor"), NULL, ngx_http_edge_auth_audit_variable,
      NGX_HTTP_EDGE_AUTH_VAR_ACTOR, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("edge_auth_subject"), NULL, ngx_http_edge_auth_audit_variable,
      NGX_HTTP_EDGE_AUTH_VAR_SUBJECT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("edge_auth_session_id"), NULL,
      ngx_http_edge_auth_audit_variable,
      NGX_HTTP_EDGE_AUTH_VAR_SESSION_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_edge_auth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_edge_auth_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


void *
ngx_http_edge_auth_pool_alloc(void *pool, size_t size)
{
    return ngx_pnalloc(pool, size);
}


/* The verified token of this request; subrequests see their parent's. */
static ea_token_t *
ngx_http_edge_auth_request_token(ngx_http_request_t *r)
{
    ngx_http_edge_auth_ctx_t  *ctx;

    ctx = ngx_http_edge_auth_get_ctx(r->main, 0);

    return ctx ? ctx->token : NULL;
}


static ngx_int_t
ngx_http_edge_auth_set_value(ngx_http_variable_value_t *v, int rc,
    ea_str_t *value)
{
    if (rc < 0) {
        return NGX_ERROR;
    }

    if (rc == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = (u_char *) value->data;
    v->len = value->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * For prefix variables nginx passes the variable's own name (lower-cased by nginx) in data;
 * the part of the token comes from the prefix.
 */
static ngx_int_t
ngx_http_edge_auth_prefix_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *name = (ngx_str_t *) data;

    int          part;
    size_t       prefix;
    ea_str_t     member, value;
    ea_token_t  *token;

    token = ngx_http_edge_auth_request_token(r);

    if (token == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (name->len > sizeof("jwt_claim_") - 1
        && ngx_strncmp(name->data, "jwt_claim_", sizeof("jwt_claim_") - 1) == 0)
    {
        part = EA_PART_CLAIMS;
        prefix = sizeof("jwt_claim_") - 1;

    } else {
        part = EA_PART_HEADER;
        prefix = sizeof("jwt_header_") - 1;
    }

    member.data = (const char *) name->data + prefix;
    member.len = name->len - prefix;

    return ngx_http_edge_auth_set_value(v,
               ea_token_value(token, part, &member, 1,
                              ngx_http_edge_auth_pool_alloc, r->pool, &value),
               &value);
}


static ngx_int_t
ngx_http_edge_auth_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ea_str_t     value;
    ea_token_t  *token;

    token = ngx_http_edge_auth_request_token(r);

    if (token == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_edge_auth_set_value(v,
               ea_token_payload(token, ngx_http_edge_auth_pool_alloc, r->pool,
                                &value),
               &value);
}


static ngx_int_t
ngx_http_edge_auth_path_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_edge_auth_path_var_t  *pv = (ngx_http_edge_auth_path_var_t *) data;

    ea_str_t     value;
    ea_token_t  *token;

    token = ngx_http_edge_auth_request_token(r);

    if (token == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_edge_auth_set_value(v,
               ea_token_value(token, pv->part, pv->path, pv->depth,
                              ngx_http_edge_auth_pool_alloc, r->pool, &value),
               &value);
}


/* The opened session of this request; subrequests see their parent's. */
static ea_session_t *
ngx_http_edge_auth_request_session(ngx_http_request_t *r)
{
    ngx_http_edge_auth_ctx_t  *ctx;

    ctx = ngx_http_edge_auth_get_ctx(r->main, 0);

    return ctx ? ctx->session : NULL;
}


static ngx_int_t
ngx_http_edge_auth_session_field_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ea_str_t       value;
    ea_session_t  *session;

    session = ngx_http_edge_auth_request_session(r);

    if (session == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the core guarantees these fields hold no control bytes: safe as they are */
    return ngx_http_edge_auth_set_value(v,
               ea_session_get(session, (ea_session_field_t) data, &value),
               &value);
}


static ngx_int_t
ngx_http_edge_auth_session_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *name = (ngx_str_t *) data;

    ea_str_t       claim, value;
    ea_session_t  *session;

    session = ngx_http_edge_auth_request_session(r);

    if (session == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    claim.data = (const char *) name->data + sizeof("oidc_claim_") - 1;
    claim.len = name->len - (sizeof("oidc_claim_") - 1);

    if (claim.len == 3 && ngx_strncmp(claim.data, "sub", 3) == 0) {
        return ngx_http_edge_auth_set_value(v,
                   ea_session_get(session, EA_SESSION_SUB, &value), &value);
    }

    if (claim.len == 3 && ngx_strncmp(claim.data, "iss", 3) == 0) {
        return ngx_http_edge_auth_set_value(v,
                   ea_session_get(session, EA_SESSION_ISS, &value), &value);
    }

    return ngx_http_edge_auth_set_value(v,
               ea_session_claim(session, &claim, 1,
                                ngx_http_edge_auth_pool_alloc, r->pool, &value),
               &value);
}


/*
 * The audit variables, rendered from what the checks recorded (ngx_http_edge_auth_audit). A
 * request no check decided is "public" where edge_auth_public applies, else empty. The subject
 * and the session id are those of an accepted token or session (or of a sign-in or sign-out),
 * never of a refused one; the subject is rendered as $jwt_claim_sub and $oidc_claim_sub are.
 */
static ngx_int_t
ngx_http_edge_auth_audit_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                       s;
    ea_str_t                        sub, value;
    ngx_http_edge_auth_ctx_t       *ctx;
    ngx_http_edge_auth_loc_conf_t  *lcf;

    ctx = ngx_http_edge_auth_get_ctx(r->main, 0);

    ngx_str_null(&s);

    if (ctx == NULL || ctx->audit_decision == NGX_HTTP_EDGE_AUTH_AUDIT_NONE) {

        if (data == NGX_HTTP_EDGE_AUTH_VAR_DECISION) {
            lcf = ngx_http_get_module_loc_conf(r->main,
                                               ngx_http_edge_auth_module);

            if (lcf->block.public_in != NULL) {
                ngx_str_set(&s, "public");
            }
        }

        goto done;
    }

    switch (data) {

    case NGX_HTTP_EDGE_AUTH_VAR_DECISION:
        s = ngx_http_edge_auth_decisions[ctx->audit_decision];
        break;

    case NGX_HTTP_EDGE_AUTH_VAR_REASON:
        if (ctx->audit_reason != NULL) {
            s.data = (u_char *) ctx->audit_reason;
            s.len = ngx_strlen(ctx->audit_reason);
        }

        break;

    case NGX_HTTP_EDGE_AUTH_VAR_ACTOR:
        s = ngx_http_edge_auth_actors[ctx->audit_actor];
        break;

    case NGX_HTTP_EDGE_AUTH_VAR_SUBJECT:
        if (ctx->audit_subject.len) {
            s = ctx->audit_subject;
            break;
        }

        if (ctx->audit_decision != NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW) {
            break;
        }

        if (ctx->audit_actor == NGX_HTTP_EDGE_AUTH_ACTOR_CLIENT
            && ctx->token != NULL)
        {
            sub.data = "sub";
            sub.len = 3;

            return ngx_http_edge_auth_set_value(v,
                       ea_token_value(ctx->token, EA_PART_CLAIMS, &sub, 1,
                                      ngx_http_edge_auth_pool_alloc, r->pool,
                                      &value),
                       &value);
        }

        if (ctx->audit_actor == NGX_HTTP_EDGE_AUTH_ACTOR_USER
            && ctx->session != NULL)
        {
            /* the core refuses a session whose sub has control bytes */
            return ngx_http_edge_auth_set_value(v,
                       ea_session_get(ctx->session, EA_SESSION_SUB, &value),
                       &value);
        }

        break;

    default: /* NGX_HTTP_EDGE_AUTH_VAR_SESSION_ID */
        if (ctx->audit_session.len) {
            s = ctx->audit_session;
            break;
        }

        if (ctx->audit_decision == NGX_HTTP_EDGE_AUTH_AUDIT_ALLOW
            && ctx->session != NULL)
        {
            return ngx_http_edge_auth_set_value(v,
                       ea_session_get(ctx->session, EA_SESSION_ID, &value),
                       &value);
        }

        break;
    }

done:

    value.data = (const char *) s.data;
    value.len = s.len;

    return ngx_http_edge_auth_set_value(v, s.len ? 1 : 0, &value);
}


/* auth_jwt_claim_set $variable name ... ; auth_jwt_header_set $variable name ... */
char *
ngx_http_edge_auth_claim_set(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                      *value, name;
    ngx_uint_t                      i;
    ngx_http_variable_t            *var;
    ngx_http_edge_auth_path_var_t  *pv;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid variable name \"%V\": it must start "
                           "with \"$\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts - 2 > NGX_HTTP_EDGE_AUTH_MAX_PATH) {
        return "has too many path elements (at most 16)";
    }

    name.data = value[1].data + 1;
    name.len = value[1].len - 1;

    var = ngx_http_add_variable(cf, &name, NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    pv = ngx_palloc(cf->pool, sizeof(ngx_http_edge_auth_path_var_t));
    if (pv == NULL) {
        return NGX_CONF_ERROR;
    }

    pv->part = (int) cmd->offset;
    pv->depth = cf->args->nelts - 2;
    pv->path = ngx_palloc(cf->pool, pv->depth * sizeof(ea_str_t));
    if (pv->path == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty member name";
        }

        pv->path[i - 2].data = (const char *) value[i].data;
        pv->path[i - 2].len = value[i].len;
    }

    var->get_handler = ngx_http_edge_auth_path_variable;
    var->data = (uintptr_t) pv;

    return NGX_CONF_OK;
}
