#!/usr/bin/env bash
# Build the platform's images on a machine without a registry (no `FROM node:…` can be pulled):
# - pantheon/node-base: a rootfs holding the host's node binary and the libraries ldd lists for it, piped
#   into `docker import` (no shell, no package manager);
# - the product images (api, worker, tools-api, share) from the production Dockerfiles deploy/*.Dockerfile,
#   with BASE_IMAGE=pantheon/node-base and BUNDLE_IMAGE = a bundle imported from the host's build (the same
#   layout deploy/bundle.Dockerfile produces), so tests run exactly what operators build;
# - pantheon/vm-standin: a stand-in for dockurr/windows (imported, not a product image): TigerVNC's Xvnc on 5900,
#   twm and an xterm, the real guest agent (from the project's /oem, else the copy baked in from dist/) and the
#   viewer's port 8006 (the real noVNC, /websockify bridged to the VNC server), started by
#   deploy/images/vm-standin/init.js under tini. Needs `npm run build` first.
#
# Usage:
#   build-standin-images.sh [--force]                              node-base, vm-standin, share
#   build-standin-images.sh [--force] image <name> <dir> <entry>   one imported image: <dir> copied to /app,
#                                                                   ENTRYPOINT node /app/<entry>
#   build-standin-images.sh [--force] postgres | redis              pantheon/postgres-standin, pantheon/redis-standin:
#                                                                   the host's Debian PostgreSQL 15 / Redis packages,
#                                                                   for the compose smoke test (no registry here)
#   build-standin-images.sh [--force] tools [<compiled-dir>]        pantheon/tools-api on pantheon/bundle (built
#                                                                   first) from the host's dist/ (run `npm run build`
#                                                                   first; <compiled-dir>, if given, must be
#                                                                   dist/apps/tools-api/src)
#   build-standin-images.sh [--force] bundle                        pantheon/bundle from the host's dist/ and a
#                                                                   production-pruned copy of node_modules
#   build-standin-images.sh [--force] app <api|worker|tools-api|share>
#                                                                   pantheon/<name> from deploy/<name>.Dockerfile
#                                                                   (api, worker: on pantheon/bundle, built first)
# Env: PANTHEON_IMAGE_TAG (default "dev"); PANTHEON_IMAGE_LABELS: extra `key=value` labels, space-separated,
# put on Dockerfile-built images (a test run labels what it builds).
#
# An image is rebuilt only when --force is given or the hash of its inputs (this script, the node
# binary and its libraries, the app files, the Dockerfile) differs from its `pantheon.source-hash` label.
set -euo pipefail
# What goes into an image must not depend on the caller's umask (077 would lock its non-root user out).
umask 022

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMAGES_DIR/../.." && pwd)
SCRIPT_PATH="$IMAGES_DIR/$(basename "${BASH_SOURCE[0]}")"
TAG=${PANTHEON_IMAGE_TAG:-dev}
FORCE=0
WORK_DIR=
RUNTIME_HASH=

die() {
  echo "build-standin-images: $*" >&2
  exit 1
}

node_binary() {
  local node
  node=$(command -v node) || die "node is not on PATH"
  readlink -f "$node"
}

# Absolute paths of the shared libraries and the dynamic loader the node binary needs.
node_libraries() {
  ldd "$(node_binary)" | awk '
    $2 == "=>" && $3 ~ /^\// { print $3 }
    $1 ~ /^\// { print $1 }
  ' | sort -u
}

