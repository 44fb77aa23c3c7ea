variable "subaccount_id" {
  description = "The Entitlement Management subaccount"
  type        = string
}

variable "calm_url" {
  description = "SAP Cloud ALM URL: the service key's endpoints.Api without the final api"
  type        = string
  default     = "https://acme-demo.eu10.alm.cloud.sap/"
}

variable "calm_client_secret" {
  description = "uaa.clientsecret of the SAP Cloud ALM service key; supplied by the pipeline (TF_VAR_calm_client_secret)"
  type        = string
  sensitive   = true
}
