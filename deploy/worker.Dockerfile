# Pantheon worker (BullMQ provisioning, reconciler, key rotation). Needs the Docker socket (see the README).
#   docker build -f deploy/worker.Dockerfile --build-arg BUNDLE_IMAGE=pantheon/bundle:$PANTHEON_VERSION \
#     --build-arg PANTHEON_VERSION=$PANTHEON_VERSION -t pantheon/worker:$PANTHEON_VERSION .
# Key rotation from the same image: `node dist/apps/worker/src/tasks/keys-rotate.cli.js`.
# No RUN in the final stage: it must build on a shell-less base too (the tests' locally imported node image).
ARG BUNDLE_IMAGE=pantheon/bundle:latest
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BUNDLE_IMAGE} AS bundle

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# The same first layers as deploy/api.Dockerfile (shared on disk and in the build cache).
COPY --from=bundle /app/package.json /app/package.json
COPY --from=bundle /app/node_modules /app/node_modules
COPY --from=bundle /app/dist/generated /app/dist/generated
COPY --from=bundle /app/dist/libs /app/dist/libs
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-worker" \
      org.opencontainers.image.description="Pantheon worker: project provisioning, reconciliation and key rotation" \
      org.opencontainers.image.version="${PANTHEON_VERSION}"
COPY --from=bundle /app/dist/apps/worker /app/dist/apps/worker
# The guest agent the worker copies into each project's /oem (GUEST_AGENT_DIST_DIR defaults to this dist/).
COPY --from=bundle /app/dist/apps/guest-agent /app/dist/apps/guest-agent
COPY deploy/healthcheck.js /app/healthcheck.js
# Numeric and non-root. The Docker socket is root-owned on most hosts: give this uid access with the
# compose file's `group_add` (the socket's gid), not by running as root.
USER 1000:1000
# The worker's only port: the internal /metrics listener (WORKER_METRICS_PORT).
EXPOSE 9465
# The worker serves no HTTP API; its metrics listener answering means the process and its event loop are up.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/healthcheck.js", "http://${WORKER_METRICS_HOST:-127.0.0.1}:${WORKER_METRICS_PORT:-9465}/metrics"]
# No entrypoint wrapper: `docker run <image> node <script>` runs exactly that (key rotation, check-env).
ENTRYPOINT []
CMD ["node", "dist/apps/worker/src/main.js"]
