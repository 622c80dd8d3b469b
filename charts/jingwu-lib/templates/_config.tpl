{{/*
The settings of one service: a ConfigMap of its non-secret JINGWU_* values (as a dict, rendered with
sorted keys) and the container's env (Secrets). Keys the chart sets itself cannot be overridden in
svc.env: a duplicate would make the ConfigMap ambiguous.
*/}}

{{/* The ConfigMap data as YAML (every value a string). */}}
{{- define "jingwu-lib.configData" -}}
{{- $data := dict -}}
{{- $_ := set $data "JINGWU_DISTRICT" (include "jingwu-lib.districtCode" .) -}}
{{- $_ := set $data "JINGWU_KAFKA_BOOTSTRAP" (required "kafka.bootstrap is required" .root.Values.kafka.bootstrap | toString) -}}
{{- $_ := set $data "JINGWU_LOG_LEVEL" (.root.Values.logLevel | default "INFO" | toString) -}}
{{- if include "jingwu-lib.isGrpc" . -}}
{{- $_ := set $data "JINGWU_KAFKA_CREATE_TOPICS" "false" -}}
{{- $_ := set $data "JINGWU_GRPC_HOST" "0.0.0.0" -}}
{{- $_ := set $data "JINGWU_GRPC_PORT" (include "jingwu-lib.grpcPort" . | toString) -}}
{{- $_ := set $data "JINGWU_METRICS_HOST" "0.0.0.0" -}}
{{- $_ := set $data "JINGWU_METRICS_PORT" (include "jingwu-lib.metricsPort" . | toString) -}}
{{- $_ := set $data "JINGWU_TRACE_EXPORTER" (.root.Values.tracing.exporter | toString) -}}
{{- $_ := set $data "JINGWU_OTLP_ENDPOINT" (.root.Values.tracing.otlpEndpoint | default "" | toString) -}}
{{- $_ := set $data "JINGWU_POLICY_JSON" (.root.Values.policy | default dict | toJson) -}}
{{- /* Calendar rules: the charts' CronJobs (jingwu-lib.cronjobs), or the service's own timer. */ -}}
{{- $_ := set $data "JINGWU_SCHEDULES" (eq (include "jingwu-lib.schedulesIn" .) "process" | ternary "local" "cronjob") -}}
{{- else if .svc.schedules -}}
{{- fail (printf "services.%s.schedules: a web service has no calendar rules" .name) -}}
{{- end -}}
{{- with .svc.http -}}
{{- $_ := set $data (required (printf "services.%s.http.hostEnv is required" $.name) .hostEnv) "0.0.0.0" -}}
{{- $_ := set $data (required (printf "services.%s.http.portEnv is required" $.name) .portEnv) (include "jingwu-lib.httpPort" $ | toString) -}}
{{- end -}}
{{- $ctx := . -}}
{{- range $key, $peer := .svc.peers | default dict -}}
{{- $_ := set $data $key (include "jingwu-lib.peerAddress" (dict "root" $ctx.root "name" $ctx.name "peer" $peer "http" false)) -}}
{{- end -}}
{{- range $key, $peer := .svc.httpPeers | default dict -}}
{{- if hasKey $data $key -}}
{{- fail (printf "services.%s: %s is set twice (peers and httpPeers)" $ctx.name $key) -}}
{{- end -}}
{{- $_ := set $data $key (include "jingwu-lib.peerAddress" (dict "root" $ctx.root "name" $ctx.name "peer" $peer "http" true)) -}}
{{- end -}}
{{- $reserved := list "JINGWU_MONGO_URL" "JINGWU_AUTH_SECRET" "JINGWU_TRACE_FILE" -}}
{{- range $key, $_ := .svc.secretEnv | default dict -}}
{{- if or (hasKey $data $key) (has $key $reserved) -}}
{{- fail (printf "services.%s.secretEnv.%s is a setting the chart sets itself" $ctx.name $key) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := .svc.env | default dict -}}
{{- if or (hasKey $data $key) (has $key $reserved) (hasKey ($ctx.svc.secretEnv | default dict) $key) -}}
{{- fail (printf "services.%s.env.%s is a setting the chart sets itself" $ctx.name $key) -}}
{{- end -}}
{{- $_ := set $data $key ($value | toString) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{- define "jingwu-lib.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "jingwu-lib.configName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
data:
  {{- include "jingwu-lib.configData" . | nindent 2 }}
{{- end -}}

{{/* The container's env from Secrets (the same list in the Deployment and in its CronJobs). */}}
{{- define "jingwu-lib.containerEnv" -}}
{{- if include "jingwu-lib.isGrpc" . }}
- name: JINGWU_MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "jingwu-lib.mongoSecret" . }}
      key: {{ .root.Values.mongo.urlKey | default "url" }}
{{- end }}
- name: JINGWU_AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "jingwu-lib.authSecret" . }}
      key: {{ .root.Values.auth.secretKey | default "secret" }}
{{- $ctx := . }}
{{- range $key, $ref := .svc.secretEnv | default dict }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ tpl (required (printf "services.%s.secretEnv.%s.secretName is required" $ctx.name $key) $ref.secretName) $ctx.root }}
      key: {{ required (printf "services.%s.secretEnv.%s.key is required" $ctx.name $key) $ref.key }}
      {{- if hasKey $ref "optional" }}
      optional: {{ $ref.optional }}
      {{- end }}
{{- end }}
{{- if include "jingwu-lib.isGrpc" . }}
- name: JINGWU_TRACE_FILE
  value: /tmp/spans.jsonl
{{- end }}
{{- end -}}
