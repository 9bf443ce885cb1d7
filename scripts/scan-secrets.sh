#!/usr/bin/env bash
# Refuses commits and CI runs that carry real credentials.
#   scripts/scan-secrets.sh            scan every file git tracks (CI)
#   scripts/scan-secrets.sh --staged   scan what is staged for the next commit (pre-commit hook)
# Looks for the shapes of real provider keys, cloud/VCS tokens, private keys, and committed .env files.
# Test keys are built at run time (test/factories), so none should ever match; a deliberate, obviously fake
# example may be listed (one extended regex per line) in .secrets-allowlist at the repository root.
# Prints file:line and the rule (never the secret itself); exits 1 on any finding.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

mode=${1:-tree}
ALLOWLIST=.secrets-allowlist

# name|extended regex
RULES=(
  'OpenAI/OpenRouter-style key|sk-(proj-|or-v1-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}'
  'Google API key|AIza[0-9A-Za-z_-]{35}'
  'xAI key|xai-[A-Za-z0-9]{40,}'
  'Groq/Together-style key|(gsk_[A-Za-z0-9]{40,}|tgp_v1_[A-Za-z0-9_-]{30,})'
  'AWS access key id|(AKIA|ASIA)[0-9A-Z]{16}'
  'GitHub token|gh[pousr]_[A-Za-z0-9]{36,}'
  'Slack token|xox[abprs]-[A-Za-z0-9-]{10,}'
  'private key|-----BEGIN ([A-Z]+ )?PRIVATE KEY-----'
)

# In --staged mode git grep reads the index, i.e. exactly what the commit will contain.
scope=()
[ "$mode" = "--staged" ] && scope=(--cached)

allowed() {
  [ -f "$ALLOWLIST" ] || return 1
  local pattern
  while IFS= read -r pattern; do
    [[ "$pattern" =~ ^[[:space:]]*(#|$) ]] && continue
    printf '%s' "$1" | grep -qE -- "$pattern" && return 0
  done < "$ALLOWLIST"
  return 1
}

findings=0
if [ "$mode" = "--staged" ]; then files=$(git diff --cached --name-only --diff-filter=ACMR); else files=$(git ls-files); fi
while IFS= read -r file; do
  base=${file##*/}
  if [[ "$base" =~ ^\.env(\..+)?$ ]] && [ "$base" != ".env.example" ]; then
    echo "$file: committed environment file (.env files hold real secrets; keep them out of git)"
    findings=$((findings + 1))
  fi
done <<< "$files"

for rule in "${RULES[@]}"; do
  name=${rule%%|*}
  regex=${rule#*|}
  # -I skips binary files; -o keeps only the match, which is checked against the allowlist, never printed.
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}; match=${rest#*:}
    allowed "$match" && continue
    echo "$file:$line: looks like a $name"
    findings=$((findings + 1))
  done < <(git grep "${scope[@]}" -nIoE -e "$regex" -- . ':!package-lock.json' ":!$ALLOWLIST" || true)
done

if [ "$findings" -gt 0 ]; then
  echo "scan-secrets: $findings finding(s). Rotate a real credential first, then remove it (and purge history); see docs/SECURITY.md." >&2
  exit 1
fi
echo "scan-secrets: no credentials found ($( [ "$mode" = "--staged" ] && echo staged changes || echo tracked files ))"
