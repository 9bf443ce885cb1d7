# Read-only file server for a project's shared folder (SHARE_IMAGE; the worker mounts the folder at /shared).
# A single dependency-free script, so the image needs no bundle: it is taken from the build context.
#   docker build -f deploy/share.Dockerfile -t pantheon/share:$PANTHEON_VERSION .
# No RUN in this stage: it must build on a shell-less base as well (the tests' locally imported node image).
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BASE_IMAGE}
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-share" \
      org.opencontainers.image.description="Pantheon project shared-folder server (read-only)" \
      org.opencontainers.image.version="${PANTHEON_VERSION}"
ENV NODE_ENV=production
WORKDIR /app
COPY deploy/images/share-server/server.js /app/server.js
COPY deploy/healthcheck.js /app/healthcheck.js
# The shared folder is world-readable (0755/0644), so an unprivileged uid serves it.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/healthcheck.js", "http://127.0.0.1:${SHARE_PORT:-8080}/health"]
# No entrypoint wrapper: `docker run <image> node <script>` runs exactly that (migrations, check-env).
ENTRYPOINT []
CMD ["node", "/app/server.js"]
