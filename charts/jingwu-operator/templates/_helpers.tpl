{{- define "jingwu-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "jingwu-operator.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "jingwu-operator.fullname" .) -}}
{{- end -}}

{{- define "jingwu-operator.selectorLabels" -}}
app.kubernetes.io/name: jingwu-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jingwu-operator.labels" -}}
{{ include "jingwu-operator.selectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: jingwu
app.kubernetes.io/managed-by: {{ .Values.managedBy | default .Release.Service }}
app.kubernetes.io/version: {{ .Values.image.tag | toString | splitList "@" | first | trunc 63 | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "jingwu-operator.image" -}}
{{- $tag := .Values.image.tag | toString -}}
{{- if or (eq $tag "") (eq $tag "latest") (hasPrefix "latest@" $tag) -}}
{{- fail (printf "image.tag must be a release tag or tag@sha256:digest, not %q" $tag) -}}
{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