# System libraries the native add-ons of the production bundle need beyond node's own (sharp's prebuilt
# libvips also wants libresolv), as ldd lists them; the add-ons' own libraries ship inside node_modules.
addon_libraries() {
  local addon
  for addon in "$REPO_ROOT"/node_modules/@img/sharp-linux-x64/lib/*.node; do
    [ -f "$addon" ] || continue
    ldd "$addon" | awk '
      $2 == "=>" && $3 ~ /^\// { print $3 }
      $1 ~ /^\// { print $1 }
    ' | grep -v '/node_modules/' || true
  done | sort -u
}

# Hash of this script, the node binary and its libraries; computed once per run (node is ~100 MB).
runtime_hash() {
  {
    sha256sum "$SCRIPT_PATH" "$(node_binary)"
    { node_libraries; addon_libraries; } | sort -u | while read -r lib; do sha256sum "$(readlink -f "$lib")"; done
  } | sha256sum | cut -d' ' -f1
}

# Hash of everything that ends up in an image, so an unchanged image is skipped.
source_hash() {
  local app_dir=${1:-}
  {
    echo "$RUNTIME_HASH"
    if [ -n "$app_dir" ]; then
      (cd "$app_dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
  } | sha256sum | cut -d' ' -f1
}

image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# is_current <image:tag> <hash>: the image exists with that source hash (and --force was not given); says so.
is_current() {
  [ "$FORCE" -eq 0 ] && [ "$(image_label "$1" pantheon.source-hash)" = "$2" ] || return 1
  echo "$1 up to date"
}

# A fresh, empty rootfs directory under WORK_DIR (main removes WORK_DIR on exit, even on failure).
new_rootfs() {
  local dir
  dir=$(mktemp -d "$WORK_DIR/rootfs.XXXXXX")
  # mktemp makes it 0700, and it becomes the image's /: a non-root USER could then reach nothing ("permission
  # denied" on /usr/local/bin/node, which runc reports as "executable file not found").
  chmod 755 "$dir"
  echo "$dir"
}

# Lays out the minimal filesystem every node image shares.
make_base_rootfs() {
  local rootfs=$1 lib
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/app"
  chmod 1777 "$rootfs/tmp"
  cp "$(node_binary)" "$rootfs/usr/local/bin/node"
  # Copy each library to the path ldd names (the loader searches there), dereferencing symlinks; with the
  # add-ons' system libraries, so the bundle's sharp loads on this base as on node:*-bookworm-slim.
  for lib in $(node_libraries) $(addon_libraries); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  # glibc resolves container names through /etc/hosts and Docker's embedded DNS.
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

# import_rootfs <rootfs> <name> <hash> <entrypoint-json>
import_rootfs() {
  local rootfs=$1 name=$2 hash=$3 entrypoint=$4 previous
  previous=$(docker image inspect --format '{{.Id}}' "$name:$TAG" 2>/dev/null || true)
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
    docker import \
      --change "ENTRYPOINT $entrypoint" \
      --change 'WORKDIR /app' \
      --change 'ENV NODE_ENV=production' \
      --change "LABEL pantheon.image=$name" \
      --change 'LABEL pantheon.managed=true' \
      --change "LABEL pantheon.source-hash=$hash" \
      - "$name:$TAG" >/dev/null
  # The replaced image is now untagged; drop it unless a container still uses it.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect --format '{{.Id}}' "$name:$TAG")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}

# runs_node <image>: the image starts its node binary as its own user (a rootfs whose / was 0700 once made
# every project fail at its first container).
runs_node() {
  docker run --rm --network none --entrypoint /usr/local/bin/node "$1" -e 0 >/dev/null 2>&1
}

# checked <image> <build-command...>: builds, and builds once more (forced) if the result cannot run node.
checked() {
  local image=$1
  shift
  "$@"
  runs_node "$image" && return 0
  echo "$image cannot run node; rebuilding it" >&2
  local force=$FORCE
  FORCE=1
  "$@"
  FORCE=$force
  runs_node "$image" || die "$image was built but cannot run node"
}

# build_image <name> <entrypoint-json> [app-dir]: node rootfs (+ app-dir at /app), skipped when up to date.
build_image() {
  local name=$1 entrypoint=$2 app_dir=${3:-} hash rootfs
  hash=$(source_hash "$app_dir")
  if is_current "$name:$TAG" "$hash"; then return 0; fi
  rootfs=$(new_rootfs)
  make_base_rootfs "$rootfs"
  if [ -n "$app_dir" ]; then
    cp -a "$app_dir/." "$rootfs/app/"
  fi
  import_rootfs "$rootfs" "$name" "$hash" "$entrypoint"
  rm -rf "$rootfs"
  echo "$name:$TAG built"
}

# build_node_image <name> <app-dir-to-copy> <entry-js>
#   Image <name>:$TAG = node rootfs + <app-dir> at /app, ENTRYPOINT ["/usr/local/bin/node", "/app/<entry>"].
build_node_image() {
  local name=$1 app_dir=$2 entry=$3
  [ -d "$app_dir" ] || die "$name: app directory $app_dir does not exist"
  [ -f "$app_dir/$entry" ] || die "$name: entry $entry not found in $app_dir"
  # The entry is spliced into the ENTRYPOINT JSON.
  [[ "$entry" =~ ^[A-Za-z0-9._/-]+$ ]] || die "$name: entry $entry must be a plain relative path"
  build_image "$name" "[\"/usr/local/bin/node\", \"/app/$entry\"]" "$(cd "$app_dir" && pwd)"
}

image_id() {
  docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# What identifies a bundle's content: the hash the bundles built here carry (an import's id changes with
# its timestamp), else the image id.
bundle_hash() {
  local hash
  hash=$(image_label "$1" pantheon.source-hash)
  if [ -z "$hash" ] || [ "$hash" = "<no value>" ]; then hash=$(image_id "$1"); fi
  [ -n "$hash" ] || die "bundle image $1 not found"
  echo "$hash"
}

# The base every Dockerfile-built image starts from here (instead of node:<version>-bookworm-slim).
ensure_node_base() {
  checked "pantheon/node-base:$TAG" build_image pantheon/node-base '["/usr/local/bin/node"]'
}

# import_bundle <name> <bundle-root> <hash>: <bundle-root>/app as a files-only image, like the scratch stage
# of deploy/bundle.Dockerfile (never run, only copied from).
import_bundle() {
  local name=$1 root=$2 hash=$3 previous
  previous=$(image_id "$name:$TAG")
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c app |
    docker import \
      --change "LABEL pantheon.image=$name" \
      --change 'LABEL pantheon.managed=true' \
      --change "LABEL pantheon.source-hash=$hash" \
      - "$name:$TAG" >/dev/null
  if [ -n "$previous" ] && [ "$previous" != "$(image_id "$name:$TAG")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}

# build_bundle: pantheon/bundle from the host's `npm run build` output and a production-only copy of
# node_modules, pruned by the same script as deploy/bundle.Dockerfile's prune stage. The copy is made of hard
# links (fast, ~300 MB): npm prune only unlinks, and the one file it rewrites is replaced by a real copy first.
build_bundle() {
  local name=pantheon/bundle hash root modules
  [ -f "$REPO_ROOT/dist/apps/api/src/main.js" ] || die "bundle: dist/ not found (run npm run build first)"
  [ -d "$REPO_ROOT/node_modules" ] || die "bundle: node_modules not found (run npm ci first)"
  # A worktree may link node_modules from another checkout: copy (and prune) the real folder, never the link,
  # or the prune would run on the original.
  modules=$(readlink -f "$REPO_ROOT/node_modules")
  hash=$({
    echo "$RUNTIME_HASH"
    sha256sum "$REPO_ROOT/package.json" "$REPO_ROOT/package-lock.json" "$IMAGES_DIR/prune-bundle.sh"
    (cd "$REPO_ROOT" && find dist/apps dist/libs dist/generated prisma -type f ! -name '*.map' -print0 |
      LC_ALL=C sort -z | xargs -0 -r sha256sum)
  } | sha256sum | cut -d' ' -f1)
  if is_current "$name:$TAG" "$hash"; then return 0; fi
  root="$WORK_DIR/bundle"
  mkdir -p "$root/app/dist"
  cp "$REPO_ROOT/package.json" "$REPO_ROOT/package-lock.json" "$root/app/"
  cp -al "$modules" "$root/app/node_modules"
  [ ! -L "$root/app/node_modules" ] || die "bundle: node_modules copy is a link"
  cp --remove-destination "$modules/.package-lock.json" "$root/app/node_modules/.package-lock.json"
  cp -a "$REPO_ROOT/dist/apps" "$REPO_ROOT/dist/libs" "$REPO_ROOT/dist/generated" "$root/app/dist/"
  cp -a "$REPO_ROOT/prisma" "$root/app/prisma"
  sh "$IMAGES_DIR/prune-bundle.sh" "$root/app" || die "bundle: pruning failed"
  rm -f "$root/app/package-lock.json"
  import_bundle "$name" "$root" "$hash"
  rm -rf "$root"
  echo "$name:$TAG built"
}

# docker_build <name> <dockerfile> <hash> [bundle-image]: `docker build` of a production Dockerfile on
# pantheon/node-base, from the repository (its .dockerignore allowlist is the context).
docker_build() {
  local name=$1 dockerfile=$2 hash=$3 bundle=${4:-} previous label
  local args=(build -q -f "$dockerfile" -t "$name:$TAG"
    --build-arg "BASE_IMAGE=pantheon/node-base:$TAG"
    --build-arg "PANTHEON_VERSION=$TAG"
    --label pantheon.managed=true --label "pantheon.image=$name" --label "pantheon.source-hash=$hash")
  [ -n "$bundle" ] && args+=(--build-arg "BUNDLE_IMAGE=$bundle")
  for label in ${PANTHEON_IMAGE_LABELS:-}; do
    [[ "$label" =~ ^[A-Za-z0-9._-]+=[A-Za-z0-9._:-]*$ ]] || die "PANTHEON_IMAGE_LABELS: $label is not key=value"
    args+=(--label "$label")
  done
  previous=$(image_id "$name:$TAG")
  # The legacy builder's deprecation notice goes to stderr on every build: show stderr only on failure.
  if ! docker "${args[@]}" "$REPO_ROOT" >/dev/null 2>"$WORK_DIR/build.err"; then
    cat "$WORK_DIR/build.err" >&2
    die "$name: docker build -f $dockerfile failed"
  fi
  if [ -n "$previous" ] && [ "$previous" != "$(image_id "$name:$TAG")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}

# build_app_image <name> [bundle-image]: pantheon/<name> from deploy/<name>.Dockerfile, skipped when the
# Dockerfile, the healthcheck, the base and the bundle are unchanged.
build_app_image() {
  local name=$1 bundle=${2:-} dockerfile hash
  dockerfile="$REPO_ROOT/deploy/$name.Dockerfile"
  [ -f "$dockerfile" ] || die "app: $dockerfile not found"
  ensure_node_base
  hash=$({
    echo "$RUNTIME_HASH"
    # An import's id changes with its timestamp: the bundles built here carry the hash of their content.
    [ -n "$bundle" ] && bundle_hash "$bundle"
    sha256sum "$dockerfile" "$REPO_ROOT/deploy/healthcheck.js" "$REPO_ROOT/.dockerignore"
    [ "$name" = share ] && sha256sum "$IMAGES_DIR/share-server/server.js"
    echo "${PANTHEON_IMAGE_LABELS:-}"
  } | sha256sum | cut -d' ' -f1)
  if is_current "pantheon/$name:$TAG" "$hash"; then return 0; fi
  docker_build "pantheon/$name" "$dockerfile" "$hash" "$bundle"
  echo "pantheon/$name:$TAG built"
}

# build_tools_api_image [compiled-dir]
#   From deploy/tools-api.Dockerfile on pantheon/bundle, like api and worker: the tools API needs the bundle's
#   production node_modules (MCP SDK, zod, sharp) and the compiled guest-agent protocol. The bundle is built
#   from the repository's dist/, so a compiled-dir other than dist/apps/tools-api/src is refused.
build_tools_api_image() {
  local compiled=${1:-$REPO_ROOT/dist/apps/tools-api/src}
  [ -f "$compiled/main.js" ] || die "tools-api: $compiled/main.js not found (run npm run build first)"
  [ "$(cd "$compiled" && pwd -P)" = "$(cd "$REPO_ROOT/dist/apps/tools-api/src" && pwd -P)" ] ||
    die "tools-api: the image is built from $REPO_ROOT/dist (got $compiled)"
  build_bundle
  checked "pantheon/tools-api:$TAG" build_app_image tools-api "pantheon/bundle:$TAG"
}

# copy_binaries <rootfs> <path>...: each file (dereferenced) and every library ldd lists for it, at their paths.
copy_binaries() {
  local rootfs=$1 f lib
  shift
  for f in "$@"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -L "$f" "$rootfs$f"
    ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
      while read -r lib; do
        [ -e "$rootfs$lib" ] && continue
        mkdir -p "$rootfs$(dirname "$lib")"
        cp -L "$lib" "$rootfs$lib"
      done
  done
}

# What the stand-in VM runs besides node: the X server, a desktop, the agent's helpers and a shell for exec.
VM_STANDIN_BINARIES=(/usr/bin/tini /usr/bin/Xvnc /usr/bin/xkbcomp /usr/bin/twm /usr/bin/xterm /usr/bin/xsetroot
  /usr/bin/xdotool /usr/bin/xclip)
VM_STANDIN_TOOLS=(sh cat ls sleep env id mkdir rm head tail uname)
# X data Xvnc and the clients read at run time (keymaps, the fonts xterm/twm/cursors use, Xlib locales, twm's
# default config and app-defaults, the C.UTF-8 locale xdotool decodes typed text with); Xvnc's compiled-in font
# path starts with misc.
VM_STANDIN_DATA=(/usr/share/X11/xkb /usr/share/X11/locale /usr/share/X11/rgb.txt /usr/share/X11/XErrorDB
  /usr/share/fonts/X11/misc /etc/X11/twm /etc/X11/app-defaults /usr/lib/locale/C.utf8)

vm_standin_tools() {
  local tool
  for tool in "${VM_STANDIN_TOOLS[@]}"; do readlink -f "$(command -v "$tool")"; done
}

# The compiled guest agent, as the OEM bundle lays it out (apps/guest-agent/src + libs/guest-agent/src, .js only).
stage_agent() {
  local target=$1 sub
  for sub in apps/guest-agent/src libs/guest-agent/src; do
    mkdir -p "$target/$sub"
    (cd "$REPO_ROOT/dist/$sub" && find . -type f -name '*.js' ! -name '*.spec.js' -print0 | xargs -0 -r cp --parents -t "$target/$sub")
  done
}

# The viewer of dockurr/windows on port 8006: noVNC at /opt/novnc (the npm package @novnc/novnc gives core/,
# vendor/ and package.json; vnc.html and app/ of the same release are in vm-standin/novnc-app, since the npm
# package ships the library only) and ws for init.js's websockify bridge.
stage_novnc() {
  local rootfs=$1
  [ -f "$REPO_ROOT/node_modules/@novnc/novnc/core/rfb.js" ] || die "vm-standin: node_modules/@novnc/novnc not found (npm install)"
  [ -f "$REPO_ROOT/node_modules/ws/index.js" ] || die "vm-standin: node_modules/ws not found (npm install)"
  mkdir -p "$rootfs/opt/novnc" "$rootfs/app/node_modules"
  cp -a "$REPO_ROOT/node_modules/@novnc/novnc/." "$rootfs/opt/novnc/"
  cp -a "$IMAGES_DIR/vm-standin/novnc-app/." "$rootfs/opt/novnc/"
  cp -a "$REPO_ROOT/node_modules/ws" "$rootfs/app/node_modules/ws"
}

build_vm_standin_image() {
  local name=pantheon/vm-standin hash rootfs f tool path
  [ -f "$REPO_ROOT/dist/apps/guest-agent/src/main.js" ] || die "vm-standin: dist/apps/guest-agent not found (run npm run build first)"
  for f in "${VM_STANDIN_BINARIES[@]}" "${VM_STANDIN_DATA[@]}"; do
    [ -e "$f" ] || die "vm-standin: $f not found (install tigervnc-standalone-server, twm, xterm, x11-xserver-utils, xdotool, xclip, tini, xfonts-base)"
  done
  hash=$({
    echo "$RUNTIME_HASH"
    sha256sum "$IMAGES_DIR/vm-standin/init.js"
    # noVNC (the npm package's core/ and vendor/, the release's vnc.html and app/) and ws, served on 8006.
    (cd "$IMAGES_DIR/vm-standin" && find novnc-app -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    (cd "$REPO_ROOT/node_modules" && find @novnc/novnc ws -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    (cd "$REPO_ROOT/dist" && find apps/guest-agent/src libs/guest-agent/src -type f -name '*.js' ! -name '*.spec.js' -print0 |
      LC_ALL=C sort -z | xargs -0 -r sha256sum)
    for f in "${VM_STANDIN_BINARIES[@]}" $(vm_standin_tools); do sha256sum "$(readlink -f "$f")"; done
    # Data trees: names and sizes are enough to notice a package update, without hashing every font.
    find "${VM_STANDIN_DATA[@]}" -printf '%p %s\n' 2>/dev/null | LC_ALL=C sort
  } | sha256sum | cut -d' ' -f1)
  if is_current "$name:$TAG" "$hash"; then return 0; fi
  rootfs=$(new_rootfs)
  make_base_rootfs "$rootfs"
  copy_binaries "$rootfs" "${VM_STANDIN_BINARIES[@]}" $(vm_standin_tools)
  mkdir -p "$rootfs/var/lib/xkb" "$rootfs/run" "$rootfs/root" "$rootfs/oem" "$rootfs/opt/pantheon/agent"
  ln -s usr/bin "$rootfs/bin"
  for tool in "${VM_STANDIN_TOOLS[@]}"; do
    path=$(command -v "$tool")
    [ -e "$rootfs$path" ] || ln -sf "$(readlink -f "$path")" "$rootfs$path"
  done
  for f in "${VM_STANDIN_DATA[@]}"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -a "$f" "$rootfs$f"
  done
  sed -i 's|^root:x:0:0:root:/root:/sbin/nologin|root:x:0:0:root:/root:/bin/sh|' "$rootfs/etc/passwd"
  stage_agent "$rootfs/opt/pantheon/agent"
  cp "$IMAGES_DIR/vm-standin/init.js" "$rootfs/app/init.js"
  stage_novnc "$rootfs"
  import_rootfs "$rootfs" "$name" "$hash" '["/usr/bin/tini", "--", "/usr/local/bin/node", "/app/init.js"]'
  rm -rf "$rootfs"
  echo "$name:$TAG built"
}

# A minimal rootfs with a shell and the tools the services' scripts use (their healthchecks, init scripts).
make_shell_rootfs() {
  local rootfs=$1 user=$2 uid=$3 tool
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/bin" "$rootfs/run"
  chmod 1777 "$rootfs/tmp"
  local tools=()
  for tool in bash sh sed grep tr cat mkdir chmod chown rm ls sleep env id mktemp; do tools+=("$(command -v "$tool")"); done
  copy_binaries "$rootfs" "${tools[@]}"
  ln -sf /usr/bin/bash "$rootfs/bin/bash"
  ln -sf /usr/bin/sh "$rootfs/bin/sh"
  printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%s:%s:%s:/var/lib/%s:/bin/sh\n' "$user" "$uid" "$uid" "$user" "$user" >"$rootfs/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$user" "$uid" >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

# import_service <rootfs> <name> <hash> <user> <entrypoint-json> [cmd-json]
import_service() {
  local rootfs=$1 name=$2 hash=$3 user=$4 entrypoint=$5 cmd=${6:-}
  local changes=(--change "ENTRYPOINT $entrypoint" --change "USER $user"
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin'
    --change "LABEL pantheon.image=$name" --change 'LABEL pantheon.managed=true'
    --change "LABEL pantheon.source-hash=$hash")
  [ -z "$cmd" ] || changes+=(--change "CMD $cmd")
  tar --numeric-owner -C "$rootfs" -c . | docker import "${changes[@]}" - "$name:$TAG" >/dev/null
}

build_postgres_image() {
  local name=pantheon/postgres-standin hash rootfs
  [ -x /usr/lib/postgresql/15/bin/postgres ] || die "postgres: Debian's postgresql-15 is not installed"
  hash=$(source_hash "$IMAGES_DIR/postgres-standin")
  if is_current "$name:$TAG" "$hash"; then return 0; fi
  rootfs=$(new_rootfs)
  make_shell_rootfs "$rootfs" postgres 999
  copy_binaries "$rootfs" /usr/lib/postgresql/15/bin/{postgres,initdb,pg_ctl,psql,pg_isready,pg_dump}
  cp -a /usr/lib/postgresql/15/lib "$rootfs/usr/lib/postgresql/15/"
  mkdir -p "$rootfs/usr/share/postgresql" "$rootfs/usr/share" "$rootfs/docker-entrypoint-initdb.d" \
    "$rootfs/var/lib/postgresql/data" "$rootfs/var/run/postgresql"
  cp -a /usr/share/postgresql/15 "$rootfs/usr/share/postgresql/"
  cp -a /usr/share/zoneinfo "$rootfs/usr/share/"
  mkdir -p "$rootfs/usr/local/bin"
  install -m 0755 "$IMAGES_DIR/postgres-standin/docker-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
  chown -R 999:999 "$rootfs/var/lib/postgresql" "$rootfs/var/run/postgresql"
  chmod 700 "$rootfs/var/lib/postgresql/data"
  import_service "$rootfs" "$name" "$hash" postgres '["/usr/local/bin/docker-entrypoint.sh"]' '["postgres"]'
  rm -rf "$rootfs"
  echo "$name:$TAG built"
}

build_redis_image() {
  local name=pantheon/redis-standin hash rootfs
  command -v redis-server >/dev/null || die "redis: Debian's redis-server is not installed"
  hash=$(source_hash)
  if is_current "$name:$TAG" "$hash"; then return 0; fi
  rootfs=$(new_rootfs)
  make_shell_rootfs "$rootfs" redis 999
  copy_binaries "$rootfs" "$(command -v redis-server)" "$(command -v redis-cli)"
  mkdir -p "$rootfs/data" && chown 999:999 "$rootfs/data"
  import_service "$rootfs" "$name" "$hash" redis '[]' '["redis-server"]'
  rm -rf "$rootfs"
  echo "$name:$TAG built"
}

main() {
  if [ "${1:-}" = "--force" ]; then
    FORCE=1
    shift
  fi
  docker info >/dev/null 2>&1 || die "docker does not answer (run scripts/ensure-docker.sh)"
  RUNTIME_HASH=$(runtime_hash)
  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT
  case "${1:-}" in
    "")
      ensure_node_base
      build_vm_standin_image
      checked "pantheon/share:$TAG" build_app_image share
      ;;
    image)
      [ $# -eq 4 ] || die "usage: $0 [--force] image <name> <dir> <entry>"
      build_node_image "$2" "$3" "$4"
      ;;
    tools)
      [ $# -le 2 ] || die "usage: $0 [--force] tools [<compiled-dir>]"
      build_tools_api_image "${2:-}"
      ;;
    bundle)
      [ $# -eq 1 ] || die "usage: $0 [--force] bundle"
      build_bundle
      ;;
    app)
      [ $# -eq 2 ] || die "usage: $0 [--force] app <api|worker|tools-api|share>"
      case "$2" in
        api | worker | tools-api)
          build_bundle
          build_app_image "$2" "pantheon/bundle:$TAG"
          ;;
        share) build_app_image share ;;
        *) die "app: unknown image $2 (api, worker, tools-api, share)" ;;
      esac
      ;;
    postgres) build_postgres_image ;;
    redis) build_redis_image ;;
    *)
      die "usage: $0 [--force] [image <name> <dir> <entry> | tools [<compiled-dir>] | bundle | app <name> | postgres | redis]"
      ;;
  esac
}

main "$@"
