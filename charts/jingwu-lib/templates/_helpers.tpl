{{/*
Jingwu library chart. Every template takes a context dict:
  root: the calling chart's top-level context ($)
  name: the service name (rooms, notification, personnel, ...)
  svc:  that service's values (replicas, grpcPort, resources, component, image, env)
and reads the district-wide values from root.Values: district, image, kafka, mongo, auth, policy,
tracing, managedBy, logLevel, metrics.
*/}}

{{/* District code, validated again here so a chart without the schema still fails clearly. */}}
{{- define "jingwu-lib.districtCode" -}}
{{- $code := toString (required "district.code is required (two digits, e.g. \"06\")" .root.Values.district.code) -}}
{{- if not (regexMatch "^[0-9]{2}$" $code) -}}
{{- fail (printf "district.code must be two digits like \"06\", got %q" $code) -}}
{{- end -}}
{{- $code -}}
{{- end -}}

{{/* Selector labels: stable for the life of a Deployment (spec.selector is immutable). */}}
{{- define "jingwu-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
jingwu.police.cn/district: {{ include "jingwu-lib.districtCode" . | quote }}
{{- end -}}

{{/* Every object's labels. */}}
{{- define "jingwu-lib.labels" -}}
{{ include "jingwu-lib.selectorLabels" . }}
app.kubernetes.io/component: {{ .svc.component | default "backend" }}
app.kubernetes.io/part-of: jingwu
app.kubernetes.io/managed-by: {{ .root.Values.managedBy | default .root.Release.Service }}
app.kubernetes.io/version: {{ include "jingwu-lib.imageTag" . | splitList "@" | first | default "unknown" | trunc 63 | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "jingwu-lib.imageTag" -}}
{{- $img := .svc.image | default dict -}}
{{- $tag := $img.tag | default .root.Values.image.tag | toString -}}
{{- if or (eq $tag "") (eq $tag "latest") (hasPrefix "latest@" $tag) -}}
{{- fail (printf "image tag of %s must be a release tag or tag@sha256:digest, not %q" .name $tag) -}}
{{- end -}}
{{- $tag -}}
{{- end -}}

{{/* registry/jingwu-<name>:tag, or services.<name>.image.repository[:tag] when set (skaffold does). */}}
{{- define "jingwu-lib.image" -}}
{{- $img := .svc.image | default dict -}}
{{- $repo := $img.repository | default (printf "%s/jingwu-%s" (.root.Values.image.registry | trimSuffix "/") .name) -}}
{{- $tag := include "jingwu-lib.imageTag" . -}}
{{- if contains "@sha256:" $tag -}}
{{- if hasPrefix "@" $tag -}}{{ $repo }}{{ $tag }}{{- else -}}{{ $repo }}:{{ $tag }}{{- end -}}
{{- else -}}
{{ $repo }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/* The Prometheus scrape port of every service container (JINGWU_METRICS_PORT; docs/adr/0022). */}}
{{- define "jingwu-lib.metricsPort" -}}
{{- (.root.Values.metrics | default dict).port | default 9464 | int -}}
{{- end -}}

{{- define "jingwu-lib.mongoSecret" -}}
{{- .root.Values.mongo.secretName | default (printf "jingwu-%s-mongo" (include "jingwu-lib.districtCode" .)) -}}
{{- end -}}

{{- define "jingwu-lib.authSecret" -}}
{{- .root.Values.auth.secretName | default (printf "jingwu-%s-auth" (include "jingwu-lib.districtCode" .)) -}}
{{- end -}}

{{- define "jingwu-lib.configName" -}}
{{ .name }}-config
{{- end -}}

{{/* The non-secret JINGWU_* settings of one service (ServiceSettings in jingwu_platform.settings). */}}
{{- define "jingwu-lib.configData" -}}
JINGWU_DISTRICT: {{ include "jingwu-lib.districtCode" . | quote }}
JINGWU_KAFKA_BOOTSTRAP: {{ required "kafka.bootstrap is required" .root.Values.kafka.bootstrap | quote }}
JINGWU_KAFKA_CREATE_TOPICS: "false"
JINGWU_GRPC_HOST: "0.0.0.0"
JINGWU_GRPC_PORT: {{ .svc.grpcPort | int | toString | quote }}
JINGWU_METRICS_HOST: "0.0.0.0"
JINGWU_METRICS_PORT: {{ include "jingwu-lib.metricsPort" . | quote }}
JINGWU_TRACE_EXPORTER: {{ .root.Values.tracing.exporter | quote }}
JINGWU_OTLP_ENDPOINT: {{ .root.Values.tracing.otlpEndpoint | default "" | quote }}
JINGWU_LOG_LEVEL: {{ .root.Values.logLevel | default "INFO" | quote }}
JINGWU_POLICY_JSON: {{ .root.Values.policy | default dict | toJson | quote }}
{{- /* Calendar rules run as the service's CronJobs (jingwu-lib.cronjobs), not on the pods' timers. */}}
JINGWU_SCHEDULES: "cronjob"
{{- range $key, $value := .svc.env | default dict }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
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

{{- define "jingwu-lib.serviceaccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{- define "jingwu-lib.deployment" -}}
{{- $port := .svc.grpcPort | int -}}
{{- if eq $port (include "jingwu-lib.metricsPort" . | int) -}}
{{- fail (printf "metrics.port %d is %s's grpcPort: the two must differ" $port .name) -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
spec:
  replicas: {{ .svc.replicas | int }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "jingwu-lib.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "jingwu-lib.labels" . | nindent 8 }}
      annotations:
        # Roll the pods when their settings change (env is read once at start).
        jingwu.police.cn/config-checksum: {{ include "jingwu-lib.configData" . | sha256sum }}
        # Annotation-based Prometheus discovery (kubernetes_sd pod role); a ServiceMonitor is optional.
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ include "jingwu-lib.metricsPort" . | quote }}
        prometheus.io/path: /metrics
    spec:
      serviceAccountName: {{ .name }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .name }}
          image: {{ include "jingwu-lib.image" . | quote }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: {{ $port }}
              protocol: TCP
            - name: metrics
              containerPort: {{ include "jingwu-lib.metricsPort" . }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "jingwu-lib.configName" . }}
          env:
            - name: JINGWU_MONGO_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "jingwu-lib.mongoSecret" . }}
                  key: {{ .root.Values.mongo.urlKey | default "url" }}
            - name: JINGWU_AUTH_SECRET
              valueFrom:
                secretKeyRef:
                  name: {{ include "jingwu-lib.authSecret" . }}
                  key: {{ .root.Values.auth.secretKey | default "secret" }}
            - name: JINGWU_TRACE_FILE
              value: /tmp/spans.jsonl
          startupProbe:
            grpc:
              port: {{ $port }}
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            grpc:
              port: {{ $port }}
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            grpc:
              port: {{ $port }}
            periodSeconds: 10
            failureThreshold: 3
          resources:
            {{- toYaml .svc.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            runAsUser: 10001
            runAsGroup: 10001
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end -}}

{{- define "jingwu-lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "jingwu-lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .svc.grpcPort | int }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: metrics
      port: {{ include "jingwu-lib.metricsPort" . }}
      targetPort: metrics
      protocol: TCP
      appProtocol: http
{{- end -}}

{{/* Only with metrics.serviceMonitor.enabled (the Prometheus Operator's CRD must exist). */}}
{{- define "jingwu-lib.servicemonitor" -}}
{{- $monitor := (.root.Values.metrics | default dict).serviceMonitor | default dict -}}
{{- if $monitor.enabled -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
    {{- with $monitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "jingwu-lib.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames: [{{ .root.Release.Namespace | quote }}]
  endpoints:
    - port: metrics
      path: /metrics
      scheme: http
      interval: {{ $monitor.interval | default "30s" }}
      scrapeTimeout: {{ $monitor.scrapeTimeout | default "10s" }}
{{- end -}}
{{- end -}}

{{/* Only with more than one replica: a PDB on a single pod would block every node drain. */}}
{{- define "jingwu-lib.pdb" -}}
{{- if gt (.svc.replicas | int) 1 -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "jingwu-lib.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* Everything one service needs, as one multi-document string. */}}
{{- define "jingwu-lib.workload" -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]{0,40}$" .name) -}}
{{- fail (printf "service name %q must be a DNS label" .name) -}}
{{- end }}
---
{{ include "jingwu-lib.serviceaccount" . }}
---
{{ include "jingwu-lib.configmap" . }}
---
{{ include "jingwu-lib.deployment" . }}
---
{{ include "jingwu-lib.service" . }}
{{- with (include "jingwu-lib.pdb" .) }}
---
{{ . }}
{{- end }}
{{- with (include "jingwu-lib.servicemonitor" .) }}
---
{{ . }}
{{- end }}
{{- include "jingwu-lib.cronjobs" . }}
{{- end -}}
