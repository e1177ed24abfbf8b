{{/* The name every object starts with. */}}
{{- define "hookline.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookline.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hookline.secretName" -}}
{{- default (printf "%s-secrets" (include "hookline.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* A node's environment. HOOKLINE_NODE_ID is the pod name: unique among the nodes; a
     Deployment's pod gets a new name when replaced, so its old claims wait for their
     lease (README "Several nodes"). */}}
{{- define "hookline.env" -}}
- name: HOOKLINE_LISTEN
  value: "0.0.0.0:8071"
- name: HOOKLINE_DATA_DIR
  value: /var/lib/hookline
- name: HOOKLINE_LOG_FORMAT
  value: json
- name: HOOKLINE_NODE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if .Values.publicUrl }}
- name: HOOKLINE_PUBLIC_URL
  value: {{ .Values.publicUrl | quote }}
{{- end }}
- name: HOOKLINE_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "hookline.secretName" . }}, key: HOOKLINE_DATABASE_URL}
- name: HOOKLINE_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "hookline.secretName" . }}, key: HOOKLINE_ENCRYPTION_KEY}
- name: HOOKLINE_ADMIN_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ include "hookline.secretName" . }}, key: HOOKLINE_ADMIN_TOKEN}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}
