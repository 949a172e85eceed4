# A k6 load generator that runs as a Swarm task (`toolkit loadtest --generators K --engine swarm`): the toolkit's
# scenarios and data, and an entrypoint that runs k6 then prints its result files to stdout between markers, so
# the manager reads them back through the service logs API whichever node ran the task.
# With a registry the base is the official image (the default below, same version as the host's k6); without
# one the toolkit passes K6_IMAGE=replica-toolkit/base-k6:<version> (the local Debian base + the host's k6).
# Either base must have k6 on PATH and a POSIX sh with gzip and base64 (Debian's coreutils or Alpine's busybox).
ARG K6_IMAGE=grafana/k6:1.4.2
FROM ${K6_IMAGE}
COPY k6-task.sh /opt/toolkit/k6-task.sh
# The scripts resolve ../../data/penguins.csv from loadtests/lib/, as in the checkout.
COPY data/penguins.csv /opt/toolkit/data/penguins.csv
COPY loadtests/ /opt/toolkit/loadtests/
# Read-only root in the task: k6 and the entrypoint write only under /tmp (a tmpfs), HOME included.
ENV HOME=/tmp
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["/bin/sh", "/opt/toolkit/k6-task.sh"]
