{{/* Context: dict "root" $ "name" (jt808|handheld) "gw" (its values). */}}

{{- define "gateway.fullname" -}}
{{ .name }}-gateway
{{- end -}}

{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway.fullname" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "gateway.labels" -}}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: jingwu
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Values.image.tag | toString | splitList "@" | first | trunc 63 | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "gateway.image" -}}
{{- $tag := .root.Values.image.tag | toString -}}
{{- if or (eq $tag "") (eq $tag "latest") (hasPrefix "latest@" $tag) -}}
{{- fail (printf "image.tag must be a release tag or tag@sha256:digest, not %q" $tag) -}}
{{- end -}}
{{- $repo := .root.Values.image.repository | default (printf "%s/jingwu-telemetry" (.root.Values.image.registry | trimSuffix "/")) -}}
{{- if hasPrefix "@" $tag -}}{{ $repo }}{{ $tag }}{{- else -}}{{ $repo }}:{{ $tag }}{{- end -}}
{{- end -}}

{{/* JINGWU_GATEWAY_* of one gateway (secrets excepted), as YAML. */}}
{{- define "gateway.configData" -}}
{{- $data := dict -}}
{{- $_ := set $data "JINGWU_GATEWAY_KAFKA_BOOTSTRAP" (required "kafka.bootstrap is required" .root.Values.kafka.bootstrap | toString) -}}
{{- $_ := set $data "JINGWU_GATEWAY_LOG_LEVEL" (.root.Values.logLevel | default "INFO" | toString) -}}
{{- $targets := dict -}}
{{- range $code, $district := .root.Values.districts -}}
{{- $_ := set $targets $code (($district | default dict).target | default (printf "telemetry.jingwu-%s.svc:50051" $code)) -}}
{{- end -}}
{{- $_ := set $data "JINGWU_GATEWAY_REGISTRY_TARGETS" (toJson $targets) -}}
{{- if eq .name "jt808" -}}
{{- $_ := set $data "JINGWU_GATEWAY_JT808_HOST" "0.0.0.0" -}}
{{- $_ := set $data "JINGWU_GATEWAY_JT808_PORT" (.gw.port | int | toString) -}}
{{- else -}}
{{- $_ := set $data "JINGWU_GATEWAY_HTTP_HOST" "0.0.0.0" -}}
{{- $_ := set $data "JINGWU_GATEWAY_HTTP_PORT" (.gw.port | int | toString) -}}
{{- end -}}
{{- $ctx := . -}}
{{- range $key, $value := .root.Values.env | default dict -}}
{{- if or (hasKey $data $key) (eq $key "JINGWU_GATEWAY_DISTRICT_AUTH_SECRETS") (eq $key "JINGWU_GATEWAY_AUTH_SECRET") -}}
{{- fail (printf "env.%s is a setting the chart sets itself" $key) -}}
{{- end -}}
{{- $_ := set $data $key ($value | toString) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}
