# Air-gapped stand-in for nginx:stable: the bootstrapped Debian base plus Debian's nginx, shaped like the
# official image (binary at /usr/sbin/nginx, no default site, logs to the container's stdout/stderr).
# Built by toolkit/images/bootstrap.ts; the build container reaches Debian's mirror through the bridge.
ARG DEBIAN_IMAGE=replica-toolkit/base-debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && (DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light \
     || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx) \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && test -x /usr/sbin/nginx
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
