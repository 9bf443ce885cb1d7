# Per-project tools API (MCP server, VM viewer and guest-agent tools). The worker starts one container per project.
# It runs on the bundle's production node_modules (MCP SDK, zod, sharp with its prebuilt libvips); it imports
# nothing else of the platform but the guest-agent protocol (apps/tools-api/src/allowed-imports.spec.ts).
#   docker build -f deploy/tools-api.Dockerfile --build-arg BUNDLE_IMAGE=pantheon/bundle:$PANTHEON_VERSION \
#     -t pantheon/tools-api:$PANTHEON_VERSION .
# No RUN in this stage: it must build on a shell-less base as well (the tests' locally imported node image).
ARG BUNDLE_IMAGE=pantheon/bundle:latest
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BUNDLE_IMAGE} AS bundle

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# The same first layers as deploy/api.Dockerfile and deploy/worker.Dockerfile, so all three share one copy of
# node_modules on disk. Owned by root: the app user cannot change its code.
COPY --from=bundle /app/package.json /app/package.json
COPY --from=bundle /app/node_modules /app/node_modules
COPY --from=bundle /app/dist/libs/guest-agent /app/dist/libs/guest-agent
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-tools-api" \
      org.opencontainers.image.description="Pantheon per-project tools API (MCP over Streamable HTTP)" \
      org.opencontainers.image.version="${PANTHEON_VERSION}"
# The bundle holds no specs or test helpers (deploy/images/prune-bundle.sh).
COPY --from=bundle /app/dist/apps/tools-api /app/dist/apps/tools-api
COPY deploy/healthcheck.js /app/healthcheck.js
# The worker writes this project's credential files owned by this uid (TOOLS_UID), mode 0400.
USER 1000:1000
# MCP at /mcp, /health, /live (PORT).
EXPOSE 8090
# /live: this process alone; the VM's state is reported by /health and must not get the container restarted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/healthcheck.js", "http://${HOST:-127.0.0.1}:${PORT:-8090}/live"]
# No entrypoint wrapper: `docker run <image> node <script>` runs exactly that (migrations, check-env).
ENTRYPOINT []
CMD ["node", "dist/apps/tools-api/src/main.js"]
