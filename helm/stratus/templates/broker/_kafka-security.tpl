{{- /*
Kafka security of the brokers (values `security`; docs/security.md, "Secure by default"):
the Secrets and names kafka-security.yaml, configmap.yaml and statefulset.yaml share.
*/ -}}

{{- define "stratus.security.adminSecretName" -}}
{{- .Values.security.sasl.existingSecret | default (printf "%s-kafka-admin" (include "stratus.fullname" .)) -}}
{{- end -}}

{{- define "stratus.security.adminSecretKey" -}}
{{- if .Values.security.sasl.existingSecret }}{{ .Values.security.sasl.existingSecretKey }}{{ else }}password{{ end -}}
{{- end -}}

{{/* The Secret with the brokers' tls.crt and tls.key: the user's, cert-manager's, or the chart's (all but the first named so). */}}
{{- define "stratus.security.tlsSecretName" -}}
{{- .Values.security.tls.existingSecret | default (printf "%s-kafka-tls" (include "stratus.fullname" .)) -}}
{{- end -}}

{{- define "stratus.security.caSecretName" -}}{{ include "stratus.fullname" . }}-kafka-ca{{- end -}}

{{/* Where the broker container finds tls.crt and tls.key. */}}
{{- define "stratus.security.tlsDir" -}}/etc/stratus/kafka-tls{{- end -}}

{{/*
The names the brokers' certificate must carry, as JSON {"dns": [...], "ips": [...]}: the
bootstrap Service (every form a client may use), every broker under the headless Service
(a wildcard: scaling needs no new certificate), the external addresses the brokers
advertise (broker.externalAccess.hosts, or hostTemplate for each possible ordinal — not
{hostIP}, which only the node knows: give those in security.tls.extraIpAddresses), and the
extra names.
*/}}
{{- define "stratus.security.names" -}}
{{- $ns := .Release.Namespace -}}
{{- $domain := .Values.clusterDomain -}}
{{- $svc := include "stratus.broker.fullname" . -}}
{{- $headless := include "stratus.broker.headless" . -}}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns $domain) (printf "*.%s.%s.svc" $headless $ns) (printf "*.%s.%s.svc.%s" $headless $ns $domain) -}}
{{- $ips := list -}}
{{- $x := .Values.broker.externalAccess -}}
{{- $external := list -}}
{{- if $x.enabled -}}
{{- if $x.hosts -}}
{{- $external = $x.hosts -}}
{{- else if and $x.hostTemplate (not (contains "{hostIP}" $x.hostTemplate)) -}}
{{- $first := int .Values.broker.ordinalStart -}}
{{- range $i := until (int (include "stratus.broker.maxReplicas" .)) -}}
{{- $external = append $external (replace "{index}" (toString (add $first $i)) $x.hostTemplate) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $h := concat $external .Values.security.tls.extraDnsNames .Values.security.tls.extraIpAddresses -}}
{{- if or (regexMatch "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$" $h) (contains ":" $h) -}}
{{- $ips = append $ips $h -}}
{{- else -}}
{{- $dns = append $dns $h -}}
{{- end -}}
{{- end -}}
{{- dict "dns" (uniq $dns) "ips" (uniq $ips) | toJson -}}
{{- end -}}
