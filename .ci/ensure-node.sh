# Sourced by .ci/run (and usable by developers: `source .ci/ensure-node.sh`): makes sure a
# Node.js >= 22.12 is first on PATH. When the machine's node is older, Node 24 is
# installed from the npm package `node@24` into .tools/node (git-ignored) and used.
# Idempotent: a second run finds the installed binary and does nothing.

stratus_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stratus_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if [ -x "$stratus_root/.tools/node/node_modules/.bin/node" ]; then
  export PATH="$stratus_root/.tools/node/node_modules/.bin:$PATH"
fi
if ! stratus_node_ok; then
  echo "ensure-node: node $(node --version 2>/dev/null || echo missing) is older than 22.12; installing node@24 into .tools/node" >&2
  npm install --prefix "$stratus_root/.tools/node" --no-save --no-audit --no-fund node@24 >&2
  export PATH="$stratus_root/.tools/node/node_modules/.bin:$PATH"
  stratus_node_ok || { echo "ensure-node: could not provide Node >= 22.12" >&2; return 1 2>/dev/null || exit 1; }
fi
echo "ensure-node: using node $(node --version) at $(command -v node)" >&2
