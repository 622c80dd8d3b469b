{{/*
Calendar rules of one service (jingwu_platform.schedule): one batch/v1 CronJob per entry of
.svc.schedules — {name, cron, ruleId} as the service declares them (services/devstack/tests/
test_chart_schedules.py keeps the values equal to the declared specs), optional
startingDeadlineSeconds, activeDeadlineSeconds, suspend. Each runs `jingwu-<service> schedule run
<name>` in the service's image with the Deployment's settings (ConfigMap + Secrets) and pod security;
the run claims its period in the district database, so a CronJob firing twice, a retried pod or a
replica never runs one period twice. The cron line is in China civil time (spec.timeZone), as the
cadence is; see docs/adr/0020.
*/}}

{{/* Labels of a schedule's Jobs and pods: NOT the service's selector labels, so the Service and the
PodDisruptionBudget never select a job pod. */}}
{{- define "jingwu-lib.scheduleLabels" -}}
app.kubernetes.io/name: {{ printf "%s-%s" .name .schedule.name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: schedule
app.kubernetes.io/part-of: jingwu
app.kubernetes.io/managed-by: {{ .root.Values.managedBy | default .root.Release.Service }}
jingwu.police.cn/district: {{ include "jingwu-lib.districtCode" . | quote }}
jingwu.police.cn/service: {{ .name }}
jingwu.police.cn/schedule: {{ .schedule.name }}
jingwu.police.cn/rule: {{ .schedule.ruleId }}
{{- end -}}

{{- define "jingwu-lib.cronjob" -}}
{{- $jobName := printf "%s-%s" .name .schedule.name -}}
{{- if gt (len $jobName) 52 -}}
{{- fail (printf "CronJob name %q is longer than 52 characters (Kubernetes adds a suffix for its Jobs)" $jobName) -}}
{{- end -}}
{{- $labels := include "jingwu-lib.scheduleLabels" . -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ $jobName }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "jingwu-lib.labels" (dict "root" .root "name" .name "svc" (merge (dict "component" "schedule") .svc)) | nindent 4 }}
    jingwu.police.cn/schedule: {{ .schedule.name }}
    jingwu.police.cn/rule: {{ .schedule.ruleId }}
spec:
  schedule: {{ .schedule.cron | quote }}
  timeZone: Asia/Shanghai
  # One pod at a time per schedule; the run record in the database is what makes a period run once.
  concurrencyPolicy: Forbid
  # A firing the controller could not start in time (control plane down) is skipped; the next firing
  # runs the then-latest due period (a late run still runs the right period: the one due at its start).
  startingDeadlineSeconds: {{ .schedule.startingDeadlineSeconds | default 86400 | int }}
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  suspend: {{ .schedule.suspend | default false }}
  jobTemplate:
    metadata:
      labels:
        {{- $labels | nindent 8 }}
    spec:
      # A failed run exits 1 and is retried by a new pod, which takes the next attempt (or waits out a
      # crashed pod's lease and takes it over); the spec's max_attempts bounds the attempts per period.
      backoffLimit: 3
      activeDeadlineSeconds: {{ .schedule.activeDeadlineSeconds | default 3600 | int }}
      template:
        metadata:
          labels:
            {{- $labels | nindent 12 }}
        spec:
          restartPolicy: Never
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
            - name: schedule
              image: {{ include "jingwu-lib.image" . | quote }}
              imagePullPolicy: {{ .root.Values.image.pullPolicy }}
              args: ["schedule", "run", {{ .schedule.name | quote }}]
              envFrom:
                - configMapRef:
                    name: {{ include "jingwu-lib.configName" . }}
              env:
                {{- include "jingwu-lib.containerEnv" . | indent 16 }}
              resources:
                {{- toYaml .svc.resources | nindent 16 }}
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

{{/* Every CronJob of one service, as a multi-document string (empty without schedules). */}}
{{- define "jingwu-lib.cronjobs" -}}
{{- $ctx := . -}}
{{- $seen := dict -}}
{{- range $schedule := .svc.schedules | default list }}
{{- if hasKey $seen $schedule.name }}
{{- fail (printf "services.%s.schedules: %q is listed twice" $ctx.name $schedule.name) }}
{{- end }}
{{- $_ := set $seen $schedule.name true }}
---
{{ include "jingwu-lib.cronjob" (dict "root" $ctx.root "name" $ctx.name "svc" $ctx.svc "schedule" $schedule) }}
{{- end }}
{{- end -}}
