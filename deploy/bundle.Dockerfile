# The compiled platform: what every app image copies from. Build it once per version, then the app images:
#   docker build -f deploy/bundle.Dockerfile -t pantheon/bundle:$PANTHEON_VERSION .
# Its last stage is FROM scratch: a bundle is a set of files, never run.
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the Prisma client needs no engine download (Rust-free client over pg), and the
# optional native add-ons have pure-JS fallbacks (package.json allowScripts).
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY libs ./libs
COPY apps ./apps
# prisma generate + tsc + tsc-alias; PRISMA_SCHEMA_ENGINE_BINARY: generate needs no schema engine.
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true npm run -s build

FROM build AS prune
COPY deploy/images/prune-bundle.sh /usr/local/bin/prune-bundle.sh
RUN sh /usr/local/bin/prune-bundle.sh /app

FROM scratch AS bundle
ARG PANTHEON_VERSION=dev
LABEL org.opencontainers.image.title="pantheon-bundle" \
      org.opencontainers.image.description="Compiled Pantheon platform and its production node_modules (build input of the app images)" \
      org.opencontainers.image.version="${PANTHEON_VERSION}" \
      org.opencontainers.image.source="https://github.com/pantheon/pantheon"
COPY --from=prune /app/package.json /app/package.json
COPY --from=prune /app/node_modules /app/node_modules
COPY --from=prune /app/dist /app/dist
COPY --from=prune /app/prisma /app/prisma
