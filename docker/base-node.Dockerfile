# Air-gapped stand-in for node:20-bookworm-slim: the bootstrapped Debian base plus the host's Node 20
# binary (glibc-linked, same Debian release, so its shared libraries are all in minbase).
# Built by toolkit/images/bootstrap.ts with a context holding just `node`; users with a registry never need it.
ARG DEBIAN_IMAGE=replica-toolkit/base-debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
# Same account as the official image, so Dockerfiles written against it behave the same here.
RUN chmod 0755 /usr/local/bin/node \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node -e 'if (!process.version.startsWith("v20.")) { console.error("not Node 20: " + process.version); process.exit(1) }'
ENV NODE_VERSION=20
CMD ["node"]
