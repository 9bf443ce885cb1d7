#!/bin/sh
# Turns a built checkout (package.json, node_modules, dist/) into the production bundle, in place:
# production dependencies only, and no compiled tests, specs, test helpers or source maps.
# Used by deploy/bundle.Dockerfile and by the image tests (on a copy of the host's build), so both ship the
# same tree. Usage: prune-bundle.sh <dir>
set -eu
dir=${1:?usage: prune-bundle.sh <dir>}
cd "$dir"

# npm keeps an optional peer dependency that is installed (@prisma/client -> prisma CLI, typescript) as long
# as devDependencies name it; without devDependencies it is extraneous and prune removes it (~240 MB).
npm pkg delete devDependencies
npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline >/dev/null

# Nothing node loads at run time: source maps (no --enable-source-maps) and type declarations (~100 MB and
# ~10,000 files fewer to copy into every image).
find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -exec rm -f {} +

rm -rf dist/test dist/bench dist/.tsbuildinfo
find dist \( -type d -name testing -prune -exec rm -rf {} + \) -o \
  \( -type f \( -name '*.spec.js' -o -name '*.fixture.js' -o -name 'testing.js' -o -name '*.map' -o -name '*.d.ts' \) -exec rm -f {} + \)
