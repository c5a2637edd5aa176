{{/* The chart's name, as a label value. */}}
{{- define "relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: the release name, or release-chart when the release name lacks the chart's. */}}
{{- define "relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Selector labels: stable across upgrades. */}}
{{- define "relay.selectorLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/name: {{ include "relay.name" . }}
{{- end }}

{{/* Common labels; the component is passed in the "component" key of a dict with "ctx". */}}
{{- define "relay.labels" -}}
app.kubernetes.io/component: {{ .component }}
{{ include "relay.selectorLabels" .ctx }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ .ctx.Values.partOf }}
{{- end }}

{{- define "relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The PromQL selector of the relay's exporter, with extra matchers appended. */}}
{{- define "relay.metricsSelector" -}}
job="{{ include "relay.fullname" .ctx }}-metrics", namespace="{{ .ctx.Release.Namespace }}"{{ with .extra }}, {{ . }}{{ end }}
{{- end }}

{{- define "relay.image" -}}
{{ .repository }}:{{ .tag }}
{{- end }}
