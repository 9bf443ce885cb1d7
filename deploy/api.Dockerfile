# Pantheon API (REST, OpenAPI, socket.io, LLM proxy). Applies pending migrations at boot (MIGRATE_ON_BOOT).
#   docker build -f deploy/api.Dockerfile --build-arg BUNDLE_IMAGE=pantheon/bundle:$PANTHEON_VERSION \
#     --build-arg PANTHEON_VERSION=$PANTHEON_VERSION -t pantheon/api:$PANTHEON_VERSION .
# Other commands of the same tree: `node dist/libs/db/src/migrate.cli.js`, `node dist/libs/config/src/check-env.js`.
# No RUN in the final stage: it must build on a shell-less base too (the tests' locally imported node image).
ARG BUNDLE_IMAGE=pantheon/bundle:latest
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BUNDLE_IMAGE} AS bundle

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# The same first layers as deploy/worker.Dockerfile, so both images share them (one copy of node_modules on
# disk, and the second build reuses the first one's cache). Owned by root: the app user cannot change its code.
COPY --from=bundle /app/package.json /app/package.json
COPY --from=bundle /app/node_modules /app/node_modules
COPY --from=bundle /app/dist/generated /app/dist/generated
COPY --from=bundle /app/dist/libs /app/dist/libs
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-api" \
      org.opencontainers.image.description="Pantheon API: REST, OpenAPI, socket.io and the LLM proxy" \
      org.opencontainers.image.version="${PANTHEON_VERSION}"
COPY --from=bundle /app/prisma/migrations /app/prisma/migrations
COPY --from=bundle /app/dist/apps/api /app/dist/apps/api
COPY deploy/healthcheck.js /app/healthcheck.js
USER 1000:1000
# API_PORT, and the internal /metrics listener (METRICS_PORT; never publish it).
EXPOSE 3000 9464
# /ready: PostgreSQL and Redis answer. The start period covers migrations at boot.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/healthcheck.js", "http://${API_HOST:-127.0.0.1}:${API_PORT:-3000}/ready"]
# No entrypoint wrapper: `docker run <image> node <script>` runs exactly that (migrations, check-env).
ENTRYPOINT []
CMD ["node", "dist/apps/api/src/main.js"]
