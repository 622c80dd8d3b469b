{{/*
Jingwu library chart. Every template takes a context dict:
  root: the calling chart's top-level context ($)
  name: the service name (rooms, notification, personnel, population, patrol, telemetry, console, ...)
  svc:  that service's values (kind, replicas, grpcPort, http, resources, component, image, env,
        secretEnv, peers, httpPeers, schedules, schedulesIn, singleWriter, ingress)
and reads the district-wide values from root.Values: district, image, kafka, mongo, auth, policy,
tracing, managedBy, logLevel, metrics.

Two kinds of workload (svc.kind):
  grpc (default)  a platform service (jingwu_platform.settings.ServiceSettings): gRPC port with native
                  gRPC probes, the metrics port, the district's Mongo URL and credential key, schedules
  web             an HTTP server that is not a platform service (the console): one `http` port with an
                  HTTP health probe, the credential key, no store, no metrics port, no schedules
*/}}

{{/* District code, validated again here so a chart without the schema still fails clearly. */}}
{{- define "jingwu-lib.districtCode" -}}
{{- $code := toString (required "district.code is required (two digits, e.g. \"06\")" .root.Values.district.code) -}}
{{- if not (regexMatch "^[0-9]{2}$" $code) -}}
{{- fail (printf "district.code must be two digits like \"06\", got %q" $code) -}}
{{- end -}}
{{- $code -}}
{{- end -}}

{{- define "jingwu-lib.kind" -}}
{{- $kind := .svc.kind | default "grpc" -}}
{{- if not (has $kind (list "grpc" "web")) -}}
{{- fail (printf "services.%s.kind must be grpc or web, got %q" .name $kind) -}}
{{- end -}}
{{- $kind -}}
{{- end -}}

{{/* "true" when the service is a platform gRPC service (kind grpc). */}}
{{- define "jingwu-lib.isGrpc" -}}
{{- if eq (include "jingwu-lib.kind" .) "grpc" -}}true{{- end -}}
{{- end -}}

{{/* The gRPC port (kind grpc only; required there). */}}
{{- define "jingwu-lib.grpcPort" -}}
{{- required (printf "services.%s.grpcPort is required for a gRPC service" .name) .svc.grpcPort | int -}}
{{- end -}}

{{/* The HTTP port (svc.http.port), empty without one; a web service must have one. */}}
{{- define "jingwu-lib.httpPort" -}}
{{- $http := .svc.http | default dict -}}
{{- if and (eq (include "jingwu-lib.kind" .) "web") (not $http.port) -}}
{{- fail (printf "services.%s.http.port is required for a web service" .name) -}}
{{- end -}}
{{- with $http.port }}{{ . | int }}{{ end -}}
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

{{/* The Prometheus scrape port of every gRPC service container (JINGWU_METRICS_PORT; docs/adr/0022). */}}
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

{{/* Where the calendar rules run: "cronjob" (one CronJob each, the default) or "process" (the
service's own timer; for a single writer, whose CronJob pod would be a second writer). */}}
{{- define "jingwu-lib.schedulesIn" -}}
{{- $where := .svc.schedulesIn | default "cronjob" -}}
{{- if not (has $where (list "cronjob" "process")) -}}
{{- fail (printf "services.%s.schedulesIn must be cronjob or process, got %q" .name $where) -}}
{{- end -}}
{{- $where -}}
{{- end -}}

{{/* The address of a peer service of this district, by its Service name: <name>:<grpcPort>, or
http://<name>:<http.port> (http = true). The peer's values decide the port. */}}
{{- define "jingwu-lib.peerAddress" -}}
{{- $peerName := .peer -}}
{{- $peer := dict -}}
{{- if hasKey .root.Values "services" -}}
{{- $peer = get .root.Values.services .peer | default dict -}}
{{- if not $peer -}}
{{- fail (printf "services.%s: peer %q is not a service of this district" .name $peerName) -}}
{{- end -}}
{{- else -}}
{{- /* A single-service chart knows only its own service: the peers' default ports. */ -}}
{{- $peer = dict "grpcPort" 50051 "http" (dict "port" 8080) -}}
{{- end -}}
{{- if .http -}}
{{- $port := (($peer.http | default dict).port) | default 0 | int -}}
{{- if not $port -}}
{{- fail (printf "services.%s.httpPeers: %s has no http port" .name $peerName) -}}
{{- end -}}
http://{{ $peerName }}:{{ $port }}
{{- else -}}
{{- $port := $peer.grpcPort | default 0 | int -}}
{{- if not $port -}}
{{- fail (printf "services.%s.peers: %s has no grpcPort" .name $peerName) -}}
{{- end -}}
{{ $peerName }}:{{ $port }}
{{- end -}}
{{- end -}}
