{{/* Names, labels and the pieces several templates share. */}}

{{- define "stratus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; component names append -controller, -broker, -redis (kept under 63 with their suffixes). */}}
{{- define "stratus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "stratus.controller.fullname" -}}{{ include "stratus.fullname" . }}-controller{{- end -}}
{{- define "stratus.broker.fullname" -}}{{ include "stratus.fullname" . }}-broker{{- end -}}
{{- define "stratus.broker.headless" -}}{{ include "stratus.fullname" . }}-broker-headless{{- end -}}
{{- define "stratus.redis.fullname" -}}{{ include "stratus.fullname" . }}-redis{{- end -}}

{{- define "stratus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stratus.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: the existing service account to use when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "stratus.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels of every object; call with (dict "root" $ "component" "broker"). */}}
{{- define "stratus.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "stratus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: stratus
{{- end -}}

{{- define "stratus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stratus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/*
A config map (broker.config / controller.config, nested as in config/*.yaml) as
STRATUS_* variables, the names the process derives from a key path (load.ts envName:
kafka.maxConnections -> STRATUS_KAFKA_MAX_CONNECTIONS); lists comma-separated, as the
loader splits them. Values read from YAML are float64 in Helm: numbers are printed as
integers (every numeric setting is one; values.schema.json says so).
Call with (dict "prefix" "STRATUS" "config" .Values.broker.config).
*/}}
{{- define "stratus.configEnv" -}}
{{- $prefix := .prefix -}}
{{- range $key, $value := .config }}
{{- $name := printf "%s_%s" $prefix (regexReplaceAll "([a-z0-9])([A-Z])" $key "${1}_${2}" | upper) }}
{{- if kindIs "map" $value }}
{{- include "stratus.configEnv" (dict "prefix" $name "config" $value) }}
{{- else if kindIs "slice" $value }}
{{ $name }}: {{ join "," $value | quote }}
{{- else if or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value) }}
{{ $name }}: {{ $value | int64 | toString | quote }}
{{- else }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* What the object store needs in both processes' environment: the S3 credentials, when given. */}}
{{- define "stratus.objectStoreEnv" -}}
{{- $secret := include "stratus.s3SecretName" . -}}
{{- if $secret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.objectStore.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.objectStore.s3.secretAccessKeyKey }}
{{- end }}
{{- end -}}

{{/* The Secret with the S3 credentials: an existing one, the chart's, or none (empty). */}}
{{- define "stratus.s3SecretName" -}}
{{- if .Values.objectStore.s3.existingSecret -}}
{{- .Values.objectStore.s3.existingSecret -}}
{{- else if .Values.objectStore.s3.accessKeyId -}}
{{- include "stratus.fullname" . }}-s3
{{- end -}}
{{- end -}}

{{/* The brokers' termination grace period: the one set, or the shutdown steps plus a margin; never less than the steps. */}}
{{- define "stratus.broker.shutdownSeconds" -}}
{{- $s := .Values.broker.shutdown -}}
{{- add $s.preStopSleepSeconds $s.drainTimeoutSeconds $s.requestsDrainSeconds $s.flushTimeoutSeconds -}}
{{- end -}}

{{- define "stratus.broker.terminationGracePeriodSeconds" -}}
{{- $needed := include "stratus.broker.shutdownSeconds" . | int -}}
{{- $set := .Values.broker.shutdown.terminationGracePeriodSeconds -}}
{{- if kindIs "invalid" $set -}}
{{- add $needed 15 -}}
{{- else if lt (int $set) $needed -}}
{{- fail (printf "broker.shutdown.terminationGracePeriodSeconds (%d) is below the broker's shutdown (preStop sleep + drain + requests + flush = %d s): Kubernetes would kill it while it hands its partitions over" (int $set) $needed) -}}
{{- else -}}
{{- $set | int -}}
{{- end -}}
{{- end -}}

{{/* Whether the brokers need the identity initContainer (the node's zone through the API, or an external address). */}}
{{- define "stratus.broker.needsIdentity" -}}
{{- if or (eq .Values.broker.rack.source "nodeApi") .Values.broker.externalAccess.enabled -}}true{{- end -}}
{{- end -}}

{{/*
The brokers' Kafka listeners (kafka.listeners): INTERNAL for clients in the cluster, and
with broker.externalAccess EXTERNAL, the port the per-broker Services send to. Written
without a host (NAME://:port), so they bind at kafka.host (0.0.0.0, the image's): naming
0.0.0.0 in the list as well would be a config error. The names are used here only.
*/}}
{{- define "stratus.broker.internalListener" -}}INTERNAL{{- end -}}
{{- define "stratus.broker.externalListener" -}}EXTERNAL{{- end -}}

{{- define "stratus.broker.listeners" -}}
{{- $b := .Values.broker -}}
{{- printf "%s://:%d" (include "stratus.broker.internalListener" .) (int $b.ports.kafka) -}}
{{- if $b.externalAccess.enabled -}}
{{- printf ",%s://:%d" (include "stratus.broker.externalListener" .) (int $b.externalAccess.containerPort) -}}
{{- end -}}
{{- end -}}

{{/* INTERNAL's advertised address: the pod's stable name under the headless Service ($(POD_NAME) is expanded by Kubernetes, so POD_NAME comes first in the env). */}}
{{- define "stratus.broker.internalAdvertisedListener" -}}
{{- printf "%s://$(POD_NAME).%s.%s.svc.%s:%d" (include "stratus.broker.internalListener" .) (include "stratus.broker.headless" .) .Release.Namespace .Values.clusterDomain (int .Values.broker.ports.kafka) -}}
{{- end -}}

{{/* How many per-broker external Services: one per broker the StatefulSet can have. */}}
{{- define "stratus.broker.maxReplicas" -}}
{{- if .Values.broker.autoscaling.enabled -}}
{{- max .Values.broker.replicas .Values.broker.autoscaling.maxReplicas -}}
{{- else -}}
{{- .Values.broker.replicas -}}
{{- end -}}
{{- end -}}

{{/* The metadata store URL's source: the in-chart Redis, a Secret given, or the chart's Secret with controller.redisUrl. */}}
{{- define "stratus.redisSecretName" -}}
{{- if .Values.controller.existingRedisSecret -}}
{{- .Values.controller.existingRedisSecret -}}
{{- else -}}
{{- include "stratus.controller.fullname" . }}-redis-url
{{- end -}}
{{- end -}}

{{- define "stratus.redisSecretKey" -}}
{{- if .Values.controller.existingRedisSecret -}}
{{- .Values.controller.existingRedisSecretKey -}}
{{- else -}}
redis-url
{{- end -}}
{{- end -}}

{{/* The /tmp emptyDir of every Stratus container (the root filesystem is read-only). */}}
{{- define "stratus.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}
