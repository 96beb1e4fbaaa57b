/*
 * nginx-edge-auth: the revocation list, shared by all workers.
 *
 * A sealed session cookie cannot be taken back from the browser (or from whoever copied it), so
 * logout records a revocation: the session's id, or the provider's `sid` or `sub` from a back- or
 * front-channel logout. The records (ea_revocation_t, fixed size, no pointers) live in an array
 * in the module's shared zone with a generation counter. Each worker keeps a lookup set built
 * from them and rebuilds it only when the generation moves, so a request with a session checks
 * revocation without taking any lock.
 *
 * The array has a fixed capacity (auth_oidc_revocation_size). Expired records are dropped to make
 * room; when it is still full, the module cannot remember one more revocation, so it fails
 * closed: every session issued up to that moment is refused (the "floor"), and it says so at
 * alert level.
 *
 * With auth_oidc_revocation_file, every revocation is also appended to a journal that nginx
 * opens like a log file (in the master, so workers can write it whatever their user), and a
 * fresh start loads the records that are still live. A reload keeps the shared zone as it is.
 */

#include "ngx_http_edge_auth.h"


#define NGX_HTTP_EDGE_AUTH_FLOOR_KEY  "0000000000000000000000000000000000000000000000000000000000000000"


static ngx_int_t ngx_http_edge_auth_revocations_load(
    ngx_http_edge_auth_main_conf_t *amcf, ngx_log_t *log);
static ngx_int_t ngx_http_edge_auth_revocation_insert(ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh, ea_revocation_t *rec, int64_t now);


/*
 * Called when the shared zone is created (not on reload): room for the records, then the
 * journal's live records.
 */
ngx_int_t
ngx_http_edge_auth_revocations_init(ngx_log_t *log,
    ngx_http_edge_auth_main_conf_t *amcf, ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh)
{
    sh->revocations = ngx_slab_calloc(shpool, amcf->revocation_size
                                              * sizeof(ea_revocation_t));
    if (sh->revocations == NULL) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "edge_auth: the shared zone cannot hold %ui revocations "
                      "(%uz bytes): raise its size with \"auth_jwt_key_zone\" or "
                      "lower \"auth_oidc_revocation_size\"",
                      amcf->revocation_size,
                      amcf->revocation_size * sizeof(ea_revocation_t));
        return NGX_ERROR;
    }

    sh->revocation_capacity = amcf->revocation_size;
    sh->revocation_count = 0;
    sh->revocation_floor = 0;
    sh->revocation_generation = 1;

    if (amcf->revocation_file.len == 0) {
        return NGX_OK;
    }

    return ngx_http_edge_auth_revocations_load(amcf, log);
}


/* The journal's live records into the zone; malformed lines are skipped and counted. */
static ngx_int_t
ngx_http_edge_auth_revocations_load(ngx_http_edge_auth_main_conf_t *amcf,
    ngx_log_t *log)
{
    u_char           *buf, *p, *last, *eol;
    ssize_t           n;
    int64_t           now;
    ngx_fd_t          fd;
    ngx_uint_t        loaded, bad, line;
    ngx_file_t        file;
    ngx_file_info_t   fi;
    ea_revocation_t   rec;

    fd = ngx_open_file(amcf->revocation_file.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        /* none yet: the first revocation creates it */
        return NGX_OK;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    buf = ngx_alloc((size_t) ngx_file_size(&fi) + 1, log);
    if (buf == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = amcf->revocation_file;
    file.log = log;

    n = ngx_read_file(&file, buf, (size_t) ngx_file_size(&fi), 0);
    ngx_close_file(fd);

    if (n < 0) {
        ngx_free(buf);
        return NGX_ERROR;
    }

    now = (int64_t) ngx_time();
    loaded = 0;
    bad = 0;
    line = 0;
    last = buf + n;

    for (p = buf; p < last; p = eol + 1) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;     /* a last line cut short by a crash */
        }

        line++;

        if (eol == p) {
            continue;
        }

        if (ea_revocation_parse((const char *) p, eol - p, &rec) != 0) {
            bad++;
            continue;
        }

        if (rec.expires <= now) {
            continue;
        }

        if (ngx_strncmp(p + 3, NGX_HTTP_EDGE_AUTH_FLOOR_KEY,
                        sizeof(NGX_HTTP_EDGE_AUTH_FLOOR_KEY) - 1) == 0)
        {
            if (rec.revoked_at > amcf->sh->revocation_floor) {
                amcf->sh->revocation_floor = rec.revoked_at;
            }

            continue;
        }

        if (ngx_http_edge_auth_revocation_insert(amcf->shpool, amcf->sh, &rec,
                                                 now)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "edge_auth: revocation file \"%V\" holds more live "
                          "revocations than auth_oidc_revocation_size; every "
                          "session issued until now is refused",
                          &amcf->revocation_file);
            amcf->sh->revocation_floor = now;
            break;
        }

        loaded++;
    }

    ngx_free(buf);

    if (bad) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "edge_auth: revocation file \"%V\": %ui malformed line(s) "
                      "of %ui skipped", &amcf->revocation_file, bad, line);
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "edge_auth: %ui live revocation(s) loaded from \"%V\"",
                  loaded, &amcf->revocation_file);

    return NGX_OK;
}


