{{/* Chart name, overridable. */}}
{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "baton.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "baton.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of one service's objects. Call with (dict "root" $ "name" $name). */}}
{{- define "baton.componentName" -}}
{{- printf "%s-%s" (include "baton.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by everything in the release (no component). */}}
{{- define "baton.commonLabels" -}}
helm.sh/chart: {{ include "baton.chart" . }}
app.kubernetes.io/name: {{ include "baton.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: baton
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Full labels of one service's objects. Call with (dict "root" $ "name" $name). */}}
{{- define "baton.labels" -}}
{{ include "baton.commonLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Selector labels: immutable once deployed, so no version or chart here. */}}
{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Labels matching every Baton pod of the release (for NetworkPolicies). */}}
{{- define "baton.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Image reference of one service. Call with (dict "root" $ "svc" $svc). */}}
{{- define "baton.image" -}}
{{- $img := .svc.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "baton.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "baton.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding DATABASE_URL. */}}
{{- define "baton.databaseSecretName" -}}
{{- default (printf "%s-database" (include "baton.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{/* The Secret holding NATS_URL and EVENTSTORE_URL: config.existingSecret, or the chart's. */}}
{{- define "baton.connectionsSecretName" -}}
{{- default (printf "%s-connections" (include "baton.fullname" .)) .Values.config.existingSecret -}}
{{- end -}}

{{/* Replicas the service runs with at least: minReplicas under an HPA, else replicas. */}}
{{- define "baton.minReplicas" -}}
{{- $as := .svc.autoscaling | default dict -}}
{{- if $as.enabled -}}{{ $as.minReplicas | default 1 | int }}{{- else -}}{{ .svc.replicas | default 1 | int }}{{- end -}}
{{- end -}}
