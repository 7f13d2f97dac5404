#!/bin/sh
# make test-k8s: examples/k8s/*.yaml against the Kubernetes JSON schemas (npm: kubernetes-models,
# validated with ajv; installed once into build/k8s-validate), a mistyped value caught, then the
# render-and-run test of the same manifests (tests/cli/t0630-k8s.sh). Without node and npm, or
# without the registry, the schema check says so and is skipped.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
V=$ROOT/build/k8s-validate
rc=0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "test-k8s: SKIP the schema check: node and npm are not installed"
elif ! [ -d "$V/node_modules/kubernetes-models" ] &&
     ! npm install --silent --no-audit --no-fund --prefix "$V" kubernetes-models@5.1.0 yaml@2 >"$V.log" 2>&1; then
	echo "test-k8s: SKIP the schema check: npm install kubernetes-models failed: $(tail -n 3 "$V.log")"
else
	cp "$ROOT/tests/k8s/validate.mjs" "$V/validate.mjs"
	if node "$V/validate.mjs" "$ROOT"/examples/k8s/*.yaml; then
		echo "test-k8s: ok: examples/k8s validates against the Kubernetes schemas"
	else
		echo "test-k8s: FAIL: examples/k8s does not validate"
		rc=1
	fi
	# the check itself: a manifest with a wrong completionMode and a non-integer parallelism is refused
	sed 's/completionMode: Indexed/completionMode: Indexd/; s/parallelism: 8/parallelism: "8"/' \
		"$ROOT/examples/k8s/audit-job.yaml" >"$V/bad.yaml"
	if node "$V/validate.mjs" "$V/bad.yaml" >"$V/bad.out" 2>&1; then
		echo "test-k8s: FAIL: a broken manifest passed the schema check"
		rc=1
	elif ! grep -q "completionMode must be equal to one of the allowed values" "$V/bad.out"; then
		echo "test-k8s: FAIL: the schema check did not name completionMode: $(cat "$V/bad.out")"
		rc=1
	fi
fi
ROOT=$ROOT PROVENANCE_BIN=${PROVENANCE_BIN:-$ROOT/provenance} sh "$ROOT/tests/cli/t0630-k8s.sh" | tee "$ROOT/build/k8s-render.out"
grep -q '^not ok' "$ROOT/build/k8s-render.out" && rc=1
exit $rc