/* Adds or extends a record; drops expired ones when full. Call with the zone locked. */
static ngx_int_t
ngx_http_edge_auth_revocation_insert(ngx_slab_pool_t *shpool,
    ngx_http_edge_auth_shm_t *sh, ea_revocation_t *rec, int64_t now)
{
    ngx_uint_t        i, kept;
    ea_revocation_t  *all;

    all = sh->revocations;

    for (i = 0; i < sh->revocation_count; i++) {
        if (ngx_memcmp(all[i].key, rec->key, sizeof(rec->key)) == 0) {
            all[i].revoked_at = ngx_max(all[i].revoked_at, rec->revoked_at);
            all[i].expires = ngx_max(all[i].expires, rec->expires);
            return NGX_OK;
        }
    }

    if (sh->revocation_count == sh->revocation_capacity) {
        kept = 0;

        for (i = 0; i < sh->revocation_count; i++) {
            if (all[i].expires > now) {
                all[kept++] = all[i];
            }
        }

        sh->revocation_count = kept;
    }

    if (sh->revocation_count == sh->revocation_capacity) {
        return NGX_DECLINED;
    }

    all[sh->revocation_count++] = *rec;

    return NGX_OK;
}


/*
 * Records a revocation for every worker, and in the journal. A full list moves the floor to now
 * instead (fail closed). NGX_OK, or NGX_ERROR when nothing could be recorded.
 */
ngx_int_t
ngx_http_edge_auth_revoke(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_revoke_kind_t kind, ea_str_t *value,
    int64_t expires)
{
    ea_str_t         provider;
    ea_revocation_t  rec;

    provider.data = (const char *) p->name.data;
    provider.len = p->name.len;

    if (ea_revocation_make(kind, &provider, value, (int64_t) ngx_time(),
                           expires, &rec)
        != 0)
    {
        return NGX_ERROR;
    }

    return ngx_http_edge_auth_store_revocation(r, &rec);
}


/* Stores a record made by the caller: in the zone for every worker, and in the journal. */
ngx_int_t
ngx_http_edge_auth_store_revocation(ngx_http_request_t *r,
    ea_revocation_t *record)
{
    u_char                           line[EA_REVOCATION_LINE_MAX];
    size_t                           len;
    int64_t                          now;
    ngx_int_t                        rc;
    ea_revocation_t                  rec;
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    if (amcf->sh == NULL || amcf->sh->revocations == NULL) {
        return NGX_ERROR;
    }

    now = (int64_t) ngx_time();
    rec = *record;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    rc = ngx_http_edge_auth_revocation_insert(amcf->shpool, amcf->sh, &rec,
                                              now);

    if (rc == NGX_DECLINED) {
        /* cannot remember it: refuse everything it could cover instead */
        amcf->sh->revocation_floor = now;
        ngx_memzero(rec.key, sizeof(rec.key));
        rec.revoked_at = now;
        rec.expires = now + amcf->max_session_timeout;
    }

    amcf->sh->revocation_generation++;

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "edge_auth: the revocation list is full (%ui live "
                      "revocations): every session issued until now is "
                      "refused; raise \"auth_oidc_revocation_size\"",
                      amcf->sh->revocation_capacity);
    }

    if (amcf->revocation_journal) {
        len = ea_revocation_format(&rec, (char *) line, sizeof(line));

        if (len == 0
            || ngx_write_fd(amcf->revocation_journal->fd, line, len)
               != (ssize_t) len)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                          "edge_auth: cannot append to the revocation file "
                          "\"%V\": the revocation holds until nginx restarts",
                          &amcf->revocation_file);
        }
    }

    return NGX_OK;
}


