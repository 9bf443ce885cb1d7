# Per-project tools API (MCP, VM viewer and guest-agent tools). The worker starts one container per project.
# It imports node built-ins only, so the image holds node and its compiled folder, no node_modules.
#   docker build -f deploy/tools-api.Dockerfile --build-arg BUNDLE_IMAGE=pantheon/bundle:$PANTHEON_VERSION \
#     -t pantheon/tools-api:$PANTHEON_VERSION .
# No RUN in this stage: it must build on a shell-less base as well (the tests' locally imported node image).
ARG BUNDLE_IMAGE=pantheon/bundle:latest
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BUNDLE_IMAGE} AS bundle

FROM ${BASE_IMAGE}
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-tools-api" \
      org.opencontainers.image.description="Pantheon per-project tools API (MCP over Streamable HTTP)" \
      org.opencontainers.image.version="${PANTHEON_VERSION}"
ENV NODE_ENV=production
WORKDIR /app
# The bundle holds no specs or test helpers (deploy/images/prune-bundle.sh).
COPY --from=bundle /app/dist/apps/tools-api/src /app/dist/apps/tools-api/src
COPY deploy/healthcheck.js /app/healthcheck.js
# The worker writes this project's credential files owned by this uid (TOOLS_UID), mode 0400.
USER 1000:1000
EXPOSE 8090
# /live: this process alone; the VM's state is reported by /health and must not get the container restarted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/healthcheck.js", "http://${HOST:-127.0.0.1}:${PORT:-8090}/live"]
# No entrypoint wrapper: `docker run <image> node <script>` runs exactly that (migrations, check-env).
ENTRYPOINT []
CMD ["node", "dist/apps/tools-api/src/main.js"]
