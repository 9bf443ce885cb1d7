#!/usr/bin/env bash
# Installs the pre-commit hook that runs scripts/scan-secrets.sh on staged changes.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
hook="$(git rev-parse --git-path hooks)/pre-commit"
mkdir -p "$(dirname "$hook")"
cat > "$hook" <<'HOOK'
#!/usr/bin/env bash
exec bash "$(git rev-parse --show-toplevel)/scripts/scan-secrets.sh" --staged
HOOK
chmod +x "$hook"
echo "installed $hook"