/*
 * Whether the session is revoked. The common case reads two shared values without the lock:
 * an unchanged generation means this worker's set is current.
 */
ngx_int_t
ngx_http_edge_auth_revoked(ngx_http_request_t *r,
    ngx_http_edge_auth_provider_t *p, ea_session_t *session,
    ea_revoke_kind_t *kind)
{
    int                              rc;
    size_t                           n;
    int64_t                          now;
    uint64_t                         generation;
    ea_str_t                         provider;
    ea_revocation_t                 *copy;
    ea_session_times_t               times;
    ea_revocation_set_t             *set;
    ngx_http_edge_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_edge_auth_module);

    if (amcf->sh == NULL || amcf->sh->revocations == NULL) {
        return 0;
    }

    generation = *(volatile uint64_t *) &amcf->sh->revocation_generation;

    if (generation != amcf->revocations_generation) {
        now = (int64_t) ngx_time();

        ngx_shmtx_lock(&amcf->shpool->mutex);

        generation = amcf->sh->revocation_generation;
        n = amcf->sh->revocation_count;
        amcf->revocation_floor = amcf->sh->revocation_floor;
        copy = n ? ngx_alloc(n * sizeof(ea_revocation_t), r->connection->log)
                 : NULL;

        if (copy) {
            ngx_memcpy(copy, amcf->sh->revocations, n * sizeof(ea_revocation_t));
        }

        ngx_shmtx_unlock(&amcf->shpool->mutex);

        if (n && copy == NULL) {
            *kind = EA_REVOKE_SESSION;
            return 1;
        }

        set = ea_revocation_set_build(copy, n, now);

        if (copy) {
            ngx_free(copy);
        }

        if (set == NULL) {
            *kind = EA_REVOKE_SESSION;
            return 1;
        }

        if (amcf->revocations) {
            ea_revocation_set_free(amcf->revocations);
        }

        amcf->revocations = set;
        amcf->revocations_generation = generation;
    }

    if (amcf->revocation_floor) {
        ea_session_times(session, &times);

        if (times.issued_at <= amcf->revocation_floor) {
            *kind = EA_REVOKE_SESSION;
            return 1;
        }
    }

    if (ea_revocation_set_size(amcf->revocations) == 0) {
        return 0;
    }

    provider.data = (const char *) p->name.data;
    provider.len = p->name.len;

    rc = ea_revocation_check(amcf->revocations, &provider, session, kind);

    /* -1: the check failed, which is not a pass */
    return rc != 0;
}


void
ngx_http_edge_auth_revocations_exit(ngx_http_edge_auth_main_conf_t *amcf)
{
    if (amcf->revocations) {
        ea_revocation_set_free(amcf->revocations);
        amcf->revocations = NULL;
        amcf->revocations_generation = 0;
    }
}


/* auth_oidc_revocation_file path */
char *
ngx_http_edge_auth_revocation_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_edge_auth_main_conf_t *amcf = conf;

    ngx_str_t  *value;

    if (amcf->revocation_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    amcf->revocation_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &amcf->revocation_file, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* opened by the master like a log file, in append mode, and reopened on USR1 */
    amcf->revocation_journal = ngx_conf_open_file(cf->cycle,
                                                  &amcf->revocation_file);
    if (amcf->revocation_journal == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
