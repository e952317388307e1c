{{- /*
The admin REST API's bearer token (values admin.apiToken): the Secret holding it, from
existingSecret or made by the chart of value (admin-token-secret.yaml); neither: none,
and the controllers' API is read-only.
*/ -}}
{{- define "stratus.adminToken.enabled" -}}
{{- if or .Values.admin.apiToken.existingSecret .Values.admin.apiToken.value }}true{{ end -}}
{{- end -}}

{{- define "stratus.adminToken.secretName" -}}
{{- .Values.admin.apiToken.existingSecret | default (printf "%s-admin-token" (include "stratus.controller.fullname" .)) -}}
{{- end -}}

{{- define "stratus.adminToken.secretKey" -}}
{{- if .Values.admin.apiToken.existingSecret }}{{ .Values.admin.apiToken.existingSecretKey }}{{ else }}api-token{{ end -}}
{{- end -}}
