#!/usr/bin/env bash
# cfn-lint on the packaged stack: the default stage (npm run package's .serverless/) and a fully configured one
# (every optional param of infra/full-stack.params, packaged to its own directory). Fails on any cfn-lint
# error; warnings are printed, not fatal (W3005, the DependsOn osls writes beside a Ref, is left out). Where
# cfn-lint is not installed it says so and skips (exit 0).
# Usage: bash scripts/lint-template.sh [work-dir]   (after `npm run package`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint not found: skipping the template lint (install it with: pip install cfn-lint)"
  exit 0
fi

work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/hood-blocker-lint.XXXXXX")}"
default_template=".serverless/cloudformation-template-update-stack.json"
if [[ ! -f "$default_template" ]]; then
  echo "no $default_template: run npm run package first" >&2
  exit 1
fi

params=()
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  params+=("--param=$line")
done < infra/full-stack.params
rc=0
echo "cfn-lint: default stage (ci)"
cfn-lint --non-zero-exit-code error --ignore-checks W3005 -- "$default_template" || rc=1
# osls wipes <service>/.serverless when it packages, even with --package elsewhere: package from a copy.
osls="$PWD/node_modules/.bin/osls"
mkdir -p "$work/service"
cp -R serverless.yml package.json infra dist "$work/service/"
(cd "$work/service" && "$osls" package --stage prod --region eu-west-1 --package "$work/full" "${params[@]}" >/dev/null)
echo "cfn-lint: fully configured stage (prod, infra/full-stack.params)"
cfn-lint --non-zero-exit-code error --ignore-checks W3005 -- "$work/full/cloudformation-template-update-stack.json" || rc=1
[[ $rc -eq 0 ]] && echo "cfn-lint: no error in either template"
exit "$rc"
