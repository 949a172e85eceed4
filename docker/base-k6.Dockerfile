# Air-gapped stand-in for grafana/k6: the bootstrapped Debian base plus the host's k6 binary (a Go build linked
# against glibc only, which minbase has), at the path the official image uses.
# Built by toolkit/images/k6-image.ts with a context holding just `k6`; users with a registry never need it.
ARG DEBIAN_IMAGE=replica-toolkit/base-debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY k6 /usr/bin/k6
RUN chmod 0755 /usr/bin/k6 && k6 version
CMD ["k6"]
