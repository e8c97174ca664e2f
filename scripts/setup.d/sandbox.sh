#!/usr/bin/env bash
# Installs what the code-execution sandbox (reward/sandbox) uses: bubblewrap (bwrap) for
# namespaces and a private filesystem view, util-linux for prlimit, setpriv and unshare.
# Idempotent and quiet. It never fails the test run: without root or apt-get the sandbox
# falls back to weaker modes and its tests say which protections they could not check.
set -uo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
for tool in prlimit setpriv unshare; do
  command -v "$tool" >/dev/null 2>&1 || { missing+=(util-linux); break; }
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "sandbox.sh: ${missing[*]} missing and cannot be installed here (needs root and apt-get); the sandbox tests use a fallback mode" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
  { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1 && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; }; then
  echo "sandbox.sh: apt-get could not install ${missing[*]}; the sandbox tests use a fallback mode" >&2
  exit 0
fi
echo "sandbox.sh: installed ${missing[*]}"
