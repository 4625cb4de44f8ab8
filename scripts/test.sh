#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs (Debian and npm packages),
# checks that generated/ matches specs/, type-checks, proves the state machines (protosmith prove, with spin),
# then runs every test file.
# Fails loudly when a real component cannot be had; no test is skipped for a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v spin >/dev/null 2>&1 || need_apt+=(spin)
command -v gnutls-cli >/dev/null 2>&1 || need_apt+=(gnutls-bin)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# PKCS#11: SoftHSM2 (token + softhsm2-util), OpenSC (pkcs11-tool), g++/make to build the pkcs11js addon,
# curl for the CLI tests.
command -v softhsm2-util >/dev/null 2>&1 || need_apt+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need_apt+=(opensc)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "FATAL: need root to apt-get install ${need_apt[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "FATAL: apt-get update failed" >&2; exit 1; }
  apt-get install -y -qq "${need_apt[@]}" >/dev/null || { echo "FATAL: could not install ${need_apt[*]}" >&2; exit 1; }
fi
for tool in spin gnutls-cli openssl gcc chromium softhsm2-util pkcs11-tool g++ make python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FATAL: $tool is still missing after install" >&2; exit 1; }
done

echo "== npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
# pkcs11js is a native addon built on install (allowScripts in package.json); fail here, not in a test, if it did not build.
node -e 'require("pkcs11js")' || { echo "FATAL: the pkcs11js native addon did not build (needs g++, make, python3 and its install script allowed)" >&2; exit 1; }
# The native provider's addon (native/aead.c, native/hmac.c) is built by our own install script; built again here so that it
# always matches the source, and loaded once: fail here, not in a test, if it cannot be had.
npm run --silent build:native >/dev/null || { echo "FATAL: the native provider addon (native/aead.c, native/hmac.c) did not build (needs g++, make, python3 and node's headers)" >&2; exit 1; }
node -e 'require("./native/build/Release/protosmith_aead.node")' || { echo "FATAL: the native AEAD addon built but does not load" >&2; exit 1; }

# Project-wide checks. Each is reported, counted by the test runner as one test, and never stops the run,
# so the last line is always the `N passed, N failed` summary.
checks=()
run_check() {
  local name=$1; shift
  echo "== $name: $*"
  if "$@"; then checks+=("$name=0"); else checks+=("$name=1"); echo "== $name FAILED"; fi
}
run_check generate-check node bin/protosmith.mjs generate --check
run_check typecheck npx tsc --noEmit -p .
run_check prove node bin/protosmith.mjs prove

echo "== tests"
PRECHECKS="${checks[*]}" node --import tsx test/run.ts "$@"
