{{/* The objects of one service: ServiceAccount, ConfigMap, Deployment, Service, PDB, ServiceMonitor,
Ingress, CronJobs. */}}

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

{{/* Probes: native gRPC on the gRPC port, or HTTP GET of http.healthPath for a web service. */}}
{{- define "jingwu-lib.probe" -}}
{{- if include "jingwu-lib.isGrpc" . -}}
grpc:
  port: {{ include "jingwu-lib.grpcPort" . }}
{{- else -}}
httpGet:
  path: {{ (.svc.http | default dict).healthPath | default "/healthz" }}
  port: http
{{- end -}}
{{- end -}}

{{- define "jingwu-lib.deployment" -}}
{{- $grpc := include "jingwu-lib.isGrpc" . -}}
{{- $http := include "jingwu-lib.httpPort" . -}}
{{- if $grpc -}}
{{- $port := include "jingwu-lib.grpcPort" . | int -}}
{{- if eq $port (include "jingwu-lib.metricsPort" . | int) -}}
{{- fail (printf "metrics.port %d is %s's grpcPort: the two must differ" $port .name) -}}
{{- end -}}
{{- if and $http (has ($http | int) (list $port (include "jingwu-lib.metricsPort" . | int))) -}}
{{- fail (printf "services.%s.http.port %s is its gRPC or metrics port: they must differ" .name $http) -}}
{{- end -}}
{{- end -}}
{{- if and .svc.singleWriter (gt (.svc.replicas | int) 1) -}}
{{- fail (printf "services.%s is a single writer: replicas must be 0 or 1, not %d" .name (.svc.replicas | int)) -}}
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
    {{- if .svc.singleWriter }}
    # One writer per district (docs/adr/0034): the old pod stops before the new one starts.
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "jingwu-lib.labels" . | nindent 8 }}
      annotations:
        # Roll the pods when their settings change (env is read once at start).
        jingwu.police.cn/config-checksum: {{ include "jingwu-lib.configData" . | sha256sum }}
        {{- if $grpc }}
        # Annotation-based Prometheus discovery (kubernetes_sd pod role); a ServiceMonitor is optional.
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ include "jingwu-lib.metricsPort" . | quote }}
        prometheus.io/path: /metrics
        {{- end }}
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
            {{- if $grpc }}
            - name: grpc
              containerPort: {{ include "jingwu-lib.grpcPort" . }}
              protocol: TCP
            - name: metrics
              containerPort: {{ include "jingwu-lib.metricsPort" . }}
              protocol: TCP
            {{- end }}
            {{- if $http }}
            - name: http
              containerPort: {{ $http }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "jingwu-lib.configName" . }}
          env:
            {{- include "jingwu-lib.containerEnv" . | indent 12 }}
          startupProbe:
            {{- include "jingwu-lib.probe" . | nindent 12 }}
            periodSeconds: 2
            failureThreshold: {{ .svc.startupFailureThreshold | default 60 | int }}
          readinessProbe:
            {{- include "jingwu-lib.probe" . | nindent 12 }}
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            {{- include "jingwu-lib.probe" . | nindent 12 }}
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
{{- $http := include "jingwu-lib.httpPort" . -}}
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
    {{- if include "jingwu-lib.isGrpc" . }}
    - name: grpc
      port: {{ include "jingwu-lib.grpcPort" . }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: metrics
      port: {{ include "jingwu-lib.metricsPort" . }}
      targetPort: metrics
      protocol: TCP
      appProtocol: http
    {{- end }}
    {{- if $http }}
    - name: http
      port: {{ $http }}
      targetPort: http
      protocol: TCP
      appProtocol: http
    {{- end }}
{{- end -}}

{{/* Only with metrics.serviceMonitor.enabled (the Prometheus Operator's CRD must exist); gRPC services. */}}
{{- define "jingwu-lib.servicemonitor" -}}
{{- $monitor := (.root.Values.metrics | default dict).serviceMonitor | default dict -}}
{{- if and $monitor.enabled (include "jingwu-lib.isGrpc" .) -}}
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

{{/* Only with svc.ingress.enabled, on the service's http port (the console). The ingress controller's
namespace must be labelled jingwu.police.cn/city-ingress=true to pass the district's NetworkPolicy. */}}
{{- define "jingwu-lib.ingress" -}}
{{- $ingress := .svc.ingress | default dict -}}
{{- if $ingress.enabled -}}
{{- if not (include "jingwu-lib.httpPort" .) -}}
{{- fail (printf "services.%s.ingress needs an http port" .name) -}}
{{- end -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" . | nindent 4 }}
  {{- with $ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $ingress.tlsSecretName }}
  tls:
    - hosts: [{{ required (printf "services.%s.ingress.host is required with TLS" $.name) $ingress.host | quote }}]
      secretName: {{ . }}
  {{- end }}
  rules:
    - {{- with $ingress.host }}
      host: {{ . | quote }}
      {{- end }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .name }}
                port:
                  name: http
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
{{- with (include "jingwu-lib.ingress" .) }}
---
{{ . }}
{{- end }}
{{- if eq (include "jingwu-lib.schedulesIn" .) "cronjob" }}
{{- include "jingwu-lib.cronjobs" . }}
{{- end }}
{{- end -}}
