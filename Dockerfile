# nginx with the edge-auth module, built from source.
#
#   docker build -t nginx-edge-auth .
#   docker run --rm -p 8080:8080 nginx-edge-auth
#
# A dynamic module only loads into an nginx built from the same version with compatible configure
# flags (the "module signature"). So the builder stage builds both from one configured nginx
# tree: `make module NGINX_SRC=...` configures and builds the module exactly as it does outside
# Docker, and the nginx binary is then built from that same tree by nginx's own Makefile.

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- builder -------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS builder

ARG NGINX_VERSION=1.26.3
# sha256 of nginx-${NGINX_VERSION}.tar.gz. The value below is the published checksum of 1.26.3
# (the same pin is used by several independent build recipes); it could not be recomputed where
# this file was written. When changing NGINX_VERSION, set this to the new tarball's sha256 too:
# the build refuses to continue without a matching checksum.
ARG NGINX_SHA256=69ee2b237744036e61d24b836668aad3040dda461fe6f570f1787eab570c75aa

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential libssl-dev libpcre2-dev zlib1g-dev libjansson-dev ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

RUN set -eu; \
    if [ -z "${NGINX_SHA256}" ]; then \
        echo "NGINX_SHA256 is empty: pass --build-arg NGINX_SHA256=<sha256 of nginx-${NGINX_VERSION}.tar.gz>" >&2; \
        exit 1; \
    fi; \
    curl -fsSL -o /tmp/nginx.tar.gz "https://nginx.org/download/nginx-${NGINX_VERSION}.tar.gz"; \
    echo "${NGINX_SHA256}  /tmp/nginx.tar.gz" | sha256sum -c -; \
    mkdir -p /usr/src; \
    tar -xzf /tmp/nginx.tar.gz -C /usr/src; \
    rm /tmp/nginx.tar.gz; \
    test -x "/usr/src/nginx-${NGINX_VERSION}/configure"

WORKDIR /src
COPY . .

# The project's own build, unchanged: the core library, then the module configured against the
# downloaded tree (the Makefile copies it to build/nginx and runs configure there).
RUN make -j"$(nproc)" core \
 && make -j"$(nproc)" module NGINX_SRC="/usr/src/nginx-${NGINX_VERSION}" \
 && make -j"$(nproc)" cli

# The nginx binary from the very tree the module was configured in: same version, same flags, so
# the module's signature matches. Installed under /out with nginx's default layout
# (/usr/local/nginx, modules in /usr/local/nginx/modules; `install` copies the module too).
# edge-auth (keys, JWKS, test tokens) goes along for operators. conf-examples/ is created if
# absent so the COPY below never fails on a checkout without it.
RUN make -j"$(nproc)" nginx-bin NGINX_SRC="/usr/src/nginx-${NGINX_VERSION}" \
 && make -C build/nginx -f objs/Makefile install DESTDIR=/out \
 && strip --strip-unneeded /out/usr/local/nginx/sbin/nginx \
 && strip --strip-debug /out/usr/local/nginx/modules/ngx_http_edge_auth_module.so \
 && install -D -m 755 -s build/edge-auth /out/usr/local/bin/edge-auth \
 && mkdir -p conf-examples

# ---- runtime -------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libjansson4 libssl3 libpcre2-8-0 zlib1g libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

COPY --from=builder /out/usr/local/nginx /usr/local/nginx
COPY --from=builder /out/usr/local/bin/edge-auth /usr/local/bin/edge-auth
COPY --from=builder /src/conf-examples /usr/local/nginx/conf/edge-auth-examples

# - load the module from the main configuration;
# - error log on stderr (nginx writes to its inherited fd 2, nothing to open), access log to
#   stdout through the usual symlink;
# - listen on 8080, which an unprivileged user may bind;
# - an unprivileged user owning only what nginx writes at run time (logs, pid, temp files).
RUN set -eu; \
    ln -s /usr/local/nginx/sbin/nginx /usr/local/sbin/nginx; \
    conf=/usr/local/nginx/conf/nginx.conf; \
    sed -i -e '1i load_module modules/ngx_http_edge_auth_module.so;\nerror_log stderr;' \
           -e 's/^\([[:space:]]*listen[[:space:]]\+\)80;/\18080;/' "$conf"; \
    grep -q '^load_module modules/ngx_http_edge_auth_module.so;' "$conf"; \
    grep -q 'listen[[:space:]]\+8080;' "$conf"; \
    groupadd --system nginx; \
    useradd --system --gid nginx --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin nginx; \
    cd /usr/local/nginx; \
    mkdir -p logs client_body_temp proxy_temp fastcgi_temp uwsgi_temp scgi_temp; \
    ln -sf /dev/stdout logs/access.log; \
    chown -R nginx:nginx logs client_body_temp proxy_temp fastcgi_temp uwsgi_temp scgi_temp

USER nginx

# Fails the build if the module does not load into this nginx (wrong signature, missing library).
# A minimal configuration on purpose: the real one opens the access log on stdout, which belongs
# to the running container, not to the build.
RUN printf 'load_module modules/ngx_http_edge_auth_module.so;\nerror_log stderr;\nevents {}\n' \
        >/tmp/module-check.conf \
 && nginx -e stderr -t -c /tmp/module-check.conf \
 && rm /tmp/module-check.conf

EXPOSE 8080
# SIGQUIT: finish the requests in flight before exiting.
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
